"""The judge's I/O: provider clients per endpoint, the judgement cache, per-tenant quotas,
and the two tiers (judge, then the escalation model for the judge's unsure band)."""

from __future__ import annotations

import hashlib
import hmac
import ssl
import time
from collections import OrderedDict
from dataclasses import dataclass

from promptsentry.config import Settings
from promptsentry.judge import secrets
from promptsentry.judge.answer import JudgeAnswer, JudgeAnswerError, parse_answer
from promptsentry.judge.policy import JudgePolicy, JudgeTarget
from promptsentry.judge.prompt import build_request, new_nonce
from promptsentry.judge.tenant import egress_policy
from promptsentry.observability.logging import get_logger
from promptsentry.providers import usage
from promptsentry.providers.client import Endpoint, ProviderClient, ProviderError
from promptsentry.providers.egress import Resolver, UnsafeEndpoint, split_url, system_resolver

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


class TtlCache:
    """Bounded LRU map whose entries expire ``ttl_s`` after they were put."""

    def __init__(self, ttl_s: float, maxsize: int = 10_000) -> None:
        self.ttl_s, self.maxsize = ttl_s, maxsize
        self._data: OrderedDict[str, tuple[float, Judgement]] = OrderedDict()

    def get(self, key: str) -> Judgement | None:
        hit = self._data.get(key)
        if hit is None or hit[0] < time.monotonic():
            self._data.pop(key, None)
            return None
        self._data.move_to_end(key)
        return hit[1]

    def put(self, key: str, value: Judgement) -> None:
        if self.ttl_s <= 0:
            return
        self._data[key] = (time.monotonic() + self.ttl_s, value)
        self._data.move_to_end(key)
        while len(self._data) > self.maxsize:
            self._data.popitem(last=False)


class HourlyQuota:
    """Judge calls per tenant per UTC hour, in this process."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, int], int] = {}

    def take(self, tenant_id: str, limit: int) -> bool:
        if limit <= 0:
            return True
        hour = int(time.time() // 3600)
        if len(self._counts) > 10_000:
            self._counts = {k: v for k, v in self._counts.items() if k[1] == hour}
        used = self._counts.get((tenant_id, hour), 0)
        if used >= limit:
            return False
        self._counts[(tenant_id, hour)] = used + 1
        return True


class JudgeRuntime:
    """Shared by every scan of one process."""

    def __init__(self, settings: Settings, *, resolver: Resolver = system_resolver,
                 verify: ssl.SSLContext | bool = True) -> None:
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
        self.cache = TtlCache(settings.judge_cache_seconds)
        self.quota = HourlyQuota()
        self._clients: dict[tuple[str, ...], ProviderClient] = {}

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
            max_response_bytes=256 * 1024, price=tuple(price) if price else None)
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
        if not self.quota.take(policy.tenant_id, policy.quota_per_hour):
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
            reason = "timeout" if "Timeout" in str(exc) or "deadline" in str(exc) else (
                "unsafe_endpoint" if "unsafe endpoint" in str(exc) else "provider")
            raise JudgeFailure(reason, f"{target.name}: {exc}"[:300]) from None
        try:
            answer = parse_answer(done.text, nonce)
        except JudgeAnswerError as exc:
            raise JudgeFailure("invalid_answer", f"{target.name}: {exc}") from None
        return Judgement(answer, target.name, tier, False, done.input_tokens, done.output_tokens)

    async def judge(self, policy: JudgePolicy, text: str, scan_type: str,
                    context: str | None) -> Judgement:
        """The final judgement of ``text`` (cached); raises :class:`JudgeFailure`."""
        key = self.cache_key(policy, text, scan_type, context)
        hit = self.cache.get(key)
        if hit is not None:
            return Judgement(hit.answer, hit.model, hit.tier, True)
        deadline = time.monotonic() + policy.deadline_s
        first = await self.ask(policy.judge, policy, text, scan_type, context, deadline,
                               "judge")
        final = first
        if policy.escalation is not None and first.answer.confidence < policy.escalation_below:
            try:
                final = await self.ask(policy.escalation, policy, text, scan_type, context,
                                       deadline, "escalation")
            except JudgeFailure:
                final = first  # the first tier's answer is still a valid judgement
        self.cache.put(key, final)
        return final
