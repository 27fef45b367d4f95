"""Who is calling: bearer credentials → a :class:`Principal`.

:class:`CredentialAuthenticator` (what ``create_app`` uses) accepts, in this order:

* the admin token (``PROMPTSENTRY_ADMIN_TOKEN``): every scope, any tenant via ``X-Tenant-ID``;
* managed keys ``ps_<id>_<secret>`` / ``sk-opt-<id>-<secret>``: looked up by id in SQL on
  every request (so a revocation holds on the next request on every worker) and checked
  against the stored SHA-256 of the secret;
* service-to-service JWTs (HS256, RS256, ES256) when a JWT key is configured;
* the static keys in ``PROMPTSENTRY_API_KEYS`` (tenant ``default``).

Keys come from ``Authorization: Bearer <key>`` or ``X-API-Key``. ``X-Tenant-ID`` may narrow
what a credential sees to one of its tenants, never widen it (403 otherwise). With no
credential configured at all (no admin token, static key, JWT key or managed key) callers
are anonymous in tenant ``default``; ``serve`` allows that only on loopback.

While the database is unreachable, a managed key that verified within the last
``DEGRADED_KEY_TTL`` seconds in this process is still accepted (and nothing else), so scans
keep being answered — but only after the hot store (Redis, or the in-process store of a
single-process install) confirms it is not in the shared revoked set. Revoking a key
(``DELETE /admin/keys/{id}``, deleting its tenant) publishes it there before writing SQL, so a
revocation holds on every worker from the next request, database up or down. With the hot
store unreachable too, a cached key is refused (503): it can no longer be checked.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Annotated, Protocol

from fastapi import Depends, Header, Request
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from promptsentry.config import Settings
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.observability.incidents import Incidents
from promptsentry.observability.logging import get_logger
from promptsentry.security.jwt import JwtError, JwtVerifier, looks_like_jwt
from promptsentry.security.keys import looks_like_managed_key, parse_key, secret_matches
from promptsentry.service import DEFAULT_TENANT
from promptsentry.stores.base import HotStore, StoreUnavailable
from promptsentry.stores.sql.store import SqlStore

log = get_logger("promptsentry.auth")

DEGRADED_KEY_TTL = 300.0
REVOCATION_TTL = 24 * 3600.0
"""How long the hot store keeps a revoked key id: far longer than any cache entry lives."""
REPUBLISH_SECONDS = 60.0
_TENANT_ID_OK = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")

ALL_SCOPES = frozenset({"scan", "optimize", "admin"})


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller."""

    tenant_id: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    key_id: str | None = None
    subject: str | None = None
    email: str | None = None
    tenants: tuple[str, ...] = ()
    """Every tenant the credential may act for (a JWT may name several); empty: only
    ``tenant_id``."""

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


# The credentials as the OpenAPI document (and ``/docs``' "Authorize") knows them. The
# dependencies below take them only so that every operation lists them: ``authenticate``
# reads the headers itself (``auto_error=False``: the 401 stays ours, in our error shape).
BEARER_AUTH = HTTPBearer(
    scheme_name="BearerAuth", auto_error=False,
    description="`Authorization: Bearer <credential>`: the admin token "
                "(`PROMPTSENTRY_ADMIN_TOKEN`), a tenant key (`ps_<id>_<secret>`, optimizer-only "
                "`sk-opt-<id>-<secret>`), a static key (`PROMPTSENTRY_API_KEYS`) or a service JWT.")
API_KEY_AUTH = APIKeyHeader(
    name="X-API-Key", scheme_name="ApiKeyAuth", auto_error=False,
    description="The same credentials in `X-API-Key` (used when no bearer token is sent).")
Bearer = Annotated[HTTPAuthorizationCredentials | None, Depends(BEARER_AUTH)]
ApiKey = Annotated[str | None, Depends(API_KEY_AUTH)]
TenantHeader = Annotated[str | None, Header(
    alias="X-Tenant-ID", description="Narrow the credential to one of its tenants (the admin "
    "token: any tenant). Never widens it: another tenant is 403; a malformed id is 400.",
    json_schema_extra={"pattern": _TENANT_ID_OK.pattern, "maxLength": 64})]


def require_scope(scope: str) -> Callable[..., Awaitable[Principal]]:
    """FastAPI dependency: an authenticated principal holding ``scope``."""

    async def dependency(request: Request, _bearer: Bearer = None, _api_key: ApiKey = None,
                         _tenant: TenantHeader = None) -> Principal:
        principal = await request.app.state.authenticator.authenticate(request)
        if scope not in principal.scopes:
            raise ApiError(403, ErrorCode.FORBIDDEN, f"this credential lacks the '{scope}' scope")
        return principal

    return dependency


def _unauthorized(message: str, code: ErrorCode = ErrorCode.UNAUTHORIZED) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": "Bearer"})


