"""The ASCII openings a compiled regex can match: a guard that answers "cannot match" without running the regex.

``openings(pattern, width)`` reads the pattern's parse tree (``re._parser``, the parser ``re`` itself uses) and
lists, as tuples of character sets, every way a match can begin: its first ``width`` characters, or all of it when a
match can be shorter. Each set holds the ASCII characters one position admits, found by running that position's
own compiled node on every ASCII character (so case folding, classes and scoped flags are ``re``'s own). What the
walk does not model (assertions, anchors, backreferences) only widens the openings: the guard may let a line
through that cannot match, never refuse one that can. ``OpeningGuard`` answers for the first ``width`` characters of
a text when they are ASCII and remembers each answer; anything else goes to the regex.
"""

from __future__ import annotations

import re
from re import _compiler, _constants, _parser

ASCII = [chr(code) for code in range(128)]
_CHARACTER_OPS = frozenset(
    {_constants.LITERAL, _constants.NOT_LITERAL, _constants.IN, _constants.ANY, _constants.CATEGORY}
)
_REPEAT_OPS = frozenset({_constants.MAX_REPEAT, _constants.MIN_REPEAT, _constants.POSSESSIVE_REPEAT})
_ZERO_WIDTH_OPS = frozenset({_constants.AT, _constants.ASSERT, _constants.ASSERT_NOT})
# Beyond this many openings the guard is not worth its lookups (and the walk not worth its time).
MAX_OPENINGS = 4096
# Answers a guard remembers (a line's first characters -> admitted): some thousands in a real corpus.
MAX_REMEMBERED = 65536

Opening = tuple[frozenset[str], ...]


def openings(pattern: re.Pattern[str], width: int) -> list[Opening] | None:
    """Every way a match of ``pattern`` (applied with ``match``) can begin, or None when they cannot be listed.

    An opening shorter than ``width`` is a match that can end there (or a node the walk does not model): any text
    may follow it.
    """
    try:
        parsed = _parser.parse(pattern.pattern, pattern.flags)
    except re.error:
        return None
    found: set[Opening] = set()
    try:
        _walk(_tagged(parsed.data, parsed.state.flags), (), width, found, _MATCHED_BY_NODE)
    except RecursionError:
        return None
    if len(found) > MAX_OPENINGS:
        return None
    return sorted(found, key=lambda opening: (len(opening), [sorted(chars) for chars in opening]))


# The ASCII characters each character node matches, by (op, argument, flags): patterns that share branches (the
# rule plans) share the work of running them.
_MATCHED_BY_NODE: dict[tuple, frozenset[str]] = {}
# A repetition's bookkeeping among the work items: the repeated nodes, how many more may come, where the last began.
_AGAIN = object()


def _tagged(nodes, flags: int) -> tuple:
    """Parse nodes as work items: each with the flags it is read with."""
    return tuple((op, argument, flags) for op, argument in nodes)


def _walk(nodes: tuple, prefix: Opening, width: int, found: set[Opening], cache: dict) -> None:
    """Add to ``found`` every opening of the work items ``nodes`` matched after ``prefix``."""
    if len(found) > MAX_OPENINGS:
        return
    if len(prefix) == width or not nodes:
        found.add(prefix)
        return
    (op, argument, flags), rest = nodes[0], nodes[1:]
    if op in _CHARACTER_OPS:
        key = (op, repr(argument), flags)
        if key not in cache:
            cache[key] = _ascii_matched(op, argument, flags)
        if cache[key]:
            _walk(rest, (*prefix, cache[key]), width, found, cache)
    elif op in _ZERO_WIDTH_OPS:
        _walk(rest, prefix, width, found, cache)
    elif op is _constants.SUBPATTERN:
        _group, add_flags, del_flags, inner = argument
        # The group's flags hold for its own nodes; what follows it keeps its flags.
        _walk(
            _tagged(inner.data, _compiler._combine_flags(flags, add_flags, del_flags)) + rest,
            prefix,
            width,
            found,
            cache,
        )
    elif op is _constants.ATOMIC_GROUP:
        _walk(_tagged(argument.data, flags) + rest, prefix, width, found, cache)
    elif op is _constants.BRANCH:
        for branch in argument[1]:
            _walk(_tagged(branch.data, flags) + rest, prefix, width, found, cache)
    elif op in _REPEAT_OPS:
        low, high, item = argument
        body = _tagged(item.data, flags)
        # The required repetitions, then up to (high - low) more, each optional (_AGAIN below).
        _walk(body * low + ((_AGAIN, (body, high - low, -1), flags),) + rest, prefix, width, found, cache)
    elif op is _AGAIN:
        body, left, started_at = argument
        _walk(rest, prefix, width, found, cache)  # no more repetitions
        # One more, unless the last one consumed nothing: another would begin where it did, adding no opening.
        if left > 0 and started_at != len(prefix):
            again = ((_AGAIN, (body, left - 1, len(prefix)), flags),)
            _walk(body + again + rest, prefix, width, found, cache)
    else:
        found.add(prefix)  # a backreference, a conditional: whatever follows is admitted


def _ascii_matched(op, argument, flags: int) -> frozenset[str]:
    """The ASCII characters one character node matches, by ``re``'s own compiled code for that node alone."""
    # A fresh parser state: the compiler adds the state's flags to the ones given, and a scoped (?-i:...) must
    # stay case-sensitive.
    node = _parser.SubPattern(_parser.State(), [(op, argument)])
    compiled = _compiler.compile(node, flags)
    return frozenset(char for char in ASCII if compiled.match(char))


class OpeningGuard:
    """Whether a text's first ``width`` characters can open a match of ``pattern``; the regex is asked (True) when
    they are not all ASCII or the openings could not be listed."""

    __slots__ = ("_answers", "_by_first", "_opens_anything", "width")

    def __init__(self, pattern: re.Pattern[str], width: int = 3) -> None:
        self.width = width
        listed = openings(pattern, width)
        # An empty opening (a match that can be empty, or a node the walk gave up on at the start) admits anything.
        self._opens_anything = listed is None or () in listed
        self._by_first: dict[str, list[Opening]] = {}
        for opening in listed or ():
            for char in opening[0] if opening else ():
                self._by_first.setdefault(char, []).append(opening)
        self._answers: dict[str, bool] = {}

    @property
    def usable(self) -> bool:
        """False when the guard would admit every text (nothing to gain from asking it)."""
        return not self._opens_anything

    def admits(self, text: str) -> bool:
        """False only when no match of the pattern can begin as ``text`` does."""
        head = text[: self.width]
        answer = self._answers.get(head)
        if answer is None:
            if len(self._answers) >= MAX_REMEMBERED:
                self._answers.clear()  # hostile input with ever new openings must not grow it without bound
            answer = self._answers[head] = self._admits(head)
        return answer

    def _admits(self, head: str) -> bool:
        if self._opens_anything or not head.isascii():
            return True
        return any(
            len(opening) <= len(head) and all(head[i] in chars for i, chars in enumerate(opening))
            for opening in self._by_first.get(head[:1], ())
        )
