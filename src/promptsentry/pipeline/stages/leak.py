"""The leak stage: did the model give away a secret it was told to keep?

Two checks, both over the model's output — ``request.output`` and, when
``scan_type == "response"``, the scanned text itself:

**Canary tokens.** Callers plant random markers (``canary_tokens``) in their system prompt; one
showing up in the output proves the prompt leaked. Attackers ask for it disguised, so a
token is also found

* in any letter case, with zero-width characters inside, or as fullwidth/look-alike letters;
* with up to :data:`MAX_GAP` spaces or punctuation between its characters (``C-A-N-A-R-Y``);
* reversed, or rot13'd;
* base64-encoded (at any byte alignment, standard or URL-safe alphabet — also as part of a
  longer base64 blob) or hex-encoded;
* inside any payload the normaliser's decoders can read (URL-encoding, hex, base64 …).

A hit is a decisive critical ``canary_leak`` finding: the verdict is malicious whatever the
other stages say. The token never appears in findings or details — only which variant matched
and where (``detail="base64 in output"``).

**Image exfiltration.** A markdown or HTML image in the output whose URL carries data (long
query values, long opaque path segments) is fetched by the client the moment it renders —
a zero-click way to ship the conversation out. That is a non-decisive high
``markdown_image_exfiltration`` finding.

Failure mode: **fail closed** — a leak check that cannot run must not pass the output.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import parse_qsl, unquote, urlsplit

from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult
from promptsentry.pipeline.normalize.decoders import find_payloads, rot13
from promptsentry.pipeline.normalize.homoglyphs import fold_homoglyphs
from promptsentry.pipeline.normalize.unicode import clean, nfkc
from promptsentry.schemas.request import ScanType

MAX_GAP = 3
"""Most separator characters allowed between two characters of a spaced-out token."""
MIN_BASE64_FRAGMENT = 6
"""Shortest base64 fragment searched for; shorter tokens are found by decoding instead."""


# --------------------------------------------------------------------------- text forms


@dataclass(frozen=True, slots=True)
class Haystack:
    """One text to search, prepared once for every token."""

    raw: str
    cleaned: str
    """Invisible characters removed, NFKC, homoglyphs folded — case kept (for base64)."""
    folded: str
    """``cleaned``, case-folded."""
    skeleton: str
    """``folded`` with every non-alphanumeric character removed."""
    positions: tuple[int, ...]
    """Where each skeleton character sits in ``folded``."""
    payloads: tuple[tuple[str, Haystack], ...] = ()
    """Decoded payloads found in the text (origin, prepared text)."""


def prepare(text: str, *, decode: bool = True) -> Haystack:
    """Prepare ``text`` for :func:`find_canary`; with ``decode``, decode its payloads too."""
    cleaned, _, _ = fold_homoglyphs(nfkc(clean(text).text))
    folded = cleaned.casefold()
    positions = tuple(i for i, ch in enumerate(folded) if ch.isalnum())
    skeleton = "".join(folded[i] for i in positions)
    payloads: tuple[tuple[str, Haystack], ...] = ()
    if decode:
        payloads = tuple((p.origin, prepare(p.text, decode=False)) for p in find_payloads(cleaned))
    return Haystack(text, cleaned, folded, skeleton, positions, payloads)


def token_core(token: str) -> str:
    """The token's letters and digits, NFKC'd and case-folded (``Canary-42`` → ``canary42``)."""
    return _core_and_gaps(token)[0]


def _core_and_gaps(token: str) -> tuple[str, tuple[int, ...]]:
    """The token's core and, between neighbouring core characters, the gap a spaced-out copy
    may show: :data:`MAX_GAP`, plus room for the token's own punctuation (``-`` in
    ``CANARY-42``) and separators around it."""
    folded, _, _ = fold_homoglyphs(nfkc(token))
    folded = folded.casefold()
    core: list[str] = []
    gaps: list[int] = []
    own = 0
    for ch in folded:
        if ch.isalnum():
            if core:
                gaps.append(MAX_GAP + own * (MAX_GAP + 1))
            core.append(ch)
            own = 0
        else:
            own += 1
    return "".join(core), tuple(gaps)


def _spaced_match(hay: Haystack, core: str, gaps: Sequence[int]) -> bool:
    """``core`` in the skeleton, with at most ``gaps[k]`` characters between neighbours."""
    if not core:
        return False
    pos = hay.positions
    start = hay.skeleton.find(core)
    while start != -1:
        if all(pos[start + k + 1] - pos[start + k] - 1 <= gaps[k] for k in range(len(core) - 1)):
            return True
        start = hay.skeleton.find(core, start + 1)
    return False


def base64_fragments(data: bytes) -> set[str]:
    """Base64 substrings that any encoding containing ``data`` must contain.

    For each of the three byte alignments, the characters fully determined by ``data`` —
    in the standard and URL-safe alphabets.
    """
    fragments: set[str] = set()
    for pad in range(3):
        encoded = base64.b64encode(b"\0" * pad + data + b"\0\0").decode("ascii")
        first = -(-8 * pad // 6)  # ceil: first character made only of data bits
        last = (8 * (pad + len(data))) // 6  # exclusive
        fragment = encoded[first:last]
        if len(fragment) >= MIN_BASE64_FRAGMENT:
            fragments.add(fragment)
            fragments.add(fragment.replace("+", "-").replace("/", "_"))
    return fragments


def find_canary(token: str, haystacks: Sequence[Haystack]) -> str | None:
    """Name the first variant of ``token`` found in ``haystacks`` (``None`` if none).

    Variants, in order: ``exact``, ``case``, ``normalized`` (zero-width characters,
    fullwidth or look-alike letters), ``separated``, ``reversed``, ``rot13``, ``base64``,
    ``hex``, ``decoded:<origin>``.
    """
    core, gaps = _core_and_gaps(token)
    folded_token = nfkc(token).casefold()
    raw_bytes = {token.encode(), token.lower().encode(), token.upper().encode()}
    fragments = set().union(*(base64_fragments(b) for b in raw_bytes))
    hex_forms = {b.hex() for b in raw_bytes}
    for hay in haystacks:
        if token in hay.raw:
            return "exact"
        if folded_token in hay.raw.casefold():
            return "case"
        if folded_token in hay.folded:
            return "normalized"
    for hay in haystacks:
        if _spaced_match(hay, core, gaps):
            return "separated"
    for name, form, form_gaps in (
        ("reversed", core[::-1], gaps[::-1]),
        ("rot13", rot13(core), gaps),
    ):
        if form != core and any(_spaced_match(hay, form, form_gaps) for hay in haystacks):
            return name
    for hay in haystacks:
        if any(fragment in hay.cleaned for fragment in fragments):
            return "base64"
        if any(form in hay.folded for form in hex_forms):
            return "hex"
    for hay in haystacks:
        for origin, decoded in hay.payloads:
            if folded_token in decoded.folded or _spaced_match(decoded, core, gaps):
                return f"decoded:{origin}"
    return None


# --------------------------------------------------------------------------- image exfiltration

_MD_IMAGE = re.compile(r"!\[[^\]\n]{0,500}\]\(\s*<?(https?://[^\s)>]{1,4096})", re.IGNORECASE)
_MD_IMAGE_REF = re.compile(r"!\[[^\]\n]{0,500}\]\[([^\]\n]{1,100})\]")
_MD_REF_DEF = re.compile(r"(?m)^[ \t]{0,3}\[([^\]\n]{1,100})\]:[ \t]*<?(https?://\S{1,4096}?)>?(?:[ \t]|$)")
_HTML_IMG = re.compile(
    r"<img\b[^>]{0,500}?\bsrc\s*=\s*[\"']?(https?://[^\"'\s>]{1,4096})", re.IGNORECASE
)
_OPAQUE = re.compile(r"^[A-Za-z0-9+/=_\-.%]+$")
MIN_DATA_VALUE = 16
"""A query value at least this long (decoded) counts as carrying data."""
MIN_DATA_QUERY = 48
MIN_OPAQUE_SEGMENT = 32


def image_urls(text: str) -> list[str]:
    """URLs of markdown (inline and reference-style) and HTML images in ``text``."""
    urls = [m.group(1) for m in _MD_IMAGE.finditer(text)]
    urls += [m.group(1) for m in _HTML_IMG.finditer(text)]
    refs = {m.group(1).strip().lower() for m in _MD_IMAGE_REF.finditer(text)}
    if refs:
        urls += [m.group(2) for m in _MD_REF_DEF.finditer(text)
                 if m.group(1).strip().lower() in refs]
    return urls


def carried_data(url: str) -> int:
    """Characters of data a URL appears to carry (0 for ordinary image URLs)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return 0
    carried = 0
    query = parts.query + ("&" + parts.fragment if parts.fragment else "")
    values = [value for _, value in parse_qsl(query, keep_blank_values=True)]
    long_values = [v for v in values if len(v) >= MIN_DATA_VALUE]
    if long_values:
        carried = sum(len(v) for v in long_values)
    elif len(unquote(query)) >= MIN_DATA_QUERY:
        carried = len(unquote(query))
    for segment in parts.path.split("/"):
        stem = segment.rsplit(".", 1)[0]
        if len(stem) >= MIN_OPAQUE_SEGMENT and _OPAQUE.match(stem):
            carried += len(stem)
    return carried


