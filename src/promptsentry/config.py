"""Settings, read from ``PROMPTSENTRY_*`` environment variables and an optional TOML file.

Precedence, highest first: keyword arguments, environment variables, the TOML file named by
``PROMPTSENTRY_CONFIG_FILE`` (top-level keys are setting names; the ``optimizer_*`` settings
may also sit in an ``[optimizer]`` table without their prefix), then the defaults below.
``docs/CONFIGURATION.md`` documents every setting; keep the two in step.
"""

from __future__ import annotations

import json
import os
import secrets
import tomllib
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    NoDecode,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
)

LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})

#: The TOML table holding the ``optimizer_*`` settings under their short names.
OPTIMIZER_SECTION = "optimizer"

DEFAULT_PLANS: dict[str, dict[str, Any]] = {
    "free": {"optimize_quota_per_month": 100, "rate_limit_per_minute": 10},
    "standard": {"optimize_quota_per_month": 10_000, "rate_limit_per_minute": 60},
    "pro": {"optimize_quota_per_month": 50_000, "rate_limit_per_minute": 300},
    "enterprise": {"optimize_quota_per_month": None, "rate_limit_per_minute": 1200},
}


def default_data_dir() -> Path:
    """``$XDG_DATA_HOME/promptsentry`` or ``~/.local/share/promptsentry``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "promptsentry"


class _TomlFileSource(PydanticBaseSettingsSource):
    """Reads top-level keys of the TOML file named by ``PROMPTSENTRY_CONFIG_FILE``, and the
    ``[optimizer]`` table's keys as ``optimizer_<key>``."""

    def __init__(self, settings_cls: type[BaseSettings]) -> None:
        super().__init__(settings_cls)
        path = os.environ.get("PROMPTSENTRY_CONFIG_FILE")
        self._data: dict[str, Any] = {}
        if path:
            try:
                with open(path, "rb") as fh:
                    self._data = tomllib.load(fh)
            except (OSError, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"cannot read PROMPTSENTRY_CONFIG_FILE={path!r}: {exc}") from exc
        section = self._data.pop(OPTIMIZER_SECTION, None)
        if isinstance(section, dict):
            for key, value in section.items():
                self._data.setdefault(f"{OPTIMIZER_SECTION}_{key}", value)

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


