"""The scan record: what the service remembers about one scan.

By default it holds no prompt text, only the audit hash; ``prompt`` is filled only when the
tenant set ``store_prompt_in_scan_record``.
"""

from __future__ import annotations

from pydantic import BaseModel, Field


class ScanRecord(BaseModel):
    """One retained scan. Field names are what ``GET /scans`` answers."""

    scan_id: str
    request_id: str
    timestamp: str
    tenant_id: str
    verdict: str
    action_taken: str
    confidence: float
    risk_score: float
    patterns_matched: list[str] = Field(default_factory=list)
    scan_type: str
    audit_hash: str
    source_ip: str | None = None
    user_identity: str | None = None
    context: str | None = None
    latency_ms: float = 0.0
    prompt: str | None = None
    expires_at: str
