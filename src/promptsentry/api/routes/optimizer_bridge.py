"""The optimizer routes the reference npm MCP bridge calls (under ``/api/v1/mcp``, plus
``/api/v1/api-keys/validate``): the public routes' answers in the shapes the bridge reads.

Every route needs a credential with the ``optimize`` scope and is scoped to the caller's
tenant, as the public routes in :mod:`promptsentry.api.routes.optimizer` are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from promptsentry.api.auth import OptimizePrincipal
from promptsentry.api.deps import OptimizerDep
from promptsentry.api.errors import request_id_of
from promptsentry.api.openapi import error_responses
from promptsentry.api.routes.optimizer import (
    EXPORT_RESPONSES,
    OPTIMIZE_RESPONSES,
    delete_one,
    export_response,
    features_of,
    get_template,
    key_validation,
    patch_metadata,
    run_optimize,
)
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.optimizer.schemas import (
    BridgeQuota,
    BridgeTemplatePage,
    DetectBody,
    Detection,
    KeyValidation,
    OptimizeBody,
    SearchText,
    Template,
    TemplateCreateBody,
    TemplateDeleted,
)
from promptsentry.optimizer.templates import TemplateQuery

# The reference npm bridge renders what it reads, so these routes answer in the shapes its
# code expects (checked end to end against the bridge itself, see
# tests/optimizer/test_bridge_contract.py):
# * errors also carry a top-level ``detail`` string — the bridge builds its error text from
#   ``detail`` or ``message`` only, else shows a bare ``HTTP <status>``; the string starts
#   with ``HTTP <status>`` because the bridge looks for "404"/"403" in it;
# * ``detected_parameters`` is a list of ``{name, count}`` (it calls ``.filter`` on it and
#   reads ``.name``; an object made it throw and show its offline mock detection instead);
# * ``rules_based`` is false: to the bridge it means "optimized by the bridge's own local
#   rules because the key was not validated", and it prints exactly that; our engine is
#   reported by ``optimization_tier`` and ``metadata.routing_tier`` (shown as "(RULES)");
# * an unlimited plan's ``quota_limit`` is null (the bridge's "unlimited" case; -1 made it
#   print "quota reached");
# * ``improvement_metrics`` also has ``clarity_improvement`` / ``specificity_improvement``,
#   the only metrics it prints (from our rubric).


class _BridgeRoute(StrictJsonRoute):
    """Adds the bridge-readable ``detail`` to the service's error shape."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def route(request: Request) -> Response:
            try:
                return await handler(request)
            except Exception as exc:
                render = _exception_handler(request, exc)
                if render is None:
                    raise
                return _with_detail(await render(request, exc))

        return route


def _exception_handler(request: Request, exc: Exception) -> Any:
    handlers = request.app.exception_handlers
    for cls in type(exc).__mro__:
        if cls is Exception:
            return None  # unexpected errors stay with the app's own 500 handling
        if cls in handlers:
            return handlers[cls]
    return None


def _with_detail(response: Response) -> Response:
    try:
        body = json.loads(bytes(response.body))
        err = body["error"]
    except (ValueError, KeyError, TypeError):
        return response
    detail = f"HTTP {response.status_code} {err.get('code')}: {err.get('message')}"
    if err.get("details"):
        detail += " " + json.dumps(err["details"], separators=(",", ":"))
    headers = {k: v for k, v in response.headers.items()
               if k.lower() not in ("content-length", "content-type")}
    return JSONResponse({**body, "detail": detail}, status_code=response.status_code,
                        headers=headers, background=response.background)


router = APIRouter(tags=["optimizer"], route_class=_BridgeRoute)


def _bridge_detection(answer: dict[str, Any]) -> dict[str, Any]:
    params = answer.get("detected_parameters") or {}
    if isinstance(params, dict):
        answer["detected_parameters"] = [{"name": name, "count": count}
                                         for name, count in params.items()]
    return answer


def _bridge_optimization(answer: dict[str, Any]) -> None:
    """The optimize answer as the bridge reads it: ``rules_based`` false (the answer is the
    server's, not the bridge's local fallback), ``quota_limit``/``quota_remaining`` null when
    unlimited, and the two improvement metrics it prints (fractions of the 20-point rubric
    dimension, after minus before) beside our other metrics."""
    answer["rules_based"] = False
    for key in ("quota_limit", "quota_remaining"):
        if answer.get(key) == -1:
            answer[key] = None
    before, after = answer.get("quality_before"), answer.get("quality_after")
    metrics = (answer.get("optimization_insights") or {}).get("improvement_metrics")
    if not isinstance(before, dict) or not isinstance(after, dict) or metrics is None:
        return
    for dim in ("clarity", "specificity"):
        if isinstance(before.get(dim), int) and isinstance(after.get(dim), int):
            metrics[f"{dim}_improvement"] = round((after[dim] - before[dim]) / 20.0, 4)


@router.post("/api/v1/api-keys/validate", summary="Bridge: check the API key",
             response_model=KeyValidation)
