"""Boilerplate rules: named, line-shaped, positional.

Each rule is a named unit (``LineRule`` or ``SpanRule``) that recognises one family of boilerplate by the shape of a
line (its opening words, its length) and, for weak shapes, by its position (the footer zone at the end of the
article). Nothing here names a particular outlet. Precision comes first: a rule that could match a sentence of the
article is given a word limit, a footer-only zone, or both.

``clean_lines`` applies the rules and returns the kept lines and one ``Removal`` per removed line or span, so that
every deletion is accounted for with the rule that made it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from transforms.agencies import AGENCY_PATTERN
from transforms.regex_openings import OpeningGuard


class Zone(Enum):
    """Where in the article a rule may fire."""

    ANYWHERE = "anywhere"
    FOOTER = "footer"


# Not frozen: a frozen dataclass sets each field through object.__setattr__, three times the cost of a plain one,
# and an article has a dozen removals.
@dataclass(slots=True)
class Removal:
    """One removed line or span: the rule that removed it, its 1-based line number and the text, verbatim."""

    rule: str
    line_no: int
    text: str


@dataclass(frozen=True, slots=True)
class LineRule:
    """A whole-line rule: the line matches ``pattern`` and has at most ``max_words`` words.

    ``pattern`` is anchored: each of its alternatives starts with ``^``, so it is tried at the line's start only.
    What may sit anywhere in a line (a rights-reserved notice) is ``anywhere``, searched for only in lines whose
    lowercase form holds one of ``anywhere_needs``: substrings every match must contain, so that most lines skip
    the scan. A costly anchored shape with a telling word (a "... via Getty Images" credit) goes there too.

    A ``weak`` footer rule only counts inside a footer block that a strong rule also matched, so that a closing
    article sentence that merely mentions a newsletter survives.
    """

    name: str
    pattern: re.Pattern[str] | None
    max_words: int
    zone: Zone = Zone.ANYWHERE
    weak: bool = False
    anywhere: re.Pattern[str] | None = None
    anywhere_needs: tuple[str, ...] = ()

    def matches_anywhere(self, line: str, lowered: str) -> bool:
        """Whether the ``anywhere`` part matches (``lowered`` is ``line.lower()``, computed once per line)."""
        if self.anywhere is not None:
            for needed in self.anywhere_needs:  # a loop, not any(): this runs for most short lines
                if needed in lowered:
                    return self.anywhere.search(line) is not None
        return False


@dataclass(frozen=True, slots=True)
class SpanRule:
    """A rule that removes spans inside a line, such as an ``[ad_3]`` marker between two sentences."""

    name: str
    pattern: re.Pattern[str]


@dataclass(slots=True)
class CleanResult:
    """Lines kept (with their 1-based line numbers) and every removal."""

    kept: list[tuple[int, str]]
    removals: list[Removal]

    @property
    def kept_text(self) -> list[str]:
        """The kept lines without their numbers."""
        return [text for _, text in self.kept]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_MARKER = r"\[/?(?:ad|ads|advert|advertisement|embed|sponsored)(?:[_ -]?\d+)?\]"
_DASH = r"(?:—|–|-{1,2})"

# The marker alone, not the whitespace around it: the line is normalized after the markers go, which collapses
# that whitespace just the same, and a pattern that opens with "[" lets the regex engine jump from one "[" to the
# next instead of trying every position (11 against 22 us for a line holding a marker).
AD_MARKER_SPAN = SpanRule("ad_marker", _rx(r"\[embed\]\S*?\[/embed\]|" + _MARKER))
RIGHTS_RESERVED = (
    r"all rights reserved|tous droits réservés|todos los derechos reservados|alle rechte vorbehalten"
    r"|tutti i diritti riservati|todos os direitos reservados"
)
# Every phrase above holds one of these in lowercase. They avoid i, k and s: under IGNORECASE those also match
# characters ("İ", "K" as the Kelvin sign, "ſ") whose lowercase is not the ASCII letter, so a guard spelt with them
# could skip a line the pattern matches.
RIGHTS_RESERVED_NEEDS = ("rv", "rechte")

LINE_RULES: tuple[LineRule, ...] = (
    # Ads and embeds.
    LineRule(
        "ad_label",
        _rx(
            r"^(?:advertisement|advertising|ad|sponsored(?: content)?|paid content|"
            r"story continues below(?: advertisement)?|continue reading below|"
            r"scroll to continue(?: with content)?|article continues (?:below|after (?:this )?advertisement))$"
        ),
        6,
    ),
    # Script, cookie and browser notices.
    LineRule(
        "script_notice",
        _rx(
            r"^(?:please )?(?:enable|turn on|activate) javascript\b|^javascript is (?:disabled|required|not enabled)"
            r"|^(?:this (?:site|website) uses|we use) cookies\b|^your browser does not support\b"
            r"|^(?:by continuing to (?:use|browse)|to continue,? please accept)\b.*\bcookies?\b"
        ),
        45,
    ),
    # Photo, video and image credits.
    LineRule(
        "photo_credit",
        _rx(
            r"^\(?\s*(?:photo|photos|photograph|image|picture|video|graphic|illustration)s?"
            r"(?:\s+credit)?\s*(?::|/|by\b|courtesy of\b)\s*\S.{0,100}$"
            r"|^\(\s*(?:[\w.]+\s+){0,2}(?:photo|file photo|video|photograph)\s*\)$"
        ),
        14,
        # An agency photo credit ("Jane Roe via Getty Images") may open with any word: as an alternative of the
        # anchored pattern it made every short line backtrack over its first words (_first_rule: 2.8-3.0 us a
        # call with it, 2.3-2.6 without, on the lines of 4,000 synthetic articles).
        anywhere=_rx(r"^(?:[\w.'-]+\s+){0,3}(?:via|for)\s+getty images$|^getty images$"),
        anywhere_needs=("getty",),
    ),
    # Newsletter, promo and subscription blocks.
    LineRule(
        "newsletter_signup",
        _rx(
            r"^(?:sign up|subscribe|register)\b.{0,160}$|^(?:get|receive) (?:our|the) .{0,60}newsletter\b"
            r"|^click here\b.{0,120}$|^(?:join|download) (?:our|the) .{0,60}(?:newsletter|app|channel)\b"
        ),
        25,
    ),
    LineRule(
        "newsletter_heading",
        _rx(r"^(?:a|an|our|the) (?:free |new )?(?:daily|weekly|monthly|morning|evening) newsletter\b"),
        40,
        Zone.FOOTER,
    ),
    LineRule(
        "more_news_link",
        _rx(r"^more [\w'’&.\- ]{1,40} news$|^access more$|^more from [\w'’&.\- ]{1,40}$"),
        6,
        Zone.FOOTER,
    ),
    LineRule(
        "related_link",
        _rx(
            r"^(?:read more|read also|also read|related|see also|more|recommended|watch|listen|don'?t miss|"
            r"must read|top stories|trending|editor'?s picks?)\s*(?::|" + _DASH + r")\s*\S"
            r"|^(?:read more|related(?: articles| stories| coverage| content| news)?|more stories|most read|"
            r"trending now|don'?t miss|you may also like|recommended for you|comments?(?: \(\d+\))?)\.?$"
        ),
        30,
    ),
    LineRule(
        "social_follow",
        _rx(
            r"^follow (?:us|[\w.@'’-]+(?: [\w.@'’-]+){0,3}) on (?:twitter|x|facebook|instagram|linkedin|tiktok|"
            r"youtube|telegram|whatsapp|threads|bluesky|mastodon|google news|social media)\b"
            r"|^share (?:this|on)\b|^(?:tell us|let us know) what you think\b|^like us on facebook\b"
        ),
        15,
    ),
    # Provenance trailers.
    LineRule("source_site", _rx(r"^source site\.?$"), 2),
    LineRule("source_trailer", _rx(r"^sources?\s*:\s*\S.{0,60}$"), 8, Zone.FOOTER),
    LineRule(
        "originally_published",
        _rx(
            r"^(?:this (?:story|article|report|piece|post) (?:was )?(?:originally |first )?"
            r"(?:published|appeared|ran)|originally (?:published|appeared)|first (?:published|appeared))"
            r" (?:on|in|by|at)\b"
        ),
        30,
    ),
    # Copyright and rights lines.
    LineRule(
        "copyright",
        _rx(r"^(?:©|\(c\)|copyright\b)"),
        25,
        anywhere=_rx(r"\b(?:" + RIGHTS_RESERVED + r")\b"),
        anywhere_needs=RIGHTS_RESERVED_NEEDS,
    ),
    # A paragraph that is nothing but a link is an embed or a share target, never a sentence.
    LineRule("bare_url", _rx(r"^(?:https?://|www\.)\S+$"), 1),
    # Credit lines: they become metadata (wire agencies, outlet) and leave the body.
    LineRule(
        "credit_line",
        _rx(
            r"^\(?\s*(?:with )?(?:additional )?(?:reporting|writing|editing|compiled|contributing|research)"
            r"(?: by)?\b.{0,240}\)?$"
            r"|^\([^()]{1,60}\bwith\s+" + AGENCY_PATTERN + r"[^()]{0,80}\)$"
            r"|^" + _DASH + r"?\s*\(?\s*(?:with\s+)?" + AGENCY_PATTERN + r"(?:\s*(?:,|/|and|&)\s*"
            r"" + AGENCY_PATTERN + r")*\s*\)?\.?$"
        ),
        45,
    ),
    LineRule(
        "newsletter_blurb",
        None,
        40,
        Zone.FOOTER,
        weak=True,
        anywhere=_rx(r"\bnewsletters?\b|\bon the house\b|\binbox\b"),
        anywhere_needs=("letter", "the hou", "nbox"),
    ),
)

_LONGEST_RULE_WORDS = max(rule.max_words for rule in LINE_RULES)
# Characters of a line's opening the rule plans' guards read: four refused 6% more of the lines no rule removes than
# three, for twice the guards' build time at import (0.25 against 0.12 s); two, a third fewer.
OPENING_WIDTH = 3


@dataclass(frozen=True, slots=True)
class _RulePlan:
    """The rules eligible for one (word count, zone): their anchored patterns as one alternation, tried once at
    the line's start (the first alternative to match is the first rule, as in a loop over the rules), the guard
    that tells from a line's first characters that the alternation cannot match, and the rules with an
    ``anywhere`` part, by index."""

    anchored: re.Pattern[str] | None
    anywhere: tuple[tuple[int, LineRule], ...]
    opening: OpeningGuard | None = None


def _rule_plan(indices: tuple[int, ...]) -> _RulePlan:
    branches = [
        f"(?P<r{index}>{LINE_RULES[index].pattern.pattern})"
        for index in indices
        if LINE_RULES[index].pattern is not None
    ]
    anchored = re.compile("^(?:" + "|".join(branches) + ")", re.IGNORECASE) if branches else None
    anywhere = tuple(
        (index, LINE_RULES[index]) for index in indices if LINE_RULES[index].anywhere is not None
    )
    # Two lines in three that no rule removes open with three characters no rule's pattern opens with ("The", "In
    # ", "Aze"): the guard answers for them without the alternation (1.9 us a line, its 13 branches tried in turn).
    opening = OpeningGuard(anchored, OPENING_WIDTH) if anchored is not None else None
    return _RulePlan(anchored, anywhere, opening if opening is not None and opening.usable else None)


def _rule_plans() -> dict[tuple[bool, int], _RulePlan]:
    """A plan per (in_footer, word count) up to the longest rule's limit; equal rule sets share one plan."""
    by_rules: dict[tuple[int, ...], _RulePlan] = {}
    plans: dict[tuple[bool, int], _RulePlan] = {}
    for in_footer in (False, True):
        for words in range(_LONGEST_RULE_WORDS + 1):
            indices = tuple(
                index
                for index, rule in enumerate(LINE_RULES)
                if words <= rule.max_words and (in_footer or rule.zone is Zone.ANYWHERE)
            )
            if indices not in by_rules:
                by_rules[indices] = _rule_plan(indices)
            plans[in_footer, words] = by_rules[indices]
    return plans


