"""The scan response. Field names and meanings are the contract the official
``promptsentry-sdk`` parses (``ScanResponse``, ``ScanResult``): add fields, never rename."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

Verdict = Literal["clean", "malicious", "escalated_clean", "escalated_malicious"]
Action = Literal["allowed", "blocked", "allowed_monitor", "allowed_bypass"]


class StageReport(BaseModel):
    """What one pipeline stage did: its status, time, and what it found."""

    status: Literal["ok", "error", "skipped"]
    ms: float
    failure_mode: Literal["fail_open", "fail_closed"]
    patterns: list[str] = Field(default_factory=list)
    score: float | None = None
    details: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class ScanResponse(BaseModel):
    """The verdict on one scanned text."""

    scan_id: str
    request_id: str
    timestamp: str = Field(description="UTC time of the verdict, ISO 8601.")
    verdict: Verdict
    action_taken: Action
    action: Action = Field(description="Same value as action_taken (older clients read it).")
    confidence: float = Field(ge=0, le=100, description="Confidence in the verdict, 0–100.")
    risk_score: float = Field(ge=0, le=1, description="Probability that the text is an attack.")
    gray_zone: bool = Field(
        False, description="The risk score fell between the gray-zone bounds."
    )
    reasoning: str
    patterns_matched: list[str] = Field(default_factory=list)
    stages: dict[str, StageReport] = Field(default_factory=dict)
    latency_ms: float
    pipeline_ms: float
    scan_type: str
    tenant_id: str | None = None
    audit_hash: str
    redacted_prompt: str | None = None
    redaction_stats: dict[str, int] | None = None
    child_safety_action: str | None = None
    crisis_resources: list[str] = Field(default_factory=list)
    crisis_message: str | None = None
