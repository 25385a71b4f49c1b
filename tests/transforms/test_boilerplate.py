"""Each boilerplate rule on small inline inputs, and the article lines that must survive."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import SEEDS
from transforms import boilerplate
from transforms.boilerplate import LINE_RULES, Zone, clean_lines, matching_rule, normalize_line
from transforms.synth import render_text, seed_sentences, synth_article

GOLD = Path(__file__).parents[1] / "gold"

ARTICLE = [
    "The council met on Monday to discuss the budget, officials said.",
    "Members argued for three hours before agreeing on a compromise.",
]


def _removed(lines: list[str]) -> list[tuple[str, str]]:
    return [(removal.rule, removal.text) for removal in clean_lines(lines).removals]


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("[ad_1]", "ad_marker"),
        ("[ad_12]", "ad_marker"),
        ("[embed]", "ad_marker"),
        ("Advertisement", "ad_label"),
        ("ADVERTISEMENT", "ad_label"),
        ("Please enable JavaScript to view the comments.", "script_notice"),
        ("This site uses cookies to improve your experience.", "script_notice"),
        ("Photo: AFP", "photo_credit"),
        ("(Reuters Photo)", "photo_credit"),
        ("Photo: Jane Roe/AP", "photo_credit"),
        ("Sign up for The Morning Brief", "newsletter_signup"),
        ("Subscribe to our newsletter", "newsletter_signup"),
        ("Read more: Council approves the budget", "related_link"),
        ("Related: Floods hit the north", "related_link"),
        ("Follow us on Twitter", "social_follow"),
        ("Share this article", "social_follow"),
        ("source site", "source_site"),
        ("Originally published on Radio Example", "originally_published"),
        ("This story was originally published by The Example Times.", "originally_published"),
        ("© 2023 Example Media. All rights reserved.", "copyright"),
        ("With reporting by AFP, AP, and Reuters", "credit_line"),
        ("(EXAMPLE TV with AFP and AP)", "credit_line"),
    ],
)
def test_rule_removes_its_family_anywhere(line: str, rule: str) -> None:
    lines = [ARTICLE[0], line, ARTICLE[1]]
    assert _removed(lines) == [(rule, line)]
    assert clean_lines(lines).kept_text == ARTICLE


@pytest.mark.parametrize(
    ("line", "rule"),
    [
        ("More Sports News", "more_news_link"),
        ("Access More", "more_news_link"),
        ("Source: DN", "source_trailer"),
        ("A weekly newsletter about the city's food scene.", "newsletter_heading"),
    ],
)
def test_footer_rules_fire_only_in_the_footer(line: str, rule: str) -> None:
    assert _removed([*ARTICLE, line]) == [(rule, line)]
    assert _removed([ARTICLE[0], line, ARTICLE[1]]) == []


def test_inline_ad_marker_is_cut_from_the_sentence() -> None:
    result = clean_lines(["First sentence. [ad_3] Second sentence."])
    assert result.kept_text == ["First sentence. Second sentence."]
    assert [(r.rule, r.text) for r in result.removals] == [("ad_marker", "[ad_3]")]


def test_weak_newsletter_line_needs_a_strong_footer_above_it() -> None:
    quote = "'We read the newsletter every morning,' she said."
    assert clean_lines([*ARTICLE, quote]).kept_text == [*ARTICLE, quote]
    footer = [*ARTICLE, "More Turkey News", "a daily newsletter full of things to discuss over drinks"]
    assert clean_lines(footer).kept_text == ARTICLE


@pytest.mark.parametrize(
    "sentence",
    [
        "Advertisement revenue fell 12% last year, the company said.",
        "Read more about the plan in the report, the minister urged.",
        "The source of the leak remains unknown, investigators said on Tuesday.",
        "Follow us on the road to the capital, the protesters chanted as police watched.",
        "She signed up for the marathon after her brother died, raising money for the hospital that treated him.",
        "The court ruled that the © symbol alone does not prove ownership of a photograph taken in 2019.",
    ],
)
def test_article_sentences_that_look_like_boilerplate_stay(sentence: str) -> None:
    lines = [ARTICLE[0], sentence, ARTICLE[1]]
    assert clean_lines(lines).kept_text == lines


def test_rule_names_are_unique() -> None:
    names = [rule.name for rule in LINE_RULES]
    assert len(names) == len(set(names))


def test_line_numbers_point_at_the_input() -> None:
    result = clean_lines(["Intro line here.", "", "[ad_1]", "Body text continues."], first_line_no=1)
    assert [(r.line_no, r.text) for r in result.removals] == [(3, "[ad_1]")]
    assert result.kept == [(1, "Intro line here."), (4, "Body text continues.")]


@pytest.mark.parametrize(
    "line",
    [
        "© 2024 Diario del Tajo. Todos los derechos reservados.",
        "Tous droits réservés – L'Écho du Littoral",
        "Alle Rechte vorbehalten.",
        "https://twitter.com/example/status/1769912345678901234",
    ],
)
def test_rights_lines_in_other_languages_and_bare_links_go(line: str) -> None:
    assert clean_lines([ARTICLE[0], line, ARTICLE[1]]).kept_text == ARTICLE


def test_inline_embed_is_removed_with_its_target() -> None:
    result = clean_lines([ARTICLE[0], "[embed]https://www.youtube.com/watch?v=abc[/embed]", ARTICLE[1]])
    assert result.kept_text == ARTICLE
    assert [r.text for r in result.removals] == ["[embed]https://www.youtube.com/watch?v=abc[/embed]"]


def _first_rule_one_by_one(line: str, in_footer: bool) -> str | None:
    """The reference: each eligible rule's patterns tried in order, no guards, no combined alternation."""
    words = len(line.split())
    for rule in LINE_RULES:
        if words > rule.max_words or (rule.zone is Zone.FOOTER and not in_footer):
            continue
        for pattern in (rule.pattern, rule.anywhere):
            if pattern is not None and pattern.search(line):
                return rule.name
    return None


