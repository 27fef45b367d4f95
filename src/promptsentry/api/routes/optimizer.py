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

router = APIRouter(tags=["optimizer"], route_class=StrictJsonRoute)


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
    return await svc.quota_status(principal.tenant_id)


async def key_validation(svc: OptimizerService, principal: Principal) -> dict:
    return await svc.key_validation(principal.tenant_id, key_id=principal.key_id,
                                    scopes=sorted(principal.scopes))


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
    return await svc.list_templates(principal.tenant_id, limit=limit, offset=offset, sort=sort,
                                    goals=goals, search=search, ai_context=ai_context)


@router.post("/api/v1/templates/search", summary="Search templates (full-text + semantic)",
             response_model=TemplateSearchResult)
async def search_templates(body: TemplateSearchBody, principal: OptimizePrincipal,
                           svc: OptimizerDep) -> dict:
    return await svc.search_templates(principal.tenant_id, body.query, goals=body.goals,
                                      min_confidence=body.min_confidence,
                                      ai_context=body.ai_context, limit=body.limit)


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

    lines = svc.export_lines(tenant_id, fmt, escape_formulas=escape_formulas)
    media = "text/csv; charset=utf-8" if fmt == "csv" else "application/json"
    stamp = time.strftime("%Y%m%d", time.gmtime())
    return StreamingResponse(
        iterate_in_threadpool(lines), media_type=media,
        headers={"Content-Disposition":
                 f'attachment; filename="templates-{stamp}.{fmt}"'})


@router.get("/api/v1/templates/{template_id}", summary="One template",
            response_model=Template)
async def get_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.get_template(principal.tenant_id, template_id)


@router.get("/api/v1/templates/{template_id}/stats", summary="Usage analytics of a template",
            response_model=TemplateStats)
async def template_stats(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.template_stats(principal.tenant_id, template_id)


@router.patch("/api/v1/templates/{template_id}", summary="Change a template's metadata",
              response_model=Template, responses=error_responses(409))
async def patch_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep,
                         patch: Annotated[dict[str, Any], Body()]) -> dict:
    return await svc.update_template(principal.tenant_id, template_id, patch)


@router.delete("/api/v1/templates/{template_id}", summary="Delete a template",
               response_model=TemplateDeleted)
async def delete_template(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.delete_template(principal.tenant_id, template_id)
