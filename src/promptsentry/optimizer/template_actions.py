"""The optimizer service's template and quota methods (a mixin of
:class:`~promptsentry.optimizer.service.OptimizerService`).

Each method takes arguments already validated (by the HTTP routes' parameters or by
:mod:`promptsentry.optimizer.local_client`) and answers the dict the API answers, before its
response model filters it; store calls run off the event loop. Neither the routes nor the
CLI reach into the store themselves.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.contexts import AI_CONTEXTS, normalise_ai_context
from promptsentry.optimizer.template_export import export_csv_lines, export_json_lines
from promptsentry.optimizer.templates import ImmutableContent, TemplateQuery

if TYPE_CHECKING:
    from promptsentry.optimizer.quota import QuotaService
    from promptsentry.optimizer.schemas import TemplateCreateBody
    from promptsentry.optimizer.settings import OptimizerSettings
    from promptsentry.optimizer.templates import TemplateStore

__all__ = ["FEATURES", "TemplateActions", "check_ai_context", "not_found"]

FEATURES = {
    "optimization": True, "context_detection": True, "template_management": True,
    "template_search": True, "template_export": True, "llm_engine": False,
    "rules_engine": True, "firewall_scan": True, "analytics": True,
    "optimization_insights": True,
}

#: Most hits a bridge search ranks (its ``total``); pages are cut from them.
SEARCH_CANDIDATES = 2000
_BRIDGE_SORT = {"created_at": "newest", "confidence_score": "confidence",
                "usage_count": "usage", "title": "title"}


def check_ai_context(value: str | None) -> str | None:
    """The canonical name of an ``ai_context`` (``None`` stays ``None``); unknown is a 422."""
    try:
        return normalise_ai_context(value)
    except ValueError:
        raise ApiError(422, ErrorCode.INVALID_REQUEST, f"unknown ai_context {value!r}",
                       {"field": "ai_context", "supported": list(AI_CONTEXTS)}) from None


def not_found(template_id: str) -> ApiError:
    return ApiError(404, ErrorCode.NOT_FOUND, "no such template",
                    {"template_id": template_id[:80]})


class TemplateActions:
    """Templates, quota and export for one tenant at a time."""

    store: TemplateStore
    settings: OptimizerSettings
    quota: QuotaService
    llm: Any

    # --- quota --------------------------------------------------------------------------
    def features(self) -> dict[str, bool]:
        """The feature flags of validate and quota-status (the bridge lists the true ones)."""
        return {**FEATURES, "llm_engine": self.llm is not None,
                "template_auto_save": bool(self.settings.save_templates)}

    async def quota_status(self, tenant_id: str) -> dict[str, Any]:
        """``GET /api/v1/quota``."""
        status = await self.store.run(self.quota.status, tenant_id)
        return status.public()

    async def bridge_quota(self, tenant_id: str) -> dict[str, Any]:
        """``GET /api/v1/mcp/quota-status``."""
        status = await self.store.run(self.quota.status, tenant_id)
        return {"tier": status.plan.name, "quota": status.bridge(),
                "features_available": self.features(), **status.public()}

    async def key_validation(self, tenant_id: str, *, key_id: str | None,
                             scopes: list[str]) -> dict[str, Any]:
        """``POST /api/v1/validate-key``."""
        status = await self.store.run(self.quota.status, tenant_id)
        return {
            "valid": True, "tier": status.plan.name, "api_key_type": "optimizer",
            "tenant_id": tenant_id, "key_id": key_id, "scopes": scopes,
            "quota": {"limit": status.limit if status.limit is not None else -1,
                      "used": status.used, "remaining": status.remaining
                      if status.remaining is not None else -1, "unlimited": status.unlimited},
            "features": self.features(),
        }

    # --- listing and search -------------------------------------------------------------
    async def list_templates(self, tenant_id: str, *, limit: int = 20, offset: int = 0,
                             sort: str = "newest", goals: str | None = None,
                             search: str | None = None,
                             ai_context: str | None = None) -> dict[str, Any]:
        """``GET /api/v1/templates``; ``goals`` is the comma-separated query value."""
        goal_list = [g.strip() for g in goals.split(",") if g.strip()] if goals else None
        ctx = check_ai_context(ai_context)
        q = TemplateQuery(limit=limit, offset=offset, sort=sort, goals=goal_list,
                          search=search, ai_context=ctx)
        items, total = await self.store.run(self.store.list, tenant_id, q)
        return {
            "templates": [t.as_dict() for t in items], "total_count": total,
            "has_more": offset + len(items) < total, "limit": limit, "offset": offset,
            "filters_applied": {"sort": sort, "goals": goal_list, "search": search,
                                "ai_context": ctx},
        }

    async def search_templates(self, tenant_id: str, query: str, *,
                               goals: list[str] | None = None,
                               min_confidence: float | None = None,
                               ai_context: str | None = None, limit: int = 10) -> dict[str, Any]:
        """``POST /api/v1/templates/search``."""
        ctx = check_ai_context(ai_context)
        hits = await self.store.run(self.store.search, tenant_id, query, goals=goals,
                                    min_confidence=min_confidence, ai_context=ctx, limit=limit)
        return {
            "templates": [{**t.as_dict(), "relevance": rel} for t, rel in hits],
            "total_count": len(hits), "query": query,
            "filters_applied": {"goals": goals, "min_confidence": min_confidence,
                                "ai_context": ctx, "limit": limit},
        }

    async def bridge_templates(self, tenant_id: str, *, page: int = 1, per_page: int = 10,
                               sort_by: str = "created_at", sort_order: str = "desc",
                               query: str | None = None, ai_context: str | None = None,
                               ignored: dict[str, str | None] | None = None) -> dict[str, Any]:
        """``GET /api/v1/mcp/templates``: with a ``query`` the store's search ranked by
        relevance (``sort_by`` does not apply), without one the sorted listing."""
        ctx = check_ai_context(ai_context)
        offset = (page - 1) * per_page
        if query and query.strip():
            hits = await self.store.run(self.store.search, tenant_id, query, ai_context=ctx,
                                        limit=SEARCH_CANDIDATES)
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
            items, total = await self.store.run(self.store.list, tenant_id, q)
            templates = [t.as_dict() for t in items]
            ranking = f"{sort_by} {sort_order}"
        return {
            "templates": templates, "total": total, "page": page, "per_page": per_page,
            "has_more": offset + len(templates) < total,
            "filters_applied": {"query": query, "ai_context": ctx, "sort_by": sort_by,
                                "sort_order": sort_order, "ranking": ranking},
            "filters_ignored": {k: v for k, v in (ignored or {}).items() if v},
        }

    # --- one template -------------------------------------------------------------------
    async def get_template(self, tenant_id: str, template_id: str, *,
                           count_use: bool = True) -> dict[str, Any]:
        """``GET /api/v1/templates/{id}`` (counts a use); a missing one is a 404."""
        t = await self.store.run(self.store.get, tenant_id, template_id, count_use=count_use)
        if t is None:
            raise not_found(template_id)
        return t.as_dict()

    async def template_stats(self, tenant_id: str, template_id: str) -> dict[str, Any]:
        """``GET /api/v1/templates/{id}/stats``."""
        d = await self.get_template(tenant_id, template_id, count_use=False)
        meta = d["request_metadata"]
        return {"template_id": d["id"], "times_used": d["times_used"],
                "last_used": d["last_used"], "saved_at_utc": d["saved_at_utc"],
                "confidence_score": d["confidence_score"],
                "optimization_tier": d["optimization_tier"],
                "tokens_before": meta.get("tokens_before"),
                "tokens_after": meta.get("tokens_after"),
                "quality_before": meta.get("quality_before"),
                "quality_after": meta.get("quality_after")}

    async def create_template(self, tenant_id: str, body: TemplateCreateBody, *,
                              request_id: str) -> dict[str, Any]:
        """``POST /api/v1/mcp/templates``."""
        ctx = check_ai_context(body.ai_context or body.ai_context_detected) or "human_communication"
        t = await self.store.run(
            self.store.create, tenant_id, title=body.title,
            original_prompt=body.original_prompt, optimized_prompt=body.optimized_prompt,
            confidence_score=body.confidence_score, optimization_goals=body.optimization_goals,
            optimization_tier=body.optimization_tier, ai_context=ctx,
            description=body.description, tags=body.tags, domain=body.domain,
            target_audience=body.target_audience, request_id=request_id,
            model_used=body.model_used or "client", is_public=body.is_public,
            request_metadata={"source": "create_template"})
        return t.as_dict()

    async def update_template(self, tenant_id: str, template_id: str,
                              patch: Any) -> dict[str, Any]:
        """``PATCH /api/v1/templates/{id}``: title, description and tags only."""
        if not isinstance(patch, dict):
            raise ApiError(422, ErrorCode.INVALID_REQUEST, "the body must be a JSON object")
        try:
            t = await self.store.run(self.store.update_metadata, tenant_id, template_id, patch)
        except ImmutableContent as exc:
            raise ApiError(409, ErrorCode.CONFLICT,
                           "template content is immutable; only title, description and tags "
                           "may change (save a new template instead)",
                           {"immutable_fields": exc.fields,
                            "mutable_fields": ["title", "description", "tags"]}) from None
        if t is None:
            raise not_found(template_id)
        return t.as_dict()

    async def delete_template(self, tenant_id: str, template_id: str) -> dict[str, Any]:
        """``DELETE /api/v1/templates/{id}``; a missing one is a 404."""
        if not await self.store.run(self.store.delete, tenant_id, template_id):
            raise not_found(template_id)
        return {"deleted": True, "id": template_id}

    # --- export -------------------------------------------------------------------------
    def export_lines(self, tenant_id: str, fmt: str, *,
                     escape_formulas: bool = True) -> Iterator[str]:
        """Every template of ``tenant_id`` as JSON-array or CSV text, line by line (blocking:
        iterate it off the event loop)."""
        rows = self.store.iter_all(tenant_id)
        if fmt == "csv":
            return export_csv_lines(rows, escape_formulas=escape_formulas)
        return export_json_lines(rows)

    async def export_text(self, tenant_id: str, fmt: str, *,
                          escape_formulas: bool = True) -> str:
        """The whole export of :meth:`export_lines` as one string."""
        return await self.store.run(
            lambda: "".join(self.export_lines(tenant_id, fmt, escape_formulas=escape_formulas)))
