"""Per-tenant plans: a monthly optimization quota and a per-minute rate limit.

Counters live in the SQL store (``optimizer_usage``), so every worker and replica shares
them. The month bucket is ``YYYY-MM`` (UTC) and resets on the 1st; the rate-limit bucket is
the current UTC minute.

The quota is *reserved* before the work — one conditional SQL ``UPDATE`` that never takes
the counter past the limit, however many workers ask at once — and released when the work
fails, so concurrent calls cannot overshoot it and failed calls are not charged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import sessionmaker

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.settings import OptimizerSettings
from promptsentry.optimizer.tables import UsageRow
from promptsentry.stores.sql.tables import TenantRow

__all__ = ["Plan", "QuotaService", "QuotaStatus", "UsageCounters", "plan_for", "reset_date"]


@dataclass(frozen=True, slots=True)
class Plan:
    name: str
    optimize_quota_per_month: int | None  # None: unlimited
    rate_limit_per_minute: int | None


@dataclass(frozen=True, slots=True)
class QuotaStatus:
    plan: Plan
    used: int
    reset_date: str
    month: str = ""
    """The ``YYYY-MM`` usage bucket the numbers are of."""

    @property
    def limit(self) -> int | None:
        return self.plan.optimize_quota_per_month

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.used)

    @property
    def unlimited(self) -> bool:
        return self.limit is None

    def public(self) -> dict[str, Any]:
        """The reference ``GET /api/v1/quota`` shape."""
        return {
            "quota_limit": self.limit if self.limit is not None else -1,
            "quota_used": self.used,
            "quota_remaining": self.remaining if self.remaining is not None else -1,
            "reset_date": self.reset_date,
            "subscription_tier": self.plan.name,
            "billing_cycle": "monthly",
            "unlimited": self.unlimited,
            "rate_limit_per_minute": self.plan.rate_limit_per_minute,
        }

    def bridge(self) -> dict[str, Any]:
        """The bridge's ``quota`` object."""
        pct = 0.0 if not self.limit else round(100.0 * self.used / self.limit, 2)
        status = ("unlimited" if self.unlimited else "exceeded" if pct >= 100
                  else "warning" if pct >= 80 else "active")
        return {"unlimited": self.unlimited, "used": self.used,
                "remaining": self.remaining if self.remaining is not None else -1,
                "limit": self.limit if self.limit is not None else -1,
                "percentage": pct, "status": status, "reset_date": self.reset_date}


def _int_or_none(value: Any) -> int | None:
    if value is None or value == "unlimited":
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return None if number < 0 else number


def plan_for(tenant_settings: dict[str, Any], settings: OptimizerSettings) -> Plan:
    """The plan of a tenant: its ``plan`` setting (else the default) and its overrides.

    ``optimize_quota_per_month: 0`` allows no optimization; ``rate_limit_per_minute: 0`` means
    no per-minute limit (the firewall reads the same setting the same way)."""
    name = str(tenant_settings.get("plan") or settings.default_plan)
    base = settings.plans.get(name) or settings.plans.get(settings.default_plan) or {}
    quota = base.get("optimize_quota_per_month")
    rate = base.get("rate_limit_per_minute")
    if tenant_settings.get("optimize_quota_per_month") is not None:
        quota = tenant_settings["optimize_quota_per_month"]
    if tenant_settings.get("rate_limit_per_minute") is not None:
        rate = tenant_settings["rate_limit_per_minute"]
    rate_limit = _int_or_none(rate)
    # 0 means "no per-minute limit", as for the firewall's tenant rate limit.
    return Plan(name, _int_or_none(quota), rate_limit or None)


def month_bucket(now: datetime) -> str:
    return now.strftime("%Y-%m")


def reset_date(now: datetime) -> str:
    year, month = (now.year + 1, 1) if now.month == 12 else (now.year, now.month + 1)
    return datetime(year, month, 1, tzinfo=UTC).isoformat().replace("+00:00", "Z")


