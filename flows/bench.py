"""Benchmark the pipeline on a synthetic corpus: throughput, time per stage, peak memory, no-op re-run, I/O floor.

The figures answer "how far are we from what the hardware allows and from a reference extractor":

* end to end: a full ``newsetl run`` into a fresh warehouse, in a child process (so that its memory is the flow
  process's own), reporting to the Prefect API a warm-up run on the seeds started here; the flow's own wall time
  is the figure, the process's (with Python's start and imports) is reported beside it;
* the I/O floor: the least any loader must do with the same files (read every byte, write it unchanged to Parquet,
  load that Parquet into DuckDB), in bounded batches;
* trafilatura's ``extract`` on a sample of the same articles wrapped as HTML, on one core, next to newsetl's own
  transforms on the same pages.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from flows.settings import DEFAULT_BATCH_FILES
from transforms.evaluation import as_html
from transforms.synth import SYNTH_VERSION, iter_corpus, seed_sentences

REPO = Path(__file__).resolve().parents[1]
SEEDS = REPO / "seeds"
MANIFEST_NAME = ".synth-manifest.json"
"""Hidden, so that the pipeline's discovery (which skips hidden names) never reads it as input."""
STAGES = ("discover", "read_decode", "clean_split", "arrow", "validate", "parquet", "load", "analytics")
FLOOR_BATCH_FILES = 2000
TRAFILATURA_SAMPLE = 2000
MB = 1_000_000
RSS_SAMPLE_SECONDS = 0.05
# The processes are listed again every this many samples (every 0.5 s): workers start and stop rarely.
RSS_SAMPLES_PER_LISTING = 10


@dataclass(slots=True)
class Corpus:
    """A generated corpus on disk and what its manifest says about it."""

    root: str
    articles: int
    format: str
    seed: int
    files: int
    bytes: int
    kinds: dict[str, int]
    seconds: float
    reused: bool = False


# --- the corpus ------------------------------------------------------------------------------------------------


def load_seed_sentences(folder: Path = SEEDS) -> tuple[str, ...]:
    """The sentence pool of the synthetic corpus: every ``*.txt`` seed article, read once."""
    return seed_sentences(path.read_text(encoding="utf-8") for path in sorted(folder.glob("*.txt")))


def _fingerprint(articles: int, fmt: str, seed: int, sentences: tuple[str, ...]) -> dict:
    pool = hashlib.sha256("\n".join(sentences).encode("utf-8")).hexdigest()[:16]
    return {
        "synth_version": SYNTH_VERSION,
        "articles": articles,
        "format": fmt,
        "seed": seed,
        "sentences": pool,
    }


def write_corpus(out: Path, articles: int, fmt: str = "txt", seed: int = 0, *, seeds: Path = SEEDS) -> Corpus:
    """Generate the corpus into ``out``, file by file (memory stays flat), and write its manifest last.

    A folder that holds a corpus made here before is replaced; any other non-empty folder is refused, so that a
    typo in ``--out`` never deletes someone's data.
    """
    sentences = load_seed_sentences(seeds)
    if out.exists() and any(out.iterdir()):
        if not (out / MANIFEST_NAME).is_file():
            raise FileExistsError(
                f"{out} is not empty and holds no synthetic corpus: refusing to write into it"
            )
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    files = size = 0
    kinds: Counter[str] = Counter()
    folders: set[Path] = set()
    for file in iter_corpus(sentences, articles, fmt, seed):
        path = out / file.relpath
        if path.parent not in folders:
            path.parent.mkdir(parents=True, exist_ok=True)
            folders.add(path.parent)
        path.write_bytes(file.data)
        files += 1
        size += len(file.data)
        kinds.update(file.kinds)
    seconds = time.perf_counter() - started
    corpus = Corpus(
        str(out), articles, fmt, seed, files, size, dict(sorted(kinds.items())), round(seconds, 3)
    )
    manifest = dict(_fingerprint(articles, fmt, seed, sentences), corpus=asdict(corpus))
    (out / MANIFEST_NAME).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return corpus


