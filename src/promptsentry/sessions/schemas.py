"""Wire shapes of the session API. Field names are the contract of the official SDK
(``promptsentry_sdk.models.SessionScanRequest`` / ``SessionScanResponse`` / ``SessionGraph``):
add fields, never rename."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from promptsentry.schemas.request import ScanRequest
from promptsentry.text import strip_control

MAX_SOURCE_NODES = 64
MAX_NODE_ID_CHARS = 64
MAX_TOOL_NAME_CHARS = 128


class NodeType(StrEnum):
    PROMPT = "prompt"
    TOOL_CALL = "tool_call"
    TOOL_RETURN = "tool_return"
    RESPONSE = "response"


class ProvenanceLabel(StrEnum):
    EXTERNAL = "EXTERNAL"
    DERIVED = "DERIVED"
    TOOL_RETURN = "TOOL_RETURN"
    AGENT = "AGENT"
    USER = "USER"


class SessionScanRequest(ScanRequest):
    """``POST /session/{session_id}/scan``: a scan request plus its place in the graph.

    ``scan_type`` is derived from ``node_type`` (a ``tool_return`` is scanned as a document
    for hidden instructions); ``output``, ``canary_tokens`` and the other scan fields work as
    on ``POST /scan``.
    """

    node_type: NodeType = Field(NodeType.PROMPT, description="prompt | tool_call | "
                                "tool_return | response")
    source_node_ids: list[str] = Field(
        default_factory=list,
        description="Parent nodes whose data flows into this one (≤ 64).",
    )
    tool_name: str | None = Field(None, description="The tool called or returning.")
    min_trust: int | None = Field(
        None, ge=0, le=4,
        description="Lowest trust (0 EXTERNAL … 4 USER) the inputs of this tool call may have.",
    )
    provenance_label: ProvenanceLabel | None = Field(
        None, description="Explicit label; may only lower trust unless the install allows "
        "overrides.",
    )

    @field_validator("source_node_ids")
    @classmethod
    def _check_sources(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_SOURCE_NODES:
            raise PydanticCustomError("too_many_sources", "at most {limit} source_node_ids",
                                      {"limit": MAX_SOURCE_NODES})
        for node_id in value:
            if not node_id or len(node_id) > MAX_NODE_ID_CHARS:
                raise PydanticCustomError(
                    "invalid_node_id", "source_node_ids entries are 1–{limit} characters",
                    {"limit": MAX_NODE_ID_CHARS})
        return list(dict.fromkeys(value))

    @field_validator("tool_name")
    @classmethod
    def _check_tool(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if len(value) > MAX_TOOL_NAME_CHARS:
            raise PydanticCustomError("tool_name_too_long",
                                      "tool_name is at most {limit} characters",
                                      {"limit": MAX_TOOL_NAME_CHARS})
        return strip_control(value, keep_newlines=False).strip() or None


class SessionScanResponse(BaseModel):
    """The verdict on one session node, with its provenance."""

    session_id: str
    node_id: str
    verdict: str
    action: str
    action_taken: str = Field(description="Same value as action.")
    confidence: float
    risk_score: float
    provenance_label: ProvenanceLabel
    trust: int = Field(description="Numeric trust of provenance_label (0–4).")
    provenance_violation: bool = False
    provenance_violation_reason: str | None = None
    tainted: bool = False
    reasoning: str
    patterns_matched: list[str] = Field(default_factory=list)
    injection_spans: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Where instructions sit in a tool_return or document: rule and "
        "[start, end) character span.",
    )
    scan_id: str
    latency_ms: float
    tenant_id: str | None = None


class SessionGraphResponse(BaseModel):
    """``GET /session/{session_id}``: the provenance graph, without text unless the tenant
    stores prompts."""

    session_id: str
    tenant_id: str | None = None
    created_at: str
    updated_at: str
    expires_at: str | None = None
    node_count: int
    taint_depth: int = 0
    nodes: list[dict[str, Any]] = Field(default_factory=list)
    summary: dict[str, Any] | None = Field(
        None, description="The oldest nodes, folded away to bound the graph's size."
    )


class SessionDeleted(BaseModel):
    session_id: str
    deleted: bool = Field(description="Whether there was a session to erase.")


class CanaryIssued(BaseModel):
    canary: str
    tenant_id: str
    usage: str
