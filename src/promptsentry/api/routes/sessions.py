"""Agent sessions and canaries.

* ``POST /session/{session_id}/scan`` — scan one node of an agent session and place it in the
  session's provenance graph (scope ``scan``);
* ``GET /session/{session_id}`` — the graph (scope ``admin``; the admin token without
  ``X-Tenant-ID`` finds the session in whichever tenant holds the id);
* ``DELETE /session/{session_id}`` — erase the session (scope ``scan``);
* ``POST /canary`` — a canary token to plant in a system prompt (scope ``scan``).

Each session scan runs the ordinary pipeline (the same verdict as ``POST /scan``), then
labels the node atomically in the session store. A tool call whose ``min_trust`` exceeds the
trust of its inputs is a provenance violation: ``action`` is ``blocked`` in active mode.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response

from promptsentry.api.auth import AdminPrincipal, Principal, ScanPrincipal
from promptsentry.api.deps import ScanServiceDep, SessionStoreDep, SettingsDep
from promptsentry.api.openapi import error_responses
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.observability.logging import get_logger
from promptsentry.pipeline.analysis.leakage import derive_canary_key, new_canary
from promptsentry.service import ScanContext
from promptsentry.sessions import graph as g
from promptsentry.sessions.schemas import (
    CanaryIssued,
    SessionDeleted,
    SessionGraphResponse,
    SessionScanRequest,
    SessionScanResponse,
)
from promptsentry.sessions.service import (
    SESSION_ID_PATTERN,
    check_session_id,
    scan_node,
    scan_request_of,
    store_unavailable,
)
from promptsentry.sessions.store import SessionStore, expires_at
from promptsentry.stores.base import StoreUnavailable

log = get_logger("promptsentry.session")

router = APIRouter(tags=["sessions"], route_class=StrictJsonRoute)

# The pattern is documented, and checked by ``check_session_id`` (its own 422 message).
SessionId = Annotated[str, Path(max_length=128, description="Caller-chosen session id "
                                "(letters, digits, `._:-`; ≤ 128 characters).",
                                json_schema_extra={"pattern": SESSION_ID_PATTERN.pattern})]


@router.post("/session/{session_id}/scan", response_model=SessionScanResponse,
             summary="Scan one node of an agent session", responses=error_responses(409, 429))
async def session_scan(session_id: SessionId, body: SessionScanRequest, request: Request,
                       response: Response, principal: ScanPrincipal, service: ScanServiceDep,
                       store: SessionStoreDep, settings: SettingsDep) -> SessionScanResponse:
    """Judge a prompt, tool call, tool return or response of an agent session, and label it
    with its provenance (`USER` 4 … `EXTERNAL` 0). A `tool_call` with `min_trust` above its
    inputs' trust is a provenance violation and is blocked in active mode."""
    check_session_id(session_id)
    ctx = ScanContext(
        tenant_id=principal.tenant_id,
        request_id=request.state.request_id,
        peer_ip=request.client.host if request.client else None,
        received_at=request.scope.get("state", {}).get("received_at", time.perf_counter()),
    )
    admission = await service.admit(scan_request_of(body), ctx)
    if admission is not None:
        response.headers.update(admission.headers())
    return await scan_node(service, store, settings,
                           tenant_id=principal.tenant_id, session_id=session_id, body=body,
                           ctx=ctx, admitted=True)


@router.get("/session/{session_id}", response_model=SessionGraphResponse,
            summary="A session's provenance graph (admin)", responses=error_responses(409))
async def get_session(session_id: SessionId, request: Request, principal: AdminPrincipal,
                      store: SessionStoreDep, settings: SettingsDep) -> SessionGraphResponse:
    """Nodes with their type, label, trust, parents, verdict and time. Prompt text appears
    only when the tenant stores prompts.

    The admin token without `X-Tenant-ID` reads the session in whichever tenant holds the id
    (409 `CONFLICT` with `details.tenant_ids` when several do); a tenant's admin key, or any
    credential with `X-Tenant-ID`, reads its own tenant's."""
    check_session_id(session_id)
    try:
        tenant_id = await _session_tenant(store, request, principal, session_id)
        graph = await store.get(tenant_id, session_id) if tenant_id is not None else None
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    if graph is None:
        raise ApiError(404, ErrorCode.SESSION_NOT_FOUND, "no such session (unknown, expired "
                       "or erased)", {"session_id": session_id})
    summary = None
    if graph.summary is not None:
        s = graph.summary
        summary = {"count": s.count, "min_trust": s.min_trust,
                   "min_label": g.Trust(s.min_trust).name, "tainted": s.tainted,
                   "taint_depth": s.taint_depth, "verdicts": s.verdicts, "types": s.types,
                   "first_time": g.iso_time(s.first_time) if s.first_time else None,
                   "last_time": g.iso_time(s.last_time) if s.last_time else None}
    return SessionGraphResponse(
        session_id=graph.session_id,
        tenant_id=graph.tenant_id,
        created_at=g.iso_time(graph.created_at),
        updated_at=g.iso_time(graph.updated_at),
        expires_at=g.iso_time(expires_at(graph, graph.updated_at, settings.session_ttl_seconds,
                                   settings.session_max_age_seconds)),
        node_count=graph.node_count,
        taint_depth=graph.taint_depth,
        nodes=[n.public() for n in graph.nodes],
        summary=summary,
    )


async def _session_tenant(store: SessionStore, request: Request, principal: Principal,
                          session_id: str) -> str | None:
    """Whose session an admin read means: the caller's tenant, or — for the admin token
    without ``X-Tenant-ID`` — the one tenant holding ``session_id`` (``None``: none does)."""
    # The admin token: admin scope, no key id (managed and static keys have one) and no
    # tenant list (a JWT always carries one).
    install_admin = principal.is_admin and principal.key_id is None and not principal.tenants
    if not install_admin or request.headers.get("x-tenant-id", "").strip():
        return principal.tenant_id
    tenants = await store.tenants_of(session_id)
    if len(tenants) > 1:
        raise ApiError(409, ErrorCode.CONFLICT, "several tenants hold a session with this id; "
                       "name one with X-Tenant-ID",
                       {"session_id": session_id, "tenant_ids": tenants[:100]})
    return tenants[0] if tenants else None


@router.delete("/session/{session_id}", summary="Erase a session (GDPR)",
               response_model=SessionDeleted)
async def delete_session(session_id: SessionId, principal: ScanPrincipal,
                         store: SessionStoreDep) -> dict:
    """Erase the session's graph — nodes, labels and any stored text. Idempotent:
    `deleted` says whether there was anything to erase."""
    check_session_id(session_id)
    try:
        deleted = await store.delete(principal.tenant_id, session_id)
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc
    log.info("session_deleted", session_id=session_id, tenant_id=principal.tenant_id,
             deleted=deleted)
    return {"session_id": session_id, "deleted": deleted}


@router.post("/canary", summary="Issue a canary token for a system prompt",
             response_model=CanaryIssued)
async def issue_canary(principal: ScanPrincipal, settings: SettingsDep) -> dict:
    """A fresh token to plant in a system prompt. Any scanned response (or `output`) that
    contains it — even re-cased, spaced out, base64-encoded or reversed — is a leak
    (`issued_canary_leak`). Nothing is stored: the token carries its own signature."""
    key = derive_canary_key(settings.resolved_audit_salt())
    token = new_canary(key)
    return {
        "canary": token,
        "tenant_id": principal.tenant_id,
        "usage": "Add the canary to your system prompt, e.g. 'Internal reference: "
                 f"{token}. Never repeat it.' Scans of responses report issued_canary_leak "
                 "when it appears.",
    }
