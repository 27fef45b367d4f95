"""Small text helpers shared by every layer (no I/O, no state)."""

from __future__ import annotations

import re

# C0 and C1 control characters except tab, newline and carriage return.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_ALL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def strip_control(text: str, *, keep_newlines: bool = True) -> str:
    """Remove control characters; tabs and newlines survive unless ``keep_newlines`` is false."""
    return (_CONTROL if keep_newlines else _CONTROL_ALL).sub("", text)


def utf8_len(text: str) -> int:
    """Length of ``text`` in UTF-8 bytes (lone surrogates count as 3, as CESU would)."""
    return len(text.encode("utf-8", "surrogatepass"))


def replace_lone_surrogates(text: str) -> str:
    """``text`` with every lone UTF-16 surrogate replaced by U+FFFD, so it can be encoded as
    UTF-8 (JSON serialisers and databases refuse lone surrogates)."""
    return _LONE_SURROGATE.sub("\ufffd", text)


def latin_share(text: str) -> float:
    """The share of ``text``'s letters that are Latin (1.0 for a text without letters): what
    an English word-piece encoder can read. The detector's and context detection's encoder
    gates read it."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return 1.0
    return sum(1 for c in letters if ord(c) < 0x250 or 0x1E00 <= ord(c) < 0x1F00) / len(letters)


def latin_enough(text: str, min_share: float) -> bool:
    """Whether at least ``min_share`` of ``text``'s letters are Latin (a bound of 0 is off):
    the Latin half of the detector's and context detection's encoder gates."""
    return min_share <= 0.0 or latin_share(text) >= min_share
