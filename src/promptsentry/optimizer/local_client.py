"""The optimizer API's answers from this process's own :class:`OptimizerService`, as the
``default`` tenant: the local CLI (``promptsentry optimize`` and ``templates …`` without
``--server``) and the ``promptsentry mcp`` server's optimizer tools call it; nothing goes
over HTTP.

Each method answers what the HTTP route named in its docstring answers for the same input:
the inputs are validated with the routes' constraints (the same models, or
:mod:`promptsentry.optimizer.schemas`' query-string models) and the answers filtered
through the routes' response models; a refusal is the :class:`~promptsentry.errors.ApiError`
the route's error shape carries (code, message, details). :class:`RemoteOptimizer` in
:mod:`promptsentry.optimizer.remote_client` has the same methods over HTTP.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
from pydantic import BaseModel, TypeAdapter, ValidationError

from promptsentry.errors import (
    NUL_IN_URL,
    ApiError,
    ErrorCode,
    validation_details,
    validation_status,
)
from promptsentry.optimizer.bridge_shape import bridge_detection, bridge_optimization
from promptsentry.optimizer.schemas import (
    BridgeListQuery,
    BridgeQuota,
    BridgeTemplatePage,
    DetectBody,
    Detection,
    ExportQuery,
    OptimizeBody,
    Template,
    TemplateCreateBody,
    TemplateDeleted,
    TemplateListQuery,
    TemplatePage,
    TemplateSearchBody,
    TemplateSearchResult,
)
from promptsentry.optimizer.service import OptimizerService, options_of
from promptsentry.service import DEFAULT_TENANT
from promptsentry.stores.base import StoreUnavailable

if TYPE_CHECKING:
    from promptsentry.wiring import Services

__all__ = ["LocalOptimizer"]

M = TypeVar("M", bound=BaseModel)

_UNAVAILABLE = "a state store is unavailable; retry shortly"


def _parse(model: type[M], data: Any, *, where: str = "body") -> M:
    """``data`` validated by ``model``; a failure is the route's validation error (query
    parameters are named ``query.<name>`` as FastAPI names them)."""
    if where == "query":
        _url_values(*data.values())
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [dict(e) for e in exc.errors(include_url=False, include_input=False)]
        if where != "body":
            for e in errors:
                e["loc"] = (where, *e.get("loc", ()))
        status, code, message = validation_status(errors)
        raise ApiError(status, code, message, validation_details(errors)) from None


def _url_values(*values: Any) -> None:
    """Values the route reads from its URL (path segment, query string): none may hold a NUL
    (the HTTP app refuses such a URL before any route)."""
    if any(isinstance(v, str) and "\x00" in v for v in values):
        raise ApiError(422, ErrorCode.INVALID_REQUEST, NUL_IN_URL)


_PATCH = TypeAdapter(dict[str, Any])


def _parse_patch(patch: Any) -> dict[str, Any]:
    """A ``PATCH`` body: a JSON object (as the route's ``dict`` body parameter checks it)."""
    try:
        return _PATCH.validate_python(patch)
    except ValidationError as exc:
        errors = [{**e, "loc": ("body", *e.get("loc", ()))}
                  for e in exc.errors(include_url=False, include_input=False)]
        status, code, message = validation_status(errors)
        raise ApiError(status, code, message, validation_details(errors)) from None


def _public(model: type[BaseModel], answer: Any) -> dict[str, Any]:
    """``answer`` as a route with ``response_model=model`` sends it."""
    return model.model_validate(answer).model_dump(mode="json")


def _json(answer: dict[str, Any]) -> dict[str, Any]:
    """``answer`` as a ``JSONResponse`` sends it."""
    return json.loads(json.dumps(answer, ensure_ascii=False))


@contextmanager
def _store_errors() -> Iterator[None]:
    try:
        yield
    except StoreUnavailable:
        raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE, _UNAVAILABLE) from None