def _narrow(principal: Principal, request: Request, *, any_tenant: bool) -> Principal:
    """Apply ``X-Tenant-ID``: it may pick one of the credential's tenants, nothing else."""
    wanted = request.headers.get("x-tenant-id", "").strip()
    if not wanted:
        return principal
    if not _TENANT_ID_OK.match(wanted):
        raise ApiError(400, ErrorCode.INVALID_REQUEST, "X-Tenant-ID is not a valid tenant id")
    if wanted == principal.tenant_id:
        return principal
    if any_tenant or wanted in principal.tenants:
        return Principal(wanted, principal.scopes, principal.key_id, principal.subject,
                         principal.email, principal.tenants)
    raise ApiError(403, ErrorCode.FORBIDDEN,
                   "X-Tenant-ID names a tenant this credential cannot access")


class KeyUsage:
    """Per-process use counters of managed keys, written to SQL every ``flush_seconds``
    (``use_count = use_count + n`` in SQL, so workers add up)."""

    def __init__(self, sql: SqlStore, flush_seconds: float) -> None:
        self._sql = sql
        self._flush_seconds = flush_seconds
        self._pending: dict[str, tuple[int, datetime]] = {}
        self._last_flush = time.monotonic()

    async def used(self, key_id: str) -> None:
        count, _ = self._pending.get(key_id, (0, None))
        self._pending[key_id] = (count + 1, datetime.now(UTC))
        if time.monotonic() - self._last_flush >= self._flush_seconds:
            await self.flush()

    async def flush(self) -> None:
        pending, self._pending = self._pending, {}
        self._last_flush = time.monotonic()
        if not pending:
            return
        try:
            await self._sql.run(self._sql.record_key_usage, pending)
        except StoreUnavailable:
            for key_id, (count, when) in pending.items():  # keep them for the next flush
                old, _ = self._pending.get(key_id, (0, when))
                self._pending[key_id] = (old + count, when)


