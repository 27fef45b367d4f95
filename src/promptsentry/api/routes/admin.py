"""The admin API (``/admin``); ``GET /api/stats`` is in :mod:`.stats` (``stats_router``).

Guarded by the admin token (``PROMPTSENTRY_ADMIN_TOKEN``, bearer). A managed key with the
``admin`` scope is a *tenant admin*: it may read its own tenant and change the settings of
``TENANT_ADMIN_SETTINGS`` (never its plan, quota, rate limits, retention or allow-lists, nor a
strike threshold under the install's: 403 ``FORBIDDEN_SETTING``), manage its keys, read its
stats, and read or lift its own tenant's automatic blocks and strikes; creating tenants,
manual (install-wide) blocks and the global allow-list are for the admin token only.

Secrets never come back twice: ``POST /admin/keys`` answers the key once; afterwards only its
metadata (id, name, scopes, times, counters) is visible.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field, field_validator

from promptsentry.api.auth import (
    AdminPrincipal,
    Authenticator,
    CredentialAuthenticator,
    Principal,
)
from promptsentry.api.deps import AuthenticatorDep, ServicesDep
from promptsentry.api.openapi import error_responses
from promptsentry.api.routes.stats import stats_router
from promptsentry.api.sql_calls import run_sql as _sql
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.judge.tenant import prepare, public_settings
from promptsentry.observability.logging import get_logger
from promptsentry.security.guard import parse_ip, parse_ip_or_network
from promptsentry.security.keys import SCOPES, kind_for_scopes
from promptsentry.stores.base import StoreUnavailable
from promptsentry.stores.tenants import (
    TENANT_ADMIN_SETTINGS,
    TenantSettings,
    effective_settings,
    refused_for_tenant_admin,
)
from promptsentry.text import strip_control
from promptsentry.wiring import Services

log = get_logger("promptsentry.admin")
__all__ = ["router", "stats_router"]

router = APIRouter(prefix="/admin", tags=["admin"], route_class=StrictJsonRoute)


def _is_root(principal: Principal) -> bool:
    """The admin token (managed keys always carry a key id)."""
    return "admin" in principal.scopes and principal.key_id is None


def _require_root(principal: Principal) -> None:
    if not _is_root(principal):
        raise ApiError(403, ErrorCode.FORBIDDEN, "this operation needs the admin token")


def _require_tenant_access(principal: Principal, tenant_id: str) -> None:
    if not _is_root(principal) and principal.tenant_id != tenant_id:
        # Another tenant's objects do not exist for a tenant admin.
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})


def _clean(text: str, limit: int) -> str:
    return strip_control(text, keep_newlines=False).strip()[:limit]


# --- tenants --------------------------------------------------------------------------------

class TenantCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    settings: TenantSettings | None = None


class TenantPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    settings: dict[str, Any] = Field(
        default_factory=dict, description="Overrides to set; a null value removes an override."
    )
    name: str | None = Field(None, min_length=1, max_length=200)


def _tenant_body(services: Services, tenant: Any) -> dict[str, Any]:
    eff = effective_settings(services.settings, tenant.settings)
    return {"id": tenant.id, "name": tenant.name, "settings": public_settings(tenant.settings),
            "effective_settings": public_settings(_eff_dict(eff)),
            "created_at": tenant.created_at, "updated_at": tenant.updated_at}


def _eff_dict(eff: Any) -> dict[str, Any]:
    return {name: (list(getattr(eff, name)) if isinstance(getattr(eff, name), tuple)
                   else getattr(eff, name)) for name in eff.__slots__
            if not name.startswith("system_prompt_")}  # see GET .../system-prompt


@router.post("/tenants", status_code=201, summary="Create a tenant")
async def create_tenant(body: TenantCreate, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_root(principal)
    overrides = TenantSettings.model_validate(
        await prepare(services.settings, {}, body.settings)).overrides()
    tenant = await _sql(services, services.sql_store.create_tenant, _clean(body.name, 200), overrides)
    log.info("tenant_created", tenant_id=tenant.id)
    return _tenant_body(services, tenant)


@router.get("/tenants", summary="List tenants")
async def list_tenants(services: ServicesDep, principal: AdminPrincipal) -> dict:
    tenants = await _sql(services, services.sql_store.list_tenants)
    if not _is_root(principal):
        tenants = [t for t in tenants if t.id == principal.tenant_id]
    return {"tenants": [_tenant_body(services, t) for t in tenants]}


@router.get("/tenants/{tenant_id}", summary="One tenant")
async def get_tenant(tenant_id: str, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_tenant_access(principal, tenant_id)
    tenant = await _sql(services, services.sql_store.get_tenant, tenant_id)
    if tenant is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})
    return _tenant_body(services, tenant)


@router.patch("/tenants/{tenant_id}", summary="Change a tenant's settings")
async def patch_tenant(tenant_id: str, body: TenantPatch, services: ServicesDep,
                       principal: AdminPrincipal) -> dict:
    _require_tenant_access(principal, tenant_id)
    current = await _sql(services, services.sql_store.get_tenant, tenant_id)
    if current is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})
    unknown = sorted(set(body.settings) - set(TenantSettings.model_fields))
    if unknown:
        raise ApiError(422, ErrorCode.INVALID_REQUEST, "unknown tenant settings",
                       {"unknown": unknown[:20], "allowed": sorted(TenantSettings.model_fields)})
    body.settings = await prepare(services.settings, current.settings, body.settings)
    merged = {**current.settings, **body.settings}
    merged = {k: v for k, v in merged.items() if v is not None}
    try:
        validated = TenantSettings.model_validate(merged)
    except ValueError as exc:
        errors = getattr(exc, "errors", list)()
        raise ApiError(422, ErrorCode.INVALID_REQUEST, "invalid tenant settings",
                       {"errors": [{"field": ".".join(str(p) for p in e.get("loc", ())),
                                    "message": e.get("msg")} for e in errors][:20]}) from None
    clean = validated.overrides()
    patch = {k: clean.get(k) for k in body.settings}
    if not _is_root(principal):
        refused = refused_for_tenant_admin(services.settings, current.settings, patch)
        if refused:
            raise ApiError(403, ErrorCode.FORBIDDEN_SETTING,
                           "a tenant admin key cannot change these settings; the operator's "
                           "admin token can", {
                               "fields": refused, "allowed": sorted(TENANT_ADMIN_SETTINGS),
                               "strike_threshold_floor":
                                   services.settings.strike_threshold})
    name = _clean(body.name, 200) if body.name else None
    tenant = await _sql(services, services.sql_store.update_tenant_settings, tenant_id, patch, name)
    if tenant is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})
    services.tenants.invalidate(tenant_id)
    log.info("tenant_updated", tenant_id=tenant_id, fields=sorted(body.settings))
    return _tenant_body(services, tenant)


@router.delete("/tenants/{tenant_id}", summary="Delete a tenant and its keys",
               responses=error_responses(409))
async def delete_tenant(tenant_id: str, services: ServicesDep, principal: AdminPrincipal,
                        authenticator: AuthenticatorDep) -> dict:
    _require_root(principal)
    if tenant_id == "default":
        raise ApiError(409, ErrorCode.CONFLICT, "the default tenant cannot be deleted")
    keys = await _sql(services, services.sql_store.list_keys, tenant_id)
    await _publish_revocations(authenticator, [k.key_id for k in keys if not k.revoked])
    if not await _sql(services, services.sql_store.delete_tenant, tenant_id):
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})
    services.tenants.invalidate(tenant_id)
    log.info("tenant_deleted", tenant_id=tenant_id)
    return {"id": tenant_id, "deleted": True}


# --- keys -----------------------------------------------------------------------------------

class KeyCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tenant_id: str = Field("default", min_length=1, max_length=64)
    name: str = Field(..., min_length=1, max_length=200)
    scopes: list[str] = Field(default_factory=lambda: ["scan"], min_length=1, max_length=3)

    @field_validator("scopes")
    @classmethod
    def _known(cls, value: list[str]) -> list[str]:
        unknown = set(value) - SCOPES
        if unknown:
            raise ValueError(f"unknown scopes {sorted(unknown)}; known: {sorted(SCOPES)}")
        return sorted(set(value))


@router.post("/keys", status_code=201, summary="Create an API key (the key is shown once)",
             responses=error_responses(404))
async def create_key(body: KeyCreate, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_tenant_access(principal, body.tenant_id)
    store = services.sql_store
    if await _sql(services, store.get_tenant, body.tenant_id) is None:
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such tenant",
                       {"tenant_id": body.tenant_id[:80]})
    kind = kind_for_scopes(body.scopes)
    key, plaintext = await _sql(services, store.create_key, body.tenant_id,
                                _clean(body.name, 200), body.scopes, kind)
    log.info("key_created", key_id=key.key_id, tenant_id=key.tenant_id, scopes=body.scopes)
    return {**key.public(), "key": plaintext}


@router.get("/keys", summary="List API keys (metadata only)")
async def list_keys(services: ServicesDep, principal: AdminPrincipal,
                    tenant_id: Annotated[str | None, Query(max_length=64)] = None) -> dict:
    if not _is_root(principal):
        tenant_id = principal.tenant_id
    keys = await _sql(services, services.sql_store.list_keys, tenant_id)
    return {"keys": [k.public() for k in keys]}


@router.delete("/keys/{key_id}", summary="Revoke an API key")
async def revoke_key(key_id: str, services: ServicesDep, principal: AdminPrincipal,
                     authenticator: AuthenticatorDep) -> dict:
    store = services.sql_store
    key = await _sql(services, store.get_key, key_id)
    if key is None or (not _is_root(principal) and key.tenant_id != principal.tenant_id):
        raise ApiError(404, ErrorCode.NOT_FOUND, "no such key", {"key_id": key_id[:80]})
    # Published to the hot store first: a worker that cannot reach the database checks that
    # revoked set before trusting a key it verified earlier.
    published = await _publish_revocations(authenticator, [key_id])
    key = await _sql(services, store.revoke_key, key_id)
    log.info("key_revoked", key_id=key_id, tenant_id=key.tenant_id, published=published)
    return {**key.public(), "revocation_published": published}


async def _publish_revocations(authenticator: Authenticator, key_ids: list[str]) -> bool:
    """Revoke ``key_ids`` in the hot store's shared set; ``False`` when it is unreachable
    (SQL still refuses the keys on every worker while the database is up)."""
    if not isinstance(authenticator, CredentialAuthenticator):
        return False
    published = True
    for key_id in key_ids:
        published &= await authenticator.publish_revocation(key_id)
    if not published:
        log.warning("key_revocation_not_published", count=len(key_ids))
    return published


# --- blocks, allow-list, strikes --------------------------------------------------------------

class IpCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ip: str = Field(..., min_length=2, max_length=64)
    reason: str = Field("", max_length=500)


def _ip_or_422(value: str) -> str:
    try:
        return parse_ip_or_network(value)
    except ValueError:
        raise ApiError(422, ErrorCode.INVALID_IP, "not an IPv4/IPv6 address or CIDR network",
                       {"ip": _clean(value, 64)}) from None


@router.post("/blocks", status_code=201, summary="Block an address or network until removed")
async def add_block(body: IpCreate, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_root(principal)
    ip = _ip_or_422(body.ip)
    entry = await _sql(services, services.sql_store.add_block, ip, _clean(body.reason, 500))
    services.guard.ip_lists.invalidate()
    log.info("ip_blocked", ip=ip, type="manual")
    return {"ip": entry.ip, "reason": entry.reason, "type": "manual",
            "created_at": entry.created_at}


def _block_scope(principal: Principal, tenant_id: str | None) -> str | None:
    """The tenant whose automatic blocks a call reads or lifts: ``tenant_id`` (``None``: every
    tenant) for the admin token; always its own tenant for a tenant admin."""
    if _is_root(principal):
        return tenant_id
    _require_tenant_access(principal, tenant_id or principal.tenant_id)
    return principal.tenant_id


def _hot_unavailable(services: Services, exc: StoreUnavailable) -> ApiError:
    services.incidents.failed("hot_store", exc)
    return ApiError(503, ErrorCode.SERVICE_UNAVAILABLE, "the hot store is unavailable; retry "
                    "shortly", headers={"Retry-After": "2"})


TenantQuery = Annotated[str | None, Query(max_length=64, description=(
    "Only this tenant's automatic blocks (admin token; a tenant admin always acts on its own "
    "tenant)."))]


@router.get("/blocks", summary="Manual and automatic blocks")
async def list_blocks(services: ServicesDep, principal: AdminPrincipal,
                      tenant_id: TenantQuery = None) -> dict:
    """Manual blocks are install-wide (``tenant_id`` null) and listed to the admin token only;
    automatic blocks hold in one tenant. A tenant admin sees its own tenant's automatic
    blocks."""
    scope = _block_scope(principal, tenant_id)
    blocks: list[dict[str, Any]] = []
    if _is_root(principal):
        manual = await _sql(services, services.sql_store.list_blocks)
        blocks += [{"ip": e.ip, "reason": e.reason, "type": "manual", "tenant_id": None,
                    "created_at": e.created_at, "expires_in_seconds": None} for e in manual]
    degraded = False
    try:
        auto = await services.hot_store.list_auto_blocks(scope)
    except StoreUnavailable as exc:
        services.incidents.failed("hot_store", exc)
        auto, degraded = [], True
    blocks += [{"ip": b.ip, "reason": b.reason, "type": "automatic", "tenant_id": b.tenant_id,
                "created_at": None, "expires_in_seconds": round(b.remaining_seconds, 1)}
               for b in auto]
    return {"blocks": blocks, "automatic_blocks_unavailable": degraded}


@router.delete("/blocks/{ip:path}", summary="Lift a manual or automatic block")
async def remove_block(ip: str, services: ServicesDep, principal: AdminPrincipal,
                       tenant_id: TenantQuery = None) -> dict:
    """The admin token without ``tenant_id`` lifts the manual block and the automatic blocks
    of every tenant (and forgets the strikes); with ``tenant_id``, or from a tenant admin,
    only that tenant's automatic block and strikes."""
    scope = _block_scope(principal, tenant_id)
    canonical = _ip_or_422(ip)
    manual = False
    if _is_root(principal) and scope is None:
        manual = await _sql(services, services.sql_store.remove_block, canonical)
    automatic = False
    if "/" not in canonical:
        try:
            automatic = await services.hot_store.clear_ip(canonical, scope)
        except StoreUnavailable as exc:
            raise _hot_unavailable(services, exc) from None
    services.guard.ip_lists.invalidate()
    if not (manual or automatic):
        raise ApiError(404, ErrorCode.NOT_FOUND, "this address is not blocked",
                       {"ip": canonical})
    log.info("ip_unblocked", ip=canonical, manual=manual, automatic=automatic,
             tenant_id=scope)
    return {"ip": canonical, "removed_manual": manual, "removed_automatic": automatic,
            "tenant_id": scope}