def _lines_to_try() -> list[str]:
    texts = [path.read_text(encoding="utf-8") for path in sorted(SEEDS.glob("*.txt"))]
    texts += [path.read_text(encoding="utf-8") for path in sorted(GOLD.glob("*/input.txt"))]
    lines = [line for text in texts for line in text.splitlines()]
    sentences = seed_sentences(texts[:5])
    for index in range(400):
        article = synth_article(sentences, 7, index)
        lines += [*article.header_boilerplate, *article.paragraphs, *article.footer, article.title or ""]
    # Case-folding corners: letters IGNORECASE matches that str.lower() does not turn into the ASCII letter.
    lines += ["ALL RİGHTS RESERVED", "Alle Rechte vorbehalten.", "Sign up for our newſletter", "The INBOX"]
    lines += ["© 2024 KELVIN MEDIA", "Tutti i diritti riſervati", "Get it in your ınbox"]
    return [normalize_line(line) for line in lines if normalize_line(line)]


def test_matching_rule_agrees_with_trying_each_rule_in_order() -> None:
    lines = _lines_to_try()
    assert len(lines) > 5000
    matched = 0
    for line in lines:
        for in_footer in (False, True):
            expected = _first_rule_one_by_one(line, in_footer)
            found = matching_rule(line, in_footer=in_footer)
            assert (found.name if found else None) == expected, (line, in_footer)
            matched += expected is not None
    assert matched > 1000  # the lines exercise the rules, not only the misses