_PLANS = _rule_plans()


def _word_count(line: str) -> int:
    # Lines are whitespace-normalized, so counting separators is enough (and far cheaper than a regex).
    return line.count(" ") + 1 if line else 0


def normalize_line(line: str) -> str:
    """Collapse runs of whitespace to single spaces and strip the ends."""
    # Most lines are normalized already: " " is the only whitespace character str.isprintable() accepts, so a
    # printable line is when no space is doubled or at an end. The C-speed scans cost less than splitting the
    # line into words (-20%), and hold for text beyond ASCII (curly quotes, accents) as well.
    if line.isprintable() and "  " not in line and line[:1] != " " and line[-1:] != " ":
        return line
    # str.split() and the regex \s agree on what whitespace is (str.isspace), and splitting is 5x faster.
    return " ".join(line.split())


def matching_rule(line: str, *, in_footer: bool = False) -> LineRule | None:
    """The first rule that removes ``line``; footer rules are tried only when ``in_footer``.

    The same answer as trying each eligible rule's patterns in order, with one regex call for the anchored
    patterns instead of one per rule (the per-call cost was most of the rules' time).
    """
    return _first_rule(line, _word_count(line), in_footer)


def _first_rule(line: str, words: int, in_footer: bool) -> LineRule | None:
    """``matching_rule`` for a line of ``words`` words."""
    if words > _LONGEST_RULE_WORDS:
        return None  # an ordinary paragraph: longer than anything a rule removes, so no regex needs to run
    plan = _PLANS[in_footer, words]
    first = None
    if plan.anchored is not None and (plan.opening is None or plan.opening.admits(line)):
        found = plan.anchored.match(line)
        if found is not None:
            first = int(found.lastgroup[1:])
    if plan.anywhere:
        lowered = line.lower()
        for index, rule in plan.anywhere:
            if first is not None and index > first:
                break
            if rule.matches_anywhere(line, lowered):
                first = index
                break
    return None if first is None else LINE_RULES[first]


