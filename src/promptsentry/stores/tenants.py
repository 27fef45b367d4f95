"""Tenant settings: per-tenant overrides of the install's defaults.

A tenant's stored settings hold only what an admin set; every absent (or ``null``) field
inherits the install-wide value from :class:`~promptsentry.config.Settings`.
:func:`effective_settings` merges the two into the values a scan uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from promptsentry.config import Settings
from promptsentry.judge.tenant import JudgeEndpointSettings
from promptsentry.netaddr import ip_network
from promptsentry.schemas.request import ScanType


class TenantSettings(BaseModel):
    """Overrides an admin may set on a tenant (``PATCH /admin/tenants/{id}``)."""

    model_config = ConfigDict(extra="forbid")

    rate_limit_per_minute: int | None = Field(None, ge=0, le=10_000_000)
    ip_rate_limit_per_minute: int | None = Field(None, ge=0, le=10_000_000)
    strike_threshold: int | None = Field(None, ge=0, le=10_000)
    monitor_mode: bool | None = None
    store_prompt_in_scan_record: bool | None = None
    redaction_enabled: bool | None = None
    scan_retention_hours: float | None = Field(None, gt=0, le=24 * 365)
    block_threshold: float | None = Field(None, ge=0.0, le=1.0)
    gray_zone_low: float | None = Field(None, ge=0.0, le=1.0)
    gray_zone_high: float | None = Field(None, ge=0.0, le=1.0)
    allowlist_ips: list[str] | None = Field(None, max_length=1000)
    allowlist_identities: list[str] | None = Field(None, max_length=1000)
    # The LLM judge (docs/JUDGE.md); endpoints are checked and keys encrypted before saving.
    judge: JudgeEndpointSettings | None = None
    judge_escalation: JudgeEndpointSettings | None = None
    judge_escalation_below: float | None = Field(None, ge=0.0, le=1.0)
    judge_scan_types: list[ScanType] | None = Field(None, max_length=8)
    judge_failure_mode: Literal["fail_open", "fail_closed"] | None = None
    judge_deadline_seconds: float | None = Field(None, gt=0, le=30)
    judge_quota_per_hour: int | None = Field(None, ge=0, le=10_000_000)
    # Read by the optimizer.
    plan: str | None = Field(None, max_length=64)
    optimize_quota_per_month: int | None = Field(None, ge=0)

    @field_validator("allowlist_ips")
    @classmethod
    def _check_networks(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        out = []
        for entry in value:
            try:
                out.append(str(ip_network(entry)))
            except ValueError:
                raise ValueError(f"not an IP address or CIDR network: {entry[:64]!r}") from None
        return out

    @field_validator("allowlist_identities")
    @classmethod
    def _check_identities(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(len(v) > 256 for v in value):
            raise ValueError("identities are at most 256 characters")
        return value

    @model_validator(mode="after")
    def _check_gray_zone(self) -> TenantSettings:
        low, high = self.gray_zone_low, self.gray_zone_high
        if low is not None and high is not None and low > high:
            raise ValueError("gray_zone_low must not exceed gray_zone_high")
        return self

    def overrides(self) -> dict[str, Any]:
        """Only the fields that are set (the stored form)."""
        return self.model_dump(mode="json", exclude_none=True,
                               exclude={"judge": {"api_key"}, "judge_escalation": {"api_key"}})


TENANT_ADMIN_SETTINGS = frozenset({
    "monitor_mode", "store_prompt_in_scan_record", "redaction_enabled", "block_threshold",
    "gray_zone_low", "gray_zone_high", "strike_threshold", "judge", "judge_escalation",
    "judge_escalation_below", "judge_scan_types", "judge_failure_mode",
    "judge_deadline_seconds",
})
"""What a tenant's own admin key may change: how its traffic is judged (its own judge model
included). Everything else — the plan, quota, judge quota and rate limits the operator sells
and sizes, retention, and the allow-lists that exempt callers — is the operator's (admin
token). ``strike_threshold`` only to ``0`` (never block, in its own tenant) or at least the
install's value (the operator's floor)."""


def refused_for_tenant_admin(settings: Settings, current: dict[str, Any],
                             patch: dict[str, Any]) -> list[str]:
    """The fields of ``patch`` (validated values; ``None`` removes an override) a tenant admin
    may not set; a value equal to the stored one is no change and always fine."""
    refused = []
    for name, value in patch.items():
        if value == current.get(name):
            continue
        if name not in TENANT_ADMIN_SETTINGS:
            refused.append(name)
        elif name == "strike_threshold":
            floor = settings.strike_threshold
            effective = floor if value is None else value
            if effective != 0 and effective < floor:
                refused.append(name)
    return sorted(refused)


@dataclass(frozen=True, slots=True)
class EffectiveSettings:
    """The values a scan of one tenant runs under."""

    rate_limit_per_minute: int
    ip_rate_limit_per_minute: int
    strike_threshold: int
    monitor_mode: bool
    store_prompt_in_scan_record: bool
    scan_retention_hours: float
    block_threshold: float | None
    gray_zone_low: float
    gray_zone_high: float
    allowlist_ips: tuple[str, ...]
    allowlist_identities: tuple[str, ...]
    redaction_enabled: bool = False
    system_prompt_fingerprint: frozenset[str] | None = None
    """Keyed shingle hashes of the tenant's registered system prompt (``PUT
    /admin/tenants/{id}/system-prompt``); filled in by the tenant directory."""
    system_prompt_threshold: float = 0.5
    judge: dict[str, Any] | None = None
    """The tenant's own judge endpoint (stored form: encrypted key), if any."""
    judge_escalation: dict[str, Any] | None = None
    judge_escalation_below: float = 0.75
    judge_scan_types: tuple[str, ...] = ()
    judge_failure_mode: str = "fail_open"
    judge_deadline_seconds: float = 2.0
    judge_quota_per_hour: int = 0


