"""The redaction stage: finds secrets and personal data, and offers a redacted copy.

When the policy asks for redaction (``PipelinePolicy.redact``, the tenant's
``redaction_enabled``) it reports ``details = {"redacted_prompt", "redaction_stats"}`` (and
``redacted_output`` / ``output_redaction_stats`` when an ``output`` was sent): the text with
each value replaced by a typed placeholder (``[EMAIL_1]``, ``[CREDIT_CARD_1]``,
``[OPENAI_KEY_1]``) and the count per type. The runner moves the redacted text into the
response's ``redacted_prompt`` / ``redaction_stats`` (it never stays in ``stages``). Without
redaction it only looks for credentials leaving, and skips ordinary prompts entirely.

Credentials *leaving* — in a scanned response or in ``output`` — are findings named
``secret_leak_<type>`` (``secret_leak_aws_access_key``), high severity (critical for private
keys). Credentials in an ordinary prompt are the user's own business and only get redacted.
"""

from __future__ import annotations

from promptsentry.pipeline.analysis.sensitive import redact
from promptsentry.pipeline.base import FailureMode, Finding, ScanState, Severity, StageResult
from promptsentry.schemas.request import ScanType

CATEGORY = "data_leak"


class RedactionStage:
    """Secret and PII detection with typed placeholders. Fails open: a redaction error must
    not block traffic, it only means no redacted copy for that scan."""

    name = "redaction"

    def __init__(self, *, failure_mode: FailureMode = FailureMode.OPEN) -> None:
        self.failure_mode = failure_mode

    async def run(self, state: ScanState) -> StageResult:
        request = state.request
        wanted = state.policy.redact
        is_response = request.scan_type is ScanType.RESPONSE
        if not (wanted or is_response or request.output):
            return StageResult(name=self.name, status="skipped")
        details: dict[str, object] = {}
        findings: list[Finding] = []
        if wanted or is_response:
            prompt = redact(request.prompt)
            if wanted:
                details["redacted_prompt"] = prompt.text
                details["redaction_stats"] = prompt.stats
            if is_response:
                findings += _leaks(prompt.matches, "original")
        if request.output:
            output = redact(request.output)
            if wanted:
                details["redacted_output"] = output.text
                details["output_redaction_stats"] = output.stats
            findings += _leaks(output.matches, "output")
        return StageResult(name=self.name, findings=tuple(findings), details=details)


def _leaks(matches, view: str) -> list[Finding]:
    out = []
    for m in matches:
        if not m.is_secret:
            continue
        out.append(Finding(
            pattern=f"secret_leak_{m.type.lower()}",
            category=CATEGORY,
            severity=Severity.CRITICAL if m.type == "PRIVATE_KEY" else Severity.HIGH,
            view=view,
            span=(m.start, m.end),
            detail=f"{m.type} in the {'response' if view == 'original' else 'output'}",
        ))
    return out
