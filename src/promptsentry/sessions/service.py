"""Scan one node of an agent session: the pipeline's verdict, then its place in the graph.

The HTTP route and the MCP tool both call :func:`scan_node`, so the two answer alike::

    response = await scan_node(scan_service, store, settings, tenant_id=..., session_id=...,
                               body=SessionScanRequest(...), ctx=ScanContext(...))

Order of work: the scan runs first (outside any lock — it is the slow part), then one atomic
store update labels the node from its parents as they are at that moment and appends it.
"""

from __future__ import annotations

import re
import time

from promptsentry.config import Settings
from promptsentry.errors import ApiError, ErrorCode
from promptsentry.observability.logging import get_logger
from promptsentry.schemas.request import ScanRequest, ScanType
from promptsentry.schemas.response import ScanResponse
from promptsentry.service import ScanContext, ScanService
from promptsentry.sessions import graph as g
from promptsentry.sessions.schemas import (
    NodeType,
    ProvenanceLabel,
    SessionScanRequest,
    SessionScanResponse,
)
from promptsentry.sessions.store import SessionStore
from promptsentry.stores.base import StoreUnavailable
from promptsentry.text import strip_control

log = get_logger("promptsentry.session")

SESSION_ID_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$")
MAX_STORED_TEXT = 4096
"""Stored node text (only when the tenant stores prompts) is cut to this many characters."""
_SCAN_TYPES = {
    NodeType.PROMPT: ScanType.PROMPT,
    NodeType.TOOL_CALL: ScanType.TOOL_CALL,
    NodeType.TOOL_RETURN: ScanType.PROMPT,
    NodeType.RESPONSE: ScanType.RESPONSE,
}


def check_session_id(session_id: str) -> str:
    """``session_id`` if well formed, else a 422 ``INVALID_REQUEST``."""
    if not SESSION_ID_PATTERN.match(session_id):
        raise ApiError(422, ErrorCode.INVALID_REQUEST,
                       "session_id must be 1–128 letters, digits or '._:-', starting with a "
                       "letter or digit", {"field": "session_id"})
    return session_id


def store_unavailable(exc: StoreUnavailable) -> ApiError:
    return ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                    "the session store is unavailable; retry shortly")


def scan_request_of(body: SessionScanRequest) -> ScanRequest:
    """The pipeline's view of a session node (``body`` is already validated).

    A tool call is scanned in the SDK's ``Tool: NAME\\nArguments: ...`` form; a tool return
    as data (``context="tool_return"``), so hidden instructions are located.
    """
    prompt = body.prompt
    if body.node_type is NodeType.TOOL_CALL and body.tool_name:
        prompt = f"Tool: {body.tool_name}\nArguments: {body.prompt}"
    fields = {name: getattr(body, name) for name in ScanRequest.model_fields}
    fields.update(prompt=prompt, scan_type=_SCAN_TYPES[body.node_type])
    if body.node_type is NodeType.TOOL_RETURN:
        fields["context"] = "tool_return"
    return ScanRequest.model_construct(**fields)


def final_action(content_action: str, violation: bool, monitor: bool) -> str:
    """The content verdict's action, tightened by a provenance violation."""
    if not violation or content_action in ("blocked", "allowed_bypass"):
        return content_action
    return "allowed_monitor" if monitor else "blocked"


def injection_spans(response: ScanResponse) -> list[dict]:
    """Where instructions sit in the scanned text: rule spans and the classifier's window."""
    report = response.stages.get("indirect_injection")
    spans = list(report.details.get("spans", [])) if report else []
    classifier = response.stages.get("classifier")
    span = classifier.details.get("span") if classifier else None
    if span and response.verdict in ("malicious", "escalated_malicious"):
        spans.append({"rule": "classifier_window", "span": list(span)})
    return spans[:32]


async def scan_node(
    scan_service: ScanService,
    store: SessionStore,
    settings: Settings,
    *,
    tenant_id: str,
    session_id: str,
    body: SessionScanRequest,
    ctx: ScanContext,
    admitted: bool = False,
) -> SessionScanResponse:
    """Judge ``body``, label it, append it to the session, and answer the SDK's shape.

    ``admitted``: the caller already ran :meth:`ScanService.admit` (the HTTP route does, to
    send rate-limit headers).
    """
    check_session_id(session_id)
    received = ctx.received_at if ctx.received_at is not None else time.perf_counter()
    scan_req = scan_request_of(body)
    admission = None if admitted else await scan_service.admit(scan_req, ctx)
    verdict = await scan_service.scan(scan_req, ctx, admission=admission)
    eff = await scan_service.effective_settings(tenant_id)
    monitor = eff.monitor_mode
    keep_text = eff.store_prompt_in_scan_record
    malicious = verdict.verdict in ("malicious", "escalated_malicious")

    def add(current: g.SessionGraph | None) -> tuple[g.SessionGraph, tuple[g.Node, g.Labelling]]:
        now = time.time()
        graph = current or g.SessionGraph.new(tenant_id, session_id, now)
        decision = g.label_node(
            graph, node_type=body.node_type.value, parents=body.source_node_ids,
            malicious=malicious, tool_name=body.tool_name, arguments=body.prompt,
            min_trust=body.min_trust,
            override=body.provenance_label.value if body.provenance_label else None,
            allow_override=settings.session_label_override,
        )
        seq = graph.seq + 1
        patterns = list(verdict.patterns_matched)
        if decision.violation:
            patterns.append("provenance_violation")
        node = g.Node(
            id=g.new_node_id(seq), seq=seq, type=body.node_type.value, label=decision.label,
            trust=decision.trust, parents=tuple(body.source_node_ids), verdict=verdict.verdict,
            action=final_action(verdict.action_taken, decision.violation, monitor),
            time=now, tainted=decision.tainted, taint_depth=decision.taint_depth,
            external=decision.external, tool=body.tool_name, min_trust=body.min_trust,
            violation=decision.violation, patterns=tuple(patterns),
            text=strip_control(body.prompt)[:MAX_STORED_TEXT] if keep_text else None,
        )
        updated = g.append(graph, node, now=now, max_nodes=settings.session_max_nodes)
        return updated, (node, decision)

    try:
        node, decision = await store.update(tenant_id, session_id, add)
    except StoreUnavailable as exc:
        raise store_unavailable(exc) from exc

    reasoning = verdict.reasoning
    spans = injection_spans(verdict)
    if spans:
        reasoning += "; instructions at chars " + ", ".join(
            f"{s['span'][0]}–{s['span'][1]}" for s in spans[:5])
    if decision.reasons:
        reasoning += "; provenance: " + "; ".join(decision.reasons)
    log.info("session_scan", session_id=session_id, node_id=node.id, node_type=node.type,
             label=node.label, verdict=node.verdict, action=node.action,
             provenance_violation=node.violation, tenant_id=tenant_id, scan_id=verdict.scan_id)
    return SessionScanResponse(
        session_id=session_id,
        node_id=node.id,
        verdict=verdict.verdict,
        action=node.action,
        action_taken=node.action,
        confidence=verdict.confidence,
        risk_score=verdict.risk_score,
        provenance_label=ProvenanceLabel(node.label),
        trust=node.trust,
        provenance_violation=node.violation,
        provenance_violation_reason=decision.violation_reason,
        tainted=node.tainted,
        reasoning=reasoning,
        patterns_matched=list(node.patterns),
        injection_spans=spans,
        scan_id=verdict.scan_id,
        latency_ms=round((time.perf_counter() - received) * 1000, 3),
        tenant_id=tenant_id,
    )
