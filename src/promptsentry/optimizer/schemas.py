"""Request bodies of the optimizer API (public ``/api/v1`` and bridge ``/api/v1/mcp``)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator
from pydantic_core import PydanticCustomError

from promptsentry.schemas.request import MAX_PROMPT_BYTES
from promptsentry.text import strip_control, utf8_len

__all__ = [
    "BridgeListQuery",
    "DetectBody",
    "ExportQuery",
    "OptimizeBody",
    "TemplateCreateBody",
    "SearchText",
    "TemplateListQuery",
    "TemplateSearchBody",
    "check_prompt",
    "check_search_text",
]


def check_search_text(value: str | None) -> str | None:
    """Search terms are text: a NUL or other control character (which PostgreSQL cannot
    take as a parameter, and no template contains) is a 422, not a database error."""
    if value is not None and strip_control(value) != value:
        raise PydanticCustomError("invalid_search",
                                  "search text must not contain NUL or control characters")
    return value


#: A search text (query parameter or body field): no NUL or control characters.
SearchText = Annotated[str, AfterValidator(check_search_text)]


def check_prompt(value: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise PydanticCustomError("prompt_empty", "field 'prompt' must not be empty")
    if utf8_len(value) > MAX_PROMPT_BYTES:
        raise PydanticCustomError("prompt_too_long",
                                  "prompt exceeds {limit} bytes", {"limit": MAX_PROMPT_BYTES})
    return value


class ValueItem(BaseModel):
    model_config = ConfigDict(extra="ignore")
    label: str = Field("", max_length=200)
    description: str = Field("", max_length=2000)


class IntentFrame(BaseModel):
    model_config = ConfigDict(extra="ignore")
    perspective: str | None = Field(None, max_length=500)
    out_of_scope: list[str] = Field(default_factory=list, max_length=50)
    success_definition: str | None = Field(None, max_length=2000)


class OptimizeBody(BaseModel):
    """``{prompt, goals[], ai_context, stream}`` plus the bridge's and our options."""

    model_config = ConfigDict(extra="ignore")

    prompt: str
    goals: list[str] | None = Field(None, max_length=30)
    ai_context: str | None = Field(None, max_length=64)
    stream: bool = Field(False, description="Accepted for compatibility; the answer is "
                         "always one JSON document.")
    engine: str | None = Field(None, max_length=16, description="rules | llm | hybrid")
    save_template: bool | None = Field(None, description="false: do not save a template.")
    title: str | None = Field(None, max_length=200)
    target_model: str | None = Field(None, max_length=100)
    domain: str | None = Field(None, max_length=100)
    target_audience: str | None = Field(None, max_length=200)
    value_hierarchy: list[ValueItem] | None = Field(None, max_length=20)
    intent_frame: IntentFrame | None = None
    enable_bayesian: bool | None = None

    _prompt = field_validator("prompt")(classmethod(lambda cls, v: check_prompt(v)))

    @field_validator("goals", mode="before")
    @classmethod
    def _goals(cls, value: Any) -> Any:
        if isinstance(value, str):
            return [g for g in (p.strip() for p in value.split(",")) if g]
        return value


class DetectBody(BaseModel):
    model_config = ConfigDict(extra="ignore")
    prompt: str
    _prompt = field_validator("prompt")(classmethod(lambda cls, v: check_prompt(v)))


class TemplateCreateBody(BaseModel):
    """The bridge's ``create_template`` body."""

    model_config = ConfigDict(extra="ignore")

    title: str = Field(..., min_length=1, max_length=200)
    original_prompt: str
    optimized_prompt: str
    confidence_score: float = Field(0.0, ge=0.0, le=1.0)
    description: str = Field("", max_length=2000)
    optimization_goals: list[str] = Field(default_factory=list, max_length=30)
    model_used: str | None = Field(None, max_length=100)
    optimization_tier: str = Field("rules", pattern="^(rules|llm|hybrid)$")
    ai_context_detected: str | None = Field(None, max_length=64)
    ai_context: str | None = Field(None, max_length=64)
    is_public: bool = False
    tags: list[str] = Field(default_factory=list, max_length=20)
    domain: str | None = Field(None, max_length=100)
    target_audience: str | None = Field(None, max_length=200)

    _orig = field_validator("original_prompt")(classmethod(lambda cls, v: check_prompt(v)))
    _opt = field_validator("optimized_prompt")(classmethod(lambda cls, v: check_prompt(v)))


