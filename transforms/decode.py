"""Bytes to text: BOM-aware decoding, legacy code pages, Unicode normalization and mojibake repair."""

from __future__ import annotations

import codecs
import re
import unicodedata

import ftfy
from charset_normalizer import from_bytes

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
# The same characters as bytes: in UTF-8 each is one byte, its code point.
_CONTROL_BYTES = bytes(code for code in range(0x80) if _CONTROL.match(chr(code)))
BINARY_SAMPLE_CHARS = 65536
# Signs of UTF-8 read as cp1252/latin-1 ("â€™", "Ã©", "Â "); ftfy runs only when one appears, because it is slow.
# Each starts with one of _MOJIBAKE_LEADS: looking for those first (a C-speed scan) spares most texts the regex.
_MOJIBAKE_LEADS = ("Ã", "Â", "â")
_MOJIBAKE_HINT = re.compile(
    "[ÃÂâ][\x80-\xbf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013-\u203a\u20ac\u2122]"
)
MAX_CONTROL_RATIO = 0.01
_LATIN_SINGLE_BYTE = frozenset(
    {
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "latin_1",
        "iso8859_1",
        "iso8859_2",
        "iso8859_9",
        "iso8859_15",
        "mac_roman",
    }
)
_UTF8_MULTIBYTE = re.compile(rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}")


def _python_is_nfc_by_table(text: str) -> bool:
    return False  # no shortcut: unicodedata.normalize decides


def _python_count_control_bytes(data: bytes) -> int:
    return len(data) - len(data.translate(None, _CONTROL_BYTES))


try:
    from transforms._textscan import count_control_bytes as _count_control_bytes
    from transforms._textscan import is_nfc_by_table as _is_nfc_by_table
except ImportError:  # built without a C compiler: every text is normalized, the bytes counted by translate
    _is_nfc_by_table = _python_is_nfc_by_table
    _count_control_bytes = _python_count_control_bytes


NUL_BYTES_REASON = "binary content: NUL bytes and no UTF-16/32 byte-order mark"


def has_nul_bytes(data: bytes) -> bool:
    """Whether the start of ``data`` holds NUL bytes: binary, unless a UTF-16/32 byte-order mark says otherwise."""
    return data.find(b"\x00", 0, 65536) != -1


