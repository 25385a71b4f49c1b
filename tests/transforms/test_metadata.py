"""Header and trailer metadata on small inline articles."""

from __future__ import annotations

from transforms.articles import build_article
from transforms.documents import Document, MetadataHints

BODY = "The first paragraph of the story says what happened, and where, and when it happened."


def _article(*lines: str, hints: MetadataHints | None = None) -> dict:
    document = Document("inline.txt", "txt", 0, "0" * 64, list(lines), hints or MetadataHints())
    return build_article(document).article


def test_title_date_and_byline_lines_leave_the_body() -> None:
    article = _article(
        "Storm Hits Coast", "By Jane Doe and John Roe", "Updated: 12 May 2024 08:00 BST", BODY, BODY
    )
    assert article["title"] == "Storm Hits Coast"
    assert article["byline"] == "Jane Doe and John Roe"
    assert article["published_at"].isoformat() == "2024-05-12T07:00:00"
    assert article["published_tz"] == "BST"
    assert article["body"] == f"{BODY}\n{BODY}"


def test_dateline_with_agency_becomes_metadata() -> None:
    article = _article(f"YEREVAN, Armenia (AP) — {BODY}", BODY)
    assert article["dateline"] == "YEREVAN, Armenia"
    assert article["wire_agencies"] == ["AP"]
    assert article["body"].startswith("The first paragraph")


def test_caps_dateline_with_reuters() -> None:
    article = _article(f"MOSCOW (Reuters) - {BODY}", BODY)
    assert (article["dateline"], article["wire_agencies"]) == ("MOSCOW", ["Reuters"])


def test_a_sentence_is_not_a_title_and_a_body_date_is_not_published() -> None:
    article = _article("The army attacked on September 20, 2023, officials said.", BODY)
    assert article["title"] is None
    assert article["published_at"] is None


def test_agency_mentioned_in_prose_is_not_a_wire_credit() -> None:
    article = _article(
        BODY, "An AFP journalist reported clashes, and officials told The Associated Press more."
    )
    assert article["wire_agencies"] == []


def test_container_hints_win_over_the_text() -> None:
    hints = MetadataHints(
        title="Given Title", published_raw="2024-02-01T10:00:00Z", outlet="Example News", language="fr-FR"
    )
    article = _article("Given Title", BODY, BODY, hints=hints)
    assert article["title"] == "Given Title"
    assert article["published_at"].isoformat() == "2024-02-01T10:00:00"
    assert (article["outlet"], article["language"]) == ("Example News", "fr")
    assert article["body"] == f"{BODY}\n{BODY}"


def test_outlet_from_copyright_and_source_trailers() -> None:
    assert _article(BODY, BODY, "© 2023 Example Media. All rights reserved.")["outlet"] == "Example Media"
    assert _article(BODY, BODY, "Source: Daily Example")["outlet"] == "Daily Example"


def test_article_id_is_derived_from_the_cleaned_body_only() -> None:
    plain = _article(BODY, BODY)
    dressed = _article("Some Headline", "Wed, 29 Nov 2023", BODY, "[ad_1]", BODY, "source site")
    assert plain["article_id"] == dressed["article_id"]
    assert len(plain["article_id"]) == 16 and plain["content_sha256"].startswith(plain["article_id"])


def test_a_header_date_we_refuse_to_read_still_leaves_the_body() -> None:
    for line in ("03/04/2024", "Updated: 14 March 09:30"):
        article = _article("Water Main Bursts", line, "By Grace Holloway", BODY, BODY)
        assert article["published_at"] is None
        assert article["byline"] == "Grace Holloway"
        assert article["body"] == f"{BODY}\n{BODY}"


def test_french_label_and_title_case_dateline() -> None:
    phrase = (
        "Le grand port maritime a annoncé mardi un plan de rénovation des quais, selon la direction du port."
    )
    article = _article("Publié le 4 juin 2024 à 8h15", f"Marseille (AFP) - {phrase}", phrase)
    assert article["published_at"].isoformat() == "2024-06-04T08:15:00"
    assert (article["dateline"], article["wire_agencies"]) == ("Marseille", ["AFP"])


def test_outlet_from_a_rights_line_in_another_language() -> None:
    assert (
        _article(BODY, BODY, "© 2024 Diario del Tajo. Todos los derechos reservados.")["outlet"]
        == "Diario del Tajo"
    )


def test_possessive_words_in_the_header_patterns_match_what_greedy_ones_would() -> None:
    # Datelines' place words and dates' month and weekday names never give characters back (``++``, ``{m,n}+``):
    # the same patterns with ordinary quantifiers must find the same matches, groups included, on header-like lines.
    import re

    from tests.conftest import SEEDS
    from transforms import dates, metadata
    from transforms.synth import seed_sentences, synth_article

    patterns = [
        metadata.DATELINE_WITH_AGENCY,
        metadata.DATELINE_CAPS,
        metadata.DATELINE_SPACED_COLON,
        dates.MONTH_DAY_YEAR,
        dates.DAY_MONTH_YEAR,
    ]
    assert all("++" in p.pattern or "}+" in p.pattern for p in patterns)
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    lines = [line for text in texts for line in text.splitlines() if line]
    sentences = seed_sentences(texts)
    for index in range(300):
        article = synth_article(sentences, 5, index)
        lines += [*article.header_boilerplate, *article.paragraphs[:2], article.title or ""]
    lines += [
        "MOSCOW (Reuters) - Talks resumed.",
        "PARIS.- Le président",
        "SAN JOSE, Costa Rica (AP) — Rain",
        "New York : The city",
        "Wednesdayyyyyyy, 3 June 2024",
        "Mittwoch, 29. November 2023 um 14.30 Uhr",
        "Sept. 3, 2020 10:46 a.m",
        "3 de junio de 2024",
    ]
    for pattern in patterns:
        greedy = re.compile(pattern.pattern.replace("++", "+").replace("}+", "}"), pattern.flags)
        assert greedy.pattern != pattern.pattern
        for line in lines:
            found, expected = pattern.match(line), greedy.match(line)
            assert (found and found.groupdict()) == (expected and expected.groupdict()), (
                pattern.pattern,
                line,
            )
