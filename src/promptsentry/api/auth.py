"""Who is calling: bearer credentials → a :class:`Principal`.

Until managed tenant keys exist, the service accepts the static keys in
``PROMPTSENTRY_API_KEYS`` and the admin token; with neither configured it serves
anonymous callers as the ``default`` tenant, which ``serve`` only allows on loopback.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from fastapi import Request

from promptsentry.config import Settings
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.service import DEFAULT_TENANT

ALL_SCOPES = frozenset({"scan", "optimize", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    tenant_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    key_id: str | None = None
    subject: str | None = None

    @property
    def is_admin(self) -> bool:
        return "admin" in self.scopes


class Authenticator(Protocol):
    async def authenticate(self, request: Request) -> Principal: ...

    @property
    def requires_credentials(self) -> bool: ...


def bearer_token(request: Request) -> str | None:
    """The bearer token of ``Authorization``, or ``X-API-Key``."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    api_key = request.headers.get("x-api-key", "").strip()
    return api_key or None


class StaticAuthenticator:
    """Static keys from settings plus the admin token; anonymous when none is configured."""

    def __init__(self, settings: Settings) -> None:
        self._keys = [k.get_secret_value().encode() for k in settings.api_keys]
        self._admin = (settings.admin_token.get_secret_value().encode()
                       if settings.admin_token else None)

    @property
    def requires_credentials(self) -> bool:
        return bool(self._keys) or self._admin is not None

    async def authenticate(self, request: Request) -> Principal:
        if not self.requires_credentials:
            return Principal(DEFAULT_TENANT, ALL_SCOPES - {"admin"}, subject="anonymous")
        token = bearer_token(request)
        if token is None:
            raise ApiError(401, ErrorCode.UNAUTHORIZED, "missing credentials: send "
                           "'Authorization: Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})
        candidate = token.encode()
        if self._admin is not None and hmac.compare_digest(candidate, self._admin):
            return Principal(DEFAULT_TENANT, ALL_SCOPES, subject="admin")
        for index, key in enumerate(self._keys):
            if hmac.compare_digest(candidate, key):
                return Principal(DEFAULT_TENANT, ALL_SCOPES - {"admin"}, key_id=f"static-{index}")
        raise ApiError(401, ErrorCode.INVALID_API_KEY, "the API key is not valid",
                       headers={"WWW-Authenticate": "Bearer"})


def require_scope(scope: str) -> Callable[[Request], Awaitable[Principal]]:
    """FastAPI dependency: an authenticated principal holding ``scope``."""

    async def dependency(request: Request) -> Principal:
        principal = await request.app.state.authenticator.authenticate(request)
        if scope not in principal.scopes:
            raise ApiError(403, ErrorCode.FORBIDDEN, f"this credential lacks the '{scope}' scope")
        return principal

    return dependency
