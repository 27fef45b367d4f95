"""The optimizer's settings: the ``optimizer_*`` fields of :class:`promptsentry.config.Settings`
(environment ``PROMPTSENTRY_OPTIMIZER_*``, or the ``[optimizer]`` table of the TOML file),
seen without their prefix.

There is one settings system: :class:`~promptsentry.config.Settings` reads, validates and
documents them (docs/CONFIGURATION.md's table); this is only the optimizer's view of them.

Plans are configuration: ``PROMPTSENTRY_OPTIMIZER_PLANS`` is a JSON object mapping a plan
name to ``{"optimize_quota_per_month": int | null, "rate_limit_per_minute": int | null}``
(``null``: unlimited). A tenant's settings (``PATCH /admin/tenants/{id}``) pick a ``plan`` and
may override ``optimize_quota_per_month`` and ``rate_limit_per_minute``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from pydantic import SecretStr

from promptsentry.config import DEFAULT_PLANS, OPTIMIZER_SECTION, Settings, get_settings

__all__ = ["DEFAULT_PLANS", "OptimizerSettings", "get_optimizer_settings"]


@dataclass(frozen=True, slots=True)
class OptimizerSettings:
    """The ``optimizer_<name>`` settings as ``<name>``. See docs/CONFIGURATION.md."""

    default_engine: str
    plans: dict[str, dict[str, Any]]
    default_plan: str
    save_templates: bool
    llm_provider: str | None
    llm_base_url: str | None
    llm_model: str
    llm_api_key: SecretStr | None
    llm_timeout_s: float
    llm_retries: int
    llm_max_output_tokens: int
    llm_similarity_floor: float

    @classmethod
    def of(cls, settings: Settings) -> OptimizerSettings:
        """The optimizer's view of ``settings``."""
        return cls(**{f.name: getattr(settings, f"{OPTIMIZER_SECTION}_{f.name}")
                      for f in fields(cls)})


def get_optimizer_settings() -> OptimizerSettings:
    """The optimizer's view of the process-wide :func:`~promptsentry.config.get_settings`."""
    return OptimizerSettings.of(get_settings())
