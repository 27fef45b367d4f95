"""System-prompt registration for leak detection (issue 5).

* ``PUT|GET|DELETE /admin/tenants/{tenant_id}/system-prompt`` — the admin token for any
  tenant, a tenant admin (scope ``admin``) for its own;
* ``PUT|GET|DELETE /system-prompt`` — the caller's own tenant (scope ``scan``).

``PUT`` hashes the prompt's 5-word shingles under a key derived from the install's secret and
stores only those hashes (see :mod:`promptsentry.pipeline.stages.system_prompt`); the text is
neither stored nor logged, and ``GET`` answers metadata only. Scans of that tenant's responses
(``scan_type = "response"``, or any scan's ``output``) that reproduce at least ``threshold``
of the shingles are ``system_prompt_leak`` (decisive). Other workers pick a change up within
``block_list_refresh_seconds``.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field

from promptsentry.api.auth import AdminPrincipal, ScanPrincipal
from promptsentry.api.deps import ServicesDep
from promptsentry.api.openapi import error_responses
from promptsentry.api.routes.admin import _require_tenant_access, _sql
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.observability.logging import get_logger
from promptsentry.pipeline.analysis.leakage import (
    SHINGLE_WORDS,
    derive_fingerprint_key,
    fingerprint_key_id,
)
from promptsentry.pipeline.stages.system_prompt import fingerprint_system_prompt, prepare
from promptsentry.stores.sql.system_prompts import (
    delete_fingerprint,
    get_fingerprint,
    put_fingerprint,
)
from promptsentry.wiring import Services

log = get_logger("promptsentry.system_prompt")

router = APIRouter(tags=["system prompt"], route_class=StrictJsonRoute)

TenantId = Annotated[str, Path(max_length=64)]

MAX_SYSTEM_PROMPT_CHARS = 100_000
DEFAULT_THRESHOLD = 0.5
_WORD = re.compile(r"\w+")


class SystemPromptBody(BaseModel):
    """A system prompt to fingerprint. The text is hashed and dropped, never stored."""

    model_config = ConfigDict(extra="forbid")

    system_prompt: str = Field(..., min_length=1, max_length=MAX_SYSTEM_PROMPT_CHARS)
    threshold: float = Field(
        DEFAULT_THRESHOLD, gt=0.0, le=1.0,
        description="Fraction of the prompt's 5-word shingles a response must reproduce to "
                    "count as a leak.",
    )


def _key(services: Services) -> bytes:
    return derive_fingerprint_key(services.settings.resolved_audit_salt())


def _no_tenant(tenant_id: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, "no such tenant", {"tenant_id": tenant_id[:80]})


def _none_registered(tenant_id: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, "no system prompt is registered for this tenant",
                    {"tenant_id": tenant_id[:80]})


async def _register(services: Services, tenant_id: str, body: SystemPromptBody) -> dict[str, Any]:
    key = _key(services)
    if len(_WORD.findall(prepare(body.system_prompt))) < SHINGLE_WORDS:
        raise ApiError(422, ErrorCode.INVALID_REQUEST,
                       f"the system prompt is too short to fingerprint (at least "
                       f"{SHINGLE_WORDS} words)", {"min_words": SHINGLE_WORDS})
    hashes = fingerprint_system_prompt(body.system_prompt, key)
    stored = await _sql(services, put_fingerprint, services.sql_store, tenant_id, hashes,
                        threshold=body.threshold, key_id=fingerprint_key_id(key),
                        shingle_words=SHINGLE_WORDS)
    if stored is None:
        raise _no_tenant(tenant_id)
    services.tenants.invalidate(tenant_id)
    log.info("system_prompt_registered", tenant_id=tenant_id, shingles=len(stored.hashes),
             threshold=stored.threshold)
    return stored.public()


async def _describe(services: Services, tenant_id: str) -> dict[str, Any]:
    stored = await _sql(services, get_fingerprint, services.sql_store, tenant_id)
    if stored is None:
        raise _none_registered(tenant_id)
    current = stored.key_id == fingerprint_key_id(_key(services))
    return {**stored.public(), "key_current": current}


async def _remove(services: Services, tenant_id: str) -> dict[str, Any]:
    if not await _sql(services, delete_fingerprint, services.sql_store, tenant_id):
        raise _none_registered(tenant_id)
    services.tenants.invalidate(tenant_id)
    log.info("system_prompt_removed", tenant_id=tenant_id)
    return {"tenant_id": tenant_id, "deleted": True}


# --- admin ----------------------------------------------------------------------------------

@router.put("/admin/tenants/{tenant_id}/system-prompt", tags=["admin"],
            summary="Register a tenant's system prompt for leak detection (hashes only)")
async def admin_put(tenant_id: TenantId, body: SystemPromptBody, services: ServicesDep,
                    principal: AdminPrincipal) -> dict:
    """Fingerprint `system_prompt` (keyed shingle hashes; the text is not stored) and replace
    any earlier registration. Answers `{tenant_id, shingles, shingle_words, threshold,
    registered_at}`."""
    _require_tenant_access(principal, tenant_id)
    return await _register(services, tenant_id, body)


@router.get("/admin/tenants/{tenant_id}/system-prompt", tags=["admin"],
            summary="A tenant's registered system prompt (metadata only)")
async def admin_get(tenant_id: TenantId, services: ServicesDep, principal: AdminPrincipal) -> dict:
    """Counts, threshold and time; `key_current` is false when the install secret changed
    since registration (register again: such a fingerprint matches nothing)."""
    _require_tenant_access(principal, tenant_id)
    return await _describe(services, tenant_id)


@router.delete("/admin/tenants/{tenant_id}/system-prompt", tags=["admin"],
               summary="Remove a tenant's system-prompt fingerprint")
async def admin_delete(tenant_id: TenantId, services: ServicesDep, principal: AdminPrincipal) -> dict:
    _require_tenant_access(principal, tenant_id)
    return await _remove(services, tenant_id)


# --- the caller's tenant --------------------------------------------------------------------

@router.put("/system-prompt", summary="Register your system prompt for leak detection")
async def own_put(body: SystemPromptBody, services: ServicesDep, principal: ScanPrincipal) -> dict:
    """As `PUT /admin/tenants/{tenant_id}/system-prompt`, for the caller's own tenant."""
    return await _register(services, principal.tenant_id, body)


@router.get("/system-prompt", summary="Your registered system prompt (metadata only)",
            responses=error_responses(404))
async def own_get(services: ServicesDep, principal: ScanPrincipal) -> dict:
    return await _describe(services, principal.tenant_id)


@router.delete("/system-prompt", summary="Remove your system-prompt fingerprint",
               responses=error_responses(404))
async def own_delete(services: ServicesDep, principal: ScanPrincipal) -> dict:
    return await _remove(services, principal.tenant_id)