def ensure_corpus(workdir: Path, articles: int, fmt: str = "txt", seed: int = 0) -> Corpus:
    """The benchmark corpus under ``workdir``: reused when its manifest shows the same parameters, else generated."""
    root = workdir / "corpus" / f"{fmt}-{articles}-seed{seed}"
    manifest_path = root / MANIFEST_NAME
    if manifest_path.is_file():
        manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
        expected = _fingerprint(articles, fmt, seed, load_seed_sentences())
        if all(manifest.get(key) == value for key, value in expected.items()):
            return Corpus(**dict(manifest["corpus"], root=str(root), reused=True))
    return write_corpus(root, articles, fmt, seed)


def corpus_files(root: Path) -> Iterator[str]:
    """Every input file of a corpus, in the order the pipeline's discovery sorts them (hidden names skipped)."""
    found: list[str] = []
    for folder, folders, names in os.walk(root):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        found.extend(os.path.join(folder, name) for name in names if not name.startswith("."))
    yield from sorted(found)


# --- memory ----------------------------------------------------------------------------------------------------


class TreeRss:
    """Peak resident memory of a ``newsetl run`` child process and its own children (the batch workers), sampled
    every 50 ms with psutil, plus the peak of this process's other children (the Prefect API server it shares)."""

    def __init__(self, child) -> None:
        self.flow_process_mb = 0.0
        self.workers_mb = 0.0
        # The largest single worker: with the flow process, the per-process figure the memory target is about.
        self.largest_worker_mb = 0.0
        self.api_server_mb = 0.0
        self.total_mb = 0.0
        self._child = child
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeRss:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psutil

        bench = psutil.Process()
        workers: list[psutil.Process] = []
        others: list[psutil.Process] = []
        relist_at = 0
        for sample in itertools.count():
            if self._stop.wait(RSS_SAMPLE_SECONDS):
                return
            try:
                if sample >= relist_at:
                    relist_at = sample + RSS_SAMPLES_PER_LISTING
                    # Listing children scans every process in /proc (2 ms): 20 times a second it took 4% of a
                    # core from the run it measures. Reading a known process's memory is cheap.
                    workers = self._child.children(recursive=True)
                    others = [
                        other for other in bench.children(recursive=False) if other.pid != self._child.pid
                    ]
                flow = self._child.memory_info().rss / 2**20
                worker_mb = [worker.memory_info().rss / 2**20 for worker in workers]
                others_mb = [other.memory_info().rss / 2**20 for other in others]
            except psutil.Error:  # a process may exit between listing and reading it: list again
                relist_at = 0
                continue
            self.flow_process_mb = max(self.flow_process_mb, round(flow, 1))
            self.workers_mb = max(self.workers_mb, round(sum(worker_mb), 1))
            self.largest_worker_mb = max(self.largest_worker_mb, round(max(worker_mb, default=0.0), 1))
            self.api_server_mb = max(self.api_server_mb, round(sum(others_mb), 1))
            self.total_mb = max(self.total_mb, round(flow + sum(worker_mb) + sum(others_mb), 1))


# --- the measurements ------------------------------------------------------------------------------------------


def _api_url() -> str | None:
    """The Prefect API the measured ``newsetl run`` processes report to: the configured one, or this process's
    ephemeral server (started by the warm-up), so that they do not start one each (7 s)."""
    from prefect.settings import PREFECT_API_URL

    from flows.runners import shared_api_url

    return PREFECT_API_URL.value() or shared_api_url()


