"""Offline language detection with py3langid's model (shipped inside the package: nothing is downloaded).

py3langid classifies one text at a time and walks its byte automaton in a Python loop, a quarter of a millisecond
per article: the largest single cost of cleaning. ``detect_languages`` runs the same model over a whole batch at
once, in compiled code (``transforms/_langscan.c``: the automaton walk, the feature counts and the class sums, a
few microseconds per text), or, where that extension was not built, with NumPy: the automaton advances every text
by one byte per NumPy step and the naive Bayes scores are one sparse product (about 100 us per text). Same model,
same features, same decision; only the order of floating-point sums differs.

The model's arrays are built from py3langid's file once per machine and kept as ``.npy`` files in the user's cache
(``model_cache_root``); every later process memory-maps them instead of spending a second decoding the file.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

try:
    from transforms._langscan import feature_scores as _compiled_feature_scores
except ImportError:  # built without a C compiler: the NumPy path below decides the same
    _compiled_feature_scores = None

MIN_WORDS = 5
MIN_PROBABILITY = 0.5
# Longer samples cost more and decide nothing new: 1000 characters (some 170 words) gave the same language as the
# whole text on every seed, gold article and benchmark page checked.
SAMPLE_CHARS = 1000
# Texts scored together: bounds the (texts x sample bytes) state matrix and the per-chunk score gather.
CHUNK_TEXTS = 512


@dataclass(frozen=True, slots=True)
class _Model:
    next_move: np.ndarray  # (rows * 256,) next state for (row of state, byte)
    row_base: np.ndarray  # (states,) row of each state, pre-shifted by 8 bits
    feature_of_state: np.ndarray  # (states,) feature the state emits, -1 for none
    log_prob_feature: np.ndarray  # (features, classes) float16, as py3langid ships it
    log_prior: np.ndarray  # (classes,) float32
    classes: tuple[str, ...]
    alias_pairs: tuple[tuple[int, int], ...]  # (first, duplicate) columns of a label listed twice


_ARRAYS = ("next_move", "row_base", "feature_of_state", "log_prob_feature", "log_prior")
# Bumped whenever the cached arrays change meaning: an old cache is then simply not found.
_CACHE_FORMAT = 1


@cache
def _model() -> _Model:
    return load_batch_model(model_cache_root())


def model_cache_root() -> Path | None:
    """Where the batch model's arrays are kept between processes (``None``: not cached).

    ``$NEWSETL_CACHE_DIR`` (empty: no cache), else ``$XDG_CACHE_HOME/newsetl``, else ``~/.cache/newsetl``.
    """
    configured = os.environ.get("NEWSETL_CACHE_DIR")
    if configured is not None:
        return Path(configured) if configured else None
    base = os.environ.get("XDG_CACHE_HOME")
    if not base:
        try:
            base = Path.home() / ".cache"
        except RuntimeError:  # no home directory to find (a service account): nothing is cached
            return None
    return Path(base) / "newsetl"


def load_batch_model(cache_root: Path | None) -> _Model:
    """The batch model, memory-mapped from ``cache_root`` when an intact copy is there, else built and cached.

    Building it from py3langid's shipped file (LZMA, pickled lists) costs every process about a second; the cached
    ``.npy`` files open in milliseconds, and their pages are shared by every process that maps them. A cache that
    cannot be read or written is passed over: the model is then built in memory, as without a cache.
    """
    folder = _cache_folder(cache_root) if cache_root is not None else None
    if folder is not None and (cached := _read_cached_model(folder)) is not None:
        return cached
    model = _build_model()
    if folder is not None:
        _write_cached_model(folder, model)
    return model


def _build_model() -> _Model:
    # A model of its own, not the cached ``_identifier()``: a worker that only runs batches then does not keep
    # py3langid's copy of the tables (float16 and Python lists) beside these arrays.
    identifier = _load_identifier()
    return _Model(
        next_move=np.ascontiguousarray(identifier.tk_nextmove, dtype=np.int32),
        row_base=np.ascontiguousarray(identifier._rowbase, dtype=np.int64),
        feature_of_state=np.ascontiguousarray(identifier.tk_output, dtype=np.int64),
        log_prob_feature=np.ascontiguousarray(identifier.nb_ptc, dtype=np.float16),
        log_prior=np.asarray(identifier.nb_pc, dtype=np.float32),
        classes=tuple(identifier.nb_classes),
        alias_pairs=tuple(identifier._alias_pairs),
    )


def _cache_folder(cache_root: Path) -> Path | None:
    # Named after the model file it was built from: a new py3langid release gets a cache of its own.
    try:
        from importlib.metadata import version

        from py3langid.langid import MODEL_DIR, MODEL_FILE

        source = (Path(MODEL_DIR) / MODEL_FILE).stat()
        origin = f"{_CACHE_FORMAT}:{version('py3langid')}:{source.st_size}:{source.st_mtime_ns}"
    except (OSError, ImportError, ValueError):
        return None
    return cache_root / f"langid-{hashlib.sha256(origin.encode()).hexdigest()[:16]}"


def _read_cached_model(folder: Path) -> _Model | None:
    try:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        arrays = {}
        for name in _ARRAYS:
            array = np.load(folder / f"{name}.npy", mmap_mode="r", allow_pickle=False)
            if (
                str(array.dtype) != meta["arrays"][name]["dtype"]
                or list(array.shape) != meta["arrays"][name]["shape"]
            ):
                return None
            arrays[name] = array
        return _Model(
            **arrays,
            classes=tuple(meta["classes"]),
            alias_pairs=tuple(tuple(pair) for pair in meta["alias_pairs"]),
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _write_cached_model(folder: Path, model: _Model) -> None:
    # Written beside the final folder, then renamed into place: a reader sees all of a cache or none of it.
    staging = None
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
        meta = {
            "classes": list(model.classes),
            "alias_pairs": [list(pair) for pair in model.alias_pairs],
            "arrays": {},
        }
        for name in _ARRAYS:
            array = getattr(model, name)
            np.save(staging / f"{name}.npy", array, allow_pickle=False)
            meta["arrays"][name] = {"dtype": str(array.dtype), "shape": list(array.shape)}
        (staging / "model.json").write_text(json.dumps(meta), encoding="utf-8")
        os.rename(staging, folder)
        staging = None
    except OSError:
        pass  # read-only home, full disk, or another process renamed its copy first: this one stays in memory
    finally:
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)


def preload_model() -> None:
    """Load the batch model now (a process about to fork workers loads it once for all of them)."""
    _model()


@cache
def _identifier():
    return _load_identifier()


def _load_identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when the text is too short or the model unsure.

    One text: py3langid itself, the reference ``detect_languages`` is tested against (a batch of one would pay
    the batch path's set-up, some 1 ms, for nothing).
    """
    if not _enough_words(text):
        return None
    language, probability = _identifier().classify(text[:SAMPLE_CHARS])
    return language if probability >= MIN_PROBABILITY else None


