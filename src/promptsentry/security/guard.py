"""Abuse control around a scan: IP blocks, rate limits, strikes, verdict counters.

Order for each scan (``ScanService`` drives it)::

    admit():  global allow-list → manual block (SQL) → the tenant's automatic block of the
              address (hot store) → the address's window in the tenant → the tenant's
              window                                       (403 / 429 before any scanning)
    after_verdict(): strike the source IP *in this tenant* on a blocked malicious verdict
              (atomic strike-then-block in the hot store) → hourly verdict counter

Who can block whom: strikes, automatic blocks and per-IP windows are keyed by (tenant,
address), so a tenant's scans can only get an address blocked or limited for that tenant.
Install-wide blocks are manual (``POST /admin/blocks``, the operator's admin token), as is
the global allow-list.

The *source IP* is the end user's address the calling app forwards in ``source_ip``, else
the socket peer. Loopback addresses count as allow-listed unless ``exempt_loopback_ips`` is
off: a loopback peer is the calling app on this host, and blocking it would block every user.
Allow-listed and loopback addresses skip only the checks of the address (blocks, the per-IP
window, strikes): the tenant's own rate limit applies to every scan, whatever address it
names (``source_ip`` is the caller's to choose). When the hot store is unreachable,
``state_failure_mode`` decides: ``fail_open`` skips its checks, ``fail_closed`` answers 503. Manual blocks and the IP
allow-list are read from SQL every ``block_list_refresh_seconds`` into each process, so they
keep working (last known lists) while the database is down.
"""

from __future__ import annotations

import ipaddress
import math
import time
from dataclasses import dataclass, field, replace
from typing import Any

from promptsentry.config import Settings
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.netaddr import canonical_ip, canonical_ip_or_network, ip_address, ip_network
from promptsentry.observability.incidents import Incidents
from promptsentry.stores.base import (
    HotStore,
    RateLimitResult,
    RateScope,
    StoreUnavailable,
    tenant_ip,
)
from promptsentry.stores.sql.store import IpEntry, SqlStore
from promptsentry.stores.sql.system_prompts import StoredFingerprint, get_fingerprint
from promptsentry.stores.tenants import EffectiveSettings, effective_settings

WINDOW_SECONDS = 60.0
MALICIOUS = frozenset({"malicious", "escalated_malicious"})

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(value: str | None) -> str | None:
    """The canonical form of an address, or ``None`` when ``value`` is not one."""
    if not value:
        return None
    try:
        return canonical_ip(value)
    except ValueError:
        return None


def parse_ip_or_network(value: str) -> str:
    """Canonical address or CIDR network; raises ``ValueError`` otherwise."""
    return canonical_ip_or_network(value)


def _is_loopback(ip: str) -> bool:
    return ipaddress.ip_address(ip).is_loopback


class _IpSet:
    """Exact addresses plus networks, for membership tests."""

    def __init__(self, entries: list[IpEntry]) -> None:
        self.exact: dict[str, IpEntry] = {}
        self.networks: list[tuple[IpNetwork, IpEntry]] = []
        for entry in entries:
            try:  # entries stored before canonical forms (``::ffff:…``) match too
                if "/" in entry.ip:
                    self.networks.append((ip_network(entry.ip), entry))
                else:
                    self.exact[canonical_ip(entry.ip)] = entry
            except ValueError:
                continue

    def match(self, ip: str) -> IpEntry | None:
        hit = self.exact.get(ip)
        if hit is not None or not self.networks:
            return hit
        address = ip_address(ip)
        for network, entry in self.networks:
            if address.version == network.version and address in network:
                return entry
        return None