def effective_settings(settings: Settings, overrides: dict[str, Any] | None) -> EffectiveSettings:
    """Merge a tenant's stored overrides onto the install defaults.

    Stored values that no longer validate (written by an older version) are ignored rather
    than failing scans.
    """
    o: dict[str, Any] = {}
    if overrides:
        try:
            o = TenantSettings.model_validate(
                {k: v for k, v in overrides.items() if k in TenantSettings.model_fields}
            ).overrides()
        except ValueError:
            o = {}

    def pick(name: str) -> Any:
        return o[name] if name in o else getattr(settings, name)

    low, high = pick("gray_zone_low"), pick("gray_zone_high")
    if low > high:  # one bound overridden past the other default: keep the install's pair
        low, high = settings.gray_zone_low, settings.gray_zone_high
    return EffectiveSettings(
        rate_limit_per_minute=pick("rate_limit_per_minute"),
        ip_rate_limit_per_minute=pick("ip_rate_limit_per_minute"),
        strike_threshold=pick("strike_threshold"),
        monitor_mode=pick("monitor_mode"),
        store_prompt_in_scan_record=pick("store_prompt_in_scan_record"),
        scan_retention_hours=pick("scan_retention_hours"),
        redaction_enabled=pick("redaction_enabled"),
        block_threshold=o.get("block_threshold", settings.block_threshold),
        gray_zone_low=low,
        gray_zone_high=high,
        allowlist_ips=tuple(settings.allowlist_ips) + tuple(o.get("allowlist_ips", ())),
        allowlist_identities=tuple(settings.allowlist_identities)
        + tuple(o.get("allowlist_identities", ())),
        judge=o.get("judge"),
        judge_escalation=o.get("judge_escalation"),
        judge_escalation_below=pick("judge_escalation_below"),
        judge_scan_types=tuple(pick("judge_scan_types")),
        judge_failure_mode=pick("judge_failure_mode"),
        judge_deadline_seconds=pick("judge_deadline_seconds"),
        judge_quota_per_hour=pick("judge_quota_per_hour"),
    )
