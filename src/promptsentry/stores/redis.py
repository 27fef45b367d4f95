"""The Redis hot store: state shared by every worker and replica of a deployment.

Key layout (Redis Cluster ready: every multi-key operation stays inside one hash tag)::

    (prefix "ps", setting redis_key_prefix)
    ps:{t:<tenant>}:scan:<scan_id>    scan record (JSON string, PX = retention)
    ps:{t:<tenant>}:scans             zset scan_id -> expiry ms (listing index)
    ps:{t:<tenant>}:rl                zset request log of the tenant's sliding window
    ps:{t:<tenant>}:stats:<hour>      hash "<verdict>|<action>" -> count
    ps:{ti:<tenant>|<ip>}:rl          zset request log of the address's window in the tenant
    ps:{ti:<tenant>|<ip>}:strikes     zset strike log of the address in the tenant (score = ms)
    ps:{ti:<tenant>|<ip>}:block       automatic block in the tenant (reason, PX = block length)
    ps:{ip:<ip>}:tenants              zset tenant -> expiry ms: tenants holding strikes or a
                                      block of the address (index, for lifting them all)
    ps:{blocks}:auto                  zset "<tenant>|<ip>" -> block expiry ms (listing index)
    ps:{keys}:revoked:<key_id>        a revoked API key (PX = revocation TTL)
    ps:{t:<tenant>}:cache:<key>       a cached value, e.g. a judgement (PX = cache TTL); keys
                                      are salted hashes, never text
    ps:{t:<tenant>}:quota:<name>:<p>  units of quota <name> taken in period <p> (EX = TTL)
    ps:{t:<tenant>}:usage:<hour>      hash "<purpose>|<api>|<model>|<metric>" -> total

Strikes, automatic blocks and per-IP windows are per tenant: one tenant's traffic never
blocks or limits an address for another tenant.

Counting and strike-then-block run as Lua scripts using the server's clock (``TIME``), so
every worker agrees on the window and no read-modify-write crosses the network.

Failures: connection errors and timeouts raise
:class:`~promptsentry.stores.base.StoreUnavailable`. After one, the store fails fast for
``cooldown_seconds`` instead of paying a timeout per request, then tries again; redis-py
reconnects on its own, so service resumes without a restart.
"""

from __future__ import annotations

import hashlib
import re
import time
import uuid
from collections.abc import Awaitable, Mapping
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

from promptsentry.stores.base import (
    AutoBlock,
    RateLimitResult,
    RateScope,
    StoreUnavailable,
    StrikeResult,
    split_tenant_ip,
)
from promptsentry.stores.records import ScanRecord

T = TypeVar("T")

_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")

_RATE_LIMIT = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local limit = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[3])
  redis.call('PEXPIRE', KEYS[1], window)
  local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  return {1, limit - count - 1, tonumber(oldest[2]) + window - now}
end
local oldest = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
local reset = window
if oldest[2] then reset = tonumber(oldest[2]) + window - now end
return {0, 0, reset}
"""

_STRIKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local threshold = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local block_ms = tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
redis.call('ZADD', KEYS[1], now, ARGV[4])
redis.call('PEXPIRE', KEYS[1], window)
local n = redis.call('ZCARD', KEYS[1])
local ttl = redis.call('PTTL', KEYS[2])
if ttl > 0 then
  return {n, 1, 0, ttl, now}
end
if threshold > 0 and n >= threshold then
  redis.call('SET', KEYS[2], ARGV[5], 'PX', block_ms)
  return {n, 1, 1, block_ms, now}
end
return {n, 0, 0, -1, now}
"""

_TAKE_QUOTA = """
local n = redis.call('INCR', KEYS[1])
if redis.call('TTL', KEYS[1]) < 0 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
if n > tonumber(ARGV[1]) then
  redis.call('DECR', KEYS[1])
  return 0
end
return 1
"""

