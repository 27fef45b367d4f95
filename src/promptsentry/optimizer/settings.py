"""Optimizer settings, read from ``PROMPTSENTRY_OPTIMIZER_*`` environment variables.

Kept apart from the core :class:`promptsentry.config.Settings` so the optimizer can be
configured (and tested) on its own; docs/OPTIMIZER.md lists every setting.

Plans are configuration: ``PROMPTSENTRY_OPTIMIZER_PLANS`` is a JSON object mapping a plan
name to ``{"optimize_quota_per_month": int | null, "rate_limit_per_minute": int | null}``
(``null``: unlimited). A tenant's settings (``PATCH /admin/tenants/{id}``) pick a ``plan`` and
may override ``optimize_quota_per_month`` and ``rate_limit_per_minute``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PLANS: dict[str, dict[str, Any]] = {
    "free": {"optimize_quota_per_month": 100, "rate_limit_per_minute": 10},
    "standard": {"optimize_quota_per_month": 10_000, "rate_limit_per_minute": 60},
    "pro": {"optimize_quota_per_month": 50_000, "rate_limit_per_minute": 300},
    "enterprise": {"optimize_quota_per_month": None, "rate_limit_per_minute": 1200},
}


class OptimizerSettings(BaseSettings):
    """Every optimizer setting. See docs/OPTIMIZER.md."""

    model_config = SettingsConfigDict(env_prefix="PROMPTSENTRY_OPTIMIZER_", extra="ignore")

    default_engine: Literal["rules", "llm", "hybrid"] = Field(
        "rules", description="Engine used when a request names none.")
    plans: dict[str, dict[str, Any]] = Field(default_factory=lambda: dict(DEFAULT_PLANS))
    default_plan: str = Field("standard", description="Plan of tenants that name none.")
    save_templates: bool = Field(True, description="Save every successful optimization "
                                 "unless the request opts out.")
    # --- LLM engine -------------------------------------------------------------------
    llm_provider: Literal["openai", "anthropic", "gemini"] | None = Field(
        None, description="LLM provider wire format; unset: the llm engine is unavailable "
        "and requests for it run `rules` with a warning.")
    llm_base_url: str | None = Field(
        None, description="Provider base URL (OpenAI-compatible: …/v1 of OpenAI, Ollama, "
        "vLLM, llama.cpp, LM Studio; Anthropic: https://api.anthropic.com; Gemini: "
        "https://generativelanguage.googleapis.com).")
    llm_model: str = Field("gpt-4o-mini", description="Model name sent to the provider.")
    llm_api_key: SecretStr | None = Field(None, description="Provider API key.")
    llm_timeout_s: float = Field(30.0, gt=0, le=300)
    llm_retries: int = Field(2, ge=0, le=5, description="Retries on timeouts, 429 and 5xx.")
    llm_max_output_tokens: int = Field(2048, ge=64, le=32768)
    llm_similarity_floor: float = Field(
        0.35, ge=0.0, le=1.0, description="An LLM rewrite less similar than this to the "
        "original is rejected (falls back to rules).")

    @field_validator("plans", mode="before")
    @classmethod
    def _plans(cls, value: Any) -> Any:
        if isinstance(value, str):
            import json

            value = json.loads(value)
        return value


@lru_cache(maxsize=1)
def get_optimizer_settings() -> OptimizerSettings:
    return OptimizerSettings()