class TemplateSearchBody(BaseModel):
    """``POST /api/v1/templates/search``."""

    model_config = ConfigDict(extra="ignore")

    query: SearchText = Field("", max_length=2000)
    goals: list[str] | None = Field(None, max_length=30)
    min_confidence: float | None = Field(None, ge=0.0, le=1.0)
    ai_context: str | None = Field(None, max_length=64)
    limit: int = Field(10, ge=1, le=100)


# --------------------------------------------------------------------------- answers
# Documentation models: the routes answer plain dicts (with rate-limit headers), so these
# describe them in the OpenAPI document and the API tests validate real answers against it.


class FirewallVerdict(BaseModel):
    """The firewall's verdict on a prompt (nothing is recorded)."""

    model_config = ConfigDict(extra="allow")
    verdict: str
    risk_score: float
    patterns_matched: list[str]


class QualityReport(BaseModel):
    """The rubric: `total` 0–100, one 0–20 score per dimension, and the deductions."""

    model_config = ConfigDict(extra="allow")
    total: int
    deductions: list[dict[str, Any]]


class OptimizeResponse(BaseModel):
    """`POST /api/v1/optimize` (and, with `quota_limit`/`quota_remaining` null when unlimited,
    `POST /api/v1/mcp/optimize`). See docs/OPTIMIZER.md for each field."""

    model_config = ConfigDict(extra="allow")
    status: str = Field(description="`optimized`")
    original_prompt: str
    optimized_prompt: str
    confidence_score: float
    optimization_goals: list[str]
    ai_context_detected: str
    context: dict[str, Any]
    optimization_tier: str = Field(description="`rules`, `llm` or `hybrid`")
    model_used: str | None
    changes: list[dict[str, Any]]
    checks: list[dict[str, Any]]
    questions: list[str]
    quality_before: QualityReport
    quality_after: QualityReport
    tokens_before: int
    tokens_after: int
    token_encoding: str | None
    similarity: float | None
    warnings: list[str]
    quota_remaining: int | None = Field(description="-1 (bridge: null) when unlimited")
    quota_used: int
    quota_limit: int | None = Field(description="-1 (bridge: null) when unlimited")
    template_saved: bool
    template_id: str | None
    request_id: str
    processing_time_ms: float
    scan: FirewallVerdict
    input_scan: FirewallVerdict
    rules_based: bool
    fallback_mode: bool
    metadata: dict[str, Any]
    optimization_insights: dict[str, Any]
    templates_found: list[dict[str, Any]]


class Template(BaseModel):
    """A saved template (the contract's fields plus ours; see docs/OPTIMIZER.md)."""

    model_config = ConfigDict(extra="allow")
    id: str
    title: str
    description: str
    tags: list[str]
    saved_at_utc: str
    updated_at_utc: str
    optimization_tier: str
    confidence_score: float
    original_prompt: str
    optimized_prompt: str
    optimization_goals: list[str]
    ai_context: str
    domain: str | None
    target_audience: str | None
    times_used: int
    last_used: str | None
    is_public: bool


class TemplateHit(Template):
    relevance: float


class TemplatePage(BaseModel):
    model_config = ConfigDict(extra="allow")
    templates: list[Template]
    total_count: int
    has_more: bool
    limit: int
    offset: int
    filters_applied: dict[str, Any]


