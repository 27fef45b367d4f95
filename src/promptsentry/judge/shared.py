"""The judge's state shared by every worker, on the hot store (in-process by default, Redis
when ``redis_url`` is set): the judgement cache, the per-tenant hourly quota, and per-tenant
LLM usage counters.

* **Cache** — ``SET … PX`` under a salted HMAC of what the judgement depends on; the value
  holds the verdict, confidence, categories, model and tier, never the text and not the
  judge's reason (a model's prose may quote the text).
* **Quota** — one atomic take per judge call (Redis: a Lua ``INCR`` + ``EXPIRE`` that never
  overshoots), so N workers together allow exactly ``judge_quota_per_hour``.
* **Usage** — calls, errors, tokens and cost per purpose/API/model per tenant and hour
  (``GET /api/stats`` → ``tenant_llm_usage``).

Hot store unavailable (Redis down): the cache is a miss and is not written, the quota is
enforced **per worker** in this process's memory (each worker allows up to the limit until
Redis answers again), usage is not counted; each is logged (``judge_hot_store_unavailable``,
at most once per ``LOG_EVERY_S`` per operation) and the scan goes on.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping

from promptsentry.judge.answer import JudgeAnswer
from promptsentry.observability.logging import get_logger
from promptsentry.stores.base import HotStore, StoreUnavailable
from promptsentry.stores.memory import MemoryHotStore

log = get_logger("promptsentry.judge")

QUOTA_NAME = "judge"
LOG_EVERY_S = 10.0
#: The reason a cache hit answers: the judge's own reason is not cached.
CACHED_REASON = "cached judgement (the judge's reason is not kept)"


def encode_judgement(answer: JudgeAnswer, model: str, tier: str) -> str:
    """The cached form of a judgement (no text, no reason, no nonce)."""
    return json.dumps({"verdict": answer.verdict, "confidence": answer.confidence,
                       "categories": list(answer.categories)[:16], "model": model,
                       "tier": tier}, separators=(",", ":"))


def decode_judgement(raw: str) -> tuple[JudgeAnswer, str, str] | None:
    """``(answer, model, tier)`` of a cached value; ``None`` when it cannot be read."""
    try:
        data = json.loads(raw)
        answer = JudgeAnswer(verdict=data["verdict"], confidence=data["confidence"],
                             categories=data["categories"], reason=CACHED_REASON,
                             nonce="cached")
        return answer, str(data["model"]), str(data["tier"])
    except (ValueError, KeyError, TypeError):
        return None


class JudgeSharedState:
    """The cache, quota and usage of the judge over ``store``."""

    def __init__(self, store: HotStore, *, usage_ttl_s: float) -> None:
        self.store = store
        self.usage_ttl_s = usage_ttl_s
        # The per-worker fallback of the quota while the shared store is down.
        self.local: HotStore = store if isinstance(store, MemoryHotStore) else MemoryHotStore()
        self._logged: dict[str, float] = {}

    def _down(self, op: str, exc: StoreUnavailable) -> None:
        now = time.monotonic()
        if now - self._logged.get(op, -LOG_EVERY_S) >= LOG_EVERY_S:
            self._logged[op] = now
            fallback = {"cache_get": "cache miss", "cache_put": "not cached",
                        "quota": "quota enforced per worker",
                        "usage": "usage not counted"}[op]
            log.warning("judge_hot_store_unavailable", op=op, fallback=fallback,
                        error=str(exc))

    async def get(self, tenant_id: str, key: str) -> tuple[JudgeAnswer, str, str] | None:
        try:
            raw = await self.store.get_cached(tenant_id, key)
        except StoreUnavailable as exc:
            self._down("cache_get", exc)
            return None
        return decode_judgement(raw) if raw is not None else None

    async def put(self, tenant_id: str, key: str, answer: JudgeAnswer, model: str, tier: str,
                  ttl_s: float) -> None:
        if ttl_s <= 0:
            return
        try:
            await self.store.put_cached(tenant_id, key, encode_judgement(answer, model, tier),
                                        ttl_s)
        except StoreUnavailable as exc:
            self._down("cache_put", exc)

    async def take_quota(self, tenant_id: str, limit: int) -> bool:
        """One judge call of the tenant's hourly quota (``limit`` ≤ 0: unlimited)."""
        if limit <= 0:
            return True
        hour = int(time.time() // 3600)
        try:
            return await self.store.take_quota(tenant_id, QUOTA_NAME, hour, limit, 3600 + 60)
        except StoreUnavailable as exc:
            self._down("quota", exc)
            return await self.local.take_quota(tenant_id, QUOTA_NAME, hour, limit, 3600 + 60)

    async def count(self, tenant_id: str, counts: Mapping[str, float]) -> None:
        try:
            await self.store.add_usage(tenant_id, int(time.time() // 3600), counts,
                                       self.usage_ttl_s)
        except StoreUnavailable as exc:
            self._down("usage", exc)
