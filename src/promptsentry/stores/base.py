"""The hot-store interface: fast, expiring state shared by every worker of a deployment."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal, Protocol, runtime_checkable

from promptsentry.errors import PromptSentryError
from promptsentry.stores.records import ScanRecord


class StoreUnavailable(PromptSentryError):
    """A store cannot be reached (server down, timeout). Callers degrade, never answer 500."""


RateScope = Literal["tenant", "ip"]


@dataclass(frozen=True, slots=True)
class RateLimitResult:
    """One sliding-window check: whether the request fits, and the numbers for the
    ``X-RateLimit-*`` headers."""

    allowed: bool
    limit: int
    remaining: int
    reset_seconds: float
    """Seconds until the oldest request in the window leaves it (a slot frees up)."""


@dataclass(frozen=True, slots=True)
class StrikeResult:
    """The state of an address after one more strike."""

    strikes: int
    blocked: bool
    newly_blocked: bool
    block_seconds: float | None


@dataclass(frozen=True, slots=True)
class AutoBlock:
    """A live automatic block of ``ip`` for the scans of ``tenant_id`` (never install-wide:
    install-wide blocks are manual, an operator's act)."""

    ip: str
    remaining_seconds: float
    reason: str
    tenant_id: str = ""


def tenant_ip(tenant_id: str, ip: str) -> str:
    """The subject of a per-IP rate-limit window: the address *within* one tenant, so one
    tenant's traffic never fills another tenant's window for the same address."""
    return f"{tenant_id}|{ip}"


def split_tenant_ip(subject: str) -> tuple[str, str]:
    """``(tenant_id, ip)`` of a :func:`tenant_ip` subject (addresses never hold ``|``)."""
    tenant_id, _, ip = subject.rpartition("|")
    return tenant_id, ip


@runtime_checkable
class HotStore(Protocol):
    """Expiring state. Implementations: in-process (default) and Redis.

    Every read-modify-write here is atomic in the implementation (an asyncio section in
    process, a Lua script in Redis), so limits hold exactly across workers.
    """

    async def put_scan_record(self, record: ScanRecord, ttl_seconds: float) -> None:
        """Keep ``record`` for ``ttl_seconds``; then it is gone."""

    async def get_scan_record(self, tenant_id: str, scan_id: str) -> ScanRecord | None:
        """The tenant's record, or ``None`` when unknown, expired or another tenant's."""

    async def list_scan_records(
        self, tenant_id: str, *, limit: int, offset: int
    ) -> tuple[list[ScanRecord], int]:
        """The tenant's live records, newest first, and how many live records it has."""

    async def hit_rate_limit(
        self, scope: RateScope, subject: str, limit: int, window_seconds: float
    ) -> RateLimitResult:
        """Count one request against ``subject``'s sliding window unless it is full.

        ``subject`` is a tenant id (scope ``tenant``) or :func:`tenant_ip` (scope ``ip``)."""

    # Strikes and automatic blocks are per (tenant, address): what one tenant's scans do to an
    # address never blocks it for another tenant.
    async def add_strike(
        self, tenant_id: str, ip: str, *, threshold: int, window_seconds: float,
        block_seconds: float, reason: str,
    ) -> StrikeResult:
        """Add a strike to ``ip`` in ``tenant_id``; block it there for ``block_seconds`` when
        the strikes within ``window_seconds`` reach ``threshold`` (0: never).
        Strike-then-block is atomic."""

    async def get_strikes(self, tenant_id: str, ip: str, window_seconds: float) -> int:
        """Strikes of ``ip`` in ``tenant_id`` within the window."""

    async def auto_block_remaining(self, tenant_id: str, ip: str) -> float | None:
        """Seconds left on ``ip``'s automatic block in ``tenant_id``, or ``None``."""

    async def list_auto_blocks(self, tenant_id: str | None = None) -> list[AutoBlock]:
        """Live automatic blocks (of one tenant, or of all)."""

    async def clear_ip(self, ip: str, tenant_id: str | None = None) -> bool:
        """Lift ``ip``'s automatic block and forget its strikes in ``tenant_id`` (``None``:
        in every tenant); whether a block was lifted."""

    # Revoked API keys, shared by every worker: a worker that cannot reach the database
    # checks this set before trusting a key it verified earlier.
    async def revoke_key(self, key_id: str, ttl_seconds: float) -> None:
        """Record ``key_id`` as revoked for ``ttl_seconds``."""

    async def is_key_revoked(self, key_id: str) -> bool:
        """Whether ``key_id`` was revoked (within the revocation TTL)."""

    async def count_verdict(
        self, tenant_id: str, hour: int, verdict: str, action: str, ttl_seconds: float
    ) -> None:
        """Add one to the tenant's counter of ``verdict``/``action`` for epoch hour ``hour``."""

    async def get_stats(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, int]]:
        """``{hour: {"<verdict>|<action>": count}}`` for the hours that have counts."""

    # The LLM judge's shared state (every worker sees the same): its judgement cache, its
    # per-tenant quota, and per-tenant LLM usage counters.
    async def get_cached(self, tenant_id: str, key: str) -> str | None:
        """The tenant's cached value under ``key`` (``None``: absent or expired)."""

    async def put_cached(self, tenant_id: str, key: str, value: str,
                         ttl_seconds: float) -> None:
        """Cache ``value`` under ``key`` for the tenant for ``ttl_seconds``."""

    async def take_quota(self, tenant_id: str, name: str, period: int, limit: int,
                         ttl_seconds: float) -> bool:
        """Take one unit of the tenant's ``name`` quota for ``period`` (e.g. an epoch hour)
        if fewer than ``limit`` were taken; atomic, so ``limit`` holds across workers."""

    async def add_usage(self, tenant_id: str, hour: int, counts: Mapping[str, float],
                        ttl_seconds: float) -> None:
        """Add ``counts`` to the tenant's usage counters of epoch hour ``hour``."""

    async def get_usage(self, tenant_id: str, hours: list[int]) -> dict[int, dict[str, float]]:
        """``{hour: {field: total}}`` for the hours that have usage."""

    async def ping(self) -> bool:
        """Whether the store answers."""

    async def close(self) -> None:
        """Release connections."""