async def bridge_validate(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await key_validation(svc, principal)


@router.post("/api/v1/mcp/detect-context", summary="Bridge: detect a prompt's context",
             response_model=Detection)
async def bridge_detect(body: DetectBody, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    """As ``/api/v1/detect-context`` with ``detected_parameters`` as ``[{name, count}]``."""
    return _bridge_detection(svc.detect(body.prompt))


@router.post("/api/v1/mcp/optimize", summary="Bridge: optimize a prompt",
             response_model=None, responses=OPTIMIZE_RESPONSES)
async def bridge_optimize(body: OptimizeBody, request: Request, principal: OptimizePrincipal,
                          svc: OptimizerDep) -> JSONResponse:
    """As ``/api/v1/optimize``, in the bridge's shape (:func:`_bridge_optimization`)."""
    return await run_optimize(svc, request, principal, body, shape=_bridge_optimization)


@router.get("/api/v1/mcp/quota-status", summary="Bridge: quota status",
            response_model=BridgeQuota)
async def bridge_quota(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    status = await svc.store.run(svc.quota.status, principal.tenant_id)
    return {"tier": status.plan.name, "quota": status.bridge(),
            "features_available": features_of(svc),
            **status.public()}


#: Most hits a bridge search ranks (its ``total``); pages are cut from them.
_SEARCH_CANDIDATES = 2000
_BRIDGE_SORT = {"created_at": "newest", "confidence_score": "confidence",
                "usage_count": "usage", "title": "title"}


@router.get("/api/v1/mcp/templates", summary="Bridge: list or search templates",
            response_model=BridgeTemplatePage)
async def bridge_list(
    principal: OptimizePrincipal,
    svc: OptimizerDep,
    page: Annotated[int, Query(ge=1, le=100_000)] = 1,
    per_page: Annotated[int, Query(ge=1, le=100)] = 10,
    sort_by: Annotated[str, Query(pattern="^(created_at|confidence_score|usage_count|title)$")]
    = "created_at",
    sort_order: Annotated[str, Query(pattern="^(asc|desc)$")] = "desc",
    query: Annotated[SearchText | None, Query(max_length=500)] = None,
    ai_context: Annotated[str | None, Query(max_length=64)] = None,
    sophistication_level: Annotated[str | None, Query(max_length=64)] = None,
    complexity_level: Annotated[str | None, Query(max_length=64)] = None,
    optimization_strategy: Annotated[str | None, Query(max_length=64)] = None,
) -> dict:
    """``list_recent_templates`` and ``search_templates``. With a ``query`` this is the
    store's full-text + semantic search, ranked by relevance (``sort_by`` then does not
    apply: a search answers best match first); without one, the sorted listing."""
    ctx = svc.check_ai_context(ai_context)
    offset = (page - 1) * per_page
    if query and query.strip():
        hits = await svc.store.run(svc.store.search, principal.tenant_id, query,
                                   ai_context=ctx, limit=_SEARCH_CANDIDATES)
        total = len(hits)
        templates = [{**t.as_dict(), "relevance": rel}
                     for t, rel in hits[offset:offset + per_page]]
        ranking = "relevance"
    else:
        base = _BRIDGE_SORT[sort_by]
        if base == "newest":
            sort = "newest" if sort_order == "desc" else "oldest"
        elif base == "title":
            sort = "title" if sort_order == "asc" else "title_desc"
        else:
            sort = base if sort_order == "desc" else f"{base}_asc"
        q = TemplateQuery(limit=per_page, offset=offset, sort=sort, ai_context=ctx)
        items, total = await svc.store.run(svc.store.list, principal.tenant_id, q)
        templates = [t.as_dict() for t in items]
        ranking = f"{sort_by} {sort_order}"
    return {
        "templates": templates,
        "total": total,
        "page": page,
        "per_page": per_page,
        "has_more": offset + len(templates) < total,
        "filters_applied": {"query": query, "ai_context": ctx, "sort_by": sort_by,
                            "sort_order": sort_order, "ranking": ranking},
        "filters_ignored": {k: v for k, v in {
            "sophistication_level": sophistication_level,
            "complexity_level": complexity_level,
            "optimization_strategy": optimization_strategy}.items() if v},
    }


@router.post("/api/v1/mcp/templates", status_code=201, summary="Bridge: save a template",
             response_model=Template)
async def bridge_create(body: TemplateCreateBody, request: Request, principal: OptimizePrincipal,
                        svc: OptimizerDep) -> dict:
    ctx = svc.check_ai_context(body.ai_context or body.ai_context_detected) or "human_communication"
    t = await svc.store.run(
        svc.store.create, principal.tenant_id, title=body.title,
        original_prompt=body.original_prompt, optimized_prompt=body.optimized_prompt,
        confidence_score=body.confidence_score, optimization_goals=body.optimization_goals,
        optimization_tier=body.optimization_tier, ai_context=ctx,
        description=body.description, tags=body.tags, domain=body.domain,
        target_audience=body.target_audience, request_id=request_id_of(request),
        model_used=body.model_used or "client", is_public=body.is_public,
        request_metadata={"source": "create_template"})
    return t.as_dict()


@router.get("/api/v1/mcp/templates/{template_id}", summary="Bridge: one template",
            response_model=Template)
async def bridge_get(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await get_template(template_id, principal, svc)


@router.patch("/api/v1/mcp/templates/{template_id}", summary="Bridge: change metadata",
              response_model=Template, responses=error_responses(409))
async def bridge_patch(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep,
                       patch: Annotated[dict[str, Any], Body()]) -> dict:
    return await patch_metadata(svc, template_id, principal, patch)


@router.delete("/api/v1/mcp/templates/{template_id}", summary="Bridge: delete a template",
               response_model=TemplateDeleted)
async def bridge_delete(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await delete_one(svc, template_id, principal)


@router.get("/api/v1/mcp/templates-export", summary="Bridge: export templates",
            response_model=None, responses=EXPORT_RESPONSES)
async def bridge_export(
    principal: OptimizePrincipal, svc: OptimizerDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> StreamingResponse:
    return export_response(svc, principal.tenant_id, format)
