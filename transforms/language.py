"""Offline language detection (py3langid ships its model inside the package: nothing is downloaded)."""

from __future__ import annotations

from functools import cache

MIN_WORDS = 5
MIN_PROBABILITY = 0.5
# The model walks the text byte by byte in pure Python, so its cost grows with the sample: 1000 characters (some 170
# words) cost a quarter of 4000 and gave the same language on every seed, gold article and benchmark page checked.
SAMPLE_CHARS = 1000


@cache
def _identifier():
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_modelpath(MODEL_DIR / MODEL_FILE, norm_probs=True)


def detect_language(text: str) -> str | None:
    """ISO 639-1 code of ``text``'s language, or ``None`` when the text is too short or the model unsure."""
    if len(text.split(None, MIN_WORDS)) < MIN_WORDS:
        return None
    language, probability = _identifier().classify(text[:SAMPLE_CHARS])
    return language if probability >= MIN_PROBABILITY else None


def normalize_language_tag(tag: str | None) -> str | None:
    """ "en-US" / "en_GB" / "EN" -> "en"; ``None`` for an empty or malformed tag."""
    if not tag:
        return None
    primary = tag.strip().replace("_", "-").split("-")[0].lower()
    return primary if primary.isalpha() and 2 <= len(primary) <= 3 else None