class TemplateSearchResult(BaseModel):
    model_config = ConfigDict(extra="allow")
    templates: list[TemplateHit]
    total_count: int
    query: str
    filters_applied: dict[str, Any]


class BridgeTemplatePage(BaseModel):
    """The bridge's listing; with a `query`, templates carry their `relevance`."""

    model_config = ConfigDict(extra="allow")
    templates: list[Template]
    total: int
    page: int
    per_page: int
    has_more: bool
    filters_applied: dict[str, Any]
    filters_ignored: dict[str, Any]


class TemplateStats(BaseModel):
    model_config = ConfigDict(extra="allow")
    template_id: str
    times_used: int
    last_used: str | None
    saved_at_utc: str
    confidence_score: float
    optimization_tier: str
    tokens_before: int | None
    tokens_after: int | None
    quality_before: int | None
    quality_after: int | None


class TemplateDeleted(BaseModel):
    deleted: bool
    id: str


class Quota(BaseModel):
    """This month's quota; `-1` limits mean unlimited."""

    model_config = ConfigDict(extra="allow")
    quota_limit: int
    quota_used: int
    quota_remaining: int
    reset_date: str
    subscription_tier: str
    billing_cycle: str
    unlimited: bool
    rate_limit_per_minute: int | None


class BridgeQuota(Quota):
    tier: str
    quota: dict[str, Any]
    features_available: dict[str, bool]


class KeyValidation(BaseModel):
    model_config = ConfigDict(extra="allow")
    valid: bool
    tier: str
    api_key_type: str
    tenant_id: str
    key_id: str | None
    scopes: list[str]
    quota: dict[str, Any]
    features: dict[str, bool]


class Goals(BaseModel):
    goals: list[str]
    aliases: dict[str, str]


class Detection(BaseModel):
    """A prompt's context. `detected_parameters` is `{name: count}` (the bridge route: a list
    of `{name, count}`)."""

    model_config = ConfigDict(extra="allow")
    primary_context: str
    confidence: float
    secondary_contexts: list[Any]
    detected_parameters: dict[str, int] | list[dict[str, Any]]
    ai_context_detected: str
    lock: str
    context: dict[str, Any]
    probabilities: dict[str, float]


# --------------------------------------------------------------------------- query strings
# The routes declare these constraints on their ``Query`` parameters; the in-process client
# (:mod:`promptsentry.optimizer.local_client`) validates the same values with these models,
# and tests/optimizer/test_local_client.py checks both answer alike.

class TemplateListQuery(BaseModel):
    """The query string of ``GET /api/v1/templates``."""

    model_config = ConfigDict(extra="ignore")
    limit: int = Field(20, ge=1, le=100)
    offset: int = Field(0, ge=0, le=1_000_000)
    sort: str = Field("newest", pattern="^(newest|oldest|confidence|usage)$")
    goals: str | None = Field(None, max_length=500)
    search: SearchText | None = Field(None, max_length=500)
    ai_context: str | None = Field(None, max_length=64)


class BridgeListQuery(BaseModel):
    """The query string of ``GET /api/v1/mcp/templates``."""

    model_config = ConfigDict(extra="ignore")
    page: int = Field(1, ge=1, le=100_000)
    per_page: int = Field(10, ge=1, le=100)
    sort_by: str = Field("created_at",
                         pattern="^(created_at|confidence_score|usage_count|title)$")
    sort_order: str = Field("desc", pattern="^(asc|desc)$")
    query: SearchText | None = Field(None, max_length=500)
    ai_context: str | None = Field(None, max_length=64)
    sophistication_level: str | None = Field(None, max_length=64)
    complexity_level: str | None = Field(None, max_length=64)
    optimization_strategy: str | None = Field(None, max_length=64)


class ExportQuery(BaseModel):
    """The query string of ``GET /api/v1/templates/export``."""

    model_config = ConfigDict(extra="ignore")
    format: str = Field("json", pattern="^(json|csv)$")
    csv_formulas: str = Field("escape", pattern="^(escape|keep)$")