class DecodeError(ValueError):
    """The bytes are not text in any encoding newsetl reads; the message says why."""


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode raw file bytes to NFC text; returns the text and the encoding used.

    Order: a byte-order mark wins; then strict UTF-8; then the best charset_normalizer guess, with cp1252 and
    latin-1 as the last resort for short legacy files. Binary content (NUL bytes, control characters) is refused.
    """
    encoding = bom_encoding(data)
    if encoding is None and has_nul_bytes(data):
        raise DecodeError(NUL_BYTES_REASON)
    if encoding is not None:
        text = _decode(data, encoding)
        _refuse_binary(text)
    else:
        try:
            encoding, text = "utf-8", data.decode("utf-8")
        except UnicodeDecodeError:
            encoding, text = _decode_damaged_utf8(data) or _decode_legacy(data)
            _refuse_binary(text)
        else:
            _refuse_binary_utf8(data, text)
    if text.isascii():
        return text, encoding  # already NFC, and no mojibake sign is ASCII
    if not _is_nfc_by_table(text):  # normalize's own check reads every character in 1-2 ns: 7 us for 5 KB
        text = unicodedata.normalize("NFC", text)
    if may_be_mojibake(text):
        text = unicodedata.normalize("NFC", ftfy.fix_encoding(text))
    return text, encoding


def may_be_mojibake(text: str) -> bool:
    """Whether ``text`` shows a sign of UTF-8 decoded as cp1252 or latin-1 (worth ftfy's slow repair)."""
    return any(lead in text for lead in _MOJIBAKE_LEADS) and _MOJIBAKE_HINT.search(text) is not None


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark at the start of ``data`` announces (its codec drops the mark), or None."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return encoding
    return None


def _decode(data: bytes, encoding: str) -> str:
    try:
        return data.decode(encoding)
    except UnicodeDecodeError as error:
        raise DecodeError(f"invalid {encoding} despite its byte-order mark at byte {error.start}") from error


def _decode_damaged_utf8(data: bytes) -> tuple[str, str] | None:
    """UTF-8 text with a few broken bytes (a truncated download, one bad character) keeps its text.

    Reading it as cp1252 instead would garble every accented letter to repair one byte; replacing the broken
    sequences with U+FFFD loses only them. Chosen only when multi-byte UTF-8 clearly dominates.
    """
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd")
    if broken > max(1, len(text) // 1000):
        return None  # too damaged whatever the rest holds: a legacy text, spared the scan for valid sequences
    if len(_UTF8_MULTIBYTE.findall(data)) >= 2 * broken:
        return "utf-8 (damaged)", text
    return None


# The legacy encodings of the web (the WHATWG Encoding Standard's, by their Python codec names): what a scraped
# page that is not UTF-8 is written in. Left to choose among every codec Python has, charset_normalizer took one
# cp1252 article in five for a DOS code page (cp775, cp852, cp850), turning ’ into Æ and – into ¢, and a Greek
# cp1253 text for KOI8-R.
WEB_LEGACY_ENCODINGS = (
    *(f"cp{number}" for number in range(1250, 1259)),
    *(f"iso8859_{number}" for number in (2, 3, 4, 5, 6, 7, 8, 10, 13, 14, 15, 16)),
    "koi8_r",
    "koi8_u",
    "cp866",
    "cp874",
    "mac_roman",
    "mac_cyrillic",
    "gb18030",
    "big5",
    "euc_jp",
    "iso2022_jp",
    "cp932",
    "cp949",
)


# What a Western European text written in cp1252 holds beyond ASCII: accented letters, one at a time between ASCII
# ones ("café", "Zürich", "mañana"), and the typographic punctuation of the web. Letters that other Latin code pages
# put at the same bytes (š, ž, ð, þ, ý ...) are left out, so a text that has them is left to charset_normalizer.
_WESTERN_LETTERS = frozenset("àáâãäåæçèéêëìíîïñòóôõöøùúûüÿœÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÑÒÓÔÕÖØÙÚÛÜŸŒß")
_WESTERN_MARKS = frozenset(
    "\u2018\u2019\u201c\u201d\u2013\u2014\u2026\u2022\u00a0\u20ac\u2122\u00b0\u00ab\u00bb"
)
_NON_ASCII_RUN = re.compile(r"[^\x00-\x7f]+")


def reads_as_western_cp1252(text: str) -> bool:
    """Whether ``text``, decoded as cp1252, is plainly Western European: no other code page is in question.

    Every run of non-ASCII characters must be Western punctuation with at most one Western accented letter. Greek,
    Cyrillic, Hebrew or Arabic in their single-byte code pages, and the two-byte CJK encodings, read in cp1252 as
    runs of several accented letters (or bytes cp1252 leaves undefined) and fail this; so do Central European and
    Icelandic texts with letters of their own, which ``decode_by_guess`` then maps to cp1252 all the same.
    """
    for run in _NON_ASCII_RUN.findall(text):
        letters = 0
        for character in run:
            if character in _WESTERN_LETTERS:
                letters += 1
            elif character not in _WESTERN_MARKS:
                return False
        if letters > 1:
            return False
    return True


def _decode_legacy(data: bytes) -> tuple[str, str]:
    """The encoding and text of legacy-encoded (not UTF-8) bytes: plain Western cp1252 at once, else the guess.

    charset_normalizer scores every candidate code page, 6 ms for a 5 KB article (9% of a batch's time when 1% of
    its files are legacy-encoded); a text that reads as plain Western European in cp1252
    (``reads_as_western_cp1252``), as most of the legacy files of scraped news do, gets cp1252 from the guess
    anyway, since its Latin code pages are mapped to cp1252 (``decode_by_guess``).
    """
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        pass  # bytes cp1252 leaves undefined: some other code page
    else:
        if reads_as_western_cp1252(text):
            return "cp1252", text
    return decode_by_guess(data)


def decode_by_guess(data: bytes) -> tuple[str, str]:
    """The encoding and text of legacy-encoded bytes by charset_normalizer's best guess among the web's code pages."""
    guess = from_bytes(data[:262144], cp_isolation=list(WEB_LEGACY_ENCODINGS)).best()
    encoding = guess.encoding if guess is not None else "cp1252"
    if encoding.replace("-", "_") in _LATIN_SINGLE_BYTE:
        # Short Western texts are often guessed as a neighbouring Latin code page; cp1252 is what the web means
        # by "latin-1", and it gets the quotes and dashes of scraped news right.
        encoding = "cp1252"
    for candidate in (encoding, "cp1252", "latin-1"):
        try:
            return candidate, data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    raise DecodeError(
        "undecodable: not UTF-8 and no legacy encoding fits"
    )  # pragma: no cover - latin-1 fits all


def binary_content_reason(text: str) -> str | None:
    """Why decoded ``text`` looks like binary data (too many control characters), or None if it reads as text."""
    sample = text[:BINARY_SAMPLE_CHARS]
    return _control_ratio_reason(len(_CONTROL.findall(sample)), len(sample))


def _control_ratio_reason(controls: int, characters: int) -> str | None:
    if characters and controls / characters > MAX_CONTROL_RATIO:
        return f"binary content: {controls} control characters in the first {characters} characters"
    return None


def _refuse_binary(text: str) -> None:
    reason = binary_content_reason(text)
    if reason:
        raise DecodeError(reason)


def _refuse_binary_utf8(data: bytes, text: str) -> None:
    """``_refuse_binary`` for ``text`` decoded from ``data`` as strict UTF-8, counting in the bytes (2x faster).

    In UTF-8 a byte below 0x80 is always that ASCII character, never part of another one, so ``data`` holds as
    many control bytes as ``text`` holds control characters. Longer texts are sampled as characters, as before.
    """
    if len(data) > BINARY_SAMPLE_CHARS:
        _refuse_binary(text)
        return
    reason = _control_ratio_reason(_count_control_bytes(data), len(text))  # translate copied the file: 4 us
    if reason:
        raise DecodeError(reason)
