"""What the flow process loads: Great Expectations only where a batch is validated."""

from __future__ import annotations

import logging
import subprocess
import sys
from pathlib import Path

from tests.conftest import REPO, run_python


def test_the_flow_module_does_not_import_great_expectations() -> None:
    # The flow process only submits batches and loads when workers validate: GE would cost it 2.7 s and 170 MB.
    probe = "import sys, flows.pipeline; print(sorted(m for m in ('great_expectations', 'pandas') if m in sys.modules))"
    output = run_python(probe)
    assert output.strip() == "[]"


def test_a_run_that_validated_nothing_leaves_the_data_docs_site_and_great_expectations_alone(
    tmp_path,
) -> None:
    index = tmp_path / "dq" / "data_docs" / "index.html"
    index.parent.mkdir(parents=True)
    index.write_text("<html>the site so far</html>", encoding="utf-8")
    probe = (
        "import sys; from pathlib import Path; from expectations.data_docs import build_data_docs;"
        f" print(build_data_docs(Path({str(tmp_path)!r}), []), 'great_expectations' in sys.modules)"
    )
    output = run_python(probe)
    assert output.split() == [str(index), "False"]
    assert index.read_text(encoding="utf-8") == "<html>the site so far</html>"


def test_a_worker_freezes_great_expectations_with_its_other_imports(tmp_path) -> None:
    # A batch's allocations trigger full collections; GE's objects must be out of them (gc.freeze) like the rest
    # of what a worker loaded. GE is imported lazily, so the batch imports it before freezing.
    probe = f"""
import gc, sys
from pathlib import Path
from flows.pipeline import BatchFiles, process_batch
from expectations.thresholds import Thresholds
paths = sorted(str(path) for path in Path("seeds").glob("*.txt"))
outcome = process_batch.fn(BatchFiles(paths), "run-1", 0, {str(tmp_path / "warehouse")!r}, Thresholds(), [])
import great_expectations
tracked = {{id(obj) for obj in gc.get_objects()}}
print(outcome.documents_seen, id(great_expectations.__dict__) in tracked, gc.get_freeze_count() > 100_000)
"""
    output = run_python(probe)
    assert output.split() == ["5", "False", "True"]


def test_a_run_on_workers_renders_its_data_docs_there_while_the_flow_loads(
    tmp_path: Path, cli_env: dict[str, str]
) -> None:
    # Four batches (5 files, at most 2 a batch, shared evenly by two workers): the workers, which have GE loaded,
    # render the eight validation pages;
    # the flow process, which loads DuckDB meanwhile, never imports GE (2.7 s and 170 MB here).
    warehouse = tmp_path / "warehouse"
    probe = (
        "import sys; from flows.pipeline import run_pipeline;"
        f" summary = run_pipeline(runner='process', workers=2, inputs=['seeds'], warehouse={str(warehouse)!r},"
        " batch_size=2);"
        " print(summary.status, summary.articles_loaded, 'great_expectations' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=REPO, env=cli_env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[-3:] == ["loaded", "5", "False"]
    docs = warehouse / "dq" / "data_docs"
    assert len(list((docs / "validations").rglob("*.html"))) == 8
    assert "data_docs/index.html" in (warehouse / "dq" / "index.html").read_text(encoding="utf-8")


def test_validating_imports_and_quiets_great_expectations_but_leaves_scipy_stats_and_altair_unimported(
    tmp_path,
) -> None:
    # GE's KL-divergence expectation imports both at start-up (1.4 s of GE's 3.6 s); nothing of ours uses them,
    # validating or rendering Data Docs. Once something does read them, it gets the real modules.
    probe = f"""
import logging, sys
from pathlib import Path
from expectations.data_docs import build_data_docs, label_report
from expectations.gate import check_rows
from expectations.thresholds import Thresholds
from transforms.batch import build_batch
from transforms.articles import utc_now
paths = sorted(str(path) for path in Path("seeds").glob("*.txt"))
batch = build_batch(paths, "20261203T120000Z-probe", utc_now())
rows = check_rows(batch.articles, Thresholds())
index = build_data_docs(Path({str(tmp_path)!r}), [label_report(rows.report, "20261203T120000Z-probe", 0)])
loaded = [name for name in ("scipy.stats._stats_py", "altair.vegalite") if name in sys.modules]
print("great_expectations" in sys.modules, logging.getLogger("great_expectations").level)
from great_expectations.expectations.core import expect_column_kl_divergence_to_be_less_than as kl
print(len(rows.passed), index.exists(), loaded, round(float(kl.stats.entropy([0.5, 0.5])), 4), kl.alt.Chart.__name__)
import altair, scipy.stats
print(type(sys.modules["altair"]).__name__, altair.Chart is kl.alt.Chart, scipy.stats.entropy is kl.stats.entropy)
"""
    lines = run_python(probe).splitlines()
    assert lines[0].split() == ["True", str(logging.WARNING)]
    assert lines[1].split() == ["5", "True", "[]", "0.6931", "Chart"]
    assert lines[2].split() == ["module", "True", "True"]