class IpLists:
    """Manual blocks and the global allow-list, cached per process and refreshed from SQL."""

    def __init__(self, sql: SqlStore | None, incidents: Incidents, refresh_seconds: float) -> None:
        self._sql = sql
        self._incidents = incidents
        self._refresh = refresh_seconds
        self._loaded_at = -math.inf
        self.blocks = _IpSet([])
        self.allow = _IpSet([])

    def invalidate(self) -> None:
        self._loaded_at = -math.inf

    async def refresh_if_due(self) -> None:
        if self._sql is None or time.monotonic() - self._loaded_at < self._refresh:
            return
        self._loaded_at = time.monotonic()  # one refresh at a time, even when it fails
        try:
            blocks, allow = await self._sql.run(self._load)
        except StoreUnavailable as exc:
            self._incidents.failed("sql", exc)
            return
        self._incidents.ok("sql")
        self.blocks, self.allow = _IpSet(blocks), _IpSet(allow)

    def _load(self) -> tuple[list[IpEntry], list[IpEntry]]:
        assert self._sql is not None
        return self._sql.list_blocks(), self._sql.list_allow()


class TenantDirectory:
    """Tenant settings overrides by tenant id, cached per process for a short time."""

    def __init__(self, settings: Settings, sql: SqlStore | None, incidents: Incidents,
                 ttl_seconds: float) -> None:
        self._settings = settings
        self._sql = sql
        self._incidents = incidents
        self._ttl = ttl_seconds
        self._cache: dict[str, tuple[float, EffectiveSettings]] = {}
        self._fp_key_id: str | None = None

    def _fingerprint_key_id(self) -> str:
        if self._fp_key_id is None:
            from promptsentry.pipeline.analysis.leakage import (
                derive_fingerprint_key,
                fingerprint_key_id,
            )

            key = derive_fingerprint_key(self._settings.resolved_audit_salt())
            self._fp_key_id = fingerprint_key_id(key)
        return self._fp_key_id

    def _load(self, tenant_id: str) -> tuple[Any, StoredFingerprint | None]:
        """The tenant row and its system-prompt fingerprint (one thread hop)."""
        assert self._sql is not None
        tenant = self._sql.get_tenant(tenant_id)
        return tenant, (get_fingerprint(self._sql, tenant_id) if tenant is not None else None)

    def invalidate(self, tenant_id: str | None = None) -> None:
        if tenant_id is None:
            self._cache.clear()
        else:
            self._cache.pop(tenant_id, None)

    async def effective(self, tenant_id: str) -> EffectiveSettings:
        now = time.monotonic()
        hit = self._cache.get(tenant_id)
        if hit is not None and now - hit[0] < self._ttl:
            return hit[1]
        overrides: dict[str, Any] | None = None
        fingerprint: StoredFingerprint | None = None
        if self._sql is not None:
            try:
                tenant, fingerprint = await self._sql.run(self._load, tenant_id)
            except StoreUnavailable as exc:
                self._incidents.failed("sql", exc)
                # Degraded: the last known settings, else the install's defaults.
                return hit[1] if hit is not None else effective_settings(self._settings, None)
            self._incidents.ok("sql")
            overrides = tenant.settings if tenant is not None else None
        value = effective_settings(self._settings, overrides)
        # A fingerprint made under another key (the install secret changed) matches nothing.
        if fingerprint is not None and fingerprint.key_id == self._fingerprint_key_id():
            value = replace(value, system_prompt_fingerprint=fingerprint.hashes,
                            system_prompt_threshold=fingerprint.threshold)
        if len(self._cache) > 10_000:
            self._cache.clear()
        self._cache[tenant_id] = (now, value)
        return value


@dataclass(frozen=True, slots=True)
class Admission:
    """A scan let through: the source IP and the rate-limit numbers for the headers."""

    ip: str | None
    allowlisted: bool = False
    limits: tuple[RateLimitResult, ...] = field(default_factory=tuple)

    def headers(self) -> dict[str, str]:
        """``X-RateLimit-*`` of the tightest window that applied."""
        if not self.limits:
            return {}
        tight = min(self.limits, key=lambda r: r.remaining)
        return rate_headers(tight)


def rate_headers(result: RateLimitResult) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": str(result.limit),
        "X-RateLimit-Remaining": str(result.remaining),
        "X-RateLimit-Reset": str(max(0, math.ceil(result.reset_seconds))),
    }


