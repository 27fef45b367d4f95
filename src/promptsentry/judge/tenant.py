"""A tenant's judge settings: the shapes stored with the tenant, the check before saving
(SSRF, encryption of the key), and the public view that never carries a key.

``settings.judge = {"url", "api", "model", "api_key"}`` (and ``judge_escalation`` alike) is
stored as ``{"url", "api", "model", "api_key_encrypted", "api_key_hint"}``.
"""

from __future__ import annotations

from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from promptsentry.config import Settings
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.judge import secrets
from promptsentry.providers.egress import (
    EgressPolicy,
    Resolver,
    UnsafeEndpoint,
    check_endpoint,
    system_resolver,
)

ENDPOINT_FIELDS = ("judge", "judge_escalation")


class JudgeEndpointSettings(BaseModel):
    """One model endpoint a tenant brings (stored form; ``api_key`` only on the way in)."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(..., min_length=8, max_length=2048)
    api: Literal["openai", "anthropic", "gemini"] = "openai"
    model: str = Field(..., min_length=1, max_length=200)
    api_key: SecretStr | None = Field(None, max_length=4096)
    api_key_encrypted: str | None = Field(None, max_length=8192)
    api_key_hint: str | None = Field(None, max_length=8)


def egress_policy(settings: Settings) -> EgressPolicy:
    return EgressPolicy.from_entries(settings.egress_allowlist)


def _origin(url: str) -> tuple[str, str, int | None]:
    try:
        parts = urlsplit(url)
        return parts.scheme, (parts.hostname or "").lower(), parts.port
    except ValueError:
        return "", "", None


async def prepare(settings: Settings, current: dict[str, Any],
                  patch: dict[str, Any] | BaseModel | None,
                  resolver: Resolver = system_resolver) -> dict[str, Any]:
    """``patch`` with each judge endpoint checked and its key encrypted; raises ``ApiError``
    422 ``UNSAFE_ENDPOINT`` (SSRF refusal, checked without connecting) or 422
    ``ENCRYPTION_NOT_CONFIGURED``. ``resolver`` is for tests. An endpoint without ``api_key`` keeps the stored key only
    while its URL's origin is unchanged (a key never follows a URL to another host)."""
    if isinstance(patch, BaseModel):
        patch = patch.model_dump(exclude_none=True)
    out = dict(patch or {})
    for name in ENDPOINT_FIELDS:
        value = out.get(name)
        if not isinstance(value, dict):
            continue
        try:
            endpoint = JudgeEndpointSettings.model_validate(value)
        except ValueError:
            continue  # the settings validation that follows reports the shape error
        if endpoint.api_key_encrypted is not None or endpoint.api_key_hint is not None:
            raise ApiError(422, ErrorCode.INVALID_REQUEST, "send api_key, not its stored form",
                           {"field": f"{name}.api_key_encrypted"})
        try:
            await check_endpoint(endpoint.url, egress_policy(settings), resolver)
        except UnsafeEndpoint as exc:
            raise ApiError(422, ErrorCode.UNSAFE_ENDPOINT, str(exc),
                           {"field": f"{name}.url", "reason": exc.reason}) from None
        stored = endpoint.model_dump(exclude={"api_key", "api_key_encrypted", "api_key_hint"})
        if endpoint.api_key is not None:
            plaintext = endpoint.api_key.get_secret_value()
            try:
                c = secrets.cipher(settings.byom_encryption_key)
                stored["api_key_encrypted"] = secrets.encrypt(c, plaintext)
            except (secrets.SecretsUnavailable, ValueError):
                raise ApiError(422, ErrorCode.ENCRYPTION_NOT_CONFIGURED,
                               "this install cannot store model API keys: the operator must "
                               "set PROMPTSENTRY_BYOM_ENCRYPTION_KEY (a Fernet key)",
                               {"field": f"{name}.api_key"}) from None
            stored["api_key_hint"] = secrets.hint(plaintext)
        else:
            old = current.get(name) if isinstance(current.get(name), dict) else {}
            if old.get("api_key_encrypted") and _origin(old.get("url", "")) == _origin(
                    endpoint.url):
                stored["api_key_encrypted"] = old["api_key_encrypted"]
                stored["api_key_hint"] = old.get("api_key_hint")
        out[name] = stored
    return out


def public_settings(values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with each judge endpoint's encrypted key replaced by ``api_key_set`` and
    its hint."""
    out = dict(values)
    for name in ENDPOINT_FIELDS:
        value = out.get(name)
        if isinstance(value, dict):
            out[name] = {**{k: v for k, v in value.items()
                            if k not in ("api_key", "api_key_encrypted")},
                         "api_key_set": bool(value.get("api_key_encrypted"))}
    return out