def remove_spans(line_no: int, line: str) -> tuple[str, list[Removal]]:
    """Strip inline ad/embed markers from one line; returns the rest of the line and the removals."""
    if "[" not in line:
        return line, []  # every marker is bracketed: most lines need no regex at all
    removals = [
        Removal(AD_MARKER_SPAN.name, line_no, m.group()) for m in AD_MARKER_SPAN.pattern.finditer(line)
    ]
    if not removals:
        return line, []
    return normalize_line(AD_MARKER_SPAN.pattern.sub(" ", line)), removals


def clean_lines(lines: list[str], *, first_line_no: int = 1) -> CleanResult:
    """Remove boilerplate from an article's lines.

    Spans first (inline markers), then whole lines that a rule removes anywhere, then the footer zone: walking up
    from the last line, every line that some rule removes belongs to the footer block, and the walk stops at the
    first article line. Weak footer matches at the top of the block (next to the article) are given back, so a
    closing sentence about a newsletter stays unless a strong footer line sits above it.
    """
    lines_with_rules, removals = _rule_lines(lines, first_line_no)
    footer_rules = _footer_rules(lines_with_rules)
    footer_start = len(lines_with_rules) - len(footer_rules)
    kept: list[tuple[int, str]] = []
    for index, (line_no, line, rule) in enumerate(lines_with_rules):
        if index >= footer_start:
            rule = footer_rules[index - footer_start]
        if rule is None:
            kept.append((line_no, line))
        else:
            removals.append(Removal(rule.name, line_no, line))
    removals.sort(key=lambda removal: removal.line_no)
    return CleanResult(kept=kept, removals=removals)


