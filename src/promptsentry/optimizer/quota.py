"""Per-tenant plans: a monthly optimization quota and a per-minute rate limit.

Counters live in the SQL store (``optimizer_usage``), so every worker and replica shares
them. The month bucket is ``YYYY-MM`` (UTC) and resets on the 1st; the rate-limit bucket is
the current UTC minute.

The quota is *reserved* before the work — one conditional SQL ``UPDATE`` that never takes
the counter past the limit, however many workers ask at once — and released when the work
fails, so concurrent calls cannot overshoot it and failed calls are not charged.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.settings import OptimizerSettings
from promptsentry.optimizer.store import TemplateStore

__all__ = ["Plan", "QuotaService", "QuotaStatus", "plan_for", "reset_date"]


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


class QuotaService:
    """Checks and counts optimizations against a tenant's plan."""

    def __init__(self, store: TemplateStore, settings: OptimizerSettings) -> None:
        self.store = store
        self.settings = settings

    def status(self, tenant_id: str) -> QuotaStatus:
        now = self.store.clock()
        plan = plan_for(self.store.tenant_settings(tenant_id), self.settings)
        month = month_bucket(now)
        return QuotaStatus(plan, self.store.usage(tenant_id, month), reset_date(now), month)

    def admit(self, tenant_id: str) -> tuple[QuotaStatus, dict[str, str]]:
        """Count one request against the rate limit and *reserve* one optimization of the
        monthly quota, before the work.

        Raises 429 ``RATE_LIMITED`` (with ``Retry-After`` and ``X-RateLimit-*``) or 403
        ``QUOTA_EXCEEDED`` (with ``reset_date``). Returns the status (the reservation
        counted) and the rate-limit headers to send on success. The caller gives the
        reservation back with :meth:`release` when the work fails.
        """
        now = self.store.clock()
        plan = plan_for(self.store.tenant_settings(tenant_id), self.settings)
        headers: dict[str, str] = {}
        rate = plan.rate_limit_per_minute
        if rate is not None:
            count = self.store.increment(tenant_id, "m:" + now.strftime("%Y-%m-%dT%H:%M"))
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
        used = self.store.reserve(tenant_id, bucket, plan.optimize_quota_per_month)
        if used is None:
            status = QuotaStatus(plan, self.store.usage(tenant_id, bucket), reset_date(now),
                                 bucket)
            raise ApiError(403, ErrorCode.QUOTA_EXCEEDED,
                           f"monthly optimization quota of {status.limit} reached",
                           {"quota_limit": status.limit, "quota_used": status.used,
                            "reset_date": status.reset_date, "plan": status.plan.name},
                           headers=headers)
        if now.second < 2:
            self.store.prune_minute_buckets("m:" + now.strftime("%Y-%m-%dT%H:%M"))
        return QuotaStatus(plan, used, reset_date(now), bucket), headers

    def release(self, tenant_id: str, status: QuotaStatus) -> None:
        """Give back the reservation :meth:`admit` made (in the month it was made)."""
        self.store.release(tenant_id, status.month)