@router.post("/allowlist", status_code=201,
             summary="Allow-list an address or network (never limited, struck or blocked)")
async def add_allow(body: IpCreate, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_root(principal)
    ip = _ip_or_422(body.ip)
    entry = await _sql(services, services.sql_store.add_allow, ip, _clean(body.reason, 500))
    services.guard.ip_lists.invalidate()
    return {"ip": entry.ip, "reason": entry.reason, "created_at": entry.created_at}


@router.get("/allowlist", summary="The global IP allow-list")
async def list_allow(services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_root(principal)
    entries = await _sql(services, services.sql_store.list_allow)
    return {"allowlist": [{"ip": e.ip, "reason": e.reason, "created_at": e.created_at}
                          for e in entries]}


@router.delete("/allowlist/{ip:path}", summary="Remove an allow-list entry")
async def remove_allow(ip: str, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_root(principal)
    canonical = _ip_or_422(ip)
    if not await _sql(services, services.sql_store.remove_allow, canonical):
        raise ApiError(404, ErrorCode.NOT_FOUND, "not on the allow-list", {"ip": canonical})
    services.guard.ip_lists.invalidate()
    return {"ip": canonical, "removed": True}


@router.get("/strikes/{ip}", summary="Strikes and block state of an address in one tenant")
async def get_strikes(ip: str, services: ServicesDep, principal: AdminPrincipal,
                      tenant_id: TenantQuery = None) -> dict:
    """Strikes are per tenant: ``tenant_id`` (admin token; default its ``X-Tenant-ID`` or
    ``default``), always its own tenant for a tenant admin."""
    tenant = _block_scope(principal, tenant_id) or principal.tenant_id
    canonical = parse_ip(ip)
    if canonical is None:
        raise ApiError(422, ErrorCode.INVALID_IP, "not an IPv4/IPv6 address",
                       {"ip": _clean(ip, 64)})
    settings = services.settings
    store = services.hot_store
    try:
        strikes = await store.get_strikes(tenant, canonical, settings.strike_window_hours * 3600)
        remaining = await store.auto_block_remaining(tenant, canonical)
    except StoreUnavailable as exc:
        raise _hot_unavailable(services, exc) from None
    eff = await services.tenants.effective(tenant)
    await services.guard.ip_lists.refresh_if_due()
    manual = services.guard.ip_lists.blocks.match(canonical)
    return {"ip": canonical, "tenant_id": tenant, "strikes": strikes,
            "threshold": eff.strike_threshold, "window_hours": settings.strike_window_hours,
            "blocked": bool(remaining) or manual is not None,
            "block_type": "manual" if manual is not None else ("automatic" if remaining
                                                               else None),
            "block_remaining_seconds": round(remaining, 1) if remaining else None}
