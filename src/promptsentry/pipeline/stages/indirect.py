"""The indirect-injection stage: instructions hidden in data an agent reads.

Runs when the scanned text is a tool's return value or a document
(``context`` is ``"tool_return"`` or ``"document"``; the session API sets it for
``tool_return`` nodes, and a request without ``context`` whose text has the shape of data is
read as a document: :attr:`~promptsentry.pipeline.base.ScanState.context`). Each instruction-like passage becomes an ``indirect_injection``
finding with its character span, and ``details["spans"]`` lists where they sit, so a long
document's poisoned paragraph is located, not just flagged.
"""

from __future__ import annotations

from promptsentry.pipeline.analysis.injection import find_injections
from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult

DATA_CONTEXTS = frozenset({"tool_return", "document"})
CATEGORY = "indirect_injection"


class IndirectInjectionStage:
    """Locates instructions inside tool returns and documents."""

    name = "indirect_injection"

    def __init__(self, *, failure_mode: FailureMode = FailureMode.OPEN) -> None:
        self.failure_mode = failure_mode

    async def run(self, state: ScanState) -> StageResult:
        if state.context not in DATA_CONTEXTS:
            return StageResult(name=self.name, status="skipped")
        hits = find_injections(state.request.prompt)
        findings = tuple(
            Finding(pattern="indirect_injection", category=CATEGORY, severity=Severity.HIGH,
                    span=(h.start, h.end), detail=h.rule)
            for h in hits
        )
        return StageResult(
            name=self.name,
            findings=findings,
            details={"spans": [{"rule": h.rule, "span": [h.start, h.end]} for h in hits]},
        )