class UsageCounters:
    """Per-tenant usage counters (``optimizer_usage``: one row per tenant and bucket) and the
    tenant settings that choose its plan, over one SQL engine."""

    def __init__(self, engine: Engine, *, clock: Callable[[], datetime] | None = None) -> None:
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self.clock = clock or (lambda: datetime.now(UTC))

    def increment(self, tenant_id: str, bucket: str, by: int = 1) -> int:
        """Add ``by`` to a counter and return its new value (atomic per statement)."""
        for _ in range(3):
            with self._sessions.begin() as s:
                res = s.execute(update(UsageRow)
                                .where(UsageRow.tenant_id == tenant_id, UsageRow.bucket == bucket)
                                .values(count=UsageRow.count + by))
                if res.rowcount:
                    return int(s.scalar(select(UsageRow.count).where(
                        UsageRow.tenant_id == tenant_id, UsageRow.bucket == bucket)))
            try:
                with self._sessions.begin() as s:
                    s.add(UsageRow(tenant_id=tenant_id, bucket=bucket, count=by))
                return by
            except IntegrityError:
                continue
        raise RuntimeError("usage counter contention")

    def reserve(self, tenant_id: str, bucket: str, limit: int | None) -> int | None:
        """Add one to a counter unless it has reached ``limit`` (``None``: no limit); the new
        value, or ``None`` when it is full.

        One conditional ``UPDATE … SET count = count + 1 WHERE count < limit``: PostgreSQL
        re-checks the condition under the row lock and SQLite runs writers one at a time, so
        concurrent callers on any number of workers never take more than ``limit``."""
        if limit is not None and limit <= 0:
            return None
        where = [UsageRow.tenant_id == tenant_id, UsageRow.bucket == bucket]
        for _ in range(3):
            with self._sessions.begin() as s:
                stmt = update(UsageRow).where(*where)
                if limit is not None:
                    stmt = stmt.where(UsageRow.count < limit)
                if s.execute(stmt.values(count=UsageRow.count + 1)).rowcount:
                    return int(s.scalar(select(UsageRow.count).where(*where)))
                if s.scalar(select(UsageRow.count).where(*where)) is not None:
                    return None  # the row exists: it is full
            try:
                with self._sessions.begin() as s:
                    s.add(UsageRow(tenant_id=tenant_id, bucket=bucket, count=1))
                return 1
            except IntegrityError:
                continue  # another caller created it: reserve through the UPDATE
        raise RuntimeError("usage counter contention")

    def release(self, tenant_id: str, bucket: str) -> None:
        """Give back one reservation (the work it was for failed)."""
        with self._sessions.begin() as s:
            s.execute(update(UsageRow)
                      .where(UsageRow.tenant_id == tenant_id, UsageRow.bucket == bucket,
                             UsageRow.count > 0)
                      .values(count=UsageRow.count - 1))

    def usage(self, tenant_id: str, bucket: str) -> int:
        with self._sessions() as s:
            value = s.scalar(select(UsageRow.count).where(UsageRow.tenant_id == tenant_id,
                                                          UsageRow.bucket == bucket))
        return int(value or 0)

    def prune_minute_buckets(self, before: str) -> int:
        """Drop per-minute counters older than the bucket name ``before``."""
        with self._sessions.begin() as s:
            return s.execute(delete(UsageRow).where(UsageRow.bucket.like("m:%"),
                                                    UsageRow.bucket < before)).rowcount

    def tenant_settings(self, tenant_id: str) -> dict[str, Any]:
        with self._sessions() as s:
            row = s.get(TenantRow, tenant_id)
            return dict(row.settings or {}) if row is not None else {}



class QuotaService:
    """Checks and counts optimizations against a tenant's plan."""

    def __init__(self, counters: UsageCounters, settings: OptimizerSettings) -> None:
        self.counters = counters
        self.settings = settings

    def status(self, tenant_id: str) -> QuotaStatus:
        now = self.counters.clock()
        plan = plan_for(self.counters.tenant_settings(tenant_id), self.settings)
        month = month_bucket(now)
        return QuotaStatus(plan, self.counters.usage(tenant_id, month), reset_date(now), month)

    def admit(self, tenant_id: str) -> tuple[QuotaStatus, dict[str, str]]:
        """Count one request against the rate limit and *reserve* one optimization of the
        monthly quota, before the work.

        Raises 429 ``RATE_LIMITED`` (with ``Retry-After`` and ``X-RateLimit-*``) or 403
        ``QUOTA_EXCEEDED`` (with ``reset_date``). Returns the status (the reservation
        counted) and the rate-limit headers to send on success. The caller gives the
        reservation back with :meth:`release` when the work fails.
        """
        now = self.counters.clock()
        plan = plan_for(self.counters.tenant_settings(tenant_id), self.settings)
        headers: dict[str, str] = {}
        rate = plan.rate_limit_per_minute
        if rate is not None:
            count = self.counters.increment(tenant_id, "m:" + now.strftime("%Y-%m-%dT%H:%M"))
            reset_s = 60 - now.second
            headers = {"X-RateLimit-Limit": str(rate),
                       "X-RateLimit-Remaining": str(max(0, rate - count)),
                       "X-RateLimit-Reset": str(int(now.timestamp()) + reset_s)}
            if count > rate:
                raise ApiError(429, ErrorCode.RATE_LIMITED,
                               f"rate limit of {rate} optimizations per minute exceeded",
                               {"limit": rate, "retry_after_s": reset_s},
                               headers={**headers, "Retry-After": str(reset_s)})
        bucket = month_bucket(now)
        used = self.counters.reserve(tenant_id, bucket, plan.optimize_quota_per_month)
        if used is None:
            status = QuotaStatus(plan, self.counters.usage(tenant_id, bucket), reset_date(now),
                                 bucket)
            raise ApiError(403, ErrorCode.QUOTA_EXCEEDED,
                           f"monthly optimization quota of {status.limit} reached",
                           {"quota_limit": status.limit, "quota_used": status.used,
                            "reset_date": status.reset_date, "plan": status.plan.name},
                           headers=headers)
        if now.second < 2:
            self.counters.prune_minute_buckets("m:" + now.strftime("%Y-%m-%dT%H:%M"))
        return QuotaStatus(plan, used, reset_date(now), bucket), headers

    def release(self, tenant_id: str, status: QuotaStatus) -> None:
        """Give back the reservation :meth:`admit` made (in the month it was made)."""
        self.counters.release(tenant_id, status.month)
