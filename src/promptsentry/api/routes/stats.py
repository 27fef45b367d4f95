"""``GET /api/stats``: scan counts by verdict and action per hour, per tenant; the judge's
calls, errors, tokens and cost per tenant over the same hours, shared by every worker
(``tenant_llm_usage``); and (for the admin token) this worker's outbound LLM usage since it
started — judge and optimizer (``llm_usage``; ``/metrics`` has the same as Prometheus
counters)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from promptsentry.api.auth import Principal, require_any_scope
from promptsentry.api.deps import ServicesDep
from promptsentry.api.sql_calls import run_sql
from promptsentry.clock import iso_z
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.providers.usage import snapshot as llm_usage
from promptsentry.providers.usage import tenant_rows
from promptsentry.stores.base import StoreUnavailable

stats_router = APIRouter(tags=["admin"])


def _is_root(principal: Principal) -> bool:
    """The admin token (managed keys always carry a key id)."""
    return "admin" in principal.scopes and principal.key_id is None


class StatsRow(BaseModel):
    hour: str
    tenant_id: str
    verdict: str
    action: str
    count: int


class Stats(BaseModel):
    hours: int
    tenants: list[str]
    rows: list[StatsRow]
    totals: dict[str, int]
    llm_usage: list[dict[str, Any]]
    tenant_llm_usage: list[dict[str, Any]]


@stats_router.get("/api/stats", summary="Scan counts by verdict and action per hour, per tenant",
                  response_model=None, responses={200: {
                      "model": Stats, "description": "JSON, or with `format=csv` the rows as CSV",
                      "content": {"text/csv": {"schema": {"type": "string"}}}}})
async def stats(
    services: ServicesDep,
    principal: Annotated[Principal, Depends(require_any_scope("scan", "admin"))],
    hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24,
    tenant_id: Annotated[str | None, Query(max_length=64)] = None,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> Response:
    """Counts for the last ``hours`` hours (current hour included). The admin token sees every
    tenant (or ``tenant_id``); any other credential sees its own tenant only."""
    if _is_root(principal):
        if tenant_id is not None:
            tenant_ids = [tenant_id]
        else:
            tenant_ids = [t.id for t in await run_sql(services, services.sql_store.list_tenants)]
    else:
        if tenant_id is not None and tenant_id != principal.tenant_id:
            raise ApiError(403, ErrorCode.FORBIDDEN, "this credential sees only its own tenant")
        tenant_ids = [principal.tenant_id]
    now_hour = int(datetime.now(UTC).timestamp() // 3600)
    hour_list = list(range(now_hour - hours + 1, now_hour + 1))
    rows: list[dict[str, Any]] = []
    tenant_usage: list[dict[str, Any]] = []
    store = services.hot_store
    try:
        for tid in tenant_ids:
            counts = await store.get_stats(tid, hour_list)
            for hour in sorted(counts):
                for field, count in sorted(counts[hour].items()):
                    verdict, _, action = field.partition("|")
                    rows.append({
                        "hour": iso_z(datetime.fromtimestamp(hour * 3600, UTC)),
                        "tenant_id": tid, "verdict": verdict, "action": action, "count": count})
            tenant_usage += tenant_rows(tid, await store.get_usage(tid, hour_list))
    except StoreUnavailable as exc:
        services.incidents.failed("hot_store", exc)
        raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                       "the hot store is unavailable; retry shortly",
                       headers={"Retry-After": "2"}) from None
    if format == "csv":
        buf = io.StringIO()
        writer = csv.DictWriter(buf, fieldnames=["hour", "tenant_id", "verdict", "action",
                                                 "count"], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(buf.getvalue(), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": 'attachment; filename="stats.csv"'})
    totals: dict[str, int] = {}
    for row in rows:
        totals[f"{row['verdict']}|{row['action']}"] = (
            totals.get(f"{row['verdict']}|{row['action']}", 0) + row["count"])
    return JSONResponse({"hours": hours, "tenants": tenant_ids, "rows": rows, "totals": totals,
                         "llm_usage": llm_usage() if _is_root(principal) else [],
                         "tenant_llm_usage": tenant_usage})
