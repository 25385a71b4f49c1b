"""Decoding of the encodings scraped files arrive in."""

from __future__ import annotations

import codecs

import pytest

from transforms.decode import DecodeError, decode_bytes
from transforms.documents import Rejection, parse_source

TEXT = "Azerbaijan’s “reintegration” talks — café"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),
        TEXT.encode("cp1252"),
    ],
    ids=["utf8", "utf8-bom", "utf16-bom", "cp1252"],
)
def test_decodes_to_the_same_text(data: bytes) -> None:
    assert decode_bytes(data)[0] == TEXT


def test_repairs_mojibake() -> None:
    # ” (E2 80 9D) has no cp1252 reading, so this text avoids it: the repair must be unambiguous.
    text = "Azerbaijan’s president — “victory” at the café".replace("”", "")
    mangled = text.encode("utf-8").decode("cp1252")
    assert "â€™" in mangled
    assert decode_bytes(mangled.encode("utf-8"))[0] == text


def test_normalizes_to_nfc() -> None:
    assert decode_bytes("cafe\u0301".encode())[0] == "café"


def test_binary_is_refused() -> None:
    with pytest.raises(DecodeError, match="binary"):
        decode_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))


@pytest.mark.parametrize(
    ("data", "reason"),
    [(b"", "empty_file"), (b"  \n\t ", "empty_file"), (b"\x00\x01\x02" * 50, "undecodable")],
)
def test_bad_files_become_rejections(data: bytes, reason: str) -> None:
    [item] = parse_source("x.txt", data)
    assert isinstance(item, Rejection) and item.reason == reason
