"""Operational endpoints and headers over a real uvicorn on loopback."""

from __future__ import annotations

import re

import httpx
import pytest

BENIGN = "Can you recommend a good book about the history of Rome?"


@pytest.fixture(scope="module")
def http(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30.0) as c:
        yield c


def _counter(metrics_text: str, verdict: str, action: str, scan_type: str) -> float:
    pattern = re.compile(
        r'^promptsentry_scans_total\{(?P<labels>[^}]*)\}\s+(?P<value>[0-9.e+]+)$', re.MULTILINE)
    for m in pattern.finditer(metrics_text):
        labels = dict(re.findall(r'(\w+)="([^"]*)"', m.group("labels")))
        if labels == {"verdict": verdict, "action": action, "scan_type": scan_type}:
            return float(m.group("value"))
    return 0.0


def test_health(http):
    resp = http.get("/health")
    assert resp.status_code == 200
    assert resp.json()["status"] == "ok"
    assert resp.json()["version"]


def test_ready_reports_store_and_model(http):
    resp = http.get("/ready")
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["status"] == "ready"
    assert body["checks"]["hot_store"]["ok"] is True
    assert body["checks"]["model"]["ok"] is True
    assert body["checks"]["model"]["name"]


def test_metrics_count_scans_by_verdict_and_action(http):
    before = _counter(http.get("/metrics").text, "clean", "allowed", "prompt")
    for _ in range(3):
        assert http.post("/scan", json={"prompt": BENIGN}).json()["verdict"] == "clean"
    resp = http.get("/metrics")
    assert resp.status_code == 200
    assert resp.headers["content-type"].startswith("text/plain")
    assert _counter(resp.text, "clean", "allowed", "prompt") == before + 3
    assert "promptsentry_stage_duration_seconds_bucket" in resp.text


def test_openapi_and_docs_are_served(http):
    spec = http.get("/openapi.json")
    assert spec.status_code == 200
    paths = spec.json()["paths"]
    assert "post" in paths["/scan"]
    assert {"/scans", "/scans/{scan_id}", "/health", "/ready", "/metrics"} <= set(paths)
    docs = http.get("/docs")
    assert docs.status_code == 200
    assert "text/html" in docs.headers["content-type"]
    assert "openapi.json" in docs.text


@pytest.mark.parametrize("path", ["/health", "/ready", "/metrics", "/openapi.json"])
def test_security_headers_on_every_response(http, path):
    resp = http.get(path)
    assert resp.headers["strict-transport-security"].startswith("max-age=")
    assert resp.headers["x-content-type-options"] == "nosniff"
    assert resp.headers["x-frame-options"] == "DENY"
    assert resp.headers["x-request-id"]


def test_scan_response_has_the_sdk_contract_fields(http):
    resp = http.post("/scan", json={"prompt": BENIGN, "source_ip": "203.0.113.9"})
    assert resp.status_code == 200
    body = resp.json()
    for field in ("scan_id", "request_id", "verdict", "action_taken", "action", "confidence",
                  "risk_score", "reasoning", "patterns_matched", "stages", "latency_ms",
                  "pipeline_ms", "scan_type", "tenant_id", "audit_hash", "redacted_prompt",
                  "redaction_stats", "child_safety_action", "crisis_resources",
                  "crisis_message"):
        assert field in body, field
    assert body["action"] == body["action_taken"]
    assert body["request_id"] == resp.headers["x-request-id"]
    assert 0 <= body["confidence"] <= 100 and 0 <= body["risk_score"] <= 1
    assert {"normalize", "classifier", "verdict"} <= set(body["stages"])
    assert all(stage["ms"] >= 0 for stage in body["stages"].values())
    assert re.fullmatch(r"[0-9a-f]{64}", body["audit_hash"])
