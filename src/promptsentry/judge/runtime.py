"""The judge's I/O: provider clients per endpoint over one pool of kept-alive connections,
the judgement cache, per-tenant quotas and usage (shared by every worker, on the hot store:
:mod:`promptsentry.judge.shared`), and the two tiers (judge, then the escalation model for
the judge's unsure band)."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ssl
import time
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from promptsentry.config import Settings
from promptsentry.judge import secrets
from promptsentry.judge.answer import JudgeAnswer, JudgeAnswerError, parse_answer
from promptsentry.judge.policy import JudgePolicy, JudgeTarget
from promptsentry.judge.prompt import build_request, new_nonce
from promptsentry.judge.shared import JudgeSharedState
from promptsentry.judge.tenant import egress_policy
from promptsentry.observability.logging import get_logger
from promptsentry.providers import usage
from promptsentry.providers.client import Endpoint, ProviderClient, ProviderError
from promptsentry.providers.egress import Resolver, UnsafeEndpoint, split_url, system_resolver
from promptsentry.providers.pool import ClientPool
from promptsentry.stores.base import HotStore
from promptsentry.stores.memory import MemoryHotStore

log = get_logger("promptsentry.judge")


class JudgeFailure(RuntimeError):
    """No valid judgement; ``reason`` is a stable word (``timeout``, ``quota``, …)."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True, slots=True)
class Judgement:
    answer: JudgeAnswer
    model: str
    tier: str
    """``judge`` or ``escalation``."""
    cached: bool = False
    input_tokens: int = 0
    output_tokens: int = 0


#: Seconds before the judge deadline at which a cache write or usage count is given up.
BOOKKEEPING_MARGIN_S = 0.05
#: Most pooled HTTP clients (endpoint origins) one worker keeps, and connections per client.
POOL_MAX_CLIENTS = 64
POOL_MAX_CONNECTIONS = 16
#: Seconds an idle kept-alive connection is kept (then closed; the next call reconnects,
#: resolving and checking the name again).
POOL_KEEPALIVE_S = 30.0


