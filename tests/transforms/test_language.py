"""Batch language identification decides exactly as py3langid does, one text at a time, on the same model."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest
from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

from tests.conftest import REPO, run_python
from transforms.language import (
    _ARRAYS,
    MIN_PROBABILITY,
    MIN_WORDS,
    SAMPLE_CHARS,
    _build_model,
    _class_probabilities,
    _encode,
    _model,
    _numpy_raw_scores,
    compiled_scoring_available,
    detect_language,
    detect_languages,
    load_batch_model,
    model_cache_root,
)

GOLD_INPUTS = sorted((REPO / "tests" / "gold").glob("*/input.*"))


@pytest.fixture(scope="module")
def reference() -> LanguageIdentifier:
    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def _one_at_a_time(identifier: LanguageIdentifier, text: str) -> str | None:
    # Written out here rather than calling detect_language, so the reference is py3langid's own classify.
    if len(text.split(None, MIN_WORDS)) < MIN_WORDS:
        return None
    language, probability = identifier.classify(text[:SAMPLE_CHARS])
    return language if probability >= MIN_PROBABILITY else None


def _texts() -> list[str]:
    """Gold inputs (six languages), their slices and mixtures: long, short, capitals, empty."""
    texts = [path.read_text(encoding="utf-8", errors="replace") for path in GOLD_INPUTS]
    rng = random.Random(3)
    words = " ".join(texts).split()
    mixtures = [" ".join(rng.sample(words, rng.randint(1, 400))) for _ in range(300)]
    slices = [text[start : start + 300] for text in texts for start in (0, 500, 2000)]
    return (
        texts
        + mixtures
        + slices
        + [text.upper() for text in texts]
        + ["", "a b c d e f", "12 34 56 78 90 11"]
    )


def test_batch_gives_the_single_text_decision(reference: LanguageIdentifier) -> None:
    texts = _texts()
    expected = [_one_at_a_time(reference, text) for text in texts]
    assert detect_languages(texts) == expected
    assert [detect_language(text) for text in texts] == expected
    assert {"en", "de", "es", "it", "pt", "fr"} <= set(expected)


def test_batch_probabilities_match_the_reference(reference: LanguageIdentifier) -> None:
    texts = [text[:SAMPLE_CHARS] for text in _texts()[:80]]
    batch = _class_probabilities([_encode(text) for text in texts])
    for text, probabilities in zip(texts, batch, strict=True):
        assert abs(probabilities - reference._decide(text)).max() < 1e-3


def test_one_text_and_short_texts() -> None:
    assert detect_language((GOLD_INPUTS[5]).read_text(encoding="utf-8")) == "de"
    assert detect_languages(["too short", "", "Der Bundestag hat am Donnerstag beschlossen, dass"]) == [
        None,
        None,
        "de",
    ]


def test_batch_detection_keeps_one_copy_of_the_model() -> None:
    # A worker runs batches only: py3langid's own identifier (its tables again, as float16 and lists) must not
    # stay loaded beside the batch model (about 70 MB per worker).
    probe = (
        "import gc, transforms.language as language;"
        " print(language.detect_languages(['the council met on monday to discuss the budget again'] * 2));"
        " print(language._identifier.cache_info().currsize,"
        " sum(type(obj).__name__ == 'LanguageIdentifier' for obj in gc.get_objects()))"
    )
    output = run_python(probe)
    assert output.splitlines() == ["['en', 'en']", "0 0"]


def test_the_compiled_scorer_is_built() -> None:
    # `make` builds it (setup.py); without a C compiler the install goes on and the NumPy path is used, slower.
    assert compiled_scoring_available(), "transforms._langscan is missing: run `pip install -e .` with gcc"


def test_compiled_and_numpy_scoring_agree_exactly() -> None:
    # Both sum each text's features in ascending feature order in float32: the same probabilities, bit for bit.
    samples = [_encode(text[:SAMPLE_CHARS]) for text in _texts()]
    compiled = _class_probabilities(samples, compiled=True)
    numpy = _class_probabilities(samples, compiled=False)
    assert compiled.shape == numpy.shape == (len(samples), len(_model().classes))
    assert (compiled == numpy).all()


def test_compiled_scorer_reuses_its_buffers_exactly_across_calls_and_threads() -> None:
    # Each thread keeps its last call's buffers for the next one: calls growing, shrinking, side by side in threads,
    # and one too large to keep must all score as a fresh call does. Counts past the tabulated log1p (a letter
    # repeated a thousand times) are in the samples too.
    from concurrent.futures import ThreadPoolExecutor

    from transforms.language import _compiled_raw_scores

    model = _model()
    samples = [_encode(text[:SAMPLE_CHARS]) for text in _texts()] + [b"a" * 1000, b"ab " * 333]
    whole, whole_emitted = _compiled_raw_scores(model, samples)
    numpy_scores, numpy_emitted = _numpy_raw_scores(model, samples)
    assert (whole == numpy_scores).all() and (whole_emitted == numpy_emitted).all()
    for size in (len(samples), 7, 1, 150, len(samples) // 2, 3):
        for start in range(0, len(samples), size):
            part, _ = _compiled_raw_scores(model, samples[start : start + size])
            assert (part == whole[start : start + size]).all(), (size, start)
    with ThreadPoolExecutor(4) as pool:
        parts = list(
            pool.map(
                lambda start: _compiled_raw_scores(model, samples[start : start + 40])[0],
                range(0, len(samples), 40),
            )
        )
    assert (np.concatenate(parts) == whole).all()
    # Some 25 bytes per sample byte: over 3 MB of samples needs more than the 64 MB a thread keeps.
    repeats = 3_000_000 // sum(map(len, samples)) + 1
    large, _ = _compiled_raw_scores(model, samples * repeats)
    assert (large == np.tile(whole, (repeats, 1))).all()
    again, _ = _compiled_raw_scores(model, samples)
    assert (again == whole).all()


def test_compiled_scorer_refuses_a_corrupt_model_and_bad_samples() -> None:
    from transforms._langscan import feature_scores

    model = _model()
    arguments = (model.row_base, model.feature_of_state, model.log_prob_feature, len(model.classes))
    with pytest.raises(ValueError, match="corrupt model"):
        feature_scores([b"some text that walks the automaton"], model.next_move[:300], *arguments)
    with pytest.raises(TypeError, match="not bytes"):
        feature_scores(["a str, not bytes"], model.next_move, *arguments)
    with pytest.raises(TypeError, match="2-byte items"):
        feature_scores([b"x"], model.next_move, *arguments[:2], model.log_prob_feature.astype("float32"), 1)
    scores, emitted = feature_scores([], model.next_move, *arguments)
    assert scores == b"" and emitted == b""


def _same_model(left, right) -> bool:
    return (
        all(np.array_equal(getattr(left, name), getattr(right, name)) for name in _ARRAYS)
        and all(getattr(left, name).dtype == getattr(right, name).dtype for name in _ARRAYS)
        and left.classes == right.classes
        and left.alias_pairs == right.alias_pairs
    )


def test_the_model_is_cached_once_then_memory_mapped(tmp_path: Path) -> None:
    # Building it from py3langid's file costs each process about a second; the cached arrays map in milliseconds.
    built = load_batch_model(tmp_path)
    assert not isinstance(built.next_move, np.memmap)
    (folder,) = tmp_path.glob("langid-*")
    mapped = load_batch_model(tmp_path)
    assert all(isinstance(getattr(mapped, name), np.memmap) for name in _ARRAYS)
    assert _same_model(mapped, built) and _same_model(mapped, _build_model())
    assert not [path for path in tmp_path.iterdir() if path != folder], "no staging folder is left behind"


def test_a_damaged_cache_is_passed_over(tmp_path: Path) -> None:
    load_batch_model(tmp_path)
    (folder,) = tmp_path.glob("langid-*")
    table = folder / "next_move.npy"
    table.write_bytes(table.read_bytes()[: table.stat().st_size // 2])
    rebuilt = load_batch_model(tmp_path)
    assert not isinstance(rebuilt.next_move, np.memmap) and _same_model(rebuilt, _build_model())


def test_an_unwritable_cache_root_still_gives_the_model(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert _same_model(load_batch_model(not_a_folder / "cache"), _build_model())
    assert _same_model(load_batch_model(None), _build_model())


def test_the_cache_root_follows_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NEWSETL_CACHE_DIR", str(tmp_path))
    assert model_cache_root() == tmp_path
    monkeypatch.setenv("NEWSETL_CACHE_DIR", "")
    assert model_cache_root() is None
    monkeypatch.delenv("NEWSETL_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert model_cache_root() == tmp_path / "xdg" / "newsetl"