_PUT_RECORD = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local ttl = tonumber(ARGV[2])
redis.call('SET', KEYS[1], ARGV[1], 'PX', ttl)
redis.call('ZADD', KEYS[2], now + ttl, ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
if redis.call('PTTL', KEYS[2]) < ttl then redis.call('PEXPIRE', KEYS[2], ttl) end
return 1
"""


def _number(value: str) -> float:
    """A counter read back: an int where it is one (HINCRBY), else a float."""
    try:
        return int(value)
    except ValueError:
        return float(value)


def _tag(value: str) -> str:
    """A hash-tag-safe form of a tenant id or address (hashed when it has odd characters)."""
    if _SAFE.match(value):
        return value
    return "h" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def tenant_key(tenant_id: str, suffix: str, prefix: str = "ps") -> str:
    return f"{prefix}:{{t:{_tag(tenant_id)}}}:{suffix}"


def ip_key(ip: str, suffix: str, prefix: str = "ps") -> str:
    return f"{prefix}:{{ip:{_tag(ip)}}}:{suffix}"


def tenant_ip_key(tenant_id: str, ip: str, suffix: str, prefix: str = "ps") -> str:
    """A key of one address within one tenant (``_tag`` never yields ``|``)."""
    return f"{prefix}:{{ti:{_tag(tenant_id)}|{_tag(ip)}}}:{suffix}"


class RedisHotStore:
    """Redis implementation of :class:`~promptsentry.stores.base.HotStore`."""

    def __init__(self, url: str, *, timeout_seconds: float = 0.5,
                 cooldown_seconds: float = 1.0, prefix: str = "ps") -> None:
        self.url = url
        self.prefix = prefix
        self._auto_index = f"{prefix}:{{blocks}}:auto"
        self.client: aioredis.Redis = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout_seconds,
            socket_connect_timeout=timeout_seconds,
            retry=Retry(NoBackoff(), 1),
            health_check_interval=15,
            decode_responses=True,
        )
        self._cooldown = cooldown_seconds
        self._down_until = 0.0
        self._rate = self.client.register_script(_RATE_LIMIT)
        self._strike = self.client.register_script(_STRIKE)
        self._put = self.client.register_script(_PUT_RECORD)
        self._quota = self.client.register_script(_TAKE_QUOTA)

    def _t(self, tenant_id: str, suffix: str) -> str:
        return tenant_key(tenant_id, suffix, self.prefix)

    def _i(self, ip: str, suffix: str) -> str:
        return ip_key(ip, suffix, self.prefix)

    def _ti(self, tenant_id: str, ip: str, suffix: str) -> str:
        return tenant_ip_key(tenant_id, ip, suffix, self.prefix)

    async def _call(self, awaitable: Awaitable[T]) -> T:
        if time.monotonic() < self._down_until:
            if hasattr(awaitable, "close"):
                awaitable.close()  # type: ignore[union-attr]
            raise StoreUnavailable("redis: unavailable (cooling down)")
        try:
            return await awaitable
        except (RedisConnectionError, RedisTimeoutError, OSError) as exc:
            self._down_until = time.monotonic() + self._cooldown
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc
        except RedisError as exc:  # LOADING, READONLY, MASTERDOWN… : unavailable too
            self._down_until = time.monotonic() + self._cooldown
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc

    # --- scan records -------------------------------------------------------------------
    async def put_scan_record(self, record: ScanRecord, ttl_seconds: float) -> None:
        await self._call(self._put(
            keys=[self._t(record.tenant_id, f"scan:{record.scan_id}"),
                  self._t(record.tenant_id, "scans")],
            args=[record.model_dump_json(), max(1, int(ttl_seconds * 1000)), record.scan_id],
        ))

    async def get_scan_record(self, tenant_id: str, scan_id: str) -> ScanRecord | None:
        raw = await self._call(self.client.get(self._t(tenant_id, f"scan:{scan_id}")))
        if raw is None:
            return None
        record = ScanRecord.model_validate_json(raw)
        return record if record.tenant_id == tenant_id else None

    async def list_scan_records(
        self, tenant_id: str, *, limit: int, offset: int
    ) -> tuple[list[ScanRecord], int]:
        index = self._t(tenant_id, "scans")
        now_ms = int(time.time() * 1000)

        async def read() -> tuple[list[ScanRecord], int]:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.zremrangebyscore(index, "-inf", now_ms)
                pipe.zcard(index)
                pipe.zrevrange(index, offset, offset + limit - 1)
                _, total, ids = await pipe.execute()
            if not ids:
                return [], int(total)
            raws = await self.client.mget([self._t(tenant_id, f"scan:{i}") for i in ids])
            return [ScanRecord.model_validate_json(r) for r in raws if r is not None], int(total)

        return await self._call(read())

    # --- rate limits --------------------------------------------------------------------
    async def hit_rate_limit(
        self, scope: RateScope, subject: str, limit: int, window_seconds: float
    ) -> RateLimitResult:
        key = (self._t(subject, "rl") if scope == "tenant"
               else self._ti(*split_tenant_ip(subject), "rl"))
        allowed, remaining, reset_ms = await self._call(self._rate(
            keys=[key], args=[limit, int(window_seconds * 1000), uuid.uuid4().hex]
        ))
        return RateLimitResult(bool(allowed), limit, int(remaining), max(0, int(reset_ms)) / 1000)

    # --- strikes and automatic blocks ---------------------------------------------------
    async def add_strike(
        self, tenant_id: str, ip: str, *, threshold: int, window_seconds: float,
        block_seconds: float, reason: str,
    ) -> StrikeResult:
        n, blocked, newly, ttl_ms, now_ms = await self._call(self._strike(
            keys=[self._ti(tenant_id, ip, "strikes"), self._ti(tenant_id, ip, "block")],
            args=[threshold, int(window_seconds * 1000), int(block_seconds * 1000),
                  uuid.uuid4().hex, reason[:200]],
        ))
        # The indexes live in other slots; they are advisory (readers re-check each entry),
        # so separate commands are fine.
        until = int(now_ms) + max(int(window_seconds * 1000), int(ttl_ms))
        index = self._i(ip, "tenants")

        async def note() -> None:
            async with self.client.pipeline(transaction=False) as pipe:
                pipe.zadd(index, {tenant_id: until}, gt=True)  # GT still adds new members
                pipe.pexpire(index, max(1, until - int(now_ms)), gt=True)
                pipe.pexpire(index, max(1, until - int(now_ms)), nx=True)
                if newly:
                    pipe.zadd(self._auto_index,
                              {f"{tenant_id}|{ip}": int(now_ms) + int(ttl_ms)})
                await pipe.execute()

        await self._call(note())
        return StrikeResult(int(n), bool(blocked), bool(newly),
                            int(ttl_ms) / 1000 if int(ttl_ms) > 0 else None)

    async def get_strikes(self, tenant_id: str, ip: str, window_seconds: float) -> int:
        now_ms = int(time.time() * 1000)
        return int(await self._call(self.client.zcount(
            self._ti(tenant_id, ip, "strikes"), now_ms - int(window_seconds * 1000) + 1,
            "+inf")))

    async def auto_block_remaining(self, tenant_id: str, ip: str) -> float | None:
        ttl = await self._call(self.client.pttl(self._ti(tenant_id, ip, "block")))
        return ttl / 1000 if ttl and ttl > 0 else None

    async def list_auto_blocks(self, tenant_id: str | None = None) -> list[AutoBlock]:
        now_ms = int(time.time() * 1000)

        async def read() -> list[AutoBlock]:
            await self.client.zremrangebyscore(self._auto_index, "-inf", now_ms)
            members = await self.client.zrange(self._auto_index, 0, 9999)
            out = []
            for member in sorted(members):
                tenant, ip = split_tenant_ip(member)
                if tenant_id is not None and tenant != tenant_id:
                    continue
                async with self.client.pipeline(transaction=False) as pipe:
                    pipe.pttl(self._ti(tenant, ip, "block"))
                    pipe.get(self._ti(tenant, ip, "block"))
                    ttl, reason = await pipe.execute()
                if ttl and ttl > 0:
                    out.append(AutoBlock(ip, ttl / 1000, reason or "", tenant))
            return out

        return await self._call(read())

    async def clear_ip(self, ip: str, tenant_id: str | None = None) -> bool:
        index = self._i(ip, "tenants")

        async def clear() -> bool:
            tenants = ([tenant_id] if tenant_id is not None
                       else await self.client.zrange(index, 0, -1))
            lifted = False
            for tenant in tenants:
                lifted |= bool(await self.client.delete(self._ti(tenant, ip, "block")))
                await self.client.delete(self._ti(tenant, ip, "strikes"))
                await self.client.zrem(self._auto_index, f"{tenant}|{ip}")
                await self.client.zrem(index, tenant)
            return lifted

        return await self._call(clear())

    # --- revoked keys -------------------------------------------------------------------
    def _revoked_key(self, key_id: str) -> str:
        return f"{self.prefix}:{{keys}}:revoked:{_tag(key_id)}"

    async def revoke_key(self, key_id: str, ttl_seconds: float) -> None:
        await self._call(self.client.set(self._revoked_key(key_id), "1",
                                         px=max(1, int(ttl_seconds * 1000))))

    async def is_key_revoked(self, key_id: str) -> bool:
        return bool(await self._call(self.client.exists(self._revoked_key(key_id))))

    # --- stats --------------------------------------------------------------------------
    async def count_verdict(
        self, tenant_id: str, hour: int, verdict: str, action: str, ttl_seconds: float
    ) -> None:
        key = self._t(tenant_id, f"stats:{hour}")

        async def write() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.hincrby(key, f"{verdict}|{action}", 1)
                pipe.expire(key, max(1, int(ttl_seconds)))
                await pipe.execute()

        await self._call(write())

    async def get_stats(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, int]]:
        async def read() -> dict[int, dict[str, int]]:
            async with self.client.pipeline(transaction=False) as pipe:
                for hour in hours:
                    pipe.hgetall(self._t(tenant_id, f"stats:{hour}"))
                results: list[dict[str, Any]] = await pipe.execute()
            return {h: {k: int(v) for k, v in r.items()} for h, r in zip(hours, results) if r}

        return await self._call(read())

    # --- the judge's cache, quotas and usage -------------------------------------------
    async def get_cached(self, tenant_id: str, key: str) -> str | None:
        return await self._call(self.client.get(self._t(tenant_id, f"cache:{_tag(key)}")))

    async def put_cached(self, tenant_id: str, key: str, value: str,
                         ttl_seconds: float) -> None:
        await self._call(self.client.set(self._t(tenant_id, f"cache:{_tag(key)}"), value,
                                         px=max(1, int(ttl_seconds * 1000))))

    async def take_quota(self, tenant_id: str, name: str, period: int, limit: int,
                         ttl_seconds: float) -> bool:
        return bool(await self._call(self._quota(
            keys=[self._t(tenant_id, f"quota:{_tag(name)}:{period}")],
            args=[limit, max(1, int(ttl_seconds))])))

    async def add_usage(self, tenant_id: str, hour: int, counts: Mapping[str, float],
                        ttl_seconds: float) -> None:
        key = self._t(tenant_id, f"usage:{hour}")

        async def write() -> None:
            async with self.client.pipeline(transaction=True) as pipe:
                for field, value in counts.items():
                    if isinstance(value, int):
                        pipe.hincrby(key, field, value)
                    else:
                        pipe.hincrbyfloat(key, field, value)
                pipe.expire(key, max(1, int(ttl_seconds)))
                await pipe.execute()

        await self._call(write())

    async def get_usage(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, float]]:
        async def read() -> dict[int, dict[str, float]]:
            async with self.client.pipeline(transaction=False) as pipe:
                for hour in hours:
                    pipe.hgetall(self._t(tenant_id, f"usage:{hour}"))
                results: list[dict[str, Any]] = await pipe.execute()
            return {h: {k: _number(v) for k, v in r.items()}
                    for h, r in zip(hours, results) if r}

        return await self._call(read())

    # --- lifecycle ----------------------------------------------------------------------
    async def ping(self) -> bool:
        try:
            return bool(await self.client.ping())
        except (RedisError, OSError):
            return False

    async def close(self) -> None:
        try:
            await self.client.aclose()
        except (RedisError, OSError):
            pass
