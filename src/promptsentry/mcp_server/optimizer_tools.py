"""The optimizer's MCP tools, with the reference bridge's names and parameters.

``optimize_prompt``, ``detect_ai_context``, ``create_template``, ``get_template``,
``update_template`` (metadata only), ``delete_template``, ``search_templates``,
``list_recent_templates``, ``export_templates`` and ``get_quota_status``.

Every tool calls one operation of an optimizer client, so the tools answer exactly like the
API's bridge routes (same validation, same error shape, same quotas) whichever client it is:

* **in-process** — :func:`register_tools` (the ``promptsentry mcp`` server):
  :class:`~promptsentry.optimizer.local_client.LocalOptimizer` calls this process's
  ``OptimizerService`` directly, as the default tenant (no HTTP);
* **bridge mode** — :func:`build_bridge_server` (``promptsentry mcp-bridge --remote URL``):
  :class:`~promptsentry.optimizer.remote_client.RemoteOptimizer` calls go over HTTPS to a
  remote PromptSentry with an API key read from the environment
  (``PROMPTSENTRY_OPTIMIZER_API_KEY`` or ``OPTIMIZER_API_KEY``) or a local config file. The
  bridge keeps nothing but that key: no cache, no files, and it logs no prompt text.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, Literal

import httpx
from mcp.server.mcpserver import MCPServer
from mcp_types import ToolAnnotations
from pydantic import BaseModel, ConfigDict, Field

from promptsentry import __version__
from promptsentry.mcp_server.registry import ToolRegistry
from promptsentry.optimizer.local_client import LocalOptimizer
from promptsentry.optimizer.remote_client import ApiBackend, RemoteOptimizer
from promptsentry.optimizer.schemas import IntentFrame, ValueItem

__all__ = [
    "TOOL_NAMES",
    "ApiBackend",
    "bridge_config_path",
    "build_bridge_server",
    "load_bridge_key",
    "register_tools",
]

TOOL_NAMES = ("optimize_prompt", "detect_ai_context", "create_template", "get_template",
              "update_template", "delete_template", "search_templates",
              "list_recent_templates", "export_templates", "get_quota_status")


# --------------------------------------------------------------------------- arguments

class OptimizePromptArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt: str = Field(..., description="The prompt to optimize (≤ 50 KB).")
    goals: list[str] = Field(default_factory=lambda: ["clarity"], max_length=30,
                             description="Optimization goals, e.g. clarity, conciseness, "
                             "structure, specificity.")
    ai_context: str | None = Field(None, description="Context (code_generation, "
                                   "creative_writing, image_generation…); detected if omitted.")
    enable_bayesian: bool | None = Field(None, description="Accepted for compatibility.")
    value_hierarchy: list[ValueItem] | None = Field(None, max_length=20)
    intent_frame: IntentFrame | None = None
    engine: Literal["rules", "llm", "hybrid"] | None = None


class PromptArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt: str = Field(..., description="The prompt to analyse.")


class CreateTemplateArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    title: str = Field(..., min_length=1, max_length=200)
    original_prompt: str
    optimized_prompt: str
    confidence_score: float = Field(..., ge=0.0, le=1.0)
    description: str | None = Field(None, max_length=2000)
    optimization_goals: list[str] | None = None
    model_used: str | None = None
    optimization_tier: Literal["rules", "llm", "hybrid"] | None = None
    ai_context_detected: str | None = None
    is_public: bool | None = None
    tags: list[str] | None = None


class TemplateIdArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    template_id: str = Field(..., min_length=1, max_length=80)


class UpdateTemplateArgs(TemplateIdArgs):
    title: str | None = Field(None, max_length=200)
    description: str | None = Field(None, max_length=2000)
    tags: list[str] | None = None
    original_prompt: str | None = Field(None, description="Immutable: changing it is refused.")
    optimized_prompt: str | None = Field(None, description="Immutable: changing it is refused.")
    confidence_score: float | None = None
    optimization_goals: list[str] | None = None
    is_public: bool | None = None


class SearchTemplatesArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    query: str | None = Field(None, max_length=500)
    ai_context: str | None = None
    sophistication_level: str | None = None
    complexity_level: str | None = None
    optimization_strategy: str | None = None
    limit: int = Field(5, ge=1, le=20)
    page: int = Field(1, ge=1)
    sort_by: Literal["created_at", "confidence_score", "usage_count", "title"] = "confidence_score"
    sort_order: Literal["asc", "desc"] = "desc"


class RecentArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    limit: int = Field(5, ge=1, le=20)


class ExportArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")
    format: Literal["json", "csv"] = "json"


class NoArgs(BaseModel):
    model_config = ConfigDict(extra="ignore")


def _drop_none(model: BaseModel, *, exclude: set[str] | None = None) -> dict[str, Any]:
    return {k: v for k, v in model.model_dump(exclude=exclude).items() if v is not None}


Handler = Callable[[Any, str], Awaitable[Any]]
#: What the tools call: this process's service, or a remote server (the same methods).
OptimizerClient = LocalOptimizer | RemoteOptimizer


def tool_handlers(client: OptimizerClient
                  ) -> list[tuple[str, str, type[BaseModel], Handler, bool]]:
    """``(name, description, arguments model, handler, read_only)`` for every tool."""

    async def optimize_prompt(a: OptimizePromptArgs, request_id: str) -> Any:
        body = _drop_none(a, exclude={"enable_bayesian"})
        return await client.optimize(body, request_id=request_id, bridge=True)

    async def detect_ai_context(a: PromptArgs, _request_id: str) -> Any:
        return await client.detect(a.prompt, bridge=True)

    async def create_template(a: CreateTemplateArgs, request_id: str) -> Any:
        return await client.create_template(_drop_none(a), request_id=request_id)

    async def get_template(a: TemplateIdArgs, _request_id: str) -> Any:
        return await client.get_template(a.template_id)

    async def update_template(a: UpdateTemplateArgs, _request_id: str) -> Any:
        return await client.update_template(a.template_id,
                                            _drop_none(a, exclude={"template_id"}))

    async def delete_template(a: TemplateIdArgs, _request_id: str) -> Any:
        return await client.delete_template(a.template_id)

    async def search_templates(a: SearchTemplatesArgs, _request_id: str) -> Any:
        return await client.bridge_templates(**_given({
            "page": a.page, "per_page": a.limit, "sort_by": a.sort_by,
            "sort_order": a.sort_order, "query": a.query, "ai_context": a.ai_context,
            "sophistication_level": a.sophistication_level,
            "complexity_level": a.complexity_level,
            "optimization_strategy": a.optimization_strategy}))

    async def list_recent_templates(a: RecentArgs, _request_id: str) -> Any:
        return await client.bridge_templates(page=1, per_page=a.limit, sort_by="created_at",
                                             sort_order="desc")

    async def export_templates(a: ExportArgs, _request_id: str) -> Any:
        text = await client.export(a.format)
        if a.format == "json":
            return {"format": "json", "templates": json.loads(text)}
        return {"format": "csv", "csv": text}

    async def get_quota_status(a: NoArgs, _request_id: str) -> Any:
        return await client.bridge_quota()

    return [
        ("optimize_prompt", ("Optimize a prompt for its detected (or given) AI context: "
                             "goal-driven rewrite, confidence score, quality before/after, "
                             "tokens, firewall scan; the result is saved as a private "
                             "template."), OptimizePromptArgs, optimize_prompt, False),
        ("detect_ai_context", ("Detect a prompt's AI context (code, creative writing, data "
                               "analysis, research, image/video, general) with calibrated "
                               "confidence."), PromptArgs, detect_ai_context, True),
        ("create_template", ("Save a prompt and its optimized version as a private, immutable template of "
                             "this tenant (title, both prompt texts and a 0–1 confidence are required); "
                             "answers the template with its id."), CreateTemplateArgs,
         create_template, False),
        ("get_template", ("Get one saved template of this tenant by its id: both prompt texts, goals, "
                          "context, confidence and usage counts."), TemplateIdArgs, get_template, True),
        ("update_template", ("Change a saved template's title, description or tags by its id. "
                             "The prompt texts are immutable: trying to change them is refused."), UpdateTemplateArgs, update_template,
         False),
        ("delete_template", ("Delete one saved template of this tenant by its id (from search_templates or "
                             "list_recent_templates). Permanent: the template "
                             "cannot be recovered."), TemplateIdArgs, delete_template, False),
        ("search_templates", ("Search this tenant's saved templates by free text (full-text and semantic) and "
                              "optionally by ai_context; paged with page/limit, sorted by sort_by/sort_order."),
         SearchTemplatesArgs, search_templates, True),
        ("list_recent_templates", ("List this tenant's most recently saved templates, newest first (limit 1–20), "
                                   "with id, title, confidence and optimized prompt."), RecentArgs,
         list_recent_templates, True),
        ("export_templates", ("Export every saved template of this tenant with all its fields, as JSON or CSV "
                              "text (format=json|csv), for backup or migration."), ExportArgs,
         export_templates, True),
        ("get_quota_status", ("The optimization quota of this API key's tenant: plan, limit, used, remaining, "
                              "reset date and the features available on the plan."), NoArgs,
         get_quota_status, True),
    ]


def _given(params: dict[str, Any]) -> dict[str, Any]:
    """The query parameters a client sends (``None`` ones are left out, as on the wire)."""
    return {k: v for k, v in params.items() if v is not None}


def _annotations(read_only: bool) -> ToolAnnotations:
    return ToolAnnotations(read_only_hint=read_only, destructive_hint=not read_only,
                           idempotent_hint=read_only, open_world_hint=False)


def _register(registry: ToolRegistry, client: OptimizerClient) -> None:
    for name, doc, model, handler, read_only in tool_handlers(client):
        registry.add_validated(handler, name=name, description=doc, input_model=model,
                               annotations=_annotations(read_only))


# --------------------------------------------------------------------------- in-process

def register_tools(registry: ToolRegistry) -> None:
    """Add the optimizer tools to the ``promptsentry mcp`` server; they call this process's
    ``OptimizerService`` directly, as the default tenant."""
    if registry.services is None:
        raise ValueError("the in-process optimizer tools need the process's Services")
    _register(registry, LocalOptimizer(registry.services))


# --------------------------------------------------------------------------- bridge mode

def bridge_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "promptsentry" / "bridge.toml"


def load_bridge_key(config_file: Path | None = None) -> str | None:
    """The API key: ``PROMPTSENTRY_OPTIMIZER_API_KEY``, ``OPTIMIZER_API_KEY``, else
    ``api_key`` in the config file (``~/.config/promptsentry/bridge.toml``)."""
    for name in ("PROMPTSENTRY_OPTIMIZER_API_KEY", "OPTIMIZER_API_KEY"):
        value = os.environ.get(name, "").strip()
        if value:
            return value
    path = config_file or bridge_config_path()
    try:
        with open(path, "rb") as fh:
            value = tomllib.load(fh).get("api_key")
    except (OSError, tomllib.TOMLDecodeError):
        return None
    return value.strip() if isinstance(value, str) and value.strip() else None


def check_remote_url(url: str) -> str:
    """HTTPS, or plain HTTP to a loopback address only."""
    parsed = httpx.URL(url)
    if parsed.scheme == "https" or (parsed.scheme == "http" and parsed.host in
                                    ("127.0.0.1", "localhost", "::1")):
        return url.rstrip("/")
    raise ValueError("the remote URL must use https:// (http:// is allowed for loopback only)")


def build_bridge_server(remote_url: str, api_key: str, *,
                        transport: httpx.AsyncBaseTransport | None = None) -> MCPServer:
    """An MCP server whose optimizer tools forward to ``remote_url`` with ``api_key``."""
    backend = ApiBackend(check_remote_url(remote_url), api_key=api_key, transport=transport)
    registry = ToolRegistry(None)  # the bridge's tools need no local service
    _register(registry, RemoteOptimizer(backend, templates_path="/api/v1/mcp/templates"))
    return MCPServer(
        "promptsentry-optimizer-bridge",
        title="PromptSentry optimizer (bridge)",
        description=f"Prompt optimizer tools served by {backend.base_url}.",
        instructions="Call optimize_prompt to improve a prompt for its context; "
                     "detect_ai_context to classify it; the template tools manage saved "
                     "optimizations. Answers are JSON.",
        version=__version__,
        tools=registry.tools,
        log_level="WARNING",
    )