class CredentialAuthenticator:
    """Admin token, managed keys, JWTs and static keys; see the module docstring."""

    def __init__(self, settings: Settings, sql: SqlStore | None, incidents: Incidents,
                 jwt: JwtVerifier | None = None, *, hot_store: HotStore | None = None) -> None:
        self._settings = settings
        self._sql = sql
        self._incidents = incidents
        self._hot = hot_store
        self._unpublished: set[str] = set()  # revocations the hot store has not taken yet
        self._republished: dict[str, float] = {}  # key_id -> when this worker last did
        self._static = [k.get_secret_value().encode() for k in settings.api_keys]
        self._admin = (settings.admin_token.get_secret_value().encode()
                       if settings.admin_token else None)
        self._jwt = jwt if jwt is not None and jwt.configured else None
        self._keys_exist = False
        self._verified: OrderedDict[str, tuple[float, Principal]] = OrderedDict()
        self.usage = KeyUsage(sql, settings.key_usage_flush_seconds) if sql else None

    @property
    def requires_credentials(self) -> bool:
        return (bool(self._static) or self._admin is not None or self._jwt is not None
                or self._keys_exist)

    async def refresh_key_presence(self) -> bool:
        """Whether managed keys exist (sticky once seen: keys are never deleted, only
        revoked, except with their tenant)."""
        if self._keys_exist or self._sql is None:
            return self._keys_exist
        try:
            self._keys_exist = await self._sql.run(self._sql.any_key_exists)
        except StoreUnavailable as exc:
            self._incidents.failed("sql", exc)
        else:
            self._incidents.ok("sql")
        return self._keys_exist

    async def authenticate(self, request: Request) -> Principal:
        token = bearer_token(request)
        if token is None:
            if not self.requires_credentials and not await self.refresh_key_presence():
                return _narrow(Principal(DEFAULT_TENANT, ALL_SCOPES - {"admin"},
                                         subject="anonymous"), request, any_tenant=False)
            raise _unauthorized("missing credentials: send 'Authorization: Bearer <key>'")
        candidate = token.encode()
        if self._admin is not None and hmac.compare_digest(candidate, self._admin):
            return _narrow(Principal(DEFAULT_TENANT, ALL_SCOPES, subject="admin"), request,
                           any_tenant=True)
        if looks_like_managed_key(token):
            return _narrow(await self._managed(token), request, any_tenant=False)
        if self._jwt is not None and looks_like_jwt(token):
            try:
                identity = self._jwt.verify(token)
            except JwtError as exc:
                log.info("jwt_rejected", reason=str(exc))
                raise _unauthorized(str(exc), ErrorCode.INVALID_API_KEY) from None
            tenants = identity.tenants or (DEFAULT_TENANT,)
            log.debug("jwt_accepted", sub=identity.subject, email=identity.email)
            return _narrow(Principal(tenants[0], identity.scopes, subject=identity.subject,
                                     email=identity.email, tenants=tenants), request,
                           any_tenant=False)
        for index, key in enumerate(self._static):
            if hmac.compare_digest(candidate, key):
                return _narrow(Principal(DEFAULT_TENANT, ALL_SCOPES - {"admin"},
                                         key_id=f"static-{index}"), request, any_tenant=False)
        raise _unauthorized("the API key is not valid", ErrorCode.INVALID_API_KEY)

    async def publish_revocation(self, key_id: str) -> bool:
        """Put ``key_id`` in the hot store's revoked set (every worker checks it before
        trusting a cached key) and drop it from this worker's cache; ``False`` when the hot
        store is unreachable (then retried on this worker's next managed-key request)."""
        self.forget(key_id)
        if self._hot is None:
            return False
        try:
            await self._hot.revoke_key(key_id, REVOCATION_TTL)
        except StoreUnavailable as exc:
            self._incidents.failed("hot_store", exc)
            self._unpublished.add(key_id)
            return False
        self._incidents.ok("hot_store")
        self._unpublished.discard(key_id)
        return True

    def forget(self, key_id: str) -> None:
        """Drop this worker's cached verifications of ``key_id``."""
        for fingerprint in [f for f, (_, p) in self._verified.items() if p.key_id == key_id]:
            del self._verified[fingerprint]

    async def _retry_unpublished(self) -> None:
        for key_id in list(self._unpublished):
            if not await self.publish_revocation(key_id):
                return

    async def _republish(self, key_id: str) -> None:
        """A key SQL says is revoked goes (back) into the revoked set — at most once a minute
        per key and worker — so a hot store that lost its data relearns it."""
        now = time.monotonic()
        if now - self._republished.get(key_id, -math.inf) < REPUBLISH_SECONDS:
            return
        if len(self._republished) > 10_000:
            self._republished.clear()
        self._republished[key_id] = now
        await self.publish_revocation(key_id)

    async def _degraded(self, key_id: str, fingerprint: str) -> Principal:
        """While SQL is unreachable: 401 for a key in the hot store's revoked set, else the
        principal this worker verified within ``DEGRADED_KEY_TTL``, else 503 (never accepted
        unverified; nor when the revoked set cannot be read)."""
        unavailable = ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                               "the key store is unavailable; retry shortly",
                               headers={"Retry-After": "1"})
        if self._hot is not None:
            try:
                revoked = await self._hot.is_key_revoked(key_id)
            except StoreUnavailable as exc:
                self._incidents.failed("hot_store", exc)
                raise unavailable from None
            self._incidents.ok("hot_store")
            if revoked:
                self.forget(key_id)
                raise _unauthorized("the API key is not valid or was revoked",
                                    ErrorCode.INVALID_API_KEY)
        cached = self._verified.get(fingerprint)
        if cached is None or time.monotonic() - cached[0] >= DEGRADED_KEY_TTL:
            raise unavailable
        return cached[1]

    async def _managed(self, token: str) -> Principal:
        parsed = parse_key(token)
        if parsed is None or self._sql is None:
            raise _unauthorized("the API key is not valid", ErrorCode.INVALID_API_KEY)
        if self._unpublished:
            await self._retry_unpublished()
        fingerprint = hashlib.sha256(token.encode()).hexdigest()
        try:
            record = await self._sql.run(self._sql.get_key, parsed.key_id)
        except StoreUnavailable as exc:
            self._incidents.failed("sql", exc)
            return await self._degraded(parsed.key_id, fingerprint)
        self._incidents.ok("sql")
        if (record is None or record.revoked or record.kind != parsed.kind
                or not secret_matches(parsed.secret, record.secret_hash)):
            self._verified.pop(fingerprint, None)
            if record is not None and record.revoked:
                await self._republish(record.key_id)
            raise _unauthorized("the API key is not valid or was revoked",
                                ErrorCode.INVALID_API_KEY)
        self._keys_exist = True
        principal = Principal(record.tenant_id, frozenset(record.scopes), key_id=record.key_id,
                              subject=f"key:{record.key_id}")
        self._verified[fingerprint] = (time.monotonic(), principal)
        self._verified.move_to_end(fingerprint)
        while len(self._verified) > 10_000:
            self._verified.popitem(last=False)
        if self.usage is not None:
            await self.usage.used(record.key_id)
        return principal


def require_any_scope(*scopes: str) -> Callable[..., Awaitable[Principal]]:
    """FastAPI dependency: an authenticated principal holding at least one of ``scopes``."""

    async def dependency(request: Request, _bearer: Bearer = None, _api_key: ApiKey = None,
                         _tenant: TenantHeader = None) -> Principal:
        principal = await request.app.state.authenticator.authenticate(request)
        if not principal.scopes & set(scopes):
            raise ApiError(403, ErrorCode.FORBIDDEN,
                           f"this credential lacks any of the scopes {sorted(scopes)}")
        return principal

    return dependency


ScanPrincipal = Annotated[Principal, Depends(require_scope("scan"))]
"""A route parameter: the caller, holding the ``scan`` scope."""
OptimizePrincipal = Annotated[Principal, Depends(require_scope("optimize"))]
"""A route parameter: the caller, holding the ``optimize`` scope."""
AdminPrincipal = Annotated[Principal, Depends(require_scope("admin"))]
"""A route parameter: the caller, holding the ``admin`` scope."""