def detect_languages(texts: list[str]) -> list[str | None]:
    """``detect_language`` for many texts at once (the fast path: one NumPy pass per chunk of texts)."""
    languages: list[str | None] = [None] * len(texts)
    candidates = [index for index, text in enumerate(texts) if _enough_words(text)]
    classes = _model().classes
    for start in range(0, len(candidates), CHUNK_TEXTS):
        chunk = candidates[start : start + CHUNK_TEXTS]
        probabilities = _class_probabilities([_encode(texts[index][:SAMPLE_CHARS]) for index in chunk])
        best = probabilities.argmax(axis=1)
        for index, column, probability in zip(
            chunk, best, probabilities[np.arange(len(chunk)), best], strict=True
        ):
            if probability >= MIN_PROBABILITY:
                languages[index] = classes[column]
    return languages


def _enough_words(text: str) -> bool:
    # Fewer than MIN_WORDS words say too little for any model: such texts get no language.
    return len(text.split(None, MIN_WORDS)) >= MIN_WORDS


def _encode(text: str) -> bytes:
    # py3langid's own preparation of a text: all-capitals lowered, NFC, UTF-8.
    if text.isupper():
        text = text.lower()
    return unicodedata.normalize("NFC", text).encode("utf-8", errors="surrogatepass")


