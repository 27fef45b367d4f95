"""Anchored search: run a rule's pattern only where a match can begin.

Most rules begin with a word list (``\\b(?:ignore|disregard|forget)\\s+…``): every match
*starts* with one of a few literal prefixes. :func:`literal_prefixes` reads those prefixes
off the parsed pattern, and :func:`anchored_search` finds them with a plain case-sensitive
scan of the *folded* text (case-folded, see :func:`fold`) — which CPython runs in C and
skips through quickly — and tries the real pattern only at those positions, with
``pattern.match(text, position)``. Look-behinds and ``\\b`` still see the characters before
the position, so the result is exactly ``pattern.search(text)``: the same match, the same
span, just without stepping the whole pattern through every position of a 50 KB text.

Exactness rests on two facts, both checked by the test-suite:

* the derived prefixes are necessary — the derivation only walks literals, small character
  sets, groups, alternations and zero-width assertions, and gives up (``None``: plain
  search) on anything else;
* :func:`fold` maps every character that the regex engine's case-insensitive matching
  equates with a prefix character onto that character, one character for one (positions
  line up). Prefix characters are limited to :data:`SAFE_CHARS`, for which this was
  verified over every code point; a literal is cut short at the first other character.

Pure functions; the derived prefix scanner is compiled once per rule at load time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

try:  # Python ≥ 3.11 keeps the parser here; the old public aliases are deprecated.
    from re import _constants as _sre_constants
    from re import _parser as _sre_parse
except ImportError:  # pragma: no cover - older layouts
    import sre_constants as _sre_constants  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

MAX_PREFIXES = 64
"""More alternative prefixes than this and the rule is searched plainly."""
WORD_START = "\x00"
"""Marks, at the start of a derived prefix, that the match starts at a ``\b`` word boundary."""
MAX_CHARSET = 8
"""A character class of at most this many characters still extends the prefixes."""

SAFE_CHARS = frozenset(
    [chr(i) for i in range(0x20, 0x7F) if not chr(i).isupper()]
    + [chr(i) for i in range(0xDF, 0x100) if chr(i).islower()]
)
"""Prefix characters for which :func:`fold` is known to agree with ``re.IGNORECASE``: printable
ASCII and the Latin-1 lower-case letters (``é``, ``ü``, ``ß`` …), as they appear after folding."""

_FOLD_FIRST = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s"})
"""The only characters ``re.IGNORECASE`` equates with a safe character that ``str.lower`` does
not map onto it: dotted capital I (whose ``lower()`` is two characters), dotless i and long s."""
_NEEDS_FIRST = re.compile("[\u0130\u0131\u017f]")

_AT = _sre_constants.AT
_AT_BOUNDARY = _sre_constants.AT_BOUNDARY
_ASSERT = _sre_constants.ASSERT
_ASSERT_NOT = _sre_constants.ASSERT_NOT
_LITERAL = _sre_constants.LITERAL
_IN = _sre_constants.IN
_RANGE = _sre_constants.RANGE
_SUBPATTERN = _sre_constants.SUBPATTERN
_BRANCH = _sre_constants.BRANCH
_REPEATS = tuple(
    getattr(_sre_constants, name)
    for name in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")
    if hasattr(_sre_constants, name)
)
_ATOMIC = getattr(_sre_constants, "ATOMIC_GROUP", None)


def fold(text: str) -> str:
    """``text`` lower-cased for prefix look-ups, one character for one where possible.

    The result has the same length as ``text`` unless ``text`` holds a character whose
    lower case is longer (none does after :func:`fold`'s own mapping, but callers check the
    lengths before trusting positions).
    """
    if text.isascii():
        return text.lower()
    if _NEEDS_FIRST.search(text):
        text = text.translate(_FOLD_FIRST)
    return text.lower()


def _char(code: int) -> str | None:
    ch = chr(code).lower()
    return ch if len(ch) == 1 and ch in SAFE_CHARS else None


def _charset(items: list[tuple[Any, Any]]) -> list[str] | None:
    chars: set[str] = set()
    for op, av in items:
        if op is _LITERAL:
            chars.add(chr(av))
        elif op is _RANGE and av[1] - av[0] < MAX_CHARSET:
            chars.update(chr(c) for c in range(av[0], av[1] + 1))
        else:
            return None  # negation, categories (\s, \w), big ranges
        if len(chars) > MAX_CHARSET:
            return None
    folded = {_char(ord(c)) for c in chars}
    if None in folded:
        return None
    return sorted(folded)  # type: ignore[arg-type]


def _minimal(prefixes: set[str]) -> set[str]:
    """Drop the strings that another one starts: equivalent as a necessary condition, but only
    for a set that will not be extended any further."""
    kept: list[str] = []
    for prefix in sorted(prefixes, key=len):
        if not any(prefix.startswith(k) for k in kept):
            kept.append(prefix)
    return set(kept)


def _walk(items: Any, prefixes: set[str]) -> tuple[set[str], bool]:
    """Extend ``prefixes`` through the sequence ``items``.

    Returns the extended prefixes and whether the walk reached the end of ``items``
    (``False``: it stopped early, so nothing after ``items`` may be appended).
    """
    for k, (op, av) in enumerate(items):
        if op is _AT:  # zero-width; a \b at the very start of a match is remembered
            if av is _AT_BOUNDARY and "" in prefixes:
                prefixes = {WORD_START if p == "" else p for p in prefixes}
            continue
        if op is _ASSERT or op is _ASSERT_NOT:
            continue  # zero-width: consumes nothing
        if op is _LITERAL:
            ch = _char(av)
            if ch is None:
                return prefixes, False
            prefixes = {p + ch for p in prefixes}
        elif op is _IN:
            chars = _charset(av)
            if chars is None or len(prefixes) * len(chars) > MAX_PREFIXES:
                return prefixes, False
            prefixes = {p + c for p in prefixes for c in chars}
        elif op is _SUBPATTERN or (_ATOMIC is not None and op is _ATOMIC):
            sub = av[-1] if op is _SUBPATTERN else av
            prefixes, complete = _walk(sub, prefixes)
            if not complete:
                return prefixes, False
        elif op is _BRANCH:
            merged: set[str] = set()
            complete = True
            for alternative in av[1]:
                extended, done = _walk(alternative, prefixes)
                merged |= extended
                complete = complete and done
            if not complete:
                merged = _minimal(merged)
            if len(merged) > MAX_PREFIXES:
                return prefixes, False
            prefixes = merged
            if not complete:
                return prefixes, False
        elif op in _REPEATS:
            low, high, item = av
            if low == 0:  # optional: a match either skips it or starts with one repetition
                rest = items[k + 1 :]
                skipped, skip_complete = _walk(rest, prefixes)
                taken, take_complete = _walk(item, prefixes)
                if take_complete and high == 1:
                    taken, take_complete = _walk(rest, taken)
                merged = skipped | taken
                complete = skip_complete and take_complete and high == 1
                if not complete:
                    merged = _minimal(merged)
                if len(merged) > MAX_PREFIXES:
                    return prefixes, False
                return merged, complete
            prefixes, complete = _walk(item, prefixes)
            if not complete or high != 1:
                return prefixes, False
        else:
            return prefixes, False  # anything else: ., \w, back-references, conditionals
    return prefixes, True


@lru_cache(maxsize=1024)
def _derive(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """:func:`literal_prefixes`, with :data:`WORD_START` in front of those after a ``\b``."""
    if pattern.flags & re.LOCALE or not isinstance(pattern.pattern, str):
        return None
    try:
        parsed = _sre_parse.parse(pattern.pattern, pattern.flags)
        prefixes, _ = _walk(parsed, {""})
    except (RecursionError, ValueError, TypeError, AttributeError):
        return None
    prefixes = _minimal(prefixes)
    if not prefixes or any(p in ("", WORD_START) for p in prefixes):
        return None
    return frozenset(prefixes)


def literal_prefixes(pattern: re.Pattern[str]) -> frozenset[str] | None:
    """Folded strings one of which every match of ``pattern`` starts with; ``None`` if unknown.

    ``None`` also when some alternative has no usable prefix, since an empty prefix would
    match everywhere. Redundant prefixes (``"ignore"`` when ``"ign"`` is there) are dropped.
    """
    derived = _derive(pattern)
    if derived is None:
        return None
    return frozenset(_minimal({p.lstrip(WORD_START) for p in derived}))


def prefix_scanner(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """A case-sensitive pattern finding, in folded text, every place a match can start."""
    prefixes = literal_prefixes(pattern)
    if prefixes is None:
        return None
    return re.compile("|".join(re.escape(p) for p in sorted(prefixes, key=lambda p: (-len(p), p))))


FIND_MAX_PREFIXES = 24
"""Up to this many prefixes, :func:`anchored_search` looks each one up with ``str.find`` (a
C string search, far cheaper per character than any regex scan); beyond, the scanner runs."""


def anchored_search(
    pattern: re.Pattern[str],
    scanner: re.Pattern[str] | None,
    text: str,
    folded: str | None,
    prefixes: Sequence[str] | None = None,
    word_prefixes: Sequence[bytes] | None = None,
    shapes: bytes | None = None,
) -> re.Match[str] | None:
    """Exactly ``pattern.search(text)``, trying ``pattern`` only where a prefix occurs.

    ``folded`` is :func:`fold` ``(text)``; ``scanner`` is :func:`prefix_scanner` ``(pattern)``
    and ``prefixes`` the :func:`literal_prefixes` it was built from; ``word_prefixes``, when
    every match starts at a word boundary, is :func:`word_start_prefixes` ``(pattern)`` and
    ``shapes`` :func:`word_shapes` ``(folded)`` (ASCII text only). Without ``folded`` or a
    scanner, or when folding changed the length, this is a plain search.
    """
    if scanner is None or folded is None or len(folded) != len(text):
        return pattern.search(text)
    if word_prefixes is not None and shapes is not None:
        # Every match starts at a word start with one of these: look for " " + prefix in
        # :func:`word_shapes` ``(folded)``, where the space sits at the match's position.
        return first_match(pattern, text, _occurrences(shapes, word_prefixes))
    if prefixes is not None and len(prefixes) <= FIND_MAX_PREFIXES:
        # No prefix of a minimal set starts another, so no position is found twice.
        return first_match(pattern, text, _occurrences(folded, prefixes))
    find = scanner.search
    match_at = pattern.match
    position = 0
    while (hit := find(folded, position)) is not None:
        start = hit.start()
        match = match_at(text, start)
        if match is not None:
            return match
        position = start + 1
    return None


# --------------------------------------------------------------------------- shared scan

MIN_SHARED_PREFIX = 2
"""Rules whose every prefix is at least this long share one scan (shorter ones hit too often)."""


def trie_pattern(strings: Iterable[str]) -> str:
    """A regex matching any of ``strings``, factored as a trie (``ign(?:ore|orer)``).

    At any position it matches the *longest* of ``strings`` that starts there, and the regex
    engine only follows the branch for the characters actually present.
    """
    root: dict[str, dict] = {}
    for string in strings:
        node = root
        for ch in string:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, dict]) -> str:
        alternatives = [re.escape(ch) + emit(child) for ch, child in sorted(node.items()) if ch]
        if not alternatives:
            return ""
        optional = "" in node
        if len(alternatives) == 1 and not optional:
            return alternatives[0]
        group = "(?:" + "|".join(alternatives) + ")"
        return group + "?" if optional else group

    return emit(root)


_WORD_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
_WORD_START_SHAPES = bytes(b if chr(b) in _WORD_CHARS else 0x20 for b in range(256))
"""Folded ASCII text with every non-word character (for ``\b``) turned into a space."""


def word_shapes(folded: str) -> bytes | None:
    """``b" "`` + ``folded`` with every non-word character a space; ``None`` unless ASCII.

    ``b" " + prefix`` occurs at index ``i`` of it exactly when ``prefix`` (word characters)
    starts at index ``i`` of ``folded`` right after a ``\\b`` boundary.
    """
    if not folded.isascii():
        return None
    return b" " + folded.encode("ascii").translate(_WORD_START_SHAPES)


def word_start_prefixes(pattern: re.Pattern[str]) -> tuple[bytes, ...] | None:
    """``b" " + prefix`` for each prefix when every one follows a ``\\b`` and is made of word
    characters (for :func:`word_shapes`); ``None`` otherwise. Prefixes that are not ASCII
    are left out: they cannot occur in the ASCII text the shapes are made for."""
    derived = _derive(pattern)
    if derived is None:
        return None
    bodies = {p[1:] for p in derived if p.startswith(WORD_START)}
    if len(bodies) != len(derived) or not all(set(b) <= _WORD_CHARS or not b.isascii()
                                              for b in bodies):
        return None
    return tuple(sorted(b" " + b.encode("ascii") for b in _minimal(bodies) if b.isascii()))


@dataclass(frozen=True, slots=True)
class PrefixIndex:
    """One scan of the folded text that finds where any of many rules can start.

    Built by :func:`build_index` for a tuple of rules; ``shared`` holds the positions (in that
    tuple) of the rules it serves, the others keep their own :func:`anchored_search`.

    For ASCII text the scan is split in two: prefixes that follow a ``\b`` and are made of
    word characters are looked for only at word starts, as ``" " + prefix`` in a copy of the
    text whose other characters are spaces (the regex engine then jumps from space to space
    in C); the remaining prefixes are scanned for everywhere.
    """

    scanner: re.Pattern[str] | None
    rules_at: dict[str, tuple[int, ...]]
    """For each string the scanner can match, the rules having a prefix of it as a prefix."""
    shared: frozenset[int]
    word_scanner: re.Pattern[bytes] | None = None
    word_rules_at: dict[bytes, tuple[int, ...]] | None = None
    other_prefixes: tuple[tuple[str, tuple[int, ...]], ...] = ()
    """The other ASCII prefixes, each with the rules that have it (looked up by ``str.find``)."""

    def candidates(
        self, folded: str, wanted: Iterable[int], shapes: bytes | None = None
    ) -> dict[int, list[int]]:
        """Ascending start positions, per wanted shared rule, where one of its prefixes occurs.

        Every position where any prefix starts is visited (overlapping ones too): the scan
        restarts one character after each hit, and each hit is the longest prefix there, so
        all shorter prefixes at that position are prefixes of it.
        """
        found: dict[int, list[int]] = {i: [] for i in wanted if i in self.shared}
        if self.scanner is None or not found:
            return found
        if folded.isascii() and self.word_scanner is not None and self.word_rules_at is not None:
            if shapes is None:
                shapes = b" " + folded.encode("ascii").translate(_WORD_START_SHAPES)
            _collect(self.word_scanner, shapes, self.word_rules_at, found, 1)
            touched: set[int] = set()
            for prefix, rules in self.other_prefixes:
                position = folded.find(prefix)
                if position == -1:
                    continue
                targets = [i for i in rules if i in found]
                while position != -1:
                    for i in targets:
                        found[i].append(position)
                    position = folded.find(prefix, position + 1)
                touched.update(targets)
            for i in touched:  # two look-ups: merge (a position may come from both)
                found[i] = sorted(set(found[i]))
            return found
        _collect(self.scanner, folded, self.rules_at, found, 0)
        return found


def _collect(
    scanner: re.Pattern[Any], haystack: Any, rules_at: dict[Any, tuple[int, ...]],
    found: dict[int, list[int]], skip: int,
) -> None:
    search = scanner.search
    position = 0
    while (hit := search(haystack, position)) is not None:
        start = hit.start()
        for i in rules_at[hit.group()[skip:]]:
            positions = found.get(i)
            if positions is not None:
                positions.append(start)
        position = start + 1


def _rules_at(prefixes_of: dict[int, set[str]]) -> dict[str, tuple[int, ...]]:
    every = {p for prefixes in prefixes_of.values() for p in prefixes}
    return {
        string: tuple(
            i for i, prefixes in prefixes_of.items() if any(string.startswith(p) for p in prefixes)
        )
        for string in every
    }


def build_index(patterns: Sequence[re.Pattern[str]]) -> PrefixIndex:
    """The shared scan for the rules (given by their patterns) with long enough prefixes."""
    derived_of: dict[int, frozenset[str]] = {}
    for i, pattern in enumerate(patterns):
        derived = _derive(pattern)
        if derived is not None and min(len(p.lstrip(WORD_START)) for p in derived) >= (
            MIN_SHARED_PREFIX
        ):
            derived_of[i] = derived
    if not derived_of:
        return PrefixIndex(None, {}, frozenset())
    plain_of = {i: _minimal({p.lstrip(WORD_START) for p in d}) for i, d in derived_of.items()}
    rules_at = _rules_at(plain_of)
    scanner = re.compile(trie_pattern(rules_at))
    # ASCII split: word-start prefixes (on the shapes copy) and the others (on the text).
    word_of: dict[int, set[str]] = {}
    other_of: dict[int, set[str]] = {}
    for i, derived in derived_of.items():
        for prefix in derived:
            body = prefix.lstrip(WORD_START)
            if not body.isascii():
                continue  # cannot occur in ASCII text
            if prefix.startswith(WORD_START) and set(body) <= _WORD_CHARS:
                word_of.setdefault(i, set()).add(body)
            else:
                other_of.setdefault(i, set()).add(body)
    word_rules = _rules_at({i: _minimal(p) for i, p in word_of.items()})
    other_rules: dict[str, list[int]] = {}
    for i, prefixes in other_of.items():
        for prefix in _minimal(prefixes):
            other_rules.setdefault(prefix, []).append(i)
    word_scanner = re.compile(b" " + trie_pattern(word_rules).encode("ascii")) if word_rules else None
    return PrefixIndex(
        scanner,
        rules_at,
        frozenset(derived_of),
        word_scanner,
        {k.encode("ascii"): v for k, v in word_rules.items()},
        tuple((prefix, tuple(rules)) for prefix, rules in sorted(other_rules.items())),
    )


def _occurrences(haystack: str, needles: Iterable[str]) -> list[int]:
    """Sorted start positions of every occurrence of every needle in ``haystack``."""
    found: list[int] = []
    for needle in needles:
        position = haystack.find(needle)
        while position != -1:
            found.append(position)
            position = haystack.find(needle, position + 1)
    found.sort()
    return found


def first_match(
    pattern: re.Pattern[str], text: str, positions: Iterable[int]
) -> re.Match[str] | None:
    """The match of ``pattern`` at the first of ``positions`` (ascending) where it matches."""
    match_at = pattern.match
    for position in positions:
        match = match_at(text, position)
        if match is not None:
            return match
    return None


__all__ = [
    "PrefixIndex",
    "build_index",
    "first_match",
    "trie_pattern",
    "MAX_PREFIXES",
    "SAFE_CHARS",
    "anchored_search",
    "fold",
    "literal_prefixes",
    "prefix_scanner",
]
