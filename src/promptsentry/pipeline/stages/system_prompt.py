"""The system-prompt leak stage: a response reproducing the tenant's registered system prompt.

A tenant registers its system prompt once (``PUT /admin/tenants/{id}/system-prompt`` or
``PUT /system-prompt``); only keyed hashes of its 5-word shingles are stored. The service puts
that fingerprint on the :class:`~promptsentry.pipeline.base.PipelinePolicy`, and this stage
measures what fraction of it a scanned response (``scan_type = "response"``) or ``output``
reproduces. At or above the tenant's threshold the finding is a decisive ``system_prompt_leak``.

Shingles ignore case, punctuation and spacing, so re-cased, re-wrapped or re-punctuated
quotes still match, and reordering sentences only loses the few shingles that straddle a
sentence boundary. :func:`prepare` (applied to the prompt at registration and to every
response) also folds compatibility characters (NFKC: full-width letters, ligatures) and
drops invisible format characters (zero-width spaces, joiners, BOM).
"""

from __future__ import annotations

import unicodedata

from promptsentry.pipeline.analysis.leakage import SHINGLE_WORDS, fingerprint, overlap
from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult
from promptsentry.schemas.request import ScanType

__all__ = ["SystemPromptLeakStage", "fingerprint_system_prompt", "leak_overlap", "prepare"]


def prepare(text: str) -> str:
    """``text`` in NFKC with format characters (category ``Cf``: zero-width and bidi
    controls) removed, so they cannot split words apart."""
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if unicodedata.category(c) != "Cf")


def fingerprint_system_prompt(system_prompt: str, key: bytes) -> frozenset[str]:
    """The stored form of a system prompt: keyed hashes of its prepared shingles."""
    return fingerprint(prepare(system_prompt), key=key, k=SHINGLE_WORDS)


def leak_overlap(fp: frozenset[str], text: str, key: bytes) -> float:
    """Fraction (0–1) of the fingerprint that ``text`` reproduces."""
    return overlap(fp, prepare(text), key=key, k=SHINGLE_WORDS)


class SystemPromptLeakStage:
    """Detects a tenant's system prompt in responses. Fails closed: a leak check that
    crashed must not let a response through unexamined."""

    name = "system_prompt_leak"

    def __init__(self, key: bytes, *, failure_mode: FailureMode = FailureMode.CLOSED) -> None:
        self._key = key
        self.failure_mode = failure_mode

    async def run(self, state: ScanState) -> StageResult:
        fp = state.policy.system_prompt_fingerprint
        request = state.request
        texts: list[tuple[str, str]] = []
        if request.scan_type is ScanType.RESPONSE:
            texts.append(("original", request.prompt))
        if request.output:
            texts.append(("output", request.output))
        if not fp or not texts:
            return StageResult(name=self.name, status="skipped")
        threshold = state.policy.system_prompt_threshold
        findings = []
        best = 0.0
        for view, text in texts:
            score = leak_overlap(fp, text, self._key)
            best = max(best, score)
            if score >= threshold:
                findings.append(Finding(
                    pattern="system_prompt_leak", category="data_leak",
                    severity=Severity.CRITICAL, view=view, decisive=True,
                    detail=f"overlap {score:.2f}",
                ))
        return StageResult(name=self.name, findings=tuple(findings),
                           details={"overlap": round(best, 3), "threshold": threshold})
