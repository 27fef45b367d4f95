"""Fold look-alike letters (homoglyphs) and leetspeak to plain ASCII.

Both folds are heuristics for *matching*, not for display:

* :func:`fold_homoglyphs` maps Cyrillic, Greek, Armenian and small-capital letters that look
  like Latin ones to ASCII — but only inside words that mix scripts (``іgnоrе`` with Cyrillic
  і/о/е) or when the text is mostly Latin anyway, so genuine Russian or Greek text is left
  alone.
* :func:`fold_leetspeak` maps digits and symbols standing for letters (``1gn0r3`` → ``ignore``)
  inside tokens that also contain letters. It mangles benign tokens such as ``mp3`` or
  ``x86``, which is why the normaliser keeps it in a separate ``deleet`` view that the
  classifier never reads.
"""

from __future__ import annotations

import re

HOMOGLYPHS: dict[str, str] = {
    # Cyrillic lower case
    "а": "a", "в": "b", "е": "e", "ё": "e", "о": "o", "р": "p", "с": "c", "у": "y", "х": "x",
    "і": "i", "ї": "i", "ј": "j", "ѕ": "s", "ԁ": "d", "ԛ": "q", "ԝ": "w", "һ": "h", "ӏ": "l",
    "ь": "b", "к": "k", "м": "m", "н": "h", "т": "t", "г": "r", "п": "n", "ɡ": "g",
    # Cyrillic upper case
    "А": "A", "В": "B", "Е": "E", "Ё": "E", "К": "K", "М": "M", "Н": "H", "О": "O", "Р": "P",
    "С": "C", "Т": "T", "Х": "X", "У": "Y", "І": "I", "Ї": "I", "Ј": "J", "Ѕ": "S", "Ԍ": "G",
    "Ԛ": "Q", "Ԝ": "W", "Һ": "H", "Ӏ": "I",
    # Greek
    "α": "a", "β": "b", "γ": "y", "ε": "e", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p",
    "τ": "t", "υ": "u", "χ": "x", "ω": "w", "ς": "c",
    "Α": "A", "Β": "B", "Ε": "E", "Ζ": "Z", "Η": "H", "Ι": "I", "Κ": "K", "Μ": "M", "Ν": "N",
    "Ο": "O", "Ρ": "P", "Τ": "T", "Υ": "Y", "Χ": "X",
    # Armenian
    "օ": "o", "ս": "u", "ց": "g", "հ": "h", "ո": "n", "ա": "w",
    # Latin look-alikes and small capitals
    "ı": "i", "ɑ": "a", "ɩ": "i", "ʟ": "l", "ᴀ": "a", "ʙ": "b", "ᴄ": "c", "ᴅ": "d", "ᴇ": "e",
    "ɢ": "g", "ʜ": "h", "ɪ": "i", "ᴊ": "j", "ᴋ": "k", "ᴍ": "m", "ɴ": "n", "ᴏ": "o", "ᴘ": "p",
    "ʀ": "r", "ꜱ": "s", "ᴛ": "t", "ᴜ": "u", "ᴠ": "v", "ᴡ": "w", "ʏ": "y", "ᴢ": "z",
}
_HOMOGLYPH_TABLE = str.maketrans(HOMOGLYPHS)
_HOMOGLYPH_CHARS = re.compile("[" + "".join(sorted(HOMOGLYPHS)) + "]")
_WORD = re.compile(r"\w+")
_ASCII_LETTER = re.compile(r"[A-Za-z]")
_NON_ASCII_LETTER = re.compile(r"[^\W\d_A-Za-z]")

LEET: dict[str, str] = {
    "0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "6": "g", "7": "t", "8": "b", "9": "g",
    "@": "a", "$": "s", "€": "e", "|": "l", "!": "i", "+": "t",
}
_LEET_TABLE = str.maketrans(LEET)
# A token: letters, digits and the leet symbols. ``!``, ``|`` and ``+`` only count between word
# characters (so "stop!" keeps its "!"), except a trailing ``+`` after a letter ("no+").
# The look-around pair skips tokens without any leet character in C, so the Python callback
# only runs for candidates.
_LEET_TOKEN = re.compile(
    r"(?<![\w$@€|+])(?=[\w!|$@€+]*[0-9@$€|!+])"
    r"[$@€|+]?\w+(?:[!|$@€+]+\w+)*(?:[$€@]+|(?<=[^\W\d_])\+(?![\w+]))?"
)
_HAS_LEET = re.compile(r"[0-9@$€|!+]")
_LETTER = re.compile(r"[^\W\d_]")
_HAS_LETTER = re.compile(r"[^\W\d_]")


