"""The judge stage: after the local classifier (last in the pipeline, so every local signal
is in), a model judges texts in the tenant's gray zone and the scan types it always wants
judged. No judge configured: the stage returns nothing and is not reported, so a default
install answers exactly as before.

Outcomes are in ``details["outcome"]`` (``escalated_malicious``, ``escalated_clean`` or
``kept_local``, see :mod:`promptsentry.judge.rules`); the verdict reads them. A failed
judgement is an ``error`` with the tenant's failure mode in ``details["failure_mode"]``.
"""

from __future__ import annotations

import asyncio

from promptsentry.judge import rules
from promptsentry.judge.prompt import addresses_judge
from promptsentry.judge.runtime import JudgeFailure, JudgeRuntime
from promptsentry.observability import prometheus
from promptsentry.pipeline.base import FailureMode, ScanState, StageResult
from promptsentry.pipeline.verdict import decide


class JudgeStage:
    name = "judge"
    failure_mode = FailureMode.OPEN

    def __init__(self, runtime: JudgeRuntime) -> None:
        self.runtime = runtime

    async def aclose(self) -> None:
        await self.runtime.aclose()

    async def run(self, state: ScanState) -> StageResult | None:
        policy = getattr(state.policy, "judge", None)
        if policy is None:
            return None
        local = decide(state)
        scan_type = state.request.scan_type.value
        if any(f.decisive for f in state.findings) or any(
                r.status == "error" and r.failure_mode is FailureMode.CLOSED
                for r in state.results):
            return self._skip("decided locally (decisive finding or a stage failed closed)")
        trigger = "gray_zone" if local.gray_zone else (
            "scan_type" if scan_type in policy.scan_types else None)
        if trigger is None:
            return self._skip("outside the gray zone")
        text = state.request.prompt
        steering = addresses_judge(text) or addresses_judge(state.primary_text)
        try:
            async with asyncio.timeout(policy.deadline_s):
                judgement = await self.runtime.judge(policy, text, scan_type,
                                                     state.context)
        except Exception as exc:  # noqa: BLE001 - any failure is the tenant's failure mode
            reason = exc.reason if isinstance(exc, JudgeFailure) else (
                "timeout" if isinstance(exc, TimeoutError) else "error")
            message = str(exc) if isinstance(exc, JudgeFailure) else (
                f"no judgement within the {policy.deadline_s:g} s deadline"
                if reason == "timeout" else f"{type(exc).__name__}: {exc}")
            prometheus.JUDGE_OUTCOMES.labels(f"failed_{reason}").inc()
            return StageResult(self.name, status="error", error=message[:300], details={
                "failure_mode": policy.failure_mode, "reason": reason, "trigger": trigger,
                "model": policy.judge.name})
        answer = judgement.answer
        outcome, note = rules.outcome(answer.verdict, steering=steering,
                                      hard=rules.hard_evidence(state.findings))
        prometheus.JUDGE_OUTCOMES.labels("cached" if judgement.cached else outcome).inc()
        return StageResult(self.name, score=answer.confidence, details={
            "outcome": outcome, "judge_verdict": answer.verdict,
            "confidence": answer.confidence, "categories": list(answer.categories)[:8],
            "reason": answer.reason[:300], "model": judgement.model, "tier": judgement.tier,
            "cached": judgement.cached, "trigger": trigger, "steering": steering,
            **({"note": note} if note else {})})

    def _skip(self, why: str) -> StageResult:
        return StageResult(self.name, status="skipped", details={"reason": why})
