"""Find secrets and personal data in text, and replace them with typed placeholders.

Each detector is a regular expression plus, where the format has one, a checksum or a parse
(Luhn for payment cards, ISO 13616 mod-97 for IBANs, :mod:`ipaddress` for IP addresses), so
that look-alike numbers are not reported. Usage::

    >>> result = redact("mail bob@example.com, card 4111 1111 1111 1111")
    >>> result.text
    'mail [EMAIL_1], card [CREDIT_CARD_1]'
    >>> result.stats
    {'EMAIL': 1, 'CREDIT_CARD': 1}

The same value gets the same placeholder throughout one text, so a redacted prompt stays
readable (``[EMAIL_1] wrote to [EMAIL_2], then [EMAIL_1] replied``).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import ipaddress
import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

SECRET_TYPES = frozenset({
    "PRIVATE_KEY", "JWT", "ANTHROPIC_KEY", "OPENAI_KEY", "AWS_ACCESS_KEY", "GITHUB_TOKEN",
    "SLACK_TOKEN", "GOOGLE_API_KEY", "STRIPE_KEY",
})
"""Types that are credentials: seeing one leave in a response is a leak."""
PII_TYPES = frozenset({"EMAIL", "PHONE", "CREDIT_CARD", "IBAN", "IP_ADDRESS"})


@dataclass(frozen=True, slots=True)
class Match:
    """One sensitive value: its type and where it sits (``text[start:end]``)."""

    type: str
    start: int
    end: int

    @property
    def is_secret(self) -> bool:
        return self.type in SECRET_TYPES


@dataclass(frozen=True, slots=True)
class Redaction:
    """The redacted text, the count of values replaced per type, and the matches."""

    text: str
    stats: dict[str, int]
    matches: tuple[Match, ...]


# --------------------------------------------------------------------------- checks


def luhn_valid(digits: str) -> bool:
    """The Luhn (mod-10) check used by payment card numbers. ``digits`` holds only 0-9."""
    if not digits or not digits.isdigit():
        return False
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2 == 1:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def iban_valid(candidate: str) -> bool:
    """ISO 13616 check: country code, two check digits, mod-97 of the rearranged number == 1."""
    iban = re.sub(r"\s+", "", candidate).upper()
    if not 15 <= len(iban) <= 34 or not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]+", iban):
        return False
    expected = _IBAN_LENGTHS.get(iban[:2])
    if expected is not None and len(iban) != expected:
        return False
    rearranged = iban[4:] + iban[:4]
    number = "".join(str(int(ch, 36)) for ch in rearranged)
    return int(number) % 97 == 1


_IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22, "DK": 18,
    "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GR": 27, "HR": 21, "HU": 28, "IE": 22,
    "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20, "LV": 21, "MC": 27, "MT": 31, "NL": 18,
    "NO": 15, "PL": 28, "PT": 25, "RO": 24, "SE": 24, "SI": 19, "SK": 24, "SM": 27,
}


def _card_ok(value: str) -> bool:
    digits = re.sub(r"[ -]", "", value)
    return 13 <= len(digits) <= 19 and luhn_valid(digits) and len(set(digits)) > 1


def _jwt_ok(value: str) -> bool:
    header = value.split(".", 1)[0]
    try:
        raw = base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
        return isinstance(json.loads(raw), dict)
    except (binascii.Error, ValueError):
        return False


def _ipv4_ok(value: str) -> bool:
    try:
        ipaddress.IPv4Address(value)
    except ValueError:
        return False
    return True


def _ipv6_ok(value: str) -> bool:
    if value.count(":") < 2 or sum(ch in "0123456789abcdefABCDEF" for ch in value) < 3:
        return False
    try:
        ipaddress.IPv6Address(value)
    except ValueError:
        return False
    return True


def _phone_ok(value: str) -> bool:
    digits = re.sub(r"\D", "", value)
    if value.lstrip().startswith("+"):
        return 8 <= len(digits) <= 15
    return 9 <= len(digits) <= 11


# --------------------------------------------------------------------------- detectors

_WORDISH = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_"

@dataclass(frozen=True, slots=True)
class _Detector:
    """A pattern, the check its match must pass, and two cheap filters.

    ``anchors``: the detector runs only when one of these substrings occurs in the text (most
    texts hold no ``@``, ``eyJ`` or ``sk-``). ``bad_left``: characters that must not precede
    a match. Patterns start with a literal or a character class, never with ``\\b`` or a
    look-behind, so the regex engine can skip ahead to candidate positions instead of trying
    every one — the boundary is checked on the few candidates instead.
    """

    type: str
    pattern: re.Pattern[str]
    check: Callable[[str], bool] | None = None
    anchors: tuple[str, ...] = ()
    bad_left: str = _WORDISH


# Order matters: earlier detectors claim their spans first (a key inside a URL is a key; a
# card number is not also a phone number).
DETECTORS: tuple[_Detector, ...] = (
    _Detector("PRIVATE_KEY", re.compile(
        r"-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----[\s\S]{0,8192}?"
        r"(?:-----END (?:[A-Z0-9]+ )*PRIVATE KEY-----|\Z)"), anchors=("PRIVATE KEY",),
        bad_left=""),
    _Detector("JWT", re.compile(
        r"eyJ[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}"), _jwt_ok,
        anchors=("eyJ",)),
    _Detector("ANTHROPIC_KEY", re.compile(r"sk-ant-[A-Za-z0-9_-]{20,}"), anchors=("sk-ant-",)),
    _Detector("OPENAI_KEY", re.compile(
        r"sk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), anchors=("sk-",)),
    _Detector("AWS_ACCESS_KEY", re.compile(r"(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}(?![0-9A-Za-z])"),
              anchors=("AKIA", "ASIA", "ABIA", "ACCA")),
    _Detector("GITHUB_TOKEN", re.compile(
        r"(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{22,})"),
        anchors=("gh", "github_pat_")),
    _Detector("SLACK_TOKEN", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,}"), anchors=("xox",)),
    _Detector("GOOGLE_API_KEY", re.compile(r"AIza[0-9A-Za-z_-]{35}(?![0-9A-Za-z_-])"),
              anchors=("AIza",)),
    _Detector("STRIPE_KEY", re.compile(r"(?:sk|rk|pk)_(?:live|test)_[0-9A-Za-z]{16,}"),
              anchors=("_live_", "_test_")),
    _Detector("EMAIL", re.compile(
        r"[A-Za-z0-9][A-Za-z0-9._%+-]{0,63}@"
        r"[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b"),
        anchors=("@",), bad_left=_WORDISH + ".+-%"),
    _Detector("IBAN", re.compile(r"[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b"), iban_valid),
    _Detector("CREDIT_CARD", re.compile(r"\d(?:[ -]?\d){12,18}(?![\d-])"), _card_ok,
              bad_left=_WORDISH + "-"),
    _Detector("IP_ADDRESS", re.compile(r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}(?!\d|\.\d)"), _ipv4_ok,
              anchors=(".",), bad_left=_WORDISH + "."),
    _Detector("IP_ADDRESS", re.compile(
        r"[0-9A-Fa-f:][0-9A-Fa-f]{0,3}:(?:[0-9A-Fa-f]{0,4}:){0,6}(?:[0-9A-Fa-f]{1,4}|:)(?![\w:])"),
        _ipv6_ok, anchors=(":",), bad_left=_WORDISH + ":"),
    _Detector("PHONE", re.compile(
        r"\+[1-9]\d{0,3}(?:[ .-]?\(?\d{1,5}\)?){2,6}(?!\w)"
        r"|\(\d{3}\)[ .-]?\d{3}[ .-]\d{4}(?!\w)"
        r"|\d{3}[.-]\d{3}[.-]\d{4}(?![\w-])"
        r"|0\d{1,4}(?:[ .-]\d{2,4}){2,4}(?![\w-])"), _phone_ok, bad_left=_WORDISH + "+-(."),
)


def _left_ok(text: str, start: int, bad: str) -> bool:
    return start == 0 or not bad or text[start - 1] not in bad


def find_sensitive(text: str, *, types: Iterable[str] | None = None) -> list[Match]:
    """Every secret and PII value in ``text``, left to right, without overlaps."""
    wanted = None if types is None else frozenset(types)
    starts: list[int] = []  # claimed spans, sorted and disjoint: starts[i] .. ends[i]
    ends: list[int] = []
    found: list[Match] = []
    for det in DETECTORS:
        if wanted is not None and det.type not in wanted:
            continue
        if det.anchors and not any(a in text for a in det.anchors):
            continue
        for m in det.pattern.finditer(text):
            start, end = m.span()
            if not _left_ok(text, start, det.bad_left):
                continue
            i = bisect.bisect_right(starts, start)
            if (i > 0 and ends[i - 1] > start) or (i < len(starts) and starts[i] < end):
                continue  # overlaps a value an earlier detector claimed
            if det.check is not None and not det.check(m.group(0)):
                continue
            starts.insert(i, start)
            ends.insert(i, end)
            found.append(Match(det.type, start, end))
    found.sort(key=lambda m: m.start)
    return found


def redact(text: str, *, types: Iterable[str] | None = None) -> Redaction:
    """``text`` with each sensitive value replaced by ``[TYPE_n]`` (same value, same n)."""
    matches = find_sensitive(text, types=types)
    if not matches:
        return Redaction(text, {}, ())
    numbering: dict[tuple[str, str], int] = {}
    per_type: dict[str, int] = {}
    stats: dict[str, int] = {}
    out: list[str] = []
    pos = 0
    for m in matches:
        value = text[m.start:m.end]
        key = (m.type, value)
        if key not in numbering:
            per_type[m.type] = per_type.get(m.type, 0) + 1
            numbering[key] = per_type[m.type]
        stats[m.type] = stats.get(m.type, 0) + 1
        out.append(text[pos:m.start])
        out.append(f"[{m.type}_{numbering[key]}]")
        pos = m.end
    out.append(text[pos:])
    return Redaction("".join(out), stats, tuple(matches))
