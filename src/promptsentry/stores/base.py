"""The hot-store interface: fast, expiring state shared by every worker of a deployment."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from promptsentry.stores.records import ScanRecord


@runtime_checkable
class HotStore(Protocol):
    """Expiring state. Implementations: in-process (default) and Redis."""

    async def put_scan_record(self, record: ScanRecord, ttl_seconds: float) -> None:
        """Keep ``record`` for ``ttl_seconds``; then it is gone."""

    async def get_scan_record(self, tenant_id: str, scan_id: str) -> ScanRecord | None:
        """The tenant's record, or ``None`` when unknown, expired or another tenant's."""

    async def list_scan_records(
        self, tenant_id: str, *, limit: int, offset: int
    ) -> tuple[list[ScanRecord], int]:
        """The tenant's live records, newest first, and how many live records it has."""

    async def ping(self) -> bool:
        """Whether the store answers."""

    async def close(self) -> None:
        """Release connections."""
