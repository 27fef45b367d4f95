"""Which judge a scan uses: the tenant's own endpoint, else the install's; ``None`` when
neither is configured (the judge stage then does nothing and is not reported)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from promptsentry.config import Settings


@dataclass(frozen=True, slots=True)
class JudgeTarget:
    """One endpoint: ``api_key`` (install-wide, plaintext from the environment) or
    ``api_key_encrypted`` (a tenant's, decrypted only for the call)."""

    api: str
    url: str
    model: str
    api_key: str | None = field(default=None, repr=False)
    api_key_encrypted: str | None = field(default=None, repr=False)
    byom: bool = False

    @property
    def name(self) -> str:
        return f"{self.api}:{self.model}"


@dataclass(frozen=True, slots=True)
class JudgePolicy:
    tenant_id: str
    judge: JudgeTarget
    escalation: JudgeTarget | None = None
    escalation_below: float = 0.75
    scan_types: frozenset[str] = frozenset()
    failure_mode: str = "fail_open"
    deadline_s: float = 2.0
    quota_per_hour: int = 0


def _tenant_target(value: Mapping[str, Any] | None) -> JudgeTarget | None:
    if not value:
        return None
    return JudgeTarget(value.get("api", "openai"), value["url"], value["model"],
                       api_key_encrypted=value.get("api_key_encrypted"), byom=True)


def judge_policy(settings: Settings, eff: Any | None, tenant_id: str) -> JudgePolicy | None:
    """The judge of one scan (``eff``: the tenant's effective settings, or ``None``)."""
    install = None
    if settings.judge_url:
        install = JudgeTarget(settings.judge_api, settings.judge_url, settings.judge_model,
                              api_key=settings.judge_api_key.get_secret_value()
                              if settings.judge_api_key else None)
    own = _tenant_target(getattr(eff, "judge", None))
    target = own or install
    if target is None:
        return None
    escalation = _tenant_target(getattr(eff, "judge_escalation", None))
    if escalation is None and own is None and settings.judge_escalation_url:
        key = settings.judge_escalation_api_key
        escalation = JudgeTarget(settings.judge_escalation_api, settings.judge_escalation_url,
                                 settings.judge_escalation_model,
                                 api_key=key.get_secret_value() if key else None)
    src = eff if eff is not None else settings
    return JudgePolicy(
        tenant_id=tenant_id, judge=target, escalation=escalation,
        escalation_below=src.judge_escalation_below,
        scan_types=frozenset(str(t) for t in src.judge_scan_types),
        failure_mode=src.judge_failure_mode, deadline_s=src.judge_deadline_seconds,
        quota_per_hour=src.judge_quota_per_hour)
