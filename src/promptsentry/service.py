"""The scan service: pipeline → verdict → side effects.

This is the edge where a verdict turns into state: the scan record (retention-bounded, no
prompt text unless opted in) and metrics. The HTTP API and the MCP server both call it, so
the two stay identical.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from promptsentry.clock import iso_z
from promptsentry.config import Settings
from promptsentry.judge.policy import judge_policy
from promptsentry.observability import prometheus
from promptsentry.observability.logging import get_logger
from promptsentry.pipeline.base import PipelinePolicy
from promptsentry.pipeline.runner import (
    Pipeline,
    is_allowlisted,
    resolve_block_threshold,
    resolve_context_thresholds,
)
from promptsentry.schemas.request import ScanRequest
from promptsentry.schemas.response import ScanResponse
from promptsentry.security.guard import Admission, Guard, TenantDirectory, parse_ip
from promptsentry.stores.base import HotStore
from promptsentry.stores.records import ScanRecord
from promptsentry.stores.tenants import EffectiveSettings, effective_settings
from promptsentry.text import replace_lone_surrogates, strip_control

log = get_logger("promptsentry.scan")

DEFAULT_TENANT = "default"


@dataclass(frozen=True, slots=True)
class ScanContext:
    """Facts about the caller that are not in the request body."""

    tenant_id: str = DEFAULT_TENANT
    request_id: str | None = None
    peer_ip: str | None = None
    received_at: float | None = None
    """``time.perf_counter()`` when the request arrived, for end-to-end latency."""


class ScanService:
    """Judges requests and records the outcome."""

    def __init__(
        self,
        settings: Settings,
        pipeline: Pipeline,
        hot_store: HotStore,
        *,
        guard: Guard | None = None,
        tenants: TenantDirectory | None = None,
    ) -> None:
        self.settings = settings
        self.pipeline = pipeline
        self.hot_store = hot_store
        self.guard = guard
        self.tenants = tenants
        self._threshold: float | None = None
        self._context_thresholds: dict[str, float] | None = None
        self._record_store_down = False
        self._install = effective_settings(settings, None)
        """What a scan runs under without a tenant directory: the install's settings."""

    @property
    def block_threshold(self) -> float:
        if self._threshold is None:
            self._threshold = resolve_block_threshold(self.settings, self.pipeline)
        return self._threshold

    @property
    def context_thresholds(self) -> dict[str, float]:
        if self._context_thresholds is None:
            self._context_thresholds = resolve_context_thresholds(self.settings, self.pipeline)
        return self._context_thresholds

    async def effective_settings(self, tenant_id: str) -> EffectiveSettings:
        """The tenant's settings merged onto the install's; the install's own without a
        tenant directory (the MCP tools' service)."""
        return self._install if self.tenants is None else await self.tenants.effective(tenant_id)

    def policy(self, eff: EffectiveSettings, request: ScanRequest,
               tenant_id: str = DEFAULT_TENANT) -> PipelinePolicy:
        """The one policy builder of a scan: ``eff`` applied to ``request``. A tenant's (or
        the install's) own ``block_threshold`` replaces the model's per-context ones; the
        judge is the tenant's own endpoint, else the install's (``None``: no judge)."""
        return PipelinePolicy(
            block_threshold=(eff.block_threshold if eff.block_threshold is not None
                             else self.block_threshold),
            gray_zone_low=eff.gray_zone_low,
            gray_zone_high=eff.gray_zone_high,
            monitor_mode=eff.monitor_mode,
            bypass=is_allowlisted(request, eff.allowlist_ips, eff.allowlist_identities),
            redact=eff.redaction_enabled,
            system_prompt_fingerprint=eff.system_prompt_fingerprint,
            system_prompt_threshold=eff.system_prompt_threshold,
            context_thresholds=self.context_thresholds if eff.block_threshold is None else {},
            judge=judge_policy(self.settings, eff, tenant_id),
            infer_context=self.settings.infer_data_context,
        )

    async def admit(self, request: ScanRequest, ctx: ScanContext) -> Admission | None:
        """Blocks and rate limits for this scan (raises 403/429 ``ApiError``); call before
        :meth:`scan` to get the ``X-RateLimit-*`` numbers, or let ``scan`` call it."""
        if self.guard is None:
            return None
        eff = await self.effective_settings(ctx.tenant_id)
        ip = parse_ip(request.source_ip) or parse_ip(ctx.peer_ip)
        return await self.guard.admit(ctx.tenant_id, ip, eff)

    async def scan(
        self, request: ScanRequest, ctx: ScanContext, *, admission: Admission | None = None
    ) -> ScanResponse:
        received = ctx.received_at if ctx.received_at is not None else time.perf_counter()
        eff = await self.effective_settings(ctx.tenant_id)
        if admission is None:
            admission = await self.admit(request, ctx)
        policy = self.policy(eff, request, ctx.tenant_id)
        response, _ = await self.pipeline.run(
            request, policy, request_id=ctx.request_id, tenant_id=ctx.tenant_id,
            received_at=received,
        )
        await self._record(request, response, ctx, eff)
        if self.guard is not None and admission is not None:
            await self.guard.after_verdict(ctx.tenant_id, admission, response.verdict,
                                           response.action_taken, eff)
        self._observe(response)
        log.info(
            "scan",
            scan_id=response.scan_id,
            request_id=response.request_id,
            tenant_id=ctx.tenant_id,
            verdict=response.verdict,
            action=response.action_taken,
            risk_score=response.risk_score,
            patterns=response.patterns_matched,
            scan_type=response.scan_type,
            pipeline_ms=response.pipeline_ms,
        )
        return response

    async def _record(self, request: ScanRequest, response: ScanResponse, ctx: ScanContext,
                      eff: EffectiveSettings) -> None:
        retention_s = eff.scan_retention_hours * 3600
        expires = datetime.now(UTC) + timedelta(seconds=retention_s)
        record = ScanRecord(
            scan_id=response.scan_id,
            request_id=response.request_id,
            timestamp=response.timestamp,
            tenant_id=ctx.tenant_id,
            verdict=response.verdict,
            action_taken=response.action_taken,
            confidence=response.confidence,
            risk_score=response.risk_score,
            patterns_matched=response.patterns_matched,
            scan_type=response.scan_type,
            audit_hash=response.audit_hash,
            source_ip=request.source_ip or parse_ip(ctx.peer_ip) or ctx.peer_ip,
            # Lone surrogates (possible from the in-process API and MCP; HTTP refuses them)
            # cannot be serialised: the record would be lost, an audit gap.
            user_identity=_text(request.user_identity),
            context=_text(request.context),
            latency_ms=response.latency_ms,
            prompt=replace_lone_surrogates(strip_control(request.prompt))
            if eff.store_prompt_in_scan_record
            else None,
            expires_at=iso_z(expires),
        )
        try:
            await self.hot_store.put_scan_record(record, retention_s)
        except (TypeError, ValueError) as exc:  # not an outage: this record cannot be kept
            log.error("scan_record_not_stored", scan_id=record.scan_id,
                      error=type(exc).__name__)
        except Exception as exc:  # the verdict stands even when the record cannot be kept
            if not self._record_store_down:
                log.warning("scan_record_store_unavailable", error=type(exc).__name__)
            self._record_store_down = True
        else:
            if self._record_store_down:
                log.info("scan_record_store_recovered")
            self._record_store_down = False

    @staticmethod
    def _observe(response: ScanResponse) -> None:
        prometheus.SCANS.labels(response.verdict, response.action_taken, response.scan_type).inc()
        prometheus.SCAN_SECONDS.observe(response.latency_ms / 1000)
        for name, report in response.stages.items():
            prometheus.STAGE_SECONDS.labels(name).observe(report.ms / 1000)
            if report.status == "error":
                prometheus.STAGE_ERRORS.labels(name, report.failure_mode).inc()


def _text(value: str | None) -> str | None:
    return None if value is None else replace_lone_surrogates(value)