class JudgeRuntime:
    """Shared by every scan of one process. ``store`` is the deployment's hot store (its
    own in-process store when none is given); :meth:`aclose` closes the pooled connections
    (the app's shutdown)."""

    def __init__(self, settings: Settings, *, store: HotStore | None = None,
                 resolver: Resolver = system_resolver,
                 verify: ssl.SSLContext | bool = True,
                 pool: ClientPool | None = None) -> None:
        self.settings = settings
        self.egress = egress_policy(settings)
        self.resolver = resolver
        self.verify = verify
        try:
            self.cipher = secrets.cipher(settings.byom_encryption_key)
        except ValueError:
            self.cipher = None  # a malformed key: tenant keys cannot be decrypted
            log.warning("byom_encryption_key_invalid",
                        hint="not a Fernet key; tenant judge keys cannot be used")
        for url in (settings.judge_url, settings.judge_escalation_url):
            try:
                if url:
                    split_url(url, self.egress)
            except UnsafeEndpoint as exc:  # every call would fail: say so at start-up
                log.warning("judge_url_refused", reason=exc.reason, message=str(exc))
        self._salt = settings.resolved_audit_salt()
        self.shared = JudgeSharedState(store if store is not None else MemoryHotStore(),
                                       usage_ttl_s=settings.stats_retention_hours * 3600)
        self.pool = pool or ClientPool(POOL_MAX_CLIENTS, POOL_MAX_CONNECTIONS, POOL_KEEPALIVE_S)
        self._clients: dict[tuple[str, ...], ProviderClient] = {}

    async def aclose(self) -> None:
        """Close the pooled connections (the runtime stays usable: a later call reconnects)."""
        await self.pool.aclose()

    def client(self, target: JudgeTarget, deadline_s: float) -> ProviderClient:
        key = (target.api, target.url, target.model, target.api_key or "",
               target.api_key_encrypted or "")
        found = self._clients.get(key)
        if found is not None:
            found.timeout_s = deadline_s
            return found
        api_key = target.api_key
        if target.api_key_encrypted:
            try:
                api_key = secrets.decrypt(self.cipher, target.api_key_encrypted)
            except secrets.SecretsUnavailable as exc:
                raise JudgeFailure("secret", str(exc)) from None
        price = usage.price_for(self.settings.llm_prices, target.api, target.model)
        client = ProviderClient(
            Endpoint(target.api, target.url, target.model, api_key), purpose="judge",
            policy=self.egress, resolver=self.resolver, verify=self.verify,
            timeout_s=deadline_s, retries=2, backoff_s=0.1, max_retry_after_s=deadline_s,
            max_response_bytes=256 * 1024, price=tuple(price) if price else None,
            concurrency=POOL_MAX_CONNECTIONS, pool=self.pool)
        if len(self._clients) > 1000:
            self._clients.clear()
        self._clients[key] = client
        return client

    def cache_key(self, policy: JudgePolicy, text: str, scan_type: str,
                  context: str | None) -> str:
        """Salted hash of everything a judgement depends on (never the text itself)."""
        parts = (policy.tenant_id, policy.judge.name, policy.judge.url,
                 policy.escalation.name if policy.escalation else "", scan_type, context or "",
                 text)
        material = "\x00".join(parts).encode("utf-8", "surrogatepass")
        return hmac.new(self._salt, material, hashlib.sha256).hexdigest()

    async def ask(self, target: JudgeTarget, policy: JudgePolicy, text: str, scan_type: str,
                  context: str | None, deadline: float, tier: str) -> Judgement:
        """One tier's judgement; raises :class:`JudgeFailure`."""
        if not await self.shared.take_quota(policy.tenant_id, policy.quota_per_hour):
            raise JudgeFailure("quota", "the tenant's judge quota for this hour is used up")
        left = deadline - time.monotonic()
        if left <= 0:
            raise JudgeFailure("timeout", "no time left for the judge")
        nonce = new_nonce()
        client = self.client(target, left)
        try:
            done = await client.complete(build_request(text, nonce, scan_type=scan_type,
                                                       context=context), deadline_s=left)
        except ProviderError as exc:
            await _within(deadline, self.shared.count(policy.tenant_id, usage.tenant_fields(
                "judge", target.api, target.model, error=True)))
            reason = "timeout" if "Timeout" in str(exc) or "deadline" in str(exc) else (
                "unsafe_endpoint" if "unsafe endpoint" in str(exc) else "provider")
            raise JudgeFailure(reason, f"{target.name}: {exc}"[:300]) from None
        await _within(deadline, self.shared.count(policy.tenant_id, usage.tenant_fields(
            "judge", target.api, target.model, error=False, input_tokens=done.input_tokens,
            output_tokens=done.output_tokens, cost=done.cost_usd)))
        try:
            answer = parse_answer(done.text, nonce)
        except JudgeAnswerError as exc:
            raise JudgeFailure("invalid_answer", f"{target.name}: {exc}") from None
        return Judgement(answer, target.name, tier, False, done.input_tokens, done.output_tokens)

    async def judge(self, policy: JudgePolicy, text: str, scan_type: str,
                    context: str | None) -> Judgement:
        """The final judgement of ``text`` (cached); raises :class:`JudgeFailure`."""
        deadline = time.monotonic() + policy.deadline_s  # hot-store time counts too
        key = self.cache_key(policy, text, scan_type, context)
        hit = await self.shared.get(policy.tenant_id, key)
        if hit is not None:
            return Judgement(*hit, cached=True)
        first = await self.ask(policy.judge, policy, text, scan_type, context, deadline,
                               "judge")
        final = first
        if policy.escalation is not None and first.answer.confidence < policy.escalation_below:
            try:
                final = await self.ask(policy.escalation, policy, text, scan_type, context,
                                       deadline, "escalation")
            except JudgeFailure:
                final = first  # the first tier's answer is still a valid judgement
        await _within(deadline, self.shared.put(policy.tenant_id, key, final.answer, final.model,
                                                final.tier, self.settings.judge_cache_seconds))
        return final


async def _within(deadline: float, work: Coroutine[Any, Any, None]) -> None:
    """Bookkeeping after a call (cache write, usage): given up, not waited for, when it
    would outlast the scan's judge deadline — a slow hot store never costs a judgement."""
    # Ends a little before the deadline: the stage's own timeout (the same deadline, started
    # a moment earlier) must not fire first and discard the judgement.
    left = deadline - BOOKKEEPING_MARGIN_S - time.monotonic()
    if left <= 0:
        work.close()
        return
    try:
        async with asyncio.timeout(left):
            await work
    except TimeoutError:
        log.warning("judge_hot_store_slow", hint="cache write or usage count skipped")
