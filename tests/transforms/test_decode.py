"""Decoding of the encodings scraped files arrive in."""

from __future__ import annotations

import codecs
import unicodedata

import pytest

from tests.conftest import SEEDS
from transforms.decode import (
    DecodeError,
    binary_content_reason,
    decode_by_guess,
    decode_bytes,
    reads_as_western_cp1252,
)
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


def _control_texts() -> list[str]:
    # Around the 1% threshold, with multi-byte characters (more bytes than characters) and past the 64 Ki sample.
    texts = []
    for filler in ("plain words ", "café “quoted” — ", "日本語のテキスト "):
        for length in (50, 2_000, 70_000):
            body = (filler * (length // len(filler) + 1))[:length]
            for controls in (0, 1, length // 100, length // 100 + 1, length // 50):
                step = max(1, length // (controls + 1))
                chars = list(body)
                for index in range(controls):
                    chars[min(len(chars) - 1, (index + 1) * step)] = "\x07\x1b\x7f"[index % 3]
                texts.append("".join(chars))
    return texts


def test_utf8_files_are_refused_as_binary_exactly_when_their_text_is() -> None:
    # decode_bytes counts control characters in the UTF-8 bytes; binary_content_reason counts them in the text.
    refused = 0
    for text in _control_texts():
        expected = binary_content_reason(text)
        try:
            decode_bytes(text.encode("utf-8"))
            outcome = None
        except DecodeError as error:
            outcome = str(error)
        assert outcome == expected, (len(text), text.count("\x07"))
        refused += expected is not None
    assert refused >= 9


def test_the_mojibake_pre_check_agrees_with_the_pattern() -> None:
    import itertools

    from transforms.decode import _MOJIBAKE_HINT, may_be_mojibake

    texts = [TEXT, "café âge", "Â ", "â€™", "Ã©tÃ©", "plain"]
    texts += ["".join(pair) for pair in itertools.product("ÃÂâa", "\x80\xa9\u20ac\u2019™ a")]
    texts += [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    for text in texts:
        assert may_be_mojibake(text) == (_MOJIBAKE_HINT.search(text) is not None), text
    assert sum(map(may_be_mojibake, texts)) >= 10


LEGACY_TEXTS = {
    "cp1251": "Президент Азербайджана Ильхам Алиев заявил о победе в телевизионном обращении. Переговоры продолжатся.",
    "cp1253": "Ο πρόεδρος του Αζερμπαϊτζάν δήλωσε νίκη σε τηλεοπτικό διάγγελμα. Οι συνομιλίες θα συνεχιστούν.",
    "cp1256": "أعلن الرئيس الأذربيجاني إلهام علييف النصر في خطاب متلفز. وستستمر المحادثات في مدينة يفلاخ.",
    "koi8_r": "Президент Азербайджана Ильхам Алиев заявил о победе в телевизионном обращении. Переговоры продолжатся.",
    "cp932": "アゼルバイジャンのアリエフ大統領はテレビ演説で勝利を宣言した。交渉は続く予定だ。",
    "gb18030": "阿塞拜疆总统阿利耶夫在电视讲话中宣布胜利。谈判将继续进行。",
}


@pytest.mark.parametrize("encoding", sorted(LEGACY_TEXTS))
def test_legacy_web_encodings_decode_to_their_text(encoding: str) -> None:
    assert decode_bytes(LEGACY_TEXTS[encoding].encode(encoding))[0] == LEGACY_TEXTS[encoding]


def test_cp1252_articles_keep_their_quotes_and_dashes() -> None:
    # Synthetic articles written in cp1252, as the benchmark corpus has them: one in five used to come back
    # decoded as a DOS code page ("Aliyev’s" as "AliyevÆs", "(Interfax) –" as "(Interfax) ¢").
    from transforms.synth import encode_text, render_text, seed_sentences, synth_article

    sentences = seed_sentences(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    legacy = 0
    for index in range(200):
        text = render_text(synth_article(sentences, 5, index))
        data = encode_text(text, "cp1252")
        decoded, encoding = decode_bytes(data)
        assert decoded == unicodedata.normalize("NFC", text), (index, encoding)
        legacy += encoding == "cp1252"
    assert legacy > 150  # most really were cp1252, not UTF-8 fallbacks


WESTERN_TEXTS = {
    "fr": "Le président a déclaré à la télévision qu’il maintiendrait les négociations — l’opposition a salué ça.",
    "es": "El presidente anunció en televisión que las negociaciones continuarán mañana, según la agencia “EFE”.",
    "de": "Der Präsident erklärte im Fernsehen, die Gespräche würden in Zürich fortgesetzt; die Opposition begrüßte es.",
    "pt": "O presidente afirmou na televisão que as negociações continuarão amanhã, segundo a agência oficial.",
    "it": "Il presidente ha dichiarato in televisione che i negoziati proseguiranno, perché la situazione è stabile.",
    "da": "Præsidenten sagde i tv, at forhandlingerne fortsætter i Århus… ifølge nyhedsbureauet Ritzau.",
    "en": "Azerbaijan’s president said the talks – held in a café near Stepanakert – would go on (€2m aid).",
}


@pytest.mark.parametrize("language", sorted(WESTERN_TEXTS))
def test_western_cp1252_texts_decode_as_the_full_guess_decodes_them(language: str) -> None:
    data = WESTERN_TEXTS[language].encode("cp1252")
    assert decode_bytes(data) == (WESTERN_TEXTS[language], "cp1252")
    assert decode_by_guess(data) == ("cp1252", WESTERN_TEXTS[language])


@pytest.mark.parametrize("encoding", sorted(LEGACY_TEXTS))
def test_other_scripts_never_take_the_western_shortcut(encoding: str) -> None:
    data = LEGACY_TEXTS[encoding].encode(encoding)
    try:
        as_cp1252 = data.decode("cp1252")
    except UnicodeDecodeError:
        return  # bytes cp1252 does not define: the shortcut cannot take it either
    assert not reads_as_western_cp1252(as_cp1252)


def test_the_western_shortcut_gives_what_the_full_guess_gives_on_synthetic_articles() -> None:
    from transforms.synth import encode_text, render_text, seed_sentences, synth_article

    sentences = seed_sentences(path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt")))
    shortcuts = 0
    for index in range(300):
        data = encode_text(render_text(synth_article(sentences, 11, index)), "cp1252")
        try:
            data.decode("utf-8")
            continue  # plain ASCII: UTF-8 reads it
        except UnicodeDecodeError:
            pass
        as_cp1252 = data.decode("cp1252")
        if reads_as_western_cp1252(as_cp1252):
            shortcuts += 1
            assert decode_by_guess(data) == ("cp1252", as_cp1252), index
    assert shortcuts > 100


def test_a_long_english_cp1252_text_with_one_curly_quote_is_not_read_as_japanese() -> None:
    # Found by comparing the shortcut with the full guess over 1,000,000 synthetic articles: for an ASCII text of a
    # few KB and one "’s" (bytes 0x92 0x73, a valid Shift-JIS pair) charset_normalizer's best guess is cp932,
    # "Baku痴 attacks", for 7 of these 11 texts; 2 articles in 10,000 of the corpus were loaded that way.
    lines = [
        line
        for path in sorted(SEEDS.glob("*.txt"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.isascii() and len(line) > 200
    ]
    for count in range(5, 16):
        text = "\n".join([*lines[:count], "Pashinian asked Moscow to help put a stop to Baku’s attacks."])
        assert decode_bytes(text.encode("cp1252")) == (text, "cp1252"), count


def test_texts_taken_as_nfc_by_their_characters_are_their_own_nfc() -> None:
    # decode_bytes skips unicodedata.normalize for a text made only of characters the compiled table accepts.
    # Exact when each such character is its own NFC with combining class 0 (no reordering, nothing to split) and
    # no two of them compose, which is checked here for every character the table accepts and every pair.
    from transforms import decode

    assert decode._is_nfc_by_table is not decode._python_is_nfc_by_table, "transforms._textscan is not built"
    accepted = [chr(code) for code in range(0x10000) if decode._is_nfc_by_table(chr(code))]
    assert 1000 < len(accepted) < 2000 and "é" in accepted and "\u201c" in accepted
    assert not decode._is_nfc_by_table("e\u0301") and not decode._is_nfc_by_table("\u2126")  # combining, ohm
    for character in accepted:
        assert unicodedata.combining(character) == 0, hex(ord(character))
        assert unicodedata.normalize("NFC", character) == character, hex(ord(character))
    for first in accepted:
        for second in accepted:
            pair = first + second
            assert unicodedata.normalize("NFC", pair) == pair, (hex(ord(first)), hex(ord(second)))
    text = "Zürich “quoted” – €5 ™ Москва"
    assert decode._is_nfc_by_table(text) and decode.decode_bytes(text.encode())[0] == text


def test_the_compiled_control_byte_count_agrees_with_translate() -> None:
    import random

    from transforms import decode

    assert decode._count_control_bytes is not decode._python_count_control_bytes, (
        "transforms._textscan is not built"
    )
    rng = random.Random(3)
    samples = [bytes([value]) * length for value in range(256) for length in (1, 15, 16, 17, 4080, 4097)]
    samples += [rng.randbytes(rng.randrange(0, 300)) for _ in range(2000)] + [rng.randbytes(70_000), b""]
    samples += [path.read_bytes() for path in sorted(SEEDS.glob("*.txt"))]
    for data in samples:
        assert decode._count_control_bytes(data) == decode._python_count_control_bytes(data), data[:20]
