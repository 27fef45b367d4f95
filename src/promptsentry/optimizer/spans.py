"""Protected spans: the parts of a prompt no optimization may alter or drop.

Code blocks, inline code, quoted strings, URLs and e-mail addresses, template placeholders
(``{{var}}``, ``${x}``, ``{name}``, ``<VAR>``, ``[PLACEHOLDER]``), numbers (with units and
percentages), names (capitalised words inside a sentence, identifiers such as ``snake_case``,
``CamelCase`` and ``dotted.names``) and negations (``do not``, ``never``, ``without``…).

:func:`segments` cuts a text into alternating free and protected pieces; rewriting code
touches the free pieces only, which is what makes the guarantee structural rather than
hoped-for. :func:`missing_spans` is the independent check.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

__all__ = ["NEGATION", "Span", "find_spans", "missing_spans", "segments"]

# Order matters: earlier kinds win overlaps.
_PATTERNS: list[tuple[str, re.Pattern[str]]] = [
    ("code_block", re.compile(r"```.*?(?:```|\Z)|~~~.*?(?:~~~|\Z)", re.DOTALL)),
    ("inline_code", re.compile(r"`[^`\n]+`")),
    ("placeholder", re.compile(
        r"\{\{.*?\}\}|\$\{[^}\n]*\}|\{[A-Za-z_][\w.-]*\}|<[A-Z][A-Z0-9_]+>|\[[A-Z][A-Z0-9_ ]{2,}\]"
        r"|%\([a-z_]+\)s|%[sd]\b")),
    ("url", re.compile(r"\b(?:https?|ftp)://[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]"
                       r"|\bwww\.[^\s<>\"'`]+[^\s<>\"'`.,;:!?)\]]")),
    ("email", re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")),
    ("quoted", re.compile(r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|‘[^’\n]{1,300}’|«[^»\n]{1,300}»"
                          r"|(?<![\w'])'[^'\n]{1,200}'(?![\w'])")),
    ("number", re.compile(r"(?<![\w.])[-+]?\$?\d[\d,]*(?:\.\d+)?(?:%|[a-zA-Z]{1,4}\b)?")),
    ("negation", re.compile(
        r"\b(?:do not|does not|did not|don't|doesn't|didn't|must not|mustn't|should not"
        r"|shouldn't|cannot|can't|can not|will not|won't|never|no|not|without|avoid|except"
        r"|nor|none|neither|unless|n't)\b", re.IGNORECASE)),
    ("identifier", re.compile(
        r"\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)+\(?\)?|\b[a-z]+_[a-z0-9_]+\b"
        r"|\b[a-z]+[A-Z]\w*\b|\b[A-Z][a-z0-9]+[A-Z]\w*\b|\b[A-Z]{2,}[0-9]*s?\b")),
    ("name", re.compile(r"(?<=[a-z,;:] )(?:[A-Z][\w'’-]+)(?: [A-Z][\w'’-]+)*")),
]

NEGATION = _PATTERNS[7][1]


@dataclass(frozen=True, slots=True)
class Span:
    """A protected region ``text[start:end]`` of a given ``kind``."""

    start: int
    end: int
    kind: str
    text: str


def find_spans(text: str) -> list[Span]:
    """Non-overlapping protected spans of ``text``, in order."""
    return list(_find_spans(text))


@lru_cache(maxsize=512)
def _find_spans(text: str) -> tuple[Span, ...]:
    taken = bytearray(len(text))
    found: list[Span] = []
    for kind, pattern in _PATTERNS:
        for m in pattern.finditer(text):
            a, b = m.start(), m.end()
            if a == b or taken.find(1, a, b) != -1:
                continue
            taken[a:b] = b"\x01" * (b - a)
            found.append(Span(a, b, kind, m.group()))
    found.sort(key=lambda s: s.start)
    return tuple(found)


def segments(text: str) -> list[tuple[bool, str]]:
    """``text`` as ``(protected, piece)`` pairs whose concatenation is ``text``."""
    out: list[tuple[bool, str]] = []
    pos = 0
    for span in find_spans(text):
        if span.start > pos:
            out.append((False, text[pos:span.start]))
        out.append((True, span.text))
        pos = span.end
    if pos < len(text):
        out.append((False, text[pos:]))
    return out


def missing_spans(original: str, rewritten: str, *, ordered: bool = True) -> list[Span]:
    """Protected spans of ``original`` that ``rewritten`` lost or altered.

    ``ordered``: spans must appear in their original order (a rewrite that reorders
    sentences, such as ``structure``, checks with ``ordered=False``: every span must still be
    present as many times as in the original). Names and negations are compared
    case-insensitively, since a sentence may start with them after a rewrite.
    """
    spans = find_spans(original)
    if ordered:
        lost = []
        pos = 0
        hay = rewritten
        low = rewritten.lower()
        for span in spans:
            if span.kind in ("negation", "name"):
                idx = low.find(span.text.lower(), pos)
            else:
                idx = hay.find(span.text, pos)
            if idx < 0:
                lost.append(span)
            else:
                pos = idx + len(span.text)
        return lost
    have = Counter()
    for span in spans:
        have[(span.kind, _key(span))] += 1
    lost = []
    low = rewritten.lower()
    for (kind, key), n in have.items():
        hay = low if kind in ("negation", "name") else rewritten
        if _count(hay, key) < n:
            lost.extend(s for s in spans if (s.kind, _key(s)) == (kind, key))
    return lost


def _key(span: Span) -> str:
    return span.text.lower() if span.kind in ("negation", "name") else span.text


def _count(hay: str, needle: str) -> int:
    n, pos = 0, 0
    while True:
        idx = hay.find(needle, pos)
        if idx < 0:
            return n
        n += 1
        pos = idx + len(needle)