def run_newsetl(
    root: str, warehouse: Path, batch_size: int, runner: str, analytics: bool
) -> tuple[dict, float, TreeRss]:
    """``newsetl run --json`` in a child process, as a user runs it: its summary, wall seconds and peak memory."""
    import psutil

    command = [sys.executable, "-c", "from flows.cli import app; app()", "run", "--json"]
    command += ["-i", root, "-w", str(warehouse), "--batch-size", str(batch_size), "--runner", runner]
    command.append("--analytics" if analytics else "--no-analytics")
    environment = dict(os.environ, PREFECT_SERVER_ANALYTICS_ENABLED="false")
    api_url = _api_url()
    if api_url:
        environment["PREFECT_API_URL"] = api_url
    started = time.perf_counter()
    child = psutil.Popen(command, cwd=REPO, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    with TreeRss(child) as rss:
        output, errors = child.communicate()
    seconds = time.perf_counter() - started
    lines = [line for line in output.decode("utf-8", "replace").splitlines() if line.startswith("{")]
    if not lines:
        raise RuntimeError(
            f"newsetl run exited {child.returncode} without a JSON summary; its output ended with:\n"
            f"{output.decode('utf-8', 'replace')[-2000:]}\nand its errors with:\n"
            f"{errors.decode('utf-8', 'replace')[-2000:]}"
        )
    return json.loads(lines[-1]), seconds, rss


def measure_pipeline(
    corpus: Corpus, warehouse: Path, batch_size: int, runner: str = "process", analytics: bool = True
) -> dict:
    """A full ``newsetl run`` into a fresh ``warehouse``, then a no-op re-run on the same input, each in a child
    process: the memory figures are then the flow process's own, not this one's (which holds the bench too)."""
    shutil.rmtree(warehouse, ignore_errors=True)
    summary, process_seconds, rss = run_newsetl(corpus.root, warehouse, batch_size, runner, analytics)
    rerun, rerun_process_seconds, _ = run_newsetl(corpus.root, warehouse, batch_size, runner, analytics)
    seconds = summary["seconds"]
    # Stage seconds are summed over batch tasks: with batches running side by side they add up to more than the
    # wall time, hence the overlap figure; the rest of the wall time (Prefect, lock, publish) is unattributed.
    stages = {stage: round(summary["stage_seconds"].get(stage, 0.0), 3) for stage in STAGES}
    staged = sum(stages.values())
    # Discovery, the load and the analytics refresh run in the flow's own process, one after the other; the batches
    # run side by side between the first two, so what is left of the wall time is the batch phase's.
    batch_phase = max(seconds - stages["discover"] - stages["load"] - stages["analytics"], 1e-9)
    return {
        "pipeline": {
            "status": summary["status"],
            "seconds": round(seconds, 3),
            "process_seconds": round(process_seconds, 3),
            "articles_per_s": round(summary["documents_seen"] / seconds, 1),
            "mb_per_s": round(corpus.bytes / MB / seconds, 2),
            "files_seen": summary["files_seen"],
            "documents_seen": summary["documents_seen"],
            "articles_loaded": summary["articles_loaded"],
            "quarantined": summary["quarantined"],
            "skipped": summary["skipped"],
            "stage_seconds": stages,
            "batch_phase_seconds": round(batch_phase, 3),
            "batch_phase_articles_per_s": round(summary["documents_seen"] / batch_phase, 1),
            "unattributed_seconds": round(max(seconds - staged, 0.0), 3),
            "stage_overlap": round(staged / seconds, 2),
        },
        "peak_rss_mb": {
            "flow_process": rss.flow_process_mb,
            "workers": rss.workers_mb,
            "largest_worker": rss.largest_worker_mb,
            "api_server": rss.api_server_mb,
            "total": rss.total_mb,
        },
        "noop_rerun": {
            "status": rerun["status"],
            "seconds": round(rerun["seconds"], 3),
            "process_seconds": round(rerun_process_seconds, 3),
            "files_skipped": rerun["files_skipped"],
            "articles_loaded": rerun["articles_loaded"],
            "stage_seconds": {stage: round(value, 3) for stage, value in rerun["stage_seconds"].items()},
        },
    }


def measure_io_floor(corpus: Corpus, scratch: Path, batch_files: int = FLOOR_BATCH_FILES) -> dict:
    """The least work any loader does: list, read every byte, write it unchanged to Parquet, load it into DuckDB.

    Batches of ``batch_files`` files become one zstd Parquet file each (the pipeline's codec), so memory stays
    bounded; DuckDB then loads them all with ``read_parquet`` into a table of a fresh database file.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from warehouse.db import open_for_writing

    shutil.rmtree(scratch, ignore_errors=True)
    (scratch / "parquet").mkdir(parents=True)
    started = time.perf_counter()
    paths = list(corpus_files(Path(corpus.root)))
    timings = {"list_seconds": time.perf_counter() - started, "read_seconds": 0.0, "parquet_seconds": 0.0}
    size = 0
    for part, first in enumerate(range(0, len(paths), batch_files)):
        batch = paths[first : first + batch_files]
        clock = time.perf_counter()
        data = []
        for path in batch:
            with open(path, "rb") as handle:
                data.append(handle.read())
        size += sum(map(len, data))
        timings["read_seconds"] += time.perf_counter() - clock
        clock = time.perf_counter()
        table = pa.table({"path": pa.array(batch, pa.string()), "data": pa.array(data, pa.binary())})
        pq.write_table(table, scratch / "parquet" / f"part-{part:06d}.parquet", compression="zstd")
        timings["parquet_seconds"] += time.perf_counter() - clock
    clock = time.perf_counter()
    # Written as the warehouse is (storage format, zstd text): the floor gets every advantage the pipeline has.
    with open_for_writing(scratch / "floor.duckdb") as connection:
        glob = str(scratch / "parquet" / "*.parquet")
        connection.execute("CREATE TABLE raw AS SELECT * FROM read_parquet(?)", [glob])
        [(rows,)] = connection.execute("SELECT count(*) FROM raw").fetchall()
    timings["duckdb_seconds"] = time.perf_counter() - clock
    seconds = time.perf_counter() - started
    return {
        "seconds": round(seconds, 3),
        "articles_per_s": round(corpus.articles / seconds, 1),
        "mb_per_s": round(size / MB / seconds, 2),
        "files": rows,
        **{name: round(value, 3) for name, value in timings.items()},
    }


def sample_pages(corpus: Corpus, sample: int) -> list[str]:
    """Up to ``sample`` articles of the corpus, evenly spread, each as an HTML page.

    Text articles are wrapped as one ``<p>`` per line (as ``newsetl eval`` does for trafilatura); HTML pages are
    used as they are; JSON records give their ``html`` field or their wrapped ``text``. Inputs that are not
    readable articles (empty, binary, malformed) are left out.
    """
    from transforms.documents import Document, parse_source

    step = max(1, corpus.articles // max(1, sample))
    pages: list[str] = []
    position = 0
    for path in corpus_files(Path(corpus.root)):
        if len(pages) >= sample:
            break
        if path.endswith(".jsonl"):
            for line in Path(path).read_text(encoding="utf-8", errors="replace").splitlines():
                if position % step == 0:
                    pages.extend(_record_page(line))
                position += 1
            continue
        position += 1
        if (position - 1) % step:
            continue
        data = Path(path).read_bytes()
        documents = [item for item in parse_source(path, data) if isinstance(item, Document)]
        if documents and path.endswith(".html"):
            pages.extend(_decode(data))
        elif documents:
            pages.append(as_html(documents[0].lines))
    return pages[:sample]


def _decode(data: bytes) -> list[str]:
    """The page as text; none for bytes the text decoder refuses (hostile pages that the HTML path still reads)."""
    from transforms.decode import DecodeError, decode_bytes

    try:
        return [decode_bytes(data)[0]]
    except DecodeError:
        return []


def _record_page(line: str) -> list[str]:
    try:
        record = json.loads(line)
    except json.JSONDecodeError:
        return []
    if not isinstance(record, dict):
        return []
    if isinstance(record.get("html"), str):
        return [record["html"]]
    if isinstance(record.get("text"), str) and record["text"].strip():
        return [as_html(record["text"].splitlines())]
    return []


def measure_trafilatura(pages: list[str]) -> dict:
    """trafilatura's ``extract`` (default options) on ``pages``, one core; newsetl's transforms on the same pages."""
    from transforms.articles import build_article
    from transforms.batch import identify_languages
    from transforms.documents import Document, parse_source

    try:
        import trafilatura
    except ImportError:
        return {"sample": len(pages), "error": "trafilatura is not installed (pip install '.[compare]')"}
    trafilatura.extract(pages[0])  # first call loads trafilatura's models and caches; not part of the rate
    started = time.perf_counter()
    for page in pages:
        trafilatura.extract(page)
    seconds = time.perf_counter() - started
    encoded = [page.encode("utf-8") for page in pages]
    started = time.perf_counter()
    articles = [
        build_article(item, identify_language=False).article
        for data in encoded
        for item in parse_source("sample.html", data)
        if isinstance(item, Document)
    ]
    identify_languages(articles)  # a batch at once, as the pipeline's workers do
    newsetl_seconds = time.perf_counter() - started
    return {
        "sample": len(pages),
        "seconds": round(seconds, 3),
        "articles_per_s": round(len(pages) / seconds, 1),
        "newsetl_seconds": round(newsetl_seconds, 3),
        "newsetl_articles_per_s": round(len(pages) / newsetl_seconds, 1),
    }


def _warm_up(scratch: Path, batch_size: int, runner: str) -> float:
    """Run the flow once on the seeds, here: starts the Prefect API server the measured ``newsetl run`` processes
    report to, so that they do not start one each (their own imports are theirs to pay, as a user's run)."""
    from flows.pipeline import run_pipeline

    shutil.rmtree(scratch, ignore_errors=True)
    started = time.perf_counter()
    run_pipeline(runner=runner, inputs=[str(SEEDS)], warehouse=str(scratch), batch_size=batch_size)
    return round(time.perf_counter() - started, 3)


def run_bench(
    workdir: Path,
    articles: int = 100_000,
    fmt: str = "txt",
    *,
    seed: int = 0,
    batch_size: int = DEFAULT_BATCH_FILES,
    trafilatura_sample: int = TRAFILATURA_SAMPLE,
    runner: str = "process",
    analytics: bool = True,
) -> dict:
    """Every benchmark figure for one corpus, as a JSON-ready dict (see the module docstring).

    The batch tasks run on ``runner`` (process, thread or dask; see ``flows.runners``), process by default as in
    ``newsetl run``.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    corpus = ensure_corpus(workdir, articles, fmt, seed)
    name = f"{fmt}-{articles}"
    warmup = _warm_up(workdir / "warehouse-warmup", batch_size, runner)
    measured = measure_pipeline(corpus, workdir / f"warehouse-{name}", batch_size, runner, analytics)
    floor = measure_io_floor(corpus, workdir / f"floor-{name}")
    reference = measure_trafilatura(sample_pages(corpus, trafilatura_sample))
    pipeline = measured["pipeline"]
    ratios = {
        "pipeline_over_floor": round(pipeline["seconds"] / floor["seconds"], 2),
        "pipeline_over_trafilatura": None,
        "newsetl_one_core_over_trafilatura": None,
    }
    if "articles_per_s" in reference:
        ratios["pipeline_over_trafilatura"] = round(
            pipeline["articles_per_s"] / reference["articles_per_s"], 2
        )
        ratios["newsetl_one_core_over_trafilatura"] = round(
            reference["newsetl_articles_per_s"] / reference["articles_per_s"], 2
        )
    return {
        "params": {
            "articles": articles,
            "format": fmt,
            "seed": seed,
            "batch_size": batch_size,
            "runner": runner,
            "analytics": analytics,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "argv": sys.argv,
        },
        "corpus": asdict(corpus),
        "warmup_seconds": warmup,
        **measured,
        "io_floor": floor,
        "trafilatura": reference,
        "ratios": ratios,
    }


def report_rows(result: dict) -> list[tuple[str, str]]:
    """The benchmark as (metric, value) rows for a printed table."""
    pipeline, floor, rerun = result["pipeline"], result["io_floor"], result["noop_rerun"]
    corpus, rss, reference, ratios = (
        result["corpus"],
        result["peak_rss_mb"],
        result["trafilatura"],
        result["ratios"],
    )
    made = "reused" if corpus["reused"] else f"made in {corpus['seconds']} s"
    rows = [
        (
            "corpus",
            f"{corpus['articles']:,} articles, {corpus['files']:,} {corpus['format']} files, "
            f"{corpus['bytes'] / MB:,.1f} MB ({made})",
        ),
        (
            "end to end",
            f"{pipeline['seconds']:.1f} s: {pipeline['articles_per_s']:,.0f} articles/s, "
            f"{pipeline['mb_per_s']:.2f} MB/s ({pipeline['status']}; "
            f"{pipeline['process_seconds']:.1f} s with the process's start)",
        ),
        (
            "  loaded / quarantined / skipped",
            f"{pipeline['articles_loaded']:,} / {pipeline['quarantined']:,} / {pipeline['skipped']:,}",
        ),
    ]
    rows.append(
        (
            "  batch phase (wall, between discover and load)",
            f"{pipeline['batch_phase_seconds']:.1f} s: {pipeline['batch_phase_articles_per_s']:,.0f} articles/s",
        )
    )
    stages = dict(pipeline["stage_seconds"], unattributed=pipeline["unattributed_seconds"])
    total = sum(stages.values()) or 1.0
    for stage, seconds in stages.items():
        rows.append((f"  {stage}", f"{seconds:.2f} s ({100 * seconds / total:.0f}% of stage time)"))
    if pipeline["stage_overlap"] > 1.05:
        rows.append(("  stage time / wall time", f"{pipeline['stage_overlap']}x (batches ran side by side)"))
    rows += [
        (
            "peak RSS",
            f"{rss['flow_process']:,.0f} MB flow process, {rss['largest_worker']:,.0f} MB largest worker "
            f"({rss['workers']:,.0f} MB all workers), {rss['api_server']:,.0f} MB Prefect API server, "
            f"{rss['total']:,.0f} MB together",
        ),
        (
            "no-op re-run",
            f"{rerun['seconds']:.2f} s ({rerun['files_skipped']:,} files skipped; "
            f"{rerun['process_seconds']:.1f} s with the process's start)",
        ),
        (
            "I/O floor",
            f"{floor['seconds']:.1f} s: {floor['articles_per_s']:,.0f} articles/s, {floor['mb_per_s']:.1f} MB/s "
            f"(list {floor['list_seconds']:.1f}, read {floor['read_seconds']:.1f}, "
            f"parquet {floor['parquet_seconds']:.1f}, duckdb {floor['duckdb_seconds']:.1f})",
        ),
    ]
    if "articles_per_s" in reference:
        rows.append(
            (
                "trafilatura extract (1 core)",
                f"{reference['articles_per_s']:,.0f} pages/s on {reference['sample']:,} HTML pages "
                f"(newsetl's HTML path on the same pages: {reference['newsetl_articles_per_s']:,.0f} pages/s)",
            )
        )
    else:
        rows.append(("trafilatura extract (1 core)", reference.get("error", "not measured")))
    rows += [
        ("pipeline time / I/O floor", f"{ratios['pipeline_over_floor']}x"),
        ("pipeline / trafilatura throughput", f"{ratios['pipeline_over_trafilatura']}x"),
        ("newsetl / trafilatura, one core", f"{ratios['newsetl_one_core_over_trafilatura']}x"),
        ("warm-up run (Prefect start, imports)", f"{result['warmup_seconds']:.1f} s"),
    ]
    return rows
