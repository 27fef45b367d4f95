"""``POST /scan``, ``GET /scans`` and ``GET /scans/{scan_id}``."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel

from promptsentry.api.auth import ScanPrincipal
from promptsentry.api.deps import HotStoreDep, ScanServiceDep
from promptsentry.api.openapi import error_responses
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.schemas.request import ScanRequest
from promptsentry.schemas.response import ScanResponse
from promptsentry.service import ScanContext
from promptsentry.stores.records import ScanRecord

router = APIRouter(tags=["scan"], route_class=StrictJsonRoute)



@router.post("/scan", response_model=ScanResponse, summary="Scan a prompt, response or tool call",
             responses=error_responses(429))
async def scan(body: ScanRequest, request: Request, response: Response,
               principal: ScanPrincipal, service: ScanServiceDep) -> ScanResponse:
    """Judge one text. The verdict is `clean` or `malicious`; `action_taken` says what the
    caller should do with it (`blocked` in active mode, `allowed_monitor` in monitor mode).

    A blocked source IP gets 403 `IP_BLOCKED` and a caller over its rate limit 429
    `RATE_LIMITED` (with `Retry-After`), both before any scanning."""
    ctx = ScanContext(
        tenant_id=principal.tenant_id,
        request_id=request.state.request_id,
        peer_ip=request.client.host if request.client else None,
        received_at=request.scope.get("state", {}).get("received_at", time.perf_counter()),
    )
    admission = await service.admit(body, ctx)
    if admission is not None:
        response.headers.update(admission.headers())
    return await service.scan(body, ctx, admission=admission)


class ScanRecordPage(BaseModel):
    scans: list[ScanRecord]
    total: int
    limit: int
    offset: int
    has_more: bool


@router.get("/scans", summary="Retained scan records, newest first",
            response_model=ScanRecordPage)
async def list_scans(
    principal: ScanPrincipal,
    hot_store: HotStoreDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> dict:
    records, total = await hot_store.list_scan_records(
        principal.tenant_id, limit=limit, offset=offset
    )
    return {
        "scans": [r.model_dump() for r in records],
        "total": total,
        "limit": limit,
        "offset": offset,
        "has_more": offset + len(records) < total,
    }


@router.get("/scans/{scan_id}", response_model=ScanRecord, summary="One retained scan record")
async def get_scan(scan_id: str, principal: ScanPrincipal, hot_store: HotStoreDep) -> ScanRecord:
    record = await hot_store.get_scan_record(principal.tenant_id, scan_id)
    if record is None:
        raise ApiError(404, ErrorCode.SCAN_NOT_FOUND, "no such scan (unknown or expired)",
                       {"scan_id": scan_id[:80]})
    return record