def fold_homoglyphs(text: str) -> tuple[str, int, int]:
    """Fold look-alike letters to ASCII.

    A word is folded when it contains an ASCII letter (mixed script — almost always a
    deliberate disguise) or when most letters of the whole text are ASCII. Returns the
    folded text, the number of words changed and how many of those mixed scripts.
    """
    if text.isascii() or not _HOMOGLYPH_CHARS.search(text):
        return text, 0, 0
    ascii_letters = len(_ASCII_LETTER.findall(text))
    other_letters = len(_NON_ASCII_LETTER.findall(text))
    mostly_latin = ascii_letters > other_letters
    changed = mixed = 0

    def fold(match: re.Match[str]) -> str:
        nonlocal changed, mixed
        word = match.group()
        if not _HOMOGLYPH_CHARS.search(word):
            return word
        has_ascii = _ASCII_LETTER.search(word) is not None
        if mostly_latin or has_ascii:
            changed += 1
            mixed += has_ascii
            return word.translate(_HOMOGLYPH_TABLE)
        return word

    return _WORD.sub(fold, text), changed, mixed


# For ASCII text, a translated copy answers "does a leet character touch a letter?" in C.
_LEET_SHAPES = bytes(
    ord("L") if chr(b).isascii() and chr(b).isalpha()
    else ord("D") if chr(b) in "0123456789@$|!+" else ord(".")
    for b in range(128)
) + b"." * 128
_TOKEN_SYMBOLS = frozenset("$@€|!+")
_TOKEN_REST = re.compile(r"[\w$@€|!+]*")
"""The rest of a run of token characters: every character ``_LEET_TOKEN`` can consume."""


def _leet_next_to_letter(text: str) -> bool:
    """Whether some leet character touches a letter (else there is nothing to fold)."""
    if text.isascii():
        shapes = text.encode("ascii").translate(_LEET_SHAPES)
        return b"LD" in shapes or b"DL" in shapes
    n = len(text)
    for match in _HAS_LEET.finditer(text):
        i = match.start()
        if (i > 0 and _LETTER.match(text, i - 1)) or (i + 1 < n and _LETTER.match(text, i + 1)):
            return True
    return False


def fold_leetspeak(text: str) -> tuple[str, int]:
    """Fold leetspeak inside tokens that mix letters with digits/symbols.

    Pure numbers (``2024``, ``3.14``) and symbols standing alone are untouched. Returns the
    folded text and the number of tokens changed.
    """
    if not _leet_next_to_letter(text):
        return text, 0
    changed = 0

    def fold(match: re.Match[str]) -> str:
        nonlocal changed
        token = match.group()
        if not _HAS_LEET.search(token) or not _HAS_LETTER.search(token):
            return token
        changed += 1
        return token.translate(_LEET_TABLE)

    # Tokens are made of word characters and leet symbols, and the token pattern's look-arounds
    # treat any other character like the ends of the string. So folding each run of token
    # characters that holds a leet character on its own gives exactly ``_LEET_TOKEN.sub``
    # over the whole text — without stepping the pattern through every word of a long text.
    pieces: list[str] = []
    done = 0
    for hit in _HAS_LEET.finditer(text):
        position = hit.start()
        if position < done:
            continue
        start = position
        while start > done and _is_token_char(text[start - 1]):
            start -= 1
        end = _TOKEN_REST.match(text, position).end()
        pieces.append(text[done:start])
        pieces.append(_LEET_TOKEN.sub(fold, text[start:end]))
        done = end
    pieces.append(text[done:])
    return "".join(pieces), changed


def _is_token_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_" or ch in _TOKEN_SYMBOLS