class Settings(BaseSettings):
    """Every setting of the service. See docs/CONFIGURATION.md."""

    model_config = SettingsConfigDict(
        env_prefix="PROMPTSENTRY_", extra="ignore", validate_default=True
    )

    # --- server -------------------------------------------------------------------------
    host: str = Field("127.0.0.1", description="Address `serve` binds to.")
    port: int = Field(8000, ge=1, le=65535, description="Port `serve` binds to.")
    workers: int = Field(1, ge=1, le=64, description="uvicorn worker processes for `serve`.")
    data_dir: Path = Field(
        default_factory=default_data_dir,
        description="Directory for the SQLite database and the install's audit salt.",
    )
    admin_token: SecretStr | None = Field(
        None, description="Bearer token for /admin and admin-only routes. Unset: no admin API."
    )
    api_keys: Annotated[list[SecretStr], NoDecode] = Field(
        default_factory=list,
        description="Static API keys accepted on /scan (comma-separated in the environment) "
        "until managed tenant keys are configured.",
    )
    allow_unauthenticated: bool = Field(
        False,
        description="Serve without credentials on a non-loopback address. Only for a "
        "network you fully trust; loopback binds never need it.",
    )

    # --- limits -------------------------------------------------------------------------
    # The field limits (prompt 50 KB, output 10 KB, identity 256 characters) are part of the
    # API contract and live in promptsentry.schemas.request, not here.
    max_body_bytes: int = Field(
        512 * 1024, ge=1024, description="Largest request body accepted before parsing "
        "(JSON escaping can make a 50 KB prompt several times larger on the wire)."
    )
    http_max_header_bytes: int = Field(
        16 * 1024, ge=1024, le=1024 * 1024,
        description="Largest request line plus headers `serve` reads before refusing the "
        "request (431 `HEADERS_TOO_LARGE`, connection closed); bounds what a client can make "
        "a worker buffer.",
    )
    http_max_headers: int = Field(
        100, ge=8, le=1000,
        description="Most header fields one request may carry (431 `HEADERS_TOO_LARGE`).",
    )
    http_read_timeout_seconds: float = Field(
        10.0, gt=0, le=300,
        description="Seconds a client has to send a whole request (line, headers and body) "
        "once it opened the connection or started the request; a slower (half-sent) request "
        "is dropped.",
    )
    http_keep_alive_seconds: int = Field(
        5, ge=1, le=300,
        description="Seconds an idle keep-alive connection stays open between requests.",
    )

    # --- verdict policy -----------------------------------------------------------------
    block_threshold: float | None = Field(
        None,
        ge=0.0,
        le=1.0,
        description="Risk score at or above which a scan is malicious. Unset: the shipped "
        "model's own calibrated threshold.",
    )
    gray_zone_low: float = Field(
        0.40, ge=0.0, le=1.0, description="Lower bound of the gray zone (risk score)."
    )
    gray_zone_high: float = Field(
        0.90, ge=0.0, le=1.0, description="Upper bound of the gray zone (risk score)."
    )
    monitor_mode: bool = Field(
        False, description="Never block: malicious verdicts answer `allowed_monitor`."
    )
    allowlist_ips: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Source IPs or CIDRs whose scans are answered `allowed_bypass`.",
    )
    allowlist_identities: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="user_identity values whose scans are answered `allowed_bypass`.",
    )
    model_dir: Path | None = Field(
        None, description="Directory of detector artifacts. Unset: the model shipped inside "
        "the package."
    )
    classifier_failure_mode: Literal["fail_open", "fail_closed"] = Field(
        "fail_closed",
        description="What a classifier error does to the verdict: fail_closed blocks, "
        "fail_open lets the other stages decide.",
    )

    # --- records and privacy ------------------------------------------------------------
    scan_retention_hours: float = Field(
        24.0, gt=0, le=24 * 365, description="How long scan records are kept."
    )
    store_prompt_in_scan_record: bool = Field(
        False, description="Keep prompt text in scan records (off: only the audit hash)."
    )
    audit_salt: SecretStr | None = Field(
        None,
        description="Secret salt of audit hashes. Unset: generated once and kept in "
        "`data_dir/audit_salt`.",
    )

    # --- state: stores, limits, strikes, JWT (docs/OPERATIONS.md) -------------------------
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL of the durable store (tenants, keys, manual blocks), e.g. "
        "postgresql://user@host/db. Unset: a SQLite file `data_dir/promptsentry.db`.",
    )
    redis_url: str | None = Field(
        None,
        description="Redis URL of the hot store (rate limits, strikes, automatic blocks, scan "
        "records), e.g. redis://127.0.0.1:6379/0. Unset: in-process (one worker only).",
    )
    redis_key_prefix: str = Field(
        "ps", pattern=r"^[A-Za-z0-9_.-]{1,32}$",
        description="Prefix of every Redis key (several deployments can share one Redis).",
    )
    redis_timeout_seconds: float = Field(
        0.5, gt=0, le=30, description="Socket timeout of Redis commands."
    )
    rate_limit_per_minute: int = Field(
        0, ge=0, description="Scans per minute per tenant (sliding window). 0: unlimited."
    )
    ip_rate_limit_per_minute: int = Field(
        0, ge=0, description="Scans per minute per source IP (sliding window). 0: unlimited."
    )
    strike_threshold: int = Field(
        5, ge=0, description="Malicious verdicts from one source IP within `strike_window_hours` "
        "that block it automatically. 0: never block automatically."
    )
    strike_window_hours: float = Field(
        24.0, gt=0, description="How long a strike counts (strike counter retention)."
    )
    auto_block_hours: float = Field(
        24.0, gt=0, description="How long an automatic block lasts."
    )
    exempt_loopback_ips: bool = Field(
        True,
        description="Treat loopback source addresses (127.0.0.0/8, ::1; usually the calling "
        "app on this host, not an end user) as allow-listed: never rate limited per IP, "
        "struck or blocked.",
    )
    state_failure_mode: Literal["fail_open", "fail_closed"] = Field(
        "fail_open",
        description="When the hot store is unreachable: fail_open skips rate limits and "
        "automatic-block checks; fail_closed answers 503 SERVICE_UNAVAILABLE.",
    )
    stats_retention_hours: float = Field(
        168.0, gt=0, le=24 * 366, description="How long hourly verdict counters are kept."
    )
    block_list_refresh_seconds: float = Field(
        2.0, ge=0, le=3600,
        description="How often each worker reloads manual blocks and the IP allow-list.",
    )
    key_usage_flush_seconds: float = Field(
        30.0, ge=0, le=3600,
        description="How often a worker writes API key last-used times and counters to SQL.",
    )
    jwt_secret: SecretStr | None = Field(
        None, description="Shared secret for HS256 service-to-service JWTs."
    )
    jwt_public_key_file: Path | None = Field(
        None, description="PEM public key for RS256/ES256 JWTs."
    )
    jwt_jwks_file: Path | None = Field(
        None, description="JWKS file (JSON) of public keys for RS256/ES256 JWTs, by `kid`."
    )
    jwt_issuer: str | None = Field(None, description="Required `iss` of JWTs.")
    jwt_audience: str | None = Field(None, description="Required `aud` of JWTs.")
    jwt_tenant_claim: str = Field(
        "tenant_id", description="JWT claim naming the tenant (a string or a list of ids)."
    )
    jwt_leeway_seconds: int = Field(30, ge=0, le=600, description="Clock skew allowed on exp.")

    # --- agent sessions (docs/AGENTS.md) -------------------------------------------------
    session_ttl_seconds: float = Field(
        3600.0, gt=0, le=24 * 3600,
        description="A session expires this long after its last scan (sliding TTL).",
    )
    session_max_age_seconds: float = Field(
        86400.0, gt=0, le=7 * 24 * 3600,
        description="Hard cap on a session's lifetime, however active it is.",
    )
    session_max_nodes: int = Field(
        256, ge=8, le=10_000,
        description="Nodes kept per session graph; older ones are folded into a summary.",
    )
    session_label_override: bool = Field(
        False,
        description="Let callers set `provenance_label` to a higher trust than the automatic "
        "label (lowering trust is always allowed).",
    )

    # --- LLM judge and outbound LLM calls (docs/JUDGE.md) ------------------------------------
    judge_url: str | None = Field(
        None, description="Base URL of the install-wide judge model (e.g. "
        "https://api.openai.com/v1). Unset: no judge unless a tenant brings its own.",
    )
    judge_api: Literal["openai", "anthropic", "gemini"] = Field(
        "openai", description="Wire format of `judge_url`: openai (also vLLM, Ollama, "
        "llama.cpp, LM Studio), anthropic or gemini.",
    )
    judge_model: str = Field("gpt-4o-mini", max_length=200,
                             description="Model name the judge asks for.")
    judge_api_key: SecretStr | None = Field(
        None, description="API key of the install-wide judge (never logged or returned).")
    judge_escalation_url: str | None = Field(
        None, description="Base URL of the stronger escalation model asked when the judge's "
        "confidence is below `judge_escalation_below`. Unset: no escalation tier.",
    )
    judge_escalation_api: Literal["openai", "anthropic", "gemini"] = Field(
        "openai", description="Wire format of `judge_escalation_url`.")
    judge_escalation_model: str = Field("gpt-4o", max_length=200,
                                        description="Model name of the escalation tier.")
    judge_escalation_api_key: SecretStr | None = Field(
        None, description="API key of the escalation model (never logged or returned).")
    judge_escalation_below: float = Field(
        0.75, ge=0.0, le=1.0, description="A judge answer with a confidence below this goes to "
        "the escalation model, whose answer is final. Per-tenant override.",
    )
    judge_scan_types: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Scan types (prompt, response, tool_call, …) judged "
        "always, not only in the gray zone (comma-separated). Per-tenant override.",
    )
    judge_failure_mode: Literal["fail_open", "fail_closed"] = Field(
        "fail_open", description="When the judge cannot answer in time or validly: fail_open "
        "keeps the local verdict (marked in the stage), fail_closed blocks. Per-tenant override.",
    )
    judge_deadline_seconds: float = Field(
        2.0, gt=0, le=30, description="Most time the judge stage may add to one scan, both "
        "tiers and retries included. Per-tenant override.",
    )
    judge_quota_per_hour: int = Field(
        0, ge=0, description="Judge calls per tenant per UTC hour, shared by every worker "
        "through the hot store (cache hits are free). 0: unlimited. Per-tenant override.",
    )
    judge_cache_seconds: float = Field(
        900.0, ge=0, le=86400, description="How long a judgement is reused for the same text, "
        "by every worker through the hot store (keyed by a salted hash, never the text). "
        "0: no cache.",
    )
    egress_allowlist: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Host names, addresses or CIDR networks that judge "
        "endpoints may reach although private/loopback, and over plain http (comma-separated).",
    )
    byom_encryption_key: SecretStr | None = Field(
        None, description="Fernet key(s) that encrypt tenants' model API keys at rest "
        "(comma-separated; the first encrypts, all decrypt, for rotation). Unset: a tenant "
        "judge with an api_key is refused (422 ENCRYPTION_NOT_CONFIGURED).",
    )
    llm_prices: dict[str, tuple[float, float]] = Field(
        default_factory=dict, description="Dollars per million input and output tokens by "
        'model, as JSON: {"gpt-4o-mini": [0.15, 0.6]} (keys `model` or `api:model`); for '
        "the cost in /metrics and /api/stats.",
    )

    infer_data_context: bool = Field(
        True,
        description="Read a scan without `context` as a `document` when its text has the shape "
        "of data a tool returns (a JSON value, e-mail headers, a CSV or markdown table, markup, "
        "`key: value` records, a chat transcript): the indirect-injection stage runs and the "
        "model's document threshold applies. The response's verdict stage reports "
        "`inferred_context` and `data_shape`.",
    )

    redaction_enabled: bool = Field(
        False,
        description="Answer `redacted_prompt` and `redaction_stats`: secrets and personal data "
        "replaced by typed placeholders. Per-tenant override.",
    )

    # --- HTTP ---------------------------------------------------------------------------
    security_headers: bool = Field(
        True, description="Send HSTS, X-Content-Type-Options and X-Frame-Options."
    )
    hsts_max_age: int = Field(31536000, ge=0, description="HSTS max-age, seconds.")

    # --- logging ------------------------------------------------------------------------
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "info", description="Lowest level logged (debug, info, warning, error)."
    )
    log_format: Literal["json", "console"] = Field(
        "json", description="`json`: one JSON object per line (for log shippers); `console`: "
        "human-readable."
    )

    # --- optimizer (docs/OPTIMIZER.md; TOML: the [optimizer] table) -----------------------
    optimizer_default_engine: Literal["rules", "llm", "hybrid"] = Field(
        "rules", description="Optimizer engine used when a request names none.")
    optimizer_plans: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: dict(DEFAULT_PLANS),
        description="Optimizer plans (JSON): plan name → `{\"optimize_quota_per_month\": int "
        "| null, \"rate_limit_per_minute\": int | null}` (null: unlimited).")
    optimizer_default_plan: str = Field(
        "standard", description="Optimizer plan of tenants that name none.")
    optimizer_save_templates: bool = Field(
        True, description="Save every successful optimization as a template unless the "
        "request opts out.")
    optimizer_llm_provider: Literal["openai", "anthropic", "gemini"] | None = Field(
        None, description="LLM provider wire format of the optimizer's llm engine; unset: "
        "the llm engine is unavailable and requests for it run `rules` with a warning.")
    optimizer_llm_base_url: str | None = Field(
        None, description="LLM provider base URL (OpenAI-compatible: …/v1 of OpenAI, Ollama, "
        "vLLM, llama.cpp, LM Studio; Anthropic: https://api.anthropic.com; Gemini: "
        "https://generativelanguage.googleapis.com).")
    optimizer_llm_model: str = Field(
        "gpt-4o-mini", description="Model name sent to the LLM provider.")
    optimizer_llm_api_key: SecretStr | None = Field(None, description="LLM provider API key.")
    optimizer_llm_timeout_s: float = Field(
        30.0, gt=0, le=300, description="Seconds per LLM provider call.")
    optimizer_llm_retries: int = Field(
        2, ge=0, le=5, description="LLM provider retries on timeouts, 429 and 5xx.")
    optimizer_llm_max_output_tokens: int = Field(
        2048, ge=64, le=32768, description="Most tokens the LLM provider may answer.")
    optimizer_llm_similarity_floor: float = Field(
        0.35, ge=0.0, le=1.0, description="An LLM rewrite less similar than this to the "
        "original is rejected (falls back to rules).")

    @field_validator("optimizer_plans", mode="before")
    @classmethod
    def _plans_json(cls, value: Any) -> Any:
        if isinstance(value, str):
            return json.loads(value)
        return value

    @field_validator("api_keys", "allowlist_ips", "allowlist_identities", "judge_scan_types",
                     "egress_allowlist", mode="before")
    @classmethod
    def _split_csv(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @model_validator(mode="after")
    def _check_gray_zone(self) -> Settings:
        if self.gray_zone_low > self.gray_zone_high:
            raise ValueError("gray_zone_low must not exceed gray_zone_high")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, _TomlFileSource(settings_cls), file_secret_settings)

    # --- derived values -----------------------------------------------------------------
    @property
    def is_loopback(self) -> bool:
        return self.host in LOOPBACK_HOSTS or self.host.startswith("127.")

    def resolved_audit_salt(self) -> bytes:
        """The install's secret audit salt, created on first use when not configured."""
        if self.audit_salt is not None:
            return self.audit_salt.get_secret_value().encode()
        path = self.data_dir / "audit_salt"
        try:
            return path.read_bytes().strip()
        except FileNotFoundError:
            self.data_dir.mkdir(parents=True, exist_ok=True)
            salt = secrets.token_hex(32).encode()
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as fh:
                fh.write(salt)
            return salt
        except OSError:
            # Read-only or missing data dir: a per-process salt still hides prompts.
            return _process_salt()


@lru_cache(maxsize=1)
def _process_salt() -> bytes:
    return secrets.token_hex(32).encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return Settings()
