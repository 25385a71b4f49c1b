"""Raw files to documents: one ``Document`` per article (a JSON Lines file holds many) or a ``Rejection``.

A document is the article's text as lines plus the metadata its container states outright (HTML meta tags, JSON
fields). Format is chosen by file extension; anything unreadable becomes a ``Rejection`` with a clear reason, never
an exception.
"""

from __future__ import annotations

import hashlib
import json
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from transforms.decode import DecodeError, decode_bytes

FORMATS_BY_SUFFIX = {
    ".txt": "txt",
    ".text": "txt",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
}
JSON_TEXT_FIELDS = ("text", "body", "content")
JSON_HTML_FIELDS = ("html", "raw_html")


@dataclass(frozen=True, slots=True)
class MetadataHints:
    """Metadata the container states outright; it wins over what the text suggests."""

    title: str | None = None
    published_raw: str | None = None
    byline: str | None = None
    outlet: str | None = None
    language: str | None = None
    url: str | None = None


# A plain text states nothing: its documents share these empty hints (immutable, so sharing is safe).
NO_HINTS = MetadataHints()


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the cost of a plain one,
# and one of these is made for every article.
@dataclass(slots=True)
class Document:
    """One article's text, as lines, with where it came from."""

    source_path: str
    source_format: str
    source_record: int
    raw_sha256: str
    lines: list[str]
    hints: MetadataHints = NO_HINTS


@dataclass(frozen=True, slots=True)
class Rejection:
    """An input that cannot become an article, with the stage and reason for the quarantine table."""

    source_path: str
    source_record: int
    stage: str
    reason: str
    detail: str


def source_format(path: str | Path) -> str | None:
    """The input format newsetl reads from ``path``'s extension, or ``None`` when unsupported."""
    # posixpath.splitext's rule (the last dot of the name, unless only dots precede it), spelt out: this runs twice
    # per file, and splitext cost 3 us a call. A name ending in "." gives ".": not a format.
    path = str(path)
    dot = path.rfind(".")
    name_start = path.rfind("/") + 1
    if dot < name_start or not path[name_start:dot].strip("."):
        return None
    return FORMATS_BY_SUFFIX.get(path[dot:].lower())


def parse_source(path: str, data: bytes, *, sha256: str | None = None) -> list[Document | Rejection]:
    """Turn one file's bytes into documents (or rejections), by the file's format.

    ``sha256`` is the hex digest of ``data`` when the caller has it already (the batch reader hashes every file).
    """
    fmt = source_format(path)
    if fmt is None:
        return [
            Rejection(path, 0, "read", "unsupported_format", f"no reader for extension {Path(path).suffix!r}")
        ]
    if not data or data.isspace():  # not data.strip(), which copies the file
        return [Rejection(path, 0, "read", "empty_file", f"{len(data)} bytes, no text")]
    if fmt == "html":
        # The HTML extractor decodes by itself: it honours the page's BOM and <meta charset>.
        return [_html_document(path, 0, sha256 or _sha256(data), data, MetadataHints())]
    try:
        text, _ = decode_bytes(data)
    except DecodeError as error:
        return [Rejection(path, 0, "decode", "undecodable", str(error))]
    if not text or text.isspace():
        return [Rejection(path, 0, "decode", "empty_file", "only whitespace after decoding")]
    if fmt == "txt":
        return [Document(path, "txt", 0, sha256 or _sha256(data), text.splitlines())]
    # JSON Lines records are hashed one by one; the file's own hash is not needed.
    return _json_documents(path, text)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _html_document(
    path: str, record: int, raw_sha256: str, html: str | bytes, given: MetadataHints
) -> Document | Rejection:
    from transforms.html_extract import BinaryContentError, HtmlExtractionError, extract_html

    try:
        page = extract_html(html)
    except BinaryContentError as error:
        return Rejection(path, record, "decode", "undecodable", str(error))
    except HtmlExtractionError as error:
        return Rejection(path, record, "parse", "html_unextractable", str(error))
    hints = MetadataHints(
        title=given.title or page.title,
        published_raw=given.published_raw or page.published_raw,
        byline=given.byline or page.byline,
        outlet=given.outlet or page.outlet,
        language=given.language or page.language,
        url=given.url or page.url,
    )
    paragraphs = [unicodedata.normalize("NFC", paragraph) for paragraph in page.paragraphs]
    return Document(path, "html", record, raw_sha256, paragraphs, hints)


# Python's json parser recurses once per level of nesting: a line of 200,000 "[" raised RecursionError, which
# failed the whole run.
_TOO_DEEP = "nested deeper than the JSON parser goes"


def _json_documents(path: str, text: str) -> list[Document | Rejection]:
    stripped = text.lstrip()
    if stripped.startswith("["):
        try:
            records = json.loads(stripped)
        except json.JSONDecodeError as error:
            return [Rejection(path, 0, "parse", "malformed_json", f"JSON array: {error}")]
        except RecursionError:
            return [Rejection(path, 0, "parse", "malformed_json", f"JSON array: {_TOO_DEEP}")]
        numbered = [(number, record, None) for number, record in enumerate(records, start=1)]
    else:
        numbered = []
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                numbered.append((number, json.loads(line), None))
            except json.JSONDecodeError as error:
                numbered.append((number, None, f"line {number}: {error.msg} at column {error.colno}"))
            except RecursionError:
                numbered.append((number, None, f"line {number}: {_TOO_DEEP}"))
    if not numbered:
        return [Rejection(path, 0, "parse", "empty_file", "no JSON records")]
    return [_json_document(path, number, record, error) for number, record, error in numbered]


def _json_document(path: str, number: int, record: object, error: str | None) -> Document | Rejection:
    if error is not None:
        return Rejection(path, number, "parse", "malformed_json", error)
    if not isinstance(record, dict):
        return Rejection(
            path, number, "parse", "not_an_object", f"record {number} is {type(record).__name__}"
        )
    raw_sha256 = hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()
    hints = MetadataHints(
        title=_text_field(record, "title", "headline"),
        published_raw=_text_field(record, "published", "published_at", "date", "datePublished"),
        byline=_text_field(record, "author", "byline"),
        outlet=_text_field(record, "outlet", "site_name", "publisher"),
        language=_text_field(record, "language", "lang"),
        url=_text_field(record, "url", "link"),
    )
    html = _text_field(record, *JSON_HTML_FIELDS)
    body = _text_field(record, *JSON_TEXT_FIELDS)
    if body:
        return Document(path, "jsonl", number, raw_sha256, body.splitlines(), hints)
    if html:
        document = _html_document(path, number, raw_sha256, html, hints)
        if isinstance(document, Document):
            return Document(path, "jsonl", number, raw_sha256, document.lines, document.hints)
        return document
    return Rejection(path, number, "parse", "missing_text", _why_no_text(record, number))


def _why_no_text(record: dict, number: int) -> str:
    """Why a record gave no text: the text fields it lacks, or what its text fields hold instead of text."""
    fields = (*JSON_TEXT_FIELDS, *JSON_HTML_FIELDS)
    held = [f"{name} is {_not_text(record[name])}" for name in fields if name in record]
    if held:  # {"text": 5} used to be told it had no field "text"
        return f"record {number} has no text: " + "; ".join(held)
    return f"record {number} has none of the fields {', '.join(fields)}"


def _not_text(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return "empty"
    return f"{type(value).__name__}, not a string"


def _text_field(record: dict, *names: str) -> str | None:
    for name in names:
        value = record.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict) and isinstance(value.get("name"), str):
            return value["name"].strip()
    return None
