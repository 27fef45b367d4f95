"""The optimizer API: the reference product's public ``/api/v1`` routes, plus export.

The routes its MCP bridge calls (under ``/api/v1/mcp``) live in
:mod:`promptsentry.api.routes.optimizer_bridge` and reuse the helpers here.

Every route needs a credential with the ``optimize`` scope (``X-API-Key`` or
``Authorization: Bearer``); every template route is scoped to the caller's tenant. Errors use
the service's one error shape.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, StreamingResponse

from promptsentry.api.auth import OptimizePrincipal, Principal
from promptsentry.api.deps import OptimizerDep
from promptsentry.api.errors import request_id_of
from promptsentry.api.openapi import error_responses
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.goals import SUPPORTED_GOALS
from promptsentry.optimizer.schemas import (
    DetectBody,
    Detection,
    Goals,
    KeyValidation,
    OptimizeBody,
    OptimizeResponse,
    Quota,
    SearchText,
    Template,
    TemplateDeleted,
    TemplatePage,
    TemplateSearchBody,
    TemplateSearchResult,
    TemplateStats,
)
from promptsentry.optimizer.service import OptimizerService, options_of
from promptsentry.optimizer.template_export import export_csv_lines, export_json_lines
from promptsentry.optimizer.templates import ImmutableContent, TemplateQuery

router = APIRouter(tags=["optimizer"], route_class=StrictJsonRoute)

FEATURES = {
    "optimization": True, "context_detection": True, "template_management": True,
    "template_search": True, "template_export": True, "llm_engine": False,
    "rules_engine": True, "firewall_scan": True, "analytics": True,
    "optimization_insights": True,
}


def features_of(svc: OptimizerService) -> dict[str, bool]:
    """The feature flags of validate and quota-status (the bridge lists the true ones)."""
    return {**FEATURES, "llm_engine": svc.llm is not None,
            "template_auto_save": bool(svc.settings.save_templates)}


def _not_found(template_id: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, "no such template", {"template_id": template_id[:80]})


async def run_optimize(svc: OptimizerService, request: Request, principal: Principal,
                       body: OptimizeBody, *,
                       shape: Callable[[dict[str, Any]], None] | None = None) -> JSONResponse:
    """Run one optimization; ``shape`` adapts the answer in place (the bridge routes)."""
    answer, headers = await svc.optimize(principal.tenant_id, options_of(body),
                                         request_id=request_id_of(request))
    if shape is not None:
        shape(answer)
    return JSONResponse(answer, headers=headers)


# --------------------------------------------------------------------------- public API

#: ``responses=`` of the optimize routes: the typed answer, quota (429) and the LLM engine's
#: provider errors (503).
OPTIMIZE_RESPONSES = {200: {"model": OptimizeResponse, "description": "The optimization"},
                      **error_responses(429, 503)}
#: ``responses=`` of the export routes: a JSON array of templates, or CSV.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {200: {
    "description": "Every template of the caller's tenant, as a download",
    "content": {"application/json": {"schema": {"type": "array",
                                                "items": {"type": "object"}}},
                "text/csv": {"schema": {"type": "string"}}}}}


@router.post("/api/v1/optimize", summary="Optimize a prompt", response_model=None,
             responses=OPTIMIZE_RESPONSES)
async def optimize(body: OptimizeBody, request: Request, principal: OptimizePrincipal,
                   svc: OptimizerDep) -> JSONResponse:
    """Detect the context, apply the goals with the chosen engine, scan the result, save a
    template (unless `save_template: false`)."""
    return await run_optimize(svc, request, principal, body)


@router.post("/api/v1/detect-context", summary="Detect a prompt's context",
             response_model=Detection)
async def detect_context(body: DetectBody, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return svc.detect(body.prompt)


@router.get("/api/v1/goals", summary="Supported optimization goals", response_model=Goals)
async def list_goals(principal: OptimizePrincipal) -> dict:
    from promptsentry.optimizer.goals import GOAL_ALIASES

    return {"goals": list(SUPPORTED_GOALS), "aliases": GOAL_ALIASES}


@router.get("/api/v1/quota", summary="This tenant's optimization quota", response_model=Quota)
async def quota(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    status = await svc.store.run(svc.quota.status, principal.tenant_id)
    return status.public()


async def key_validation(svc: OptimizerService, principal: Principal) -> dict:
    status = await svc.store.run(svc.quota.status, principal.tenant_id)
    return {
        "valid": True,
        "tier": status.plan.name,
        "api_key_type": "optimizer",
        "tenant_id": principal.tenant_id,
        "key_id": principal.key_id,
        "scopes": sorted(principal.scopes),
        "quota": {"limit": status.limit if status.limit is not None else -1,
                  "used": status.used, "remaining": status.remaining
                  if status.remaining is not None else -1, "unlimited": status.unlimited},
        "features": features_of(svc),
    }


@router.post("/api/v1/validate-key", summary="Check the API key",
             response_model=KeyValidation)
async def validate_key(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await key_validation(svc, principal)


@router.get("/api/v1/templates", summary="List this tenant's templates",
            response_model=TemplatePage)
async def list_templates(
    principal: OptimizePrincipal,
    svc: OptimizerDep,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    sort: Annotated[str, Query(pattern="^(newest|oldest|confidence|usage)$")] = "newest",
    goals: Annotated[str | None, Query(max_length=500)] = None,
    search: Annotated[SearchText | None, Query(max_length=500)] = None,
    ai_context: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    goal_list = [g.strip() for g in goals.split(",") if g.strip()] if goals else None
    ctx = svc.check_ai_context(ai_context)
    q = TemplateQuery(limit=limit, offset=offset, sort=sort, goals=goal_list, search=search,
                      ai_context=ctx)
    items, total = await svc.store.run(svc.store.list, principal.tenant_id, q)
    return {
        "templates": [t.as_dict() for t in items],
        "total_count": total,
        "has_more": offset + len(items) < total,
        "limit": limit,
        "offset": offset,
        "filters_applied": {"sort": sort, "goals": goal_list, "search": search,
                            "ai_context": ctx},
    }


@router.post("/api/v1/templates/search", summary="Search templates (full-text + semantic)",
             response_model=TemplateSearchResult)
async def search_templates(body: TemplateSearchBody, principal: OptimizePrincipal,
                           svc: OptimizerDep) -> dict:
    ctx = svc.check_ai_context(body.ai_context)
    hits = await svc.store.run(svc.store.search, principal.tenant_id, body.query,
                               goals=body.goals, min_confidence=body.min_confidence,
                               ai_context=ctx, limit=body.limit)
    return {
        "templates": [{**t.as_dict(), "relevance": rel} for t, rel in hits],
        "total_count": len(hits),
        "query": body.query,
        "filters_applied": {"goals": body.goals, "min_confidence": body.min_confidence,
                            "ai_context": ctx, "limit": body.limit},
    }


@router.get("/api/v1/templates/export", summary="Export every template (JSON or CSV)",
            response_model=None, responses=EXPORT_RESPONSES)
async def export_templates(
    principal: OptimizePrincipal,
    svc: OptimizerDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
    csv_formulas: Annotated[str, Query(
        pattern="^(escape|keep)$",
        description="CSV only: `escape` (default) prefixes `'` to text cells a spreadsheet "
                    "would evaluate (`= + - @`, tab, CR); `keep` writes them verbatim")] = "escape",
) -> StreamingResponse:
    return export_response(svc, principal.tenant_id, format, escape_formulas=csv_formulas == "escape")


def export_response(svc: OptimizerService, tenant_id: str, fmt: str, *,
            escape_formulas: bool = True) -> StreamingResponse:
    from starlette.concurrency import iterate_in_threadpool

    rows = svc.store.iter_all(tenant_id)
    lines = export_csv_lines(rows, escape_formulas=escape_formulas) if fmt == "csv" \
        else export_json_lines(rows)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    stamp = time.strftime("%Y%m%d", time.gmtime())
    return StreamingResponse(
        iterate_in_threadpool(lines), media_type=media,
        headers={"Content-Disposition":
                 f'attachment; filename="templates-{stamp}.{fmt}"'})


@router.get("/api/v1/templates/{template_id}", summary="One template",
            response_model=Template)
async def get_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    t = await svc.store.run(svc.store.get, principal.tenant_id, template_id, count_use=True)
    if t is None:
        raise _not_found(template_id)
    return t.as_dict()


@router.get("/api/v1/templates/{template_id}/stats", summary="Usage analytics of a template",
            response_model=TemplateStats)
async def template_stats(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    t = await svc.store.run(svc.store.get, principal.tenant_id, template_id)
    if t is None:
        raise _not_found(template_id)
    d = t.as_dict()
    meta = d["request_metadata"]
    return {"template_id": t.id, "times_used": d["times_used"], "last_used": d["last_used"],
            "saved_at_utc": d["saved_at_utc"], "confidence_score": d["confidence_score"],
            "optimization_tier": d["optimization_tier"],
            "tokens_before": meta.get("tokens_before"), "tokens_after": meta.get("tokens_after"),
            "quality_before": meta.get("quality_before"),
            "quality_after": meta.get("quality_after")}


async def patch_metadata(svc: OptimizerService, template_id: str, principal: Principal,
                 patch: dict[str, Any]) -> dict:
    if not isinstance(patch, dict):
        raise ApiError(422, ErrorCode.INVALID_REQUEST, "the body must be a JSON object")
    try:
        t = await svc.store.run(svc.store.update_metadata, principal.tenant_id, template_id,
                                patch)
    except ImmutableContent as exc:
        raise ApiError(409, ErrorCode.CONFLICT,
                       "template content is immutable; only title, description and tags may "
                       "change (save a new template instead)",
                       {"immutable_fields": exc.fields,
                        "mutable_fields": ["title", "description", "tags"]}) from None
    if t is None:
        raise _not_found(template_id)
    return t.as_dict()


@router.patch("/api/v1/templates/{template_id}", summary="Change a template's metadata",
              response_model=Template, responses=error_responses(409))
async def patch_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep,
                         patch: Annotated[dict[str, Any], Body()]) -> dict:
    return await patch_metadata(svc, template_id, principal, patch)


async def delete_one(svc: OptimizerService, template_id: str, principal: Principal) -> dict:
    if not await svc.store.run(svc.store.delete, principal.tenant_id, template_id):
        raise _not_found(template_id)
    return {"deleted": True, "id": template_id}


@router.delete("/api/v1/templates/{template_id}", summary="Delete a template",
               response_model=TemplateDeleted)
async def delete_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await delete_one(svc, template_id, principal)
