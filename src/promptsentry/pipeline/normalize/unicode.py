"""Unicode clean-up: NFKC, invisible characters, bidi controls and Unicode tag smuggling.

Pure functions over ``str``. The main entry point is :func:`clean`, which returns the cleaned
text together with counts of what it removed and the positions it removed them from (so that
callers can map offsets in the cleaned text back to the original).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Zero-width and otherwise invisible format characters used to split words apart.
ZERO_WIDTH = frozenset(
    "\u00ad"  # soft hyphen
    "\u034f"  # combining grapheme joiner
    "\u115f\u1160\u3164\uffa0"  # Hangul fillers
    "\u17b4\u17b5"  # Khmer inherent vowels (invisible)
    "\u180e"  # Mongolian vowel separator
    "\u200b\u200c\u200d"  # zero-width space / non-joiner / joiner
    "\u2060\u2061\u2062\u2063\u2064"  # word joiner, invisible operators
    "\ufeff"  # zero-width no-break space / BOM
)
# Explicit directional formatting: embeddings, overrides and isolates (Trojan Source).
BIDI_OVERRIDES = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Implicit directional marks: common and legitimate in Arabic/Hebrew text.
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
# Variation selectors (emoji presentation) — invisible, stripped without counting as evasion.
_VARIATION = "\ufe00-\ufe0f"

_ZERO_WIDTH_CLASS = "".join(sorted(ZERO_WIDTH))
_BIDI_CLASS = "".join(sorted(BIDI_OVERRIDES | BIDI_MARKS))
# C0/C1 controls except tab, newline and carriage return.
_CONTROL_CLASS = "\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f"
_TAG_CLASS = "\U000e0000-\U000e007f"
_VS_SUPPLEMENT = "\U000e0100-\U000e01ef"

_INVISIBLE = re.compile(
    f"[{_ZERO_WIDTH_CLASS}{_BIDI_CLASS}{_CONTROL_CLASS}{_VARIATION}{_TAG_CLASS}{_VS_SUPPLEMENT}]"
)
_ASCII_KEPT = bytes([0x09, 0x0A, 0x0D, *range(0x20, 0x7F)])
"""The ASCII characters :func:`clean` keeps (its other ASCII targets are the C0 controls/DEL)."""
_TAG_RUN = re.compile(f"[{_TAG_CLASS}]+")
_BLACK_FLAG = "\U0001f3f4"  # 🏴 — emoji subdivision flags are 🏴 + tag letters + cancel tag


@dataclass(frozen=True, slots=True)
class Cleaned:
    """The result of :func:`clean`.

    ``removed`` lists the original positions of removed characters (ascending), which
    :func:`original_offset` uses to map positions back.
    """

    text: str
    zero_width_removed: int
    intra_word_zero_width: int
    """Zero-width characters between two ASCII letters — Latin words split on purpose
    (joiners inside emoji, Persian or Indic words are ordinary and not counted)."""
    bidi_overrides_removed: int
    bidi_marks_removed: int
    control_removed: int
    tag_chars_removed: int
    tag_payload: str
    """ASCII smuggled in Unicode tag characters (emoji subdivision flags excluded)."""
    removed: tuple[int, ...]


def _is_ascii_letter(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def decode_tag_run(run: str) -> str:
    """Map Unicode tag characters (U+E0020–U+E007E) to the ASCII they mirror."""
    return "".join(chr(ord(ch) - 0xE0000) for ch in run if 0xE0020 <= ord(ch) <= 0xE007E)


def _tag_payload(text: str) -> str:
    parts: list[str] = []
    for match in _TAG_RUN.finditer(text):
        start = match.start()
        if start > 0 and text[start - 1] == _BLACK_FLAG and len(match.group()) <= 8:
            continue  # 🏴󠁧󠁢󠁳󠁣󠁴󠁿-style subdivision flag
        decoded = decode_tag_run(match.group())
        if decoded:
            parts.append(decoded)
    return " ".join(parts)


def clean(text: str) -> Cleaned:
    """Strip invisible, bidi-control, control, variation-selector and tag characters.

    Tabs, newlines and carriage returns are kept. No other character is changed; see
    :func:`nfkc` for compatibility folding.
    """
    if text.isascii() and not text.encode("ascii").translate(None, _ASCII_KEPT):
        return Cleaned(text, 0, 0, 0, 0, 0, 0, "", ())  # fast path: plain ASCII, no controls
    removed = [m.start() for m in _INVISIBLE.finditer(text)]
    if not removed:
        return Cleaned(text, 0, 0, 0, 0, 0, 0, "", ())
    zero_width = intra = bidi_o = bidi_m = control = tags = 0
    n = len(text)
    for pos in removed:
        ch = text[pos]
        if ch in ZERO_WIDTH:
            zero_width += 1
            # look past neighbouring removed characters for the letters either side
            left = pos - 1
            while left >= 0 and _INVISIBLE.match(text, left):
                left -= 1
            right = pos + 1
            while right < n and _INVISIBLE.match(text, right):
                right += 1
            if (
                ch != "\u00ad"  # soft hyphens inside words are ordinary hyphenation hints
                and left >= 0
                and right < n
                and _is_ascii_letter(text[left])
                and _is_ascii_letter(text[right])
            ):
                intra += 1
        elif ch in BIDI_OVERRIDES:
            bidi_o += 1
        elif ch in BIDI_MARKS:
            bidi_m += 1
        elif "\U000e0000" <= ch <= "\U000e007f":
            tags += 1
        elif ch <= "\x9f":
            control += 1
    stripped = _INVISIBLE.sub("", text)
    payload = _tag_payload(text) if tags else ""
    return Cleaned(stripped, zero_width, intra, bidi_o, bidi_m, control, tags, payload,
                   tuple(removed))


def original_offset(removed: tuple[int, ...], position: int) -> int:
    """Map a position in the cleaned text to the position in the original text.

    ``removed`` is :attr:`Cleaned.removed`. Runs in O(log n).
    """
    if not removed:
        return position
    # kept-before[j] = number of kept characters before removed[j] = removed[j] - j
    lo, hi = 0, len(removed)
    while lo < hi:  # bisect over the virtual array removed[j] - j
        mid = (lo + hi) // 2
        if removed[mid] - mid <= position:
            lo = mid + 1
        else:
            hi = mid
    return position + lo


def nfkc(text: str) -> str:
    """Unicode NFKC: fullwidth, mathematical, circled and ligature forms become plain ones."""
    if text.isascii():
        return text
    return unicodedata.normalize("NFKC", text)


__all__ = [
    "BIDI_MARKS",
    "BIDI_OVERRIDES",
    "ZERO_WIDTH",
    "Cleaned",
    "clean",
    "decode_tag_run",
    "nfkc",
    "original_offset",
]
