"""Run the stages in order, time them, apply failure modes and produce the verdict.

``run_pipeline(request)`` is the in-process API the official SDK calls::

    from promptsentry.schemas.request import ScanRequest
    from promptsentry.pipeline.runner import run_pipeline

    response = await run_pipeline(ScanRequest(prompt="Ignore all previous instructions"))
    response.verdict          # "malicious"

It is pure with respect to the service's state: no records, strikes or metrics. The HTTP API
and the MCP server call :class:`~promptsentry.service.ScanService`, which adds those.
"""

from __future__ import annotations

import hashlib
import time
import uuid
from collections.abc import Mapping, Sequence
from functools import lru_cache

from promptsentry.clock import now_iso
from promptsentry.config import Settings, get_settings
from promptsentry.judge.policy import judge_policy
from promptsentry.netaddr import ip_address, ip_network
from promptsentry.pipeline.base import FailureMode, PipelinePolicy, ScanState, Stage, StageResult
from promptsentry.pipeline.verdict import Decision, decide
from promptsentry.schemas.request import ScanRequest
from promptsentry.schemas.response import ScanResponse, StageReport
from promptsentry.stores.base import HotStore

# Stage details that carry (transformed) text: lifted into response fields, never echoed
# in ``stages``.
_TEXT_DETAILS = frozenset({"redacted_prompt", "redacted_output"})


def _report(result: StageResult) -> StageReport:
    return StageReport(
        status=result.status,
        ms=round(result.ms, 3),
        failure_mode=result.failure_mode.value,
        patterns=list(dict.fromkeys(f.pattern for f in result.findings)),
        score=None if result.score is None else round(result.score, 6),
        details={k: v for k, v in result.details.items() if k not in _TEXT_DETAILS},
        error=result.error,
    )


def audit_hash(salt: bytes, prompt: str, verdict: str, action: str, timestamp: str) -> str:
    """SHA-256 of salt + prompt + verdict + action + timestamp (hex).

    With the install's secret salt, the hash proves what was scanned and decided without
    keeping the prompt: whoever holds the prompt and the salt can recompute it.
    """
    digest = hashlib.sha256()
    for part in (salt, prompt.encode("utf-8", "surrogatepass"), verdict.encode(),
                 action.encode(), timestamp.encode()):
        digest.update(part)
    return digest.hexdigest()


class Pipeline:
    """An ordered list of stages plus the install's audit salt."""

    def __init__(self, stages: Sequence[Stage], *, audit_salt: bytes) -> None:
        names = [s.name for s in stages]
        if len(set(names)) != len(names):
            raise ValueError(f"stage names must be unique: {names}")
        self.stages = tuple(stages)
        self._salt = audit_salt

    async def aclose(self) -> None:
        """Release what stages hold open (the judge's pooled connections); the pipeline
        stays usable."""
        for stage in self.stages:
            close = getattr(stage, "aclose", None)
            if close is not None:
                await close()

    async def judge(self, request: ScanRequest, policy: PipelinePolicy) -> tuple[ScanState, float]:
        """Run every stage; return the final state and the pipeline time in ms."""
        state = ScanState.start(request, policy)
        started = time.perf_counter()
        for stage in self.stages:
            t0 = time.perf_counter()
            try:
                result = await stage.run(state)
                if result is None:  # the stage does not apply to this install (the judge)
                    continue
                status = result.status
                error = result.error
            except Exception as exc:  # a stage crash is a stage result, never a 500
                result = StageResult(name=stage.name)
                status, error = "error", f"{type(exc).__name__}: {exc}"[:300]
            ms = (time.perf_counter() - t0) * 1000
            result = StageResult(
                name=stage.name,
                status=status,
                findings=result.findings if status != "error" else (),
                score=result.score if status != "error" else None,
                views=result.views if status != "error" else (),
                details=result.details,
                error=error,
                ms=ms,
                failure_mode=FailureMode(
                    result.details.get("failure_mode", stage.failure_mode)),
            )
            state = state.with_result(result)
        return state, (time.perf_counter() - started) * 1000

    async def run(
        self,
        request: ScanRequest,
        policy: PipelinePolicy,
        *,
        request_id: str | None = None,
        tenant_id: str | None = None,
        received_at: float | None = None,
    ) -> tuple[ScanResponse, Decision]:
        """Judge ``request`` and build the response the API answers."""
        received = received_at if received_at is not None else time.perf_counter()
        state, pipeline_ms = await self.judge(request, policy)
        t0 = time.perf_counter()
        decision = decide(state)
        verdict_ms = (time.perf_counter() - t0) * 1000

        stages = {r.name: _report(r) for r in state.results}
        redaction = state.result("redaction")
        redacted_prompt = redaction_stats = None
        if policy.redact and redaction is not None and redaction.status == "ok":
            redacted_prompt = redaction.details.get("redacted_prompt")
            redaction_stats = redaction.details.get("redaction_stats")
        stages["verdict"] = StageReport(
            status="ok",
            ms=round(verdict_ms, 3),
            failure_mode=FailureMode.CLOSED.value,
            score=decision.risk_score,
            details={"gray_zone": decision.gray_zone,
                     "threshold": policy.threshold_for(state.context),
                     **({"inferred_context": state.context, "data_shape": state.data_shape}
                        if state.data_shape is not None else {})},
        )
        timestamp = now_iso()
        response = ScanResponse(
            scan_id=f"scan_{uuid.uuid4().hex}",
            request_id=request_id or f"req_{uuid.uuid4().hex}",
            timestamp=timestamp,
            verdict=decision.verdict,
            action_taken=decision.action,
            action=decision.action,
            confidence=decision.confidence,
            risk_score=decision.risk_score,
            gray_zone=decision.gray_zone,
            reasoning=decision.reasoning,
            patterns_matched=list(decision.patterns),
            stages=stages,
            latency_ms=round((time.perf_counter() - received) * 1000, 3),
            pipeline_ms=round(pipeline_ms + verdict_ms, 3),
            scan_type=request.scan_type.value,
            tenant_id=tenant_id,
            audit_hash=audit_hash(self._salt, request.prompt, decision.verdict,
                                  decision.action, timestamp),
            redacted_prompt=redacted_prompt,
            redaction_stats=redaction_stats,
        )
        return response, decision


