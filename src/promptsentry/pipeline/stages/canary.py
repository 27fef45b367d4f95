"""The issued-canary stage: canaries from ``POST /canary`` showing up in a response.

Canaries carry their own MAC (see :mod:`promptsentry.pipeline.analysis.leakage`), so no list
of issued tokens is needed: any verified canary in a scanned response (``scan_type =
"response"``) or in ``output`` is a decisive ``issued_canary_leak`` finding, whether it
appears plainly, spaced out, in another case, with zero-width characters, base64-encoded or
reversed.
"""

from __future__ import annotations

from promptsentry.pipeline.analysis.leakage import find_issued_canaries
from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult
from promptsentry.schemas.request import ScanType


class IssuedCanaryStage:
    """Detects this install's canaries. Fails closed: a leak check that crashed must not
    let a response through unexamined."""

    name = "issued_canary"

    def __init__(self, secret: bytes, *, failure_mode: FailureMode = FailureMode.CLOSED) -> None:
        self._secret = secret
        self.failure_mode = failure_mode

    async def run(self, state: ScanState) -> StageResult:
        request = state.request
        texts: list[tuple[str, str]] = []
        if request.scan_type is ScanType.RESPONSE:
            texts.append(("original", request.prompt))
        if request.output:
            texts.append(("output", request.output))
        if not texts:
            return StageResult(name=self.name, status="skipped")
        findings = []
        for view, text in texts:
            for how in find_issued_canaries(self._secret, text).values():
                findings.append(Finding(
                    pattern="issued_canary_leak", category="data_leak",
                    severity=Severity.CRITICAL, view=view, decisive=True,
                    detail=f"server-issued canary found ({how})",
                ))
        return StageResult(name=self.name, findings=tuple(findings),
                           details={"leaks": len(findings)})
