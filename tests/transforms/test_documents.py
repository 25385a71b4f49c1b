"""Readers: JSON Lines records, container metadata, and rejections with reasons."""

from __future__ import annotations

import json

from transforms.documents import Document, Rejection, parse_source

TEXT = "A first paragraph of the story.\nA second paragraph of the story."


def test_jsonl_malformed_line_is_rejected_and_good_lines_load() -> None:
    lines = [
        json.dumps({"text": TEXT, "title": "One", "published": "2024-01-02", "url": "https://example.org/1"}),
        '{"text": "broken',
        json.dumps(
            {
                "html": "<html><body><article><p>"
                + "Paragraph text here. " * 20
                + "</p></article></body></html>"
            }
        ),
        json.dumps(["not", "an", "object"]),
        json.dumps({"url": "https://example.org/no-text"}),
    ]
    items = parse_source("feed.jsonl", "\n".join(lines).encode())
    assert [type(item).__name__ for item in items] == [
        "Document",
        "Rejection",
        "Document",
        "Rejection",
        "Rejection",
    ]
    first, broken, html, not_object, no_text = items
    assert first.lines == TEXT.splitlines() and first.source_record == 1
    assert (first.hints.title, first.hints.published_raw, first.hints.url) == (
        "One",
        "2024-01-02",
        "https://example.org/1",
    )
    assert (broken.reason, broken.source_record) == ("malformed_json", 2) and "line 2" in broken.detail
    assert html.source_format == "jsonl" and html.lines[0].startswith("Paragraph text here.")
    assert not_object.reason == "not_an_object" and no_text.reason == "missing_text"


def test_a_record_whose_text_fields_hold_no_text_says_what_they_hold() -> None:
    # {"text": 5} was told it had "none of the fields text, body, ...": it has one, holding a number.
    lines = [
        json.dumps({"text": 5}),
        json.dumps({"text": None, "html": "   ", "body": ["a", "b"]}),
        json.dumps({"url": "https://example.org/no-text"}),
    ]
    details = [item.detail for item in parse_source("feed.jsonl", "\n".join(lines).encode())]
    assert details == [
        "record 1 has no text: text is int, not a string",
        "record 2 has no text: text is null; body is list, not a string; html is empty",
        "record 3 has none of the fields text, body, content, html, raw_html",
    ]


def test_json_nested_deeper_than_the_parser_goes_is_malformed_not_fatal() -> None:
    # Python's json recursed once per level: 200,000 "[" raised RecursionError and failed the whole run.
    deep = '{"text": ' + "[" * 200_000 + "]" * 200_000 + "}"
    deep_line, good_line = parse_source("feed.jsonl", f"{deep}\n{json.dumps({'text': TEXT})}\n".encode())
    assert (deep_line.reason, deep_line.source_record) == ("malformed_json", 1)
    assert "nested deeper" in deep_line.detail
    assert isinstance(good_line, Document) and good_line.lines == TEXT.splitlines()
    [array] = parse_source("feed.json", ("[" * 200_000 + "]" * 200_000).encode())
    assert (array.reason, array.source_record) == ("malformed_json", 0) and "nested deeper" in array.detail


def test_json_array_file() -> None:
    items = parse_source("feed.json", json.dumps([{"text": TEXT}, {"text": TEXT + " More."}]).encode())
    assert all(isinstance(item, Document) for item in items) and len(items) == 2


def test_unsupported_extension_is_rejected() -> None:
    [item] = parse_source("photo.png", b"\x89PNG")
    assert isinstance(item, Rejection) and item.reason == "unsupported_format"


def test_utf16_text_file_reads() -> None:
    [item] = parse_source("a.txt", TEXT.encode("utf-16"))
    assert isinstance(item, Document) and item.lines == TEXT.splitlines()


def test_binary_file_named_html_is_refused_as_undecodable() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 40
    [item] = parse_source("photo.html", png)
    assert isinstance(item, Rejection)
    assert (item.stage, item.reason) == ("decode", "undecodable")
    assert "binary content" in item.detail


def test_control_character_soup_named_html_is_refused() -> None:
    soup = "".join(chr(code) for code in (1, 2, 3, 4, 5, 6, 7, 8, 14, 15) * 500).encode()
    [item] = parse_source("noise.htm", b"<html><body><p>" + soup + b"</p></body></html>")
    assert isinstance(item, Rejection) and item.reason == "undecodable"


def test_utf16_html_with_bom_still_reads() -> None:
    page = (
        "<html><body><article><p>"
        + "Ein ganz normaler Absatz über die Stadt. " * 20
        + "</p></article></body></html>"
    )
    [item] = parse_source("page.html", page.encode("utf-16"))
    assert isinstance(item, Document)
    assert "über die Stadt" in " ".join(item.lines)
