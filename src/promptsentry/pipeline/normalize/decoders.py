"""Find encoded payloads (base64, hex, URL-encoding, rot13) and decode them.

Attackers hide instructions in encodings the model can read but a keyword filter cannot.
:func:`find_payloads` returns every decodable payload whose decoded text is readable, so the
later stages scan it too. Decoding is bounded for adversarial input (see
:class:`DecodeLimits`): a 50 KB prompt made of base64-looking runs costs at most
``max_attempts`` decode attempts per level and ``max_decoded_chars`` of output.

Pure functions: no state, no I/O.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re
from dataclasses import dataclass
from urllib.parse import unquote

# --------------------------------------------------------------------------- limits


@dataclass(frozen=True, slots=True)
class DecodeLimits:
    """Bounds on the work one call of :func:`find_payloads` may do."""

    max_payloads: int = 16
    """Payload views returned, all depths together."""
    max_decoded_chars: int = 32_768
    """Decoded characters returned, all payloads together."""
    max_depth: int = 2
    """Decoding levels: 2 finds hex inside base64, not a third layer."""
    max_attempts: int = 64
    """Candidate runs tried per text (successful or not)."""
    max_candidate_chars: int = 16_384
    """Longer candidate runs are decoded from their first this-many characters only."""


DEFAULT_LIMITS = DecodeLimits()


@dataclass(frozen=True, slots=True)
class Payload:
    """One decoded payload.

    ``origin`` names the decoders from the outside in, joined by ``+`` (``"base64"``,
    ``"base64+hex"``); ``span`` is where the outermost encoded run sits in the text given to
    :func:`find_payloads`.
    """

    origin: str
    text: str
    span: tuple[int, int]
    depth: int = 1


# --------------------------------------------------------------------------- readability

_PRINTABLE_EXTRA = frozenset("\t\n\r")


def is_readable(text: str, *, min_chars: int = 4) -> bool:
    """True if ``text`` looks like text rather than binary: printable, with letters."""
    if len(text) < min_chars:
        return False
    printable = sum(1 for ch in text if ch.isprintable() or ch in _PRINTABLE_EXTRA)
    if printable < 0.95 * len(text):
        return False
    letters = sum(1 for ch in text if ch.isalpha())
    alnum = sum(1 for ch in text if ch.isalnum())
    return letters >= 3 and alnum >= 0.5 * (len(text) - text.count(" "))


def _bytes_to_text(raw: bytes) -> str | None:
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return text if is_readable(text) else None


# --------------------------------------------------------------------------- base64

_BASE64_RUN = re.compile(r"(?<![A-Za-z0-9+/=_-])[A-Za-z0-9+/_-]{16,}={0,2}(?![A-Za-z0-9+/=_-])")


def decode_base64(run: str) -> str | None:
    """Decode a base64 (standard or URL-safe, padding optional) run to readable text."""
    body = run.rstrip("=")
    if len(body) % 4 == 1:
        body = body[:-1]
    if not any(ch.isdigit() or ch in "+/-_" for ch in body) and body.isalpha() and (
        body.islower() or body.isupper()
    ):
        return None  # a plain lower- or upper-case word is not base64
    body += "=" * (-len(body) % 4)
    altchars = b"-_" if ("-" in body or "_" in body) else None
    try:
        raw = base64.b64decode(body, altchars=altchars, validate=True)
    except (binascii.Error, ValueError):
        return None
    return _bytes_to_text(raw)


# --------------------------------------------------------------------------- hex

# Patterns start with a character class or literal (no look-behind) so the regex engine can
# skip non-candidate positions in C; word boundaries are checked afterwards.
_HEX_RUNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    # (a substring every match contains, the pattern); "" = always run.
    # bare (``49676e…``) or separated (``49 67 6e …``, ``49:67:…``) hex
    ("", re.compile(
        r"[0-9A-Fa-f]{2}(?:[0-9A-Fa-f]{14,}|(?:[ :,-][0-9A-Fa-f]{2}){4,}(?![0-9A-Fa-f]))"
    )),
    ("\\x", re.compile(r"(?:\\x[0-9A-Fa-f]{2}){4,}")),
    ("0x", re.compile(r"(?:0x[0-9A-Fa-f]{2}[\s,]{0,2}){4,}")),
)
_HEX_DIGIT = frozenset("0123456789abcdefABCDEF")
_HEX_DIGITS = re.compile(r"(?:\\x|0x)?([0-9A-Fa-f]{2})")


def decode_hex(run: str) -> str | None:
    """Decode a hex run (``49676e…``, ``\\x49\\x67…``, ``0x49 0x67…``, ``49 67 …``)."""
    if run.isdigit():
        return None  # a long number, not hex text
    if all(ch in _HEX_DIGIT for ch in run) and len(run) % 2:
        return None  # an odd-length bare run cannot be bytes
    pairs = _HEX_DIGITS.findall(run)
    if len(pairs) < 4:
        return None
    try:
        raw = bytes.fromhex("".join(pairs))
    except ValueError:
        return None
    return _bytes_to_text(raw)


# --------------------------------------------------------------------------- URL encoding

_PERCENT = re.compile(r"%[0-9A-Fa-f]{2}")
_MAX_TOKEN_SCAN = 4096


def _token_bounds(text: str, pos: int) -> tuple[int, int]:
    start = pos
    floor = max(0, pos - _MAX_TOKEN_SCAN)
    while start > floor and not text[start - 1].isspace():
        start -= 1
    end = pos
    ceiling = min(len(text), pos + _MAX_TOKEN_SCAN)
    while end < ceiling and not text[end].isspace():
        end += 1
    return start, end


def url_runs(text: str, *, max_runs: int) -> list[tuple[int, int]]:
    """Whitespace-delimited tokens holding at least three ``%XX`` escapes."""
    if "%" not in text:
        return []
    runs: list[tuple[int, int]] = []
    current_end = -1
    count = 0
    start = end = 0
    for match in _PERCENT.finditer(text):
        if match.start() < current_end:
            count += 1
            continue
        if count >= 3:
            runs.append((start, end))
            if len(runs) >= max_runs:
                return runs
        start, end = _token_bounds(text, match.start())
        current_end = end
        count = 1
    if count >= 3:
        runs.append((start, end))
    return runs[:max_runs]


def decode_url(run: str) -> str | None:
    """Percent-decode a token (``+`` is a space); readable text only."""
    decoded = unquote(run.replace("+", " "), errors="strict") if "%" in run else run
    try:
        decoded.encode("utf-8")
    except UnicodeEncodeError:
        return None
    if decoded == run or not is_readable(decoded):
        return None
    return decoded


# --------------------------------------------------------------------------- rot13

_COMMON_WORDS_TEXT = """
    a about above after again all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers him his how i if in into is it its just me
    more most my no nor not now of off on once only or other our out over own same she should
    so some such than that the their them then there these they this those through to too
    under until up very was we were what when where which while who whom why will with would
    you your yours yourself please tell say said give make show write new first last next
    ignore disregard forget previous prior above instructions instruction rules system prompt
    reveal print output secret password key admin developer mode assistant user now must
    always never only answer question following text message data everything anything
    """
COMMON_WORDS = frozenset(_COMMON_WORDS_TEXT.split())
_WORDS = re.compile(r"[A-Za-z]+")
_ROT13_SEGMENT = re.compile(r"[A-Za-z][A-Za-z ,'-]{11,}")
_ROT13_COMMON_WORDS = frozenset(codecs.encode(w, "rot13") for w in COMMON_WORDS)
_MAX_ROT13_SEGMENTS = 128
_MAX_RATIO_WORDS = 400


def _words(text: str) -> list[str]:
    return _WORDS.findall(text[: _MAX_RATIO_WORDS * 12].lower())[:_MAX_RATIO_WORDS]


def _ratios(text: str) -> tuple[float, float, int]:
    """Common-word share of ``text`` and of its rot13 decoding, and the word count."""
    words = _words(text)
    if not words:
        return 0.0, 0.0, 0
    plain = sum(map(COMMON_WORDS.__contains__, words))
    rotated = sum(map(_ROT13_COMMON_WORDS.__contains__, words))
    return plain / len(words), rotated / len(words), len(words)


def _reads_as_rot13(before: float, after: float, words: int) -> bool:
    # at least two common words after decoding: with one, any three-word phrase holding a
    # short word whose rotation is common ("Additional Info --v": v → i) read as rot13
    return words >= 3 and after * words >= 1.5 and after >= 0.3 and after >= before + 0.2


def _segment_reads_as_rot13(segment: str) -> bool:
    """``_reads_as_rot13(*_ratios(segment))``, rejecting most segments before counting the
    plain common words (an English segment has almost no rot13-common words)."""
    # A segment holds only ASCII letters and " ,'-", so its words are what splitting on those
    # separators leaves: the same list as ``_words(segment)``, without the regex.
    lowered = segment[: _MAX_RATIO_WORDS * 12].lower()
    words = lowered.replace(",", " ").replace("'", " ").replace("-", " ").split()
    words = words[:_MAX_RATIO_WORDS]
    count = len(words)
    if count < 3:
        return False
    rotated = sum(map(_ROT13_COMMON_WORDS.__contains__, words))
    if rotated / count < 0.3:
        return False
    plain = sum(map(COMMON_WORDS.__contains__, words))
    return _reads_as_rot13(plain / count, rotated / count, count)


def rot13(text: str) -> str:
    return codecs.encode(text, "rot13")


def looks_like_rot13(text: str) -> str | None:
    """The rot13 decoding of ``text`` if it reads clearly more like English than ``text``."""
    before, after, words = _ratios(text)
    return rot13(text) if _reads_as_rot13(before, after, words) else None


def rot13_runs(text: str, *, max_runs: int) -> list[tuple[int, int, str]]:
    """Whole-text or per-segment rot13 decodings that read as English."""
    scanned = text[: _MAX_RATIO_WORDS * 12]
    all_words = _WORDS.findall(scanned.lower())
    words = all_words[:_MAX_RATIO_WORDS]
    if words:
        plain = sum(map(COMMON_WORDS.__contains__, words))
        rotated = sum(map(_ROT13_COMMON_WORDS.__contains__, words))
        if _reads_as_rot13(plain / len(words), rotated / len(words), len(words)):
            return [(0, len(text), rot13(text))]
    if len(scanned) == len(text) and text.isascii() and _ROT13_COMMON_WORDS.isdisjoint(all_words):
        return []  # every segment's words are among these: none can read as rot13
    found: list[tuple[int, int, str]] = []
    for i, match in enumerate(_ROT13_SEGMENT.finditer(text)):
        if i >= _MAX_ROT13_SEGMENTS or len(found) >= max_runs:
            break
        if _segment_reads_as_rot13(match.group()):
            found.append((match.start(), match.end(), rot13(match.group())))
    return found


# --------------------------------------------------------------------------- driver

# Byte classes for a cheap look before the hex and base64 regexes: a translated copy of the
# text is searched for the shortest shape a run can have (bytes.translate and ``in`` run in C,
# much faster than stepping a regex through every position of an ordinary text).
_HEX_SHAPES = bytes(
    ord("h") if chr(b) in "0123456789abcdefABCDEF" else ord("s") if chr(b) in " :,-" else ord(".")
    for b in range(256)
)
_BASE64_SHAPES = bytes(
    ord("b") if chr(b).isascii() and (chr(b).isalnum() or chr(b) in "+/_-") else ord(".")
    for b in range(256)
)
_HEX_BARE = b"h" * 16  # [0-9A-Fa-f]{2} + [0-9A-Fa-f]{14,}
_HEX_SEPARATED = b"hhshhshhshhshh"  # [0-9A-Fa-f]{2} + (?:[ :,-][0-9A-Fa-f]{2}){4,}
_BASE64_SHAPE = b"b" * 16  # [A-Za-z0-9+/_-]{16,}


def _runs_possible(text: str) -> tuple[bool, bool]:
    """Whether a bare/separated hex run, and a base64 run, can occur in ``text`` at all."""
    raw = text.encode("utf-8", "surrogatepass")
    hex_shapes = raw.translate(_HEX_SHAPES)
    return (
        _HEX_BARE in hex_shapes or _HEX_SEPARATED in hex_shapes,
        _BASE64_SHAPE in raw.translate(_BASE64_SHAPES),
    )



def _decode_level(text: str, limits: DecodeLimits, budget: int) -> list[tuple[str, int, int, str]]:
    """One level of decoding: ``(origin, start, end, decoded)`` for each payload found."""
    found: list[tuple[str, int, int, str]] = []
    taken: list[tuple[int, int]] = []
    attempts = 0

    def overlaps(start: int, end: int) -> bool:
        return any(start < t_end and t_start < end for t_start, t_end in taken)

    def add(origin: str, start: int, end: int, decoded: str) -> None:
        found.append((origin, start, end, decoded))
        taken.append((start, end))

    def full() -> bool:
        return len(found) >= budget or attempts >= limits.max_attempts

    hex_possible, base64_possible = _runs_possible(text)
    for needle, pattern in _HEX_RUNS:
        if (needle and needle not in text) or (not needle and not hex_possible):
            continue
        for match in pattern.finditer(text):
            if full():
                break
            start, end = match.span()
            if overlaps(start, end) or (start > 0 and text[start - 1].isalnum()):
                continue
            attempts += 1
            decoded = decode_hex(match.group()[: limits.max_candidate_chars])
            if decoded is not None:
                add("hex", start, end, decoded)
    for match in _BASE64_RUN.finditer(text) if base64_possible else ():
        if full():
            break
        start, end = match.span()
        if overlaps(start, end):
            continue
        attempts += 1
        run = match.group()
        if len(run) > limits.max_candidate_chars:
            run = run[: limits.max_candidate_chars - limits.max_candidate_chars % 4]
        decoded = decode_base64(run)
        if decoded is not None:
            add("base64", start, end, decoded)
    for start, end in url_runs(text, max_runs=limits.max_attempts):
        if full():
            break
        if overlaps(start, end):
            continue
        attempts += 1
        decoded = decode_url(text[start:end][: limits.max_candidate_chars])
        if decoded is not None:
            add("url", start, end, decoded)
    if not full():
        for start, end, decoded in rot13_runs(text, max_runs=budget - len(found)):
            if not overlaps(start, end):
                add("rot13", start, end, decoded)
    found.sort(key=lambda item: item[1])
    return found


def find_payloads(text: str, limits: DecodeLimits = DEFAULT_LIMITS) -> tuple[Payload, ...]:
    """Every readable encoded payload in ``text``, decoded up to ``limits.max_depth`` levels.

    Nested payloads keep the span of their outermost run; their origin chains the decoders
    (``"base64+hex"``). A rot13 payload is not decoded further (rot13 of rot13 is the text).
    """
    payloads: list[Payload] = []
    chars_left = limits.max_decoded_chars

    def walk(source: str, origin: str, span: tuple[int, int] | None, depth: int) -> None:
        nonlocal chars_left
        if depth > limits.max_depth:
            return
        budget = limits.max_payloads - len(payloads)
        if budget <= 0 or chars_left <= 0:
            return
        for name, start, end, decoded in _decode_level(source, limits, budget):
            if len(payloads) >= limits.max_payloads or chars_left <= 0:
                return
            decoded = decoded[:chars_left]
            chars_left -= len(decoded)
            chain = f"{origin}+{name}" if origin else name
            outer = span if span is not None else (start, end)
            payloads.append(Payload(chain, decoded, outer, depth))
            if name != "rot13" and not (origin and name == "rot13"):
                walk(decoded, chain, outer, depth + 1)

    walk(text, "", None, 1)
    return tuple(payloads)
