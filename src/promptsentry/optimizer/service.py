"""The optimizer service: request → context → engine → firewall scan → template → answer.

Pure pieces (detection, goals, rules engine) are composed here with the I/O around them: the
firewall pipeline (input and output scans), the LLM provider, the template store and the
quota counters. The HTTP routes, the MCP tools and the CLI all call this one class.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import anyio

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.observability.logging import get_logger
from promptsentry.optimizer.detect import ContextDetector, default_detector
from promptsentry.optimizer.engine import OptimizationResult, optimize_rules
from promptsentry.optimizer.features import EMBED_CHARS
from promptsentry.optimizer.firewall import INJECTION_PATTERNS
from promptsentry.optimizer.goals import strip_boilerplate, validate_goals
from promptsentry.optimizer.llm import LLMClient, Scanner, optimize_llm
from promptsentry.optimizer.quota import QuotaService, QuotaStatus, UsageCounters
from promptsentry.optimizer.schemas import OptimizeBody
from promptsentry.optimizer.settings import OptimizerSettings
from promptsentry.optimizer.template_actions import TemplateActions, check_ai_context
from promptsentry.optimizer.templates import TemplateStore

__all__ = ["OptimizeOptions", "OptimizerService", "ScanSummary", "options_of", "rewrite_scanner"]

log = get_logger("promptsentry.optimizer")


@dataclass(frozen=True, slots=True)
class ScanSummary:
    """The firewall's verdict on a text."""

    verdict: str
    risk_score: float
    patterns_matched: list[str]

    @property
    def malicious(self) -> bool:
        return self.verdict in ("malicious", "escalated_malicious")

    def as_dict(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "risk_score": self.risk_score,
                "patterns_matched": self.patterns_matched}

    def output_dict(self) -> dict[str, Any]:
        return {**self.as_dict(), "scope": "optimized prompt without the optimizer's own "
                "fixed additions (section headings, role, requirement and placeholder lines)"}


Firewall = Callable[[str], Awaitable[ScanSummary]]


def pattern_firewall() -> Firewall:
    """A firewall made of the optimizer's own injection patterns (used when the service runs
    without the scan pipeline, e.g. in the CLI)."""

    async def scan(text: str) -> ScanSummary:
        hits = [p.pattern[:40] for p in INJECTION_PATTERNS if p.search(text)]
        return ScanSummary("malicious" if hits else "clean", 1.0 if hits else 0.0,
                           ["optimizer_injection_pattern"] if hits else [])

    return scan


def rewrite_scanner(firewall: Firewall) -> Scanner:
    """The llm engine's firewall check of a rewrite: ``firewall`` on the text without the
    optimizer's own fixed additions (headings, role, requirement and placeholder lines)."""

    async def scanner(text: str) -> bool:
        return (await firewall(strip_boilerplate(text))).malicious

    return scanner


@dataclass(slots=True)
class OptimizeOptions:
    prompt: str
    goals: list[str] | None = None
    ai_context: str | None = None
    engine: str | None = None
    save_template: bool | None = None
    title: str | None = None
    target_model: str | None = None
    domain: str | None = None
    target_audience: str | None = None
    extra_metadata: dict[str, Any] | None = None


def options_of(body: OptimizeBody) -> OptimizeOptions:
    """The options of a validated optimize body (the HTTP routes' and the CLI's)."""
    extra: dict[str, Any] = {}
    if body.value_hierarchy:
        extra["value_hierarchy"] = [v.model_dump() for v in body.value_hierarchy]
    if body.intent_frame:
        extra["intent_frame"] = body.intent_frame.model_dump()
    return OptimizeOptions(prompt=body.prompt, goals=body.goals, ai_context=body.ai_context,
                           engine=body.engine, save_template=body.save_template,
                           title=body.title, target_model=body.target_model,
                           domain=body.domain, target_audience=body.target_audience,
                           extra_metadata=extra or None)


