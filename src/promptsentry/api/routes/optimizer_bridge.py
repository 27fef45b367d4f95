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
    export_response,
    key_validation,
    run_optimize,
)
from promptsentry.api.strict_json import StrictJsonRoute
from promptsentry.optimizer.bridge_shape import bridge_detection, bridge_optimization
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


@router.post("/api/v1/api-keys/validate", summary="Bridge: check the API key",
             response_model=KeyValidation)
async def bridge_validate(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await key_validation(svc, principal)


@router.post("/api/v1/mcp/detect-context", summary="Bridge: detect a prompt's context",
             response_model=Detection)
async def bridge_detect(body: DetectBody, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    """As ``/api/v1/detect-context`` with ``detected_parameters`` as ``[{name, count}]``."""
    return bridge_detection(svc.detect(body.prompt))


@router.post("/api/v1/mcp/optimize", summary="Bridge: optimize a prompt",
             response_model=None, responses=OPTIMIZE_RESPONSES)
async def bridge_optimize(body: OptimizeBody, request: Request, principal: OptimizePrincipal,
                          svc: OptimizerDep) -> JSONResponse:
    """As ``/api/v1/optimize``, in the bridge's shape (:func:`~promptsentry.optimizer.bridge_shape.bridge_optimization`)."""
    return await run_optimize(svc, request, principal, body, shape=bridge_optimization)


@router.get("/api/v1/mcp/quota-status", summary="Bridge: quota status",
            response_model=BridgeQuota)
async def bridge_quota(principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.bridge_quota(principal.tenant_id)


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
    return await svc.bridge_templates(
        principal.tenant_id, page=page, per_page=per_page, sort_by=sort_by,
        sort_order=sort_order, query=query, ai_context=ai_context,
        ignored={"sophistication_level": sophistication_level,
                 "complexity_level": complexity_level,
                 "optimization_strategy": optimization_strategy})


@router.post("/api/v1/mcp/templates", status_code=201, summary="Bridge: save a template",
             response_model=Template)
async def bridge_create(body: TemplateCreateBody, request: Request, principal: OptimizePrincipal,
                        svc: OptimizerDep) -> dict:
    return await svc.create_template(principal.tenant_id, body,
                                     request_id=request_id_of(request))


@router.get("/api/v1/mcp/templates/{template_id}", summary="Bridge: one template",
            response_model=Template)
async def bridge_get(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.get_template(principal.tenant_id, template_id)


@router.patch("/api/v1/mcp/templates/{template_id}", summary="Bridge: change metadata",
              response_model=Template, responses=error_responses(409))
async def bridge_patch(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep,
                       patch: Annotated[dict[str, Any], Body()]) -> dict:
    return await svc.update_template(principal.tenant_id, template_id, patch)


@router.delete("/api/v1/mcp/templates/{template_id}", summary="Bridge: delete a template",
               response_model=TemplateDeleted)
async def bridge_delete(template_id: str, principal: OptimizePrincipal, svc: OptimizerDep) -> dict:
    return await svc.delete_template(principal.tenant_id, template_id)


@router.get("/api/v1/mcp/templates-export", summary="Bridge: export templates",
            response_model=None, responses=EXPORT_RESPONSES)
async def bridge_export(
    principal: OptimizePrincipal, svc: OptimizerDep,
    format: Annotated[str, Query(pattern="^(json|csv)$")] = "json",
) -> StreamingResponse:
    return export_response(svc, principal.tenant_id, format)
