"""The embedded, in-process hot store: the default for a single-process install.

Nothing here survives a restart, by design: it holds only expiring state. Expiry is lazy
(checked on read) plus a sweep on write, so memory stays bounded by the retention window.
"""

from __future__ import annotations

import asyncio
import heapq
import time
from collections.abc import Callable

from promptsentry.stores.records import ScanRecord

Clock = Callable[[], float]


class MemoryHotStore:
    """In-process implementation of :class:`~promptsentry.stores.base.HotStore`."""

    def __init__(self, *, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = asyncio.Lock()
        # tenant -> scan_id -> (expires_at, inserted_seq, record)
        self._records: dict[str, dict[str, tuple[float, int, ScanRecord]]] = {}
        self._expiry_heap: list[tuple[float, str, str]] = []
        self._seq = 0

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