class OptimizerService(TemplateActions):
    """Everything the optimizer does for one tenant at a time: optimize and detect here,
    templates, quota and export in :class:`TemplateActions`."""

    def __init__(self, store: TemplateStore, settings: OptimizerSettings, *,
                 firewall: Firewall | None = None, detector: ContextDetector | None = None,
                 llm: LLMClient | None = None) -> None:
        self.store = store
        self.settings = settings
        self.quota = QuotaService(UsageCounters(store.engine, clock=store.clock), settings)
        self.firewall = firewall or pattern_firewall()
        self.detector = detector or default_detector()
        self.llm = llm if llm is not None else LLMClient.from_settings(settings)

    # --- validation helpers -------------------------------------------------------------
    check_ai_context = staticmethod(check_ai_context)

    def check_engine(self, value: str | None) -> str:
        engine = (value or self.settings.default_engine).lower()
        if engine not in ("rules", "llm", "hybrid"):
            raise ApiError(422, ErrorCode.INVALID_REQUEST, f"unknown engine {value!r}",
                           {"field": "engine", "supported": ["rules", "llm", "hybrid"]})
        return engine

    # --- optimize -----------------------------------------------------------------------
    async def optimize(self, tenant_id: str, opts: OptimizeOptions, *,
                       request_id: str) -> tuple[dict[str, Any], dict[str, str]]:
        """Optimize one prompt for ``tenant_id``: the answer body and rate-limit headers."""
        started = time.perf_counter()
        goals = validate_goals(opts.goals)
        ai_context = self.check_ai_context(opts.ai_context)
        engine = self.check_engine(opts.engine)
        status, headers = await self.store.run(self.quota.admit, tenant_id)
        try:
            result, input_scan, output_scan, template_id = await self._work(
                tenant_id, opts, goals, ai_context, engine, request_id=request_id)
        except BaseException:
            # The reservation is given back: a failed optimization is not charged. A
            # cancellation (client gone) must not skip this, hence the shield.
            with anyio.CancelScope(shield=True):
                try:
                    await self.store.run(self.quota.release, tenant_id, status)
                except Exception as exc:  # noqa: BLE001 - the original error matters more
                    log.warning("quota_release_failed", tenant_id=tenant_id,
                                error=type(exc).__name__)
            raise
        ms = round((time.perf_counter() - started) * 1000, 3)
        log.info("optimize", tenant_id=tenant_id, request_id=request_id, engine=engine,
                 tier=result.optimization_tier, goals=result.goals, ai_context=result.ai_context,
                 tokens_before=result.tokens_before, tokens_after=result.tokens_after,
                 template_saved=template_id is not None, ms=ms)
        body = self.answer(result, status, request_id=request_id, ms=ms,
                           template_id=template_id, output_scan=output_scan,
                           input_scan=input_scan)
        return body, headers

    async def _work(self, tenant_id: str, opts: OptimizeOptions, goals: list[str],
                    ai_context: str | None, engine: str, *, request_id: str
                    ) -> tuple[OptimizationResult, ScanSummary, ScanSummary, str | None]:
        """The optimization itself, between the quota reservation and the answer."""
        input_scan = await self.firewall(opts.prompt)
        if engine == "rules":
            result = optimize_rules(opts.prompt, goals, ai_context, detector=self.detector,
                                    injection_flagged=input_scan.malicious,
                                    target_model=opts.target_model)
        else:
            result = await optimize_llm(
                opts.prompt, goals, ai_context, self.llm, scanner=rewrite_scanner(self.firewall),
                similarity_floor=self.settings.llm_similarity_floor, hybrid=engine == "hybrid",
                detector=self.detector, injection_flagged=input_scan.malicious,
                target_model=opts.target_model)
        # The optimizer's own fixed additions (headings, role and requirement lines,
        # placeholders) are trusted text: the firewall judges the rest.
        output_scan = await self.firewall(strip_boilerplate(result.optimized_prompt))
        if output_scan.malicious:
            result.warnings.append(
                "the firewall judges the optimized prompt malicious"
                + ("; the original was already flagged" if input_scan.malicious
                   else "; review it before use"))
        save = self.settings.save_templates if opts.save_template is None else opts.save_template
        template_id = None
        if save:
            template = await self.store.run(
                self.store.create, tenant_id,
                title=opts.title or _title_of(opts.prompt, result.ai_context),
                original_prompt=opts.prompt, optimized_prompt=result.optimized_prompt,
                confidence_score=result.confidence_score, optimization_goals=result.goals,
                optimization_tier=result.optimization_tier, ai_context=result.ai_context,
                domain=opts.domain, target_audience=opts.target_audience,
                request_id=request_id, model_used=result.model_used,
                embedding=self._search_vector(result),
                request_metadata={
                    "engine": engine, "tokens_before": result.tokens_before,
                    "tokens_after": result.tokens_after, "similarity": result.similarity,
                    "quality_before": result.quality_before.total,
                    "quality_after": result.quality_after.total,
                    **(opts.extra_metadata or {})})
            template_id = template.id
        return result, input_scan, output_scan, template_id

    def _search_vector(self, result: OptimizationResult) -> Any:
        """The template's search vector when context detection already computed it with the
        store's encoder over the same prompt head (no second encoder call); ``None`` lets
        the store compute it."""
        vec = result.detection.embedding
        if vec is None or self.detector.embed_chars != EMBED_CHARS:
            return None
        encoder = self.detector.encoder
        return vec if encoder is not None and encoder is self.store.embedder else None

    def answer(self, result: OptimizationResult, status: QuotaStatus, *, request_id: str,
               ms: float, template_id: str | None, output_scan: ScanSummary,
               input_scan: ScanSummary) -> dict[str, Any]:
        """The optimize answer: the contract's fields (public and bridge) plus ours."""
        body = result.as_dict()
        gain = result.quality_after.total - result.quality_before.total
        saved = result.tokens_before - result.tokens_after
        body.update({
            "original_prompt": result.original_prompt,
            "status": "optimized",
            "quota_remaining": status.remaining if status.remaining is not None else -1,
            "quota_used": status.used,
            "quota_limit": status.limit if status.limit is not None else -1,
            "template_saved": template_id is not None,
            "template_id": template_id,
            "request_id": request_id,
            "processing_time_ms": ms,
            "scan": output_scan.output_dict(),
            "input_scan": input_scan.as_dict(),
            "rules_based": result.optimization_tier == "rules",
            "fallback_mode": False,
            "metadata": {
                "model_used": result.model_used,
                "routing_tier": result.optimization_tier.upper(),
                "routing_score": result.confidence_score,
                "ai_context": result.ai_context,
                "context_detection": {"ai_context": result.ai_context,
                                      **result.detection.context_object()},
                "ai_context_source": result.ai_context_source,
                "llm_usage": result.llm_usage,
            },
            "optimization_insights": {
                "improvement_metrics": {
                    "quality_gain": gain,
                    "quality_before": result.quality_before.total,
                    "quality_after": result.quality_after.total,
                    "tokens_saved": saved,
                    "token_reduction_pct": round(100.0 * saved / result.tokens_before, 2)
                    if result.tokens_before else 0.0,
                    "similarity": result.similarity,
                },
                "recommendations": result.questions
                + [d.reason for d in result.quality_after.deductions][:5],
            },
            "templates_found": [],
        })
        return body

    # --- detect -------------------------------------------------------------------------
    def detect(self, prompt: str) -> dict[str, Any]:
        det = self.detector.detect(prompt)
        return {
            "primary_context": det.ai_context,
            "confidence": round(det.confidence, 4),
            "secondary_contexts": det.secondary_contexts(),
            "detected_parameters": det.detected_parameters(),
            "ai_context_detected": det.ai_context,
            "lock": det.category.value,
            "context": det.context_object(),
            "probabilities": {k: round(v, 4) for k, v in det.probabilities.items()},
        }


def _title_of(prompt: str, ai_context: str) -> str:
    first = " ".join(prompt.strip().split())[:60]
    return f"{ai_context.replace('_', ' ').title()}: {first}" if first else "Untitled template"
