"""The normalise stage: one canonical reading of the prompt, plus every hidden one.

It adds these :class:`~promptsentry.pipeline.base.TextView` s for the later stages:

``normalized``
    NFKC, zero-width/bidi/control characters removed, homoglyphs folded to ASCII. This is
    what the classifier reads (``ScanState.primary_text``): digits and accents are kept.
``deleet``
    ``normalized`` with leetspeak folded (``1gn0r3`` → ``ignore``); only when that changes
    something. Rules read it; the classifier does not, since folding mangles benign tokens
    such as ``mp3``.
``unicode_tags``
    ASCII smuggled in invisible Unicode tag characters, when present.
``base64`` / ``hex`` / ``url`` / ``rot13`` / ``base64+hex`` …
    One view per decoded payload, with ``span`` = where the encoded run sits in the
    original prompt. Decoding is bounded (:class:`~promptsentry.pipeline.normalize.decoders.DecodeLimits`).

Obfuscation itself is reported as low/medium findings — weak evidence on its own, which the
verdict adds to the classifier's.

Failure mode: **fail open**. Without this stage the signature stage falls back to the
original text and the classifier still runs, so a crash here costs recall on obfuscated
input but must not block every request.
"""

from __future__ import annotations

import re

from promptsentry.pipeline.base import (
    FailureMode,
    Finding,
    ScanState,
    Severity,
    StageResult,
    TextView,
)
from promptsentry.pipeline.normalize.decoders import DEFAULT_LIMITS, DecodeLimits, find_payloads
from promptsentry.pipeline.normalize.homoglyphs import fold_homoglyphs, fold_leetspeak
from promptsentry.pipeline.normalize.unicode import Cleaned, clean, nfkc, original_offset

CATEGORY = "obfuscation"


_SEGMENT_BREAK = re.compile(r"[.?\n](\s+)")
r"""Group 1 is where a segment breaks: the whitespace after ``.``, ``?`` or a newline. (The same
breaks as splitting on ``(?<=[.?\n])\s+``, found faster: the pattern starts with a literal
character class, so the regex engine skips to candidates in C.)"""


def changed_segments(before: str, after: str) -> str:
    """The sentences/lines of ``after`` that differ from ``before``, joined by newlines.

    Leetspeak folding maps tokens one to one, so the two texts split into the same segments;
    only the segments it changed can match a rule that the normalised view did not. Keeping
    just those keeps the de-leeted view small on long documents (a 50 KB text with one leet
    token would otherwise be scanned twice in full). Falls back to ``after`` whole when the
    segmentations disagree.
    """
    old, new = _segments(before), _segments(after)
    if len(old) != len(new):
        return after
    return "\n".join(n for o, n in zip(old, new, strict=True) if n != o)


def _segments(text: str) -> list[str]:
    """``text`` split at :data:`_SEGMENT_BREAK` (the breaks themselves dropped)."""
    parts: list[str] = []
    last = 0
    for match in _SEGMENT_BREAK.finditer(text):
        start, end = match.span(1)
        parts.append(text[last:start])
        last = end
    parts.append(text[last:])
    return parts


def normalize_text(text: str) -> str:
    """The ``normalized`` reading of any text: cleaned, NFKC, homoglyphs folded."""
    folded, _, _ = fold_homoglyphs(nfkc(clean(text).text))
    return folded


class NormalizeStage:
    """Normalise the prompt and decode hidden payloads (see the module docstring)."""

    name = "normalize"
    failure_mode = FailureMode.OPEN

    def __init__(self, limits: DecodeLimits = DEFAULT_LIMITS) -> None:
        self.limits = limits

    async def run(self, state: ScanState) -> StageResult:
        original = (state.view("original") or state.views[0]).text
        cleaned = clean(original)
        normalized, homoglyph_words, mixed_script_words = fold_homoglyphs(nfkc(cleaned.text))
        deleet, leet_tokens = fold_leetspeak(normalized)

        views: list[TextView] = [TextView("normalized", normalized)]
        if leet_tokens and deleet != normalized:
            views.append(TextView("deleet", changed_segments(normalized, deleet)))
        if cleaned.tag_payload:
            views.append(TextView("unicode_tags", normalize_text(cleaned.tag_payload)))

        payloads = find_payloads(cleaned.text, self.limits)
        for payload in payloads:
            start = original_offset(cleaned.removed, payload.span[0])
            end = original_offset(cleaned.removed, payload.span[1] - 1) + 1
            views.append(TextView(payload.origin, normalize_text(payload.text), (start, end)))

        findings = self._findings(cleaned, mixed_script_words, views)
        details = {
            "zero_width_removed": cleaned.zero_width_removed,
            "bidi_removed": cleaned.bidi_overrides_removed + cleaned.bidi_marks_removed,
            "control_removed": cleaned.control_removed,
            "tag_chars_removed": cleaned.tag_chars_removed,
            "homoglyph_words": homoglyph_words,
            "leet_tokens": leet_tokens,
            "payloads_decoded": len(payloads),
            "payload_origins": sorted({p.origin for p in payloads}),
        }
        return StageResult(name=self.name, findings=findings, views=tuple(views), details=details)

    @staticmethod
    def _findings(
        cleaned: Cleaned, mixed_script_words: int, views: list[TextView]
    ) -> tuple[Finding, ...]:
        findings: list[Finding] = []
        if cleaned.intra_word_zero_width:
            severity = Severity.MEDIUM if cleaned.intra_word_zero_width >= 3 else Severity.LOW
            findings.append(Finding("obfuscation_zero_width", CATEGORY, severity,
                                    detail=f"{cleaned.intra_word_zero_width} inside words"))
        if cleaned.bidi_overrides_removed:
            findings.append(Finding("obfuscation_bidi", CATEGORY, Severity.LOW,
                                    detail=f"{cleaned.bidi_overrides_removed} bidi controls"))
        if cleaned.tag_payload:
            findings.append(Finding("obfuscation_unicode_tags", CATEGORY, Severity.MEDIUM,
                                    view="unicode_tags",
                                    detail=f"{len(cleaned.tag_payload)} hidden characters"))
        if mixed_script_words:
            severity = Severity.MEDIUM if mixed_script_words >= 3 else Severity.LOW
            findings.append(Finding("obfuscation_homoglyph", CATEGORY, severity,
                                    detail=f"{mixed_script_words} mixed-script words"))
        seen: set[str] = set()
        for view in views:
            if view.span is None:
                continue
            outer = view.origin.split("+", 1)[0]
            pattern = f"encoded_payload_{outer}"
            if pattern not in seen:
                seen.add(pattern)
                findings.append(Finding(pattern, CATEGORY, Severity.LOW, view=view.origin,
                                        span=view.span))
            if "+" in view.origin and "encoded_payload_nested" not in seen:
                seen.add("encoded_payload_nested")
                findings.append(Finding("encoded_payload_nested", CATEGORY, Severity.MEDIUM,
                                        view=view.origin, span=view.span))
        return tuple(findings)