def find_image_exfiltration(text: str) -> int:
    """How many images in ``text`` have URLs that carry data."""
    return sum(1 for url in image_urls(text) if carried_data(url) > 0)


# --------------------------------------------------------------------------- stage


def _sources(state: ScanState) -> list[tuple[str, str]]:
    request = state.request
    sources: list[tuple[str, str]] = []
    if request.output:
        sources.append(("output", request.output))
    if request.scan_type == ScanType.RESPONSE:
        sources.append(("response", request.prompt))
    return sources


class LeakStage:
    """Canary and image-exfiltration checks on model output (see the module docstring)."""

    name = "leak"
    failure_mode = FailureMode.CLOSED

    async def run(self, state: ScanState) -> StageResult:
        sources = _sources(state)
        if not sources:
            return StageResult(name=self.name, status="skipped",
                               details={"reason": "no output to check"})
        tokens = state.request.canary_tokens
        findings: list[Finding] = []
        prepared = [(where, prepare(text)) for where, text in sources]
        leaked = 0
        for index, token in enumerate(tokens):
            for where, hay in prepared:
                variant = find_canary(token, [hay])
                if variant is not None:
                    leaked += 1
                    findings.append(Finding(
                        "canary_leak", "leak", Severity.CRITICAL, view=where,
                        detail=f"token #{index + 1}: {variant} in {where}", decisive=True,
                    ))
                    break
        images = 0
        for where, text in sources:
            count = find_image_exfiltration(text)
            if count:
                images += count
                findings.append(Finding(
                    "markdown_image_exfiltration", "exfiltration", Severity.HIGH, view=where,
                    detail=f"{count} image URL(s) carrying data in {where}",
                ))
        return StageResult(
            name=self.name,
            findings=tuple(findings),
            details={
                "canary_tokens_checked": len(state.request.canary_tokens),
                "canary_leaks": leaked,
                "exfiltration_images": images,
                "checked": [where for where, _ in sources],
            },
        )


__all__ = [
    "LeakStage",
    "base64_fragments",
    "carried_data",
    "find_canary",
    "find_image_exfiltration",
    "image_urls",
    "prepare",
    "token_core",
]