def _rule_lines_python(
    lines: list[str], first_line_no: int
) -> tuple[list[tuple[int, str, LineRule | None]], list[Removal]]:
    """(line_no, normalized line, first rule or None) for every line left non-empty, and the span removals.

    The reference for ``transforms._textscan.scan_lines``, which does the same in C where it was built.
    """
    removals: list[Removal] = []
    lines_with_rules: list[tuple[int, str, LineRule | None]] = []
    # The loop runs for every line of every article: blank lines (half of them) and lines without a "[" skip
    # calls that could only return what they were given.
    for line_no, raw in enumerate(lines, first_line_no):
        if not raw:
            continue
        line = normalize_line(raw)
        if "[" in line:
            line, span_removals = remove_spans(line_no, line)
            removals.extend(span_removals)
        if line:
            lines_with_rules.append((line_no, line, _first_rule(line, _word_count(line), False)))
    return lines_with_rules, removals


def _rule_lines_compiled(
    lines: list[str], first_line_no: int
) -> tuple[list[tuple[int, str, LineRule | None]], list[Removal]]:
    """``_rule_lines_python`` in C: the same callbacks for spans and rules, no Python work for the other lines."""
    return _compiled_scan_lines(lines, first_line_no, remove_spans, _first_rule, _LONGEST_RULE_WORDS)


try:
    from transforms._textscan import scan_lines as _compiled_scan_lines
except ImportError:  # built without a C compiler: the Python loop gives the same result
    _compiled_scan_lines = None

_rule_lines = _rule_lines_python if _compiled_scan_lines is None else _rule_lines_compiled


def _footer_rules(lines_with_rules: list[tuple[int, str, LineRule | None]]) -> list[LineRule]:
    """The rules that remove the footer block's lines, in order (empty when there is no footer)."""
    block: list[LineRule] = []
    for _, line, rule in reversed(lines_with_rules):
        rule = rule or matching_rule(line, in_footer=True)
        if rule is None:
            break
        block.append(rule)
    block.reverse()
    weak_top = 0
    while weak_top < len(block) and block[weak_top].weak:
        weak_top += 1
    return block[weak_top:]