def test_anchored_patterns_start_every_alternative_at_the_line_start() -> None:
    # matching_rule tries ``pattern`` at position 0 only: an alternative that could match later in the line
    # belongs in ``anywhere``.
    from re import _parser  # the stdlib's own regex parser

    for rule in LINE_RULES:
        if rule.pattern is None:
            continue
        (opcode, argument), *_ = _parser.parse(rule.pattern.pattern)
        branches = argument[1] if opcode == _parser.BRANCH else [[(opcode, argument)]]
        for branch in branches:
            assert next(iter(branch)) == (_parser.AT, _parser.AT_BEGINNING), rule.name


def test_normalize_line_collapses_exactly_what_str_split_calls_whitespace() -> None:
    import random
    import sys

    whitespace = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    alphabet = [*whitespace, "a", "b", ".", "é", "\x07", "\x7f"]
    rng = random.Random(6)
    for _ in range(100_000):
        line = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 8)))
        assert normalize_line(line) == " ".join(line.split()), repr(line)
    assert normalize_line(" plain  ascii\tline ") == "plain ascii line"


def test_the_compiled_line_loop_is_built() -> None:
    # `make` builds it (setup.py); without a C compiler clean_lines runs the Python loop, slower.
    assert boilerplate._compiled_scan_lines is not None, "transforms._textscan is missing: `pip install -e .`"


def _hostile_line_lists() -> list[list[str]]:
    import random
    import sys

    whitespace = [chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()]
    pieces = [
        *whitespace,
        "",
        "a",
        "é",
        "\x07",
        "\x7f",
        "\x80",
        "\x9f",
        "\xad",
        "\xff",
        "\u200b",
        "\U0001f600",
        "[",
        "]",
        "[ad_1]",
        "[AD 2]",
        "[embed]https://x.example/v[/embed]",
        "[/sponsored]",
        "Advertisement",
        "Sign up now",
        "© 2024 Media",
        "All rights reserved",
        "Reuters",
        " ".join(["word"] * 44),
        " ".join(["word"] * 46),
    ]
    rng = random.Random(11)
    return [
        ["".join(rng.choice(pieces) for _ in range(rng.randint(0, 4))) for _ in range(rng.randint(0, 12))]
        for _ in range(3000)
    ]


def test_the_compiled_line_loop_agrees_with_the_python_loop() -> None:
    documents = [
        line.splitlines() for line in (path.read_text(encoding="utf-8") for path in SEEDS.glob("*.txt"))
    ]
    documents += [path.read_text(encoding="utf-8").splitlines() for path in sorted(GOLD.glob("*/input.txt"))]
    sentences = seed_sentences(["\n".join(lines) for lines in documents[:5]])
    documents += [render_text(synth_article(sentences, 3, index)).splitlines() for index in range(300)]
    documents += _hostile_line_lists()
    ruled = 0
    for lines in documents:
        for first_line_no in (1, 40):
            expected = boilerplate._rule_lines_python(lines, first_line_no)
            assert boilerplate._rule_lines_compiled(lines, first_line_no) == expected, lines
            ruled += sum(rule is not None for _, _, rule in expected[0])
    assert ruled > 1000


def test_the_compiled_line_loop_refuses_what_is_not_a_list_of_str() -> None:
    with pytest.raises(TypeError, match="not str"):
        boilerplate._rule_lines_compiled(["fine", b"bytes"], 1)
    with pytest.raises(TypeError):
        boilerplate._rule_lines_compiled(("a", "tuple"), 1)


def test_getty_credits_are_photo_credits_whatever_their_first_words() -> None:
    # The credit is tried only on lines naming getty (``anywhere_needs``): any capitalization of it still counts.
    for line in (
        "Jane Roe via Getty Images",
        "JOHN DOE FOR GETTY IMAGES",
        "Getty Images",
        "A B C via getty images",
    ):
        assert matching_rule(line).name == "photo_credit", line
    for line in (
        "A B C D via Getty Images",
        "Photos via Getty Images are licensed",
        "Getty Images said on Monday",
    ):
        rule = matching_rule(line)
        assert rule is None or rule.name != "photo_credit", line
