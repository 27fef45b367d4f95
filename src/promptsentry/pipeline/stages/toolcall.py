"""The tool-call stage: judges what an agent's tool call would do.

Runs only on ``scan_type == "tool_call"``. It parses the call (the SDK's
``Tool: NAME\\nArguments: {json}``, plain JSON, or free text) and reports each finding of
:func:`promptsentry.pipeline.analysis.toolcall.analyse` under its own pattern name, so
``patterns_matched`` says exactly what was wrong (``download_and_execute``,
``credential_file_access``, ``url_private_address``, …). The signature rules (the shipped
``signatures.toml`` unless others are given) also run over every decoded argument string, so
an instruction hidden behind JSON escapes is an ``argument_injection``.
"""

from __future__ import annotations

from collections.abc import Sequence

from promptsentry.pipeline.analysis.toolcall import analyse
from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult
from promptsentry.pipeline.rules import Rule, load_rules
from promptsentry.schemas.request import ScanType

CATEGORY = "tool_call"


class ToolCallStage:
    """Tool-call analysis. ``fail_closed`` by default: a call that cannot be judged is not run."""

    name = "tool_call"

    def __init__(self, rules: Sequence[Rule] | None = None, *,
                 failure_mode: FailureMode = FailureMode.CLOSED) -> None:
        self.rules: tuple[Rule, ...] = tuple(rules) if rules is not None else load_rules()
        self.failure_mode = failure_mode

    async def run(self, state: ScanState) -> StageResult:
        request = state.request
        if request.scan_type is not ScanType.TOOL_CALL:
            return StageResult(name=self.name, status="skipped")
        parsed, found = analyse(request.prompt, rules=self.rules)
        findings = tuple(
            Finding(
                pattern=f.pattern,
                category=CATEGORY,
                severity=Severity(f.severity),
                span=f.span,
                detail=f"{f.where}: {f.detail}",
            )
            for f in found
        )
        return StageResult(
            name=self.name,
            findings=findings,
            details={
                "tool": parsed.name[:128] if parsed.name else None,
                "form": parsed.form,
                "arguments_checked": len(parsed.strings),
                "findings": [{"pattern": f.pattern, "where": f.where[:200],
                              "span": list(f.span) if f.span else None} for f in found],
            },
        )