class LocalOptimizer:
    """The optimizer API of this install, called in process as the ``default`` tenant."""

    def __init__(self, services: Services, *, tenant_id: str = DEFAULT_TENANT) -> None:
        self.services = services
        self.tenant_id = tenant_id

    async def _service(self) -> OptimizerService:
        """The service, once the SQL store is migrated (a 503 while it cannot be)."""
        services = self.services
        if not services.sql_ready and not await anyio.to_thread.run_sync(services.prepare_sql):
            raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE, _UNAVAILABLE)
        return services.optimizer

    # --- optimize and detect ------------------------------------------------------------
    async def optimize(self, body: dict[str, Any], *, request_id: str | None = None,
                       bridge: bool = False) -> dict[str, Any]:
        """``POST /api/v1/optimize`` (``bridge``: ``POST /api/v1/mcp/optimize``)."""
        parsed = _parse(OptimizeBody, body)
        svc = await self._service()
        with _store_errors():
            answer, _ = await svc.optimize(self.tenant_id, options_of(parsed),
                                           request_id=request_id or f"req_{uuid.uuid4().hex}")
        if bridge:
            bridge_optimization(answer)
        return _json(answer)

    async def detect(self, prompt: Any, *, bridge: bool = False) -> dict[str, Any]:
        """``POST /api/v1/detect-context`` (``bridge``: ``/api/v1/mcp/detect-context``)."""
        parsed = _parse(DetectBody, {"prompt": prompt})
        answer = (await self._service()).detect(parsed.prompt)
        return _public(Detection, bridge_detection(answer) if bridge else answer)

    # --- templates ----------------------------------------------------------------------
    async def list_templates(self, **params: Any) -> dict[str, Any]:
        """``GET /api/v1/templates`` with ``params`` as its query string."""
        q = _parse(TemplateListQuery, params, where="query")
        svc = await self._service()
        with _store_errors():
            answer = await svc.list_templates(self.tenant_id, **q.model_dump())
        return _public(TemplatePage, answer)

    async def search_templates(self, body: dict[str, Any]) -> dict[str, Any]:
        """``POST /api/v1/templates/search``."""
        b = _parse(TemplateSearchBody, body)
        svc = await self._service()
        with _store_errors():
            answer = await svc.search_templates(self.tenant_id, b.query, goals=b.goals,
                                                min_confidence=b.min_confidence,
                                                ai_context=b.ai_context, limit=b.limit)
        return _public(TemplateSearchResult, answer)

    async def bridge_templates(self, **params: Any) -> dict[str, Any]:
        """``GET /api/v1/mcp/templates`` with ``params`` as its query string."""
        q = _parse(BridgeListQuery, params, where="query")
        svc = await self._service()
        with _store_errors():
            answer = await svc.bridge_templates(
                self.tenant_id, page=q.page, per_page=q.per_page, sort_by=q.sort_by,
                sort_order=q.sort_order, query=q.query, ai_context=q.ai_context,
                ignored={"sophistication_level": q.sophistication_level,
                         "complexity_level": q.complexity_level,
                         "optimization_strategy": q.optimization_strategy})
        return _public(BridgeTemplatePage, answer)

    async def get_template(self, template_id: str) -> dict[str, Any]:
        """``GET /api/v1/templates/{template_id}`` (counts a use)."""
        _url_values(template_id)
        svc = await self._service()
        with _store_errors():
            return _public(Template, await svc.get_template(self.tenant_id, template_id))

    async def create_template(self, body: dict[str, Any], *,
                              request_id: str | None = None) -> dict[str, Any]:
        """``POST /api/v1/mcp/templates``."""
        parsed = _parse(TemplateCreateBody, body)
        svc = await self._service()
        with _store_errors():
            answer = await svc.create_template(
                self.tenant_id, parsed, request_id=request_id or f"req_{uuid.uuid4().hex}")
        return _public(Template, answer)

    async def update_template(self, template_id: str, patch: Any) -> dict[str, Any]:
        """``PATCH /api/v1/templates/{template_id}``."""
        _url_values(template_id)
        patch = _parse_patch(patch)
        svc = await self._service()
        with _store_errors():
            return _public(Template, await svc.update_template(self.tenant_id, template_id,
                                                               patch))

    async def delete_template(self, template_id: str) -> dict[str, Any]:
        """``DELETE /api/v1/templates/{template_id}``."""
        _url_values(template_id)
        svc = await self._service()
        with _store_errors():
            return _public(TemplateDeleted, await svc.delete_template(self.tenant_id,
                                                                      template_id))

    async def export(self, format: Any = "json", csv_formulas: Any = "escape") -> str:
        """The body of ``GET /api/v1/templates/export?format=…&csv_formulas=…``."""
        q = _parse(ExportQuery, {"format": format, "csv_formulas": csv_formulas},
                   where="query")
        svc = await self._service()
        with _store_errors():
            return await svc.export_text(self.tenant_id, q.format,
                                         escape_formulas=q.csv_formulas == "escape")

    # --- quota --------------------------------------------------------------------------
    async def bridge_quota(self) -> dict[str, Any]:
        """``GET /api/v1/mcp/quota-status``."""
        svc = await self._service()
        with _store_errors():
            return _public(BridgeQuota, await svc.bridge_quota(self.tenant_id))