def default_stages(settings: Settings, hot_store: HotStore | None = None) -> list[Stage]:
    """The default pipeline: normalise → signatures → tool call → indirect injection →
    classifier → leak checks (request canaries, issued canaries, the tenant's system
    prompt) → redaction → the LLM judge (only where one is configured; its cache, quota and
    usage live in ``hot_store``, else in its own in-process store)."""
    from promptsentry.detector import load_detector
    from promptsentry.judge.runtime import JudgeRuntime
    from promptsentry.pipeline.analysis.leakage import derive_canary_key, derive_fingerprint_key
    from promptsentry.pipeline.stages.canary import IssuedCanaryStage
    from promptsentry.pipeline.stages.classifier import ClassifierStage
    from promptsentry.pipeline.stages.indirect import IndirectInjectionStage
    from promptsentry.pipeline.stages.judge import JudgeStage
    from promptsentry.pipeline.stages.leak import LeakStage
    from promptsentry.pipeline.stages.normalize import NormalizeStage
    from promptsentry.pipeline.stages.redaction import RedactionStage
    from promptsentry.pipeline.stages.signatures import SignatureStage
    from promptsentry.pipeline.stages.system_prompt import SystemPromptLeakStage
    from promptsentry.pipeline.stages.toolcall import ToolCallStage

    return [
        NormalizeStage(),
        SignatureStage(),
        ToolCallStage(),
        IndirectInjectionStage(),
        ClassifierStage(
            lambda: load_detector(settings.model_dir),
            failure_mode=FailureMode(settings.classifier_failure_mode),
        ),
        LeakStage(),
        IssuedCanaryStage(derive_canary_key(settings.resolved_audit_salt())),
        SystemPromptLeakStage(derive_fingerprint_key(settings.resolved_audit_salt())),
        RedactionStage(),
        JudgeStage(JudgeRuntime(settings, store=hot_store)),
    ]


def build_pipeline(settings: Settings, hot_store: HotStore | None = None) -> Pipeline:
    return Pipeline(default_stages(settings, hot_store),
                    audit_salt=settings.resolved_audit_salt())


def policy_for(settings: Settings, request: ScanRequest, *, block_threshold: float,
               context_thresholds: Mapping[str, float] | None = None) -> PipelinePolicy:
    """The install-wide policy for ``request`` (tenant settings refine it in the service)."""
    return PipelinePolicy(
        block_threshold=block_threshold,
        context_thresholds=dict(context_thresholds or {}),
        gray_zone_low=settings.gray_zone_low,
        gray_zone_high=settings.gray_zone_high,
        monitor_mode=settings.monitor_mode,
        bypass=is_allowlisted(request, settings.allowlist_ips, settings.allowlist_identities),
        redact=settings.redaction_enabled,
        judge=judge_policy(settings, None, "default"),
        infer_context=settings.infer_data_context,
    )


def is_allowlisted(request: ScanRequest, ips: Sequence[str], identities: Sequence[str]) -> bool:
    if request.user_identity and request.user_identity in identities:
        return True
    if not request.source_ip or not ips:
        return False
    address = ip_address(request.source_ip)
    for entry in ips:
        try:
            network = ip_network(entry)
            if address.version == network.version and address in network:
                return True
        except ValueError:
            continue
    return False


def pipeline_detector(pipeline: Pipeline) -> object | None:
    """The detection model of the pipeline's classifier stage (loaded on first use), if any."""
    for stage in pipeline.stages:
        detector = getattr(stage, "detector", None)
        if detector is not None:
            return detector
    return None


def resolve_block_threshold(settings: Settings, pipeline: Pipeline) -> float:
    """The configured threshold, else the shipped model's, else 0.5."""
    if settings.block_threshold is not None:
        return settings.block_threshold
    threshold = getattr(pipeline_detector(pipeline), "threshold", None)
    return float(threshold) if threshold is not None else 0.5


def resolve_context_thresholds(settings: Settings, pipeline: Pipeline) -> dict[str, float]:
    """The model's per-context block thresholds (``document``, ``tool_return``, …), or none
    when the operator configured one ``block_threshold`` for everything."""
    if settings.block_threshold is not None:
        return {}
    return dict(getattr(pipeline_detector(pipeline), "context_thresholds", {}) or {})


@lru_cache(maxsize=1)
def default_pipeline() -> Pipeline:
    """The process-wide default pipeline, built once from :func:`get_settings`."""
    return build_pipeline(get_settings())


async def run_pipeline(request: ScanRequest) -> ScanResponse:
    """Judge one request with the default pipeline and the install's settings."""
    settings = get_settings()
    pipeline = default_pipeline()
    policy = policy_for(settings, request, block_threshold=resolve_block_threshold(settings, pipeline),
                        context_thresholds=resolve_context_thresholds(settings, pipeline))
    response, _ = await pipeline.run(request, policy)
    return response
