"""The embedded, in-process hot store: the default for a single-process install.

Nothing here survives a restart, by design: it holds only expiring state. Expiry is lazy
(checked on read) plus a sweep on write, so memory stays bounded by the retention window.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections import deque
from collections.abc import Callable, Mapping

from promptsentry.stores.base import AutoBlock, RateLimitResult, RateScope, StrikeResult
from promptsentry.stores.records import ScanRecord

Clock = Callable[[], float]

#: Most entries of the in-process cache (the judge's judgements); the oldest goes first.
CACHE_MAX_ENTRIES = 10_000


class MemoryHotStore:
    """In-process implementation of :class:`~promptsentry.stores.base.HotStore`."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        # tenant -> scan_id -> (expires_at, inserted_seq, record)
        self._records: dict[str, dict[str, tuple[float, int, ScanRecord]]] = {}
        self._expiry_heap: list[tuple[float, str, str]] = []
        self._seq = 0
        # Sliding windows: (scope, subject) -> timestamps inside the window, oldest first.
        self._windows: dict[tuple[str, str], tuple[float, deque[float]]] = {}
        # Strikes and automatic blocks by (tenant_id, ip).
        self._strikes: dict[tuple[str, str], tuple[float, deque[float]]] = {}
        self._blocks: dict[tuple[str, str], tuple[float, str]] = {}  # -> (expires_at, reason)
        self._revoked: dict[str, float] = {}  # key_id -> expires_at
        self._stats: dict[tuple[str, int], tuple[float, dict[str, int]]] = {}
        self._cache: dict[tuple[str, str], tuple[float, str]] = {}
        self._quotas: dict[tuple[str, str, int], tuple[float, int]] = {}
        self._usage: dict[tuple[str, int], tuple[float, dict[str, float]]] = {}
        self._ops = 0

    async def put_scan_record(self, record: ScanRecord, ttl_seconds: float) -> None:
        async with self._lock:
            now = self._clock()
            self._sweep(now)
            self._seq += 1
            expires = now + ttl_seconds
            self._records.setdefault(record.tenant_id, {})[record.scan_id] = (
                expires,
                self._seq,
                record,
            )
            heapq.heappush(self._expiry_heap, (expires, record.tenant_id, record.scan_id))

    async def get_scan_record(self, tenant_id: str, scan_id: str) -> ScanRecord | None:
        entry = self._records.get(tenant_id, {}).get(scan_id)
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[2]

    async def list_scan_records(
        self, tenant_id: str, *, limit: int, offset: int
    ) -> tuple[list[ScanRecord], int]:
        now = self._clock()
        live = [e for e in self._records.get(tenant_id, {}).values() if e[0] > now]
        live.sort(key=lambda e: e[1], reverse=True)
        return [e[2] for e in live[offset : offset + limit]], len(live)

    # The methods below never await while touching state, so each runs atomically on the
    # event loop; no lock is needed.

    async def hit_rate_limit(
        self, scope: RateScope, subject: str, limit: int, window_seconds: float
    ) -> RateLimitResult:
        now = self._clock()
        self._maybe_sweep(now)
        _, log = self._windows.get((scope, subject), (0.0, deque()))
        cutoff = now - window_seconds
        while log and log[0] <= cutoff:
            log.popleft()
        if len(log) < limit:
            log.append(now)
            self._windows[(scope, subject)] = (now + window_seconds, log)
            return RateLimitResult(True, limit, limit - len(log), log[0] + window_seconds - now)
        self._windows[(scope, subject)] = (log[-1] + window_seconds, log)
        reset = log[0] + window_seconds - now if log else window_seconds
        return RateLimitResult(False, limit, 0, max(reset, 0.0))

    async def add_strike(
        self, tenant_id: str, ip: str, *, threshold: int, window_seconds: float,
        block_seconds: float, reason: str,
    ) -> StrikeResult:
        now = self._clock()
        self._maybe_sweep(now)
        key = (tenant_id, ip)
        _, log = self._strikes.get(key, (0.0, deque()))
        cutoff = now - window_seconds
        while log and log[0] <= cutoff:
            log.popleft()
        log.append(now)
        self._strikes[key] = (now + window_seconds, log)
        block = self._blocks.get(key)
        if block is not None and block[0] > now:
            return StrikeResult(len(log), True, False, block[0] - now)
        if threshold > 0 and len(log) >= threshold:
            self._blocks[key] = (now + block_seconds, reason)
            return StrikeResult(len(log), True, True, block_seconds)
        return StrikeResult(len(log), False, False, None)

    async def get_strikes(self, tenant_id: str, ip: str, window_seconds: float) -> int:
        now = self._clock()
        _, log = self._strikes.get((tenant_id, ip), (0.0, deque()))
        return sum(1 for t in log if t > now - window_seconds)

    async def auto_block_remaining(self, tenant_id: str, ip: str) -> float | None:
        block = self._blocks.get((tenant_id, ip))
        if block is None:
            return None
        remaining = block[0] - self._clock()
        return remaining if remaining > 0 else None

    async def list_auto_blocks(self, tenant_id: str | None = None) -> list[AutoBlock]:
        now = self._clock()
        return [AutoBlock(ip, exp - now, reason, tenant) for (tenant, ip), (exp, reason)
                in sorted(self._blocks.items())
                if exp > now and (tenant_id is None or tenant == tenant_id)]

    async def clear_ip(self, ip: str, tenant_id: str | None = None) -> bool:
        now = self._clock()
        lifted = False
        for table in (self._strikes, self._blocks):
            for key in [k for k in table if k[1] == ip
                        and (tenant_id is None or k[0] == tenant_id)]:
                entry = table.pop(key)
                lifted |= table is self._blocks and entry[0] > now
        return lifted

    async def revoke_key(self, key_id: str, ttl_seconds: float) -> None:
        self._revoked[key_id] = self._clock() + ttl_seconds

    async def is_key_revoked(self, key_id: str) -> bool:
        expires = self._revoked.get(key_id)
        return expires is not None and expires > self._clock()

    async def count_verdict(
        self, tenant_id: str, hour: int, verdict: str, action: str, ttl_seconds: float
    ) -> None:
        now = self._clock()
        _, counts = self._stats.get((tenant_id, hour), (0.0, {}))
        field = f"{verdict}|{action}"
        counts[field] = counts.get(field, 0) + 1
        self._stats[(tenant_id, hour)] = (now + ttl_seconds, counts)

    async def get_stats(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, int]]:
        now = self._clock()
        out: dict[int, dict[str, int]] = {}
        for hour in hours:
            entry = self._stats.get((tenant_id, hour))
            if entry is not None and entry[0] > now and entry[1]:
                out[hour] = dict(entry[1])
        return out

    async def get_cached(self, tenant_id: str, key: str) -> str | None:
        entry = self._cache.get((tenant_id, key))
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    async def put_cached(self, tenant_id: str, key: str, value: str,
                         ttl_seconds: float) -> None:
        now = self._clock()
        self._maybe_sweep(now)
        if len(self._cache) >= CACHE_MAX_ENTRIES:  # bounded: drop the oldest entry
            self._cache.pop(next(iter(self._cache)))
        self._cache.pop((tenant_id, key), None)
        self._cache[(tenant_id, key)] = (now + ttl_seconds, value)

    async def take_quota(self, tenant_id: str, name: str, period: int, limit: int,
                         ttl_seconds: float) -> bool:
        now = self._clock()
        self._maybe_sweep(now)
        exp, used = self._quotas.get((tenant_id, name, period), (now + ttl_seconds, 0))
        if used >= limit:
            return False
        self._quotas[(tenant_id, name, period)] = (exp, used + 1)
        return True

    async def add_usage(self, tenant_id: str, hour: int, counts: Mapping[str, float],
                        ttl_seconds: float) -> None:
        now = self._clock()
        self._maybe_sweep(now)
        _, totals = self._usage.get((tenant_id, hour), (0.0, {}))
        for field, value in counts.items():
            totals[field] = totals.get(field, 0) + value
        self._usage[(tenant_id, hour)] = (now + ttl_seconds, totals)

    async def get_usage(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, float]]:
        now = self._clock()
        return {h: dict(e[1]) for h in hours
                if (e := self._usage.get((tenant_id, h))) is not None and e[0] > now and e[1]}

    def _maybe_sweep(self, now: float) -> None:
        """Drop expired windows, strikes, blocks and counters every 4096 operations, so
        memory stays bounded by the number of live subjects."""
        self._ops += 1
        if self._ops % 4096:
            return
        tables: tuple[dict, ...] = (self._windows, self._strikes, self._stats, self._blocks,
                                    self._cache, self._quotas, self._usage)
        for table in tables:
            for key in [k for k, (exp, _) in table.items() if exp <= now]:
                del table[key]
        for key_id in [k for k, exp in self._revoked.items() if exp <= now]:
            del self._revoked[key_id]

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        heap = self._expiry_heap
        while heap and heap[0][0] <= now:
            expires, tenant, scan_id = heapq.heappop(heap)
            bucket = self._records.get(tenant)
            if bucket is not None:
                entry = bucket.get(scan_id)
                if entry is not None and entry[0] <= now:
                    del bucket[scan_id]
                    if not bucket:
                        del self._records[tenant]