class Guard:
    """Applies blocks, limits and strikes for one deployment."""

    def __init__(self, settings: Settings, hot_store: HotStore, ip_lists: IpLists,
                 incidents: Incidents) -> None:
        self.settings = settings
        self.hot_store = hot_store
        self.ip_lists = ip_lists
        self.incidents = incidents

    async def _hot(self, awaitable: Any) -> Any:
        """Await a hot-store call; ``None`` when the store is down and failing open."""
        try:
            result = await awaitable
        except StoreUnavailable as exc:
            self.incidents.failed("hot_store", exc)
            if self.settings.state_failure_mode == "fail_closed":
                raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                               "rate-limit and block state is unavailable; retry shortly",
                               headers={"Retry-After": "1"}) from None
            return None
        self.incidents.ok("hot_store")
        return result

    async def admit(self, tenant_id: str, ip: str | None, eff: EffectiveSettings) -> Admission:
        """Refuse a blocked or over-limit caller (403/429); otherwise the admission.

        An allow-listed or loopback address skips the checks *of the address*; the tenant's
        window applies always (a loopback ``source_ip`` used to escape it)."""
        await self.ip_lists.refresh_if_due()
        exempt = ip is not None and (self.ip_lists.allow.match(ip) is not None
                                     or (self.settings.exempt_loopback_ips and _is_loopback(ip)))
        if ip is not None and not exempt:
            manual = self.ip_lists.blocks.match(ip)
            if manual is not None:
                raise ApiError(403, ErrorCode.IP_BLOCKED, "this source IP is blocked",
                               {"ip": ip, "type": "manual"})
            remaining = await self._hot(self.hot_store.auto_block_remaining(tenant_id, ip))
            if remaining:
                retry = str(max(1, math.ceil(remaining)))
                raise ApiError(403, ErrorCode.IP_BLOCKED,
                               "this source IP is blocked after repeated malicious requests",
                               {"ip": ip, "type": "automatic", "retry_after_seconds": int(retry)},
                               headers={"Retry-After": retry})
        limits: list[RateLimitResult] = []
        checks: list[tuple[RateScope, str, int]] = []
        if ip is not None and not exempt and eff.ip_rate_limit_per_minute > 0:
            checks.append(("ip", tenant_ip(tenant_id, ip), eff.ip_rate_limit_per_minute))
        if eff.rate_limit_per_minute > 0:
            checks.append(("tenant", tenant_id, eff.rate_limit_per_minute))
        for scope, subject, limit in checks:
            result: RateLimitResult | None = await self._hot(
                self.hot_store.hit_rate_limit(scope, subject, limit, WINDOW_SECONDS))
            if result is None:
                continue
            if not result.allowed:
                retry = max(1, math.ceil(result.reset_seconds))
                raise ApiError(429, ErrorCode.RATE_LIMITED,
                               f"rate limit of {limit} scans per minute per {scope} exceeded",
                               {"scope": scope, "limit": limit, "retry_after_seconds": retry},
                               headers={"Retry-After": str(retry), **rate_headers(result)})
            limits.append(result)
        return Admission(ip, allowlisted=exempt, limits=tuple(limits))

    async def after_verdict(self, tenant_id: str, admission: Admission, verdict: str,
                            action: str, eff: EffectiveSettings) -> None:
        """Side effects of a verdict: a strike when it blocked a malicious text, counters.

        Never raises: the verdict is already decided and must be answered."""
        s = self.settings
        try:
            if (verdict in MALICIOUS and action == "blocked" and admission.ip is not None
                    and not admission.allowlisted):
                result = await self._hot(self.hot_store.add_strike(
                    tenant_id, admission.ip, threshold=eff.strike_threshold,
                    window_seconds=s.strike_window_hours * 3600,
                    block_seconds=s.auto_block_hours * 3600,
                    reason=f"{eff.strike_threshold} malicious scans",
                ))
                if result is not None and result.newly_blocked:
                    from promptsentry.observability.logging import get_logger

                    get_logger("promptsentry.guard").warning(
                        "ip_auto_blocked", ip=admission.ip, tenant_id=tenant_id,
                        strikes=result.strikes, block_seconds=result.block_seconds)
            await self._hot(self.hot_store.count_verdict(
                tenant_id, int(time.time() // 3600), verdict, action,
                s.stats_retention_hours * 3600))
        except ApiError:  # fail_closed after the verdict: nothing left to refuse
            return