def compiled_scoring_available() -> bool:
    """Whether the compiled scorer (``transforms._langscan``) was built; without it the NumPy path is used."""
    return _compiled_feature_scores is not None


def _class_probabilities(samples: list[bytes], *, compiled: bool | None = None) -> np.ndarray:
    """(texts, classes) posterior probabilities, as py3langid's ``norm_probs=True`` computes them.

    ``compiled`` chooses the scorer (default: the compiled one when it was built); both give the same scores up to
    the order of floating-point sums.
    """
    model = _model()
    use_compiled = compiled_scoring_available() if compiled is None else compiled
    scores, emitted = (_compiled_raw_scores if use_compiled else _numpy_raw_scores)(model, samples)
    lengths = np.fromiter((len(sample) for sample in samples), dtype=np.int64, count=len(samples))
    scores += model.log_prior
    # A text without a single feature scores 0 everywhere in py3langid (uniform: below any threshold).
    scores[emitted == 0] = 0.0
    scores *= (1.0 / np.sqrt(np.maximum(lengths, 1)))[:, None].astype(np.float32)
    scores = np.exp(scores - scores.max(axis=1, keepdims=True))
    scores /= scores.sum(axis=1, keepdims=True)
    for first, duplicate in model.alias_pairs:
        scores[:, first] += scores[:, duplicate]
        scores[:, duplicate] = 0.0
    return scores


def _compiled_raw_scores(model: _Model, samples: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """(texts, classes) float32 sums of log1p(count) x log P(feature | class), and features emitted per text."""
    if _compiled_feature_scores is None:
        raise RuntimeError("transforms._langscan was not built: reinstall newsetl with a C compiler")
    classes = len(model.classes)
    scores, emitted = _compiled_feature_scores(
        list(samples),
        model.next_move,
        model.row_base,
        model.feature_of_state,
        model.log_prob_feature,
        classes,
    )
    return (
        np.frombuffer(scores, dtype=np.float32).reshape(len(samples), classes).copy(),
        np.frombuffer(emitted, dtype=np.int32),
    )


@cache
def _wide_log_probabilities() -> np.ndarray:
    # The sparse product wants float32; made only where the NumPy path runs (57 MB beside the 28 MB of float16).
    return _model().log_prob_feature.astype(np.float32)


def _numpy_raw_scores(model: _Model, samples: list[bytes]) -> tuple[np.ndarray, np.ndarray]:
    """``_compiled_raw_scores`` with NumPy: every text advanced one byte per step, the sums one sparse product."""
    from scipy.sparse import csr_matrix

    lengths = np.fromiter((len(sample) for sample in samples), dtype=np.int64, count=len(samples))
    width = int(lengths.max()) if len(samples) else 0
    padded = np.zeros((len(samples), width), dtype=np.int64)
    for row, sample in enumerate(samples):
        padded[row, : len(sample)] = np.frombuffer(sample, dtype=np.uint8)
    states = np.empty((len(samples), width), dtype=np.int64)
    state = np.zeros(len(samples), dtype=np.int64)
    for position in range(width):
        state = model.next_move[model.row_base[state] + padded[:, position]]
        states[:, position] = state
    features = model.feature_of_state[states]
    inside = (np.arange(width) < lengths[:, None]) & (features >= 0)
    text_of, feature = np.nonzero(inside)[0], features[inside]
    # One (text, feature) key per occurrence; unique keys with counts are the sparse count vectors.
    keys, counts = np.unique(text_of * len(model.log_prob_feature) + feature, return_counts=True)
    key_text, key_feature = np.divmod(keys, len(model.log_prob_feature))
    weights = np.log1p(counts.astype(np.float32))
    counts_matrix = csr_matrix(
        (weights, (key_text, key_feature)), shape=(len(samples), len(model.log_prob_feature))
    )
    scores = np.asarray(counts_matrix @ _wide_log_probabilities(), dtype=np.float32)
    emitted = np.bincount(key_text, weights=counts, minlength=len(samples)).astype(np.int32)
    return scores, emitted


def normalize_language_tag(tag: str | None) -> str | None:
    """ "en-US" / "en_GB" / "EN" -> "en"; ``None`` for an empty or malformed tag."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None
