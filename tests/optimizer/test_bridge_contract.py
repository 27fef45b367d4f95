"""Replay the requests the reference MCP bridge (v3.7.1) really sends — recorded in
``shared/contracts/optimizer-bridge.md`` — and assert the fields it reads, with their types.

The regressions at the end come from running the bridge itself (its public source, 3.7.4,
driven over stdio) against a server: each asserts what the bridge's code does with a field,
where an earlier answer made it fall back to mock data or print a false or bare message."""

from __future__ import annotations

import json

import pytest

from .conftest import BRIDGE_HEADERS

pytestmark = pytest.mark.usefixtures("backend")


def _chunked(payload: dict):
    """The bridge's bodies arrive with ``Transfer-Encoding: chunked``."""
    data = json.dumps(payload).encode()

    async def gen():
        for i in range(0, len(data), 17):
            yield data[i:i + 17]

    return gen()


def _h(key: str) -> dict[str, str]:
    return {**BRIDGE_HEADERS, "x-api-key": key}


async def test_startup_validate_then_quota_status(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/api-keys/validate",
                        headers={**_h(key), "Content-Length": "0"})
    assert r.status_code == 200
    body = r.json()
    assert body["valid"] is True
    assert isinstance(body["tier"], str)
    assert isinstance(body["quota"]["limit"], int)
    assert isinstance(body["quota"]["used"], int)
    assert isinstance(body["quota"]["unlimited"], bool)
    assert isinstance(body["features"], dict)

    r = await asgi.get("/api/v1/mcp/quota-status", headers=_h(key))
    assert r.status_code == 200
    q = r.json()
    assert isinstance(q["tier"], str)
    quota = q["quota"]  # the bridge crashes without this object
    for name in ("used", "remaining", "limit"):
        assert isinstance(quota[name], int)
    assert isinstance(quota["unlimited"], bool)
    assert isinstance(quota["percentage"], (int, float))
    assert isinstance(quota["status"], str)
    assert isinstance(q["features_available"], dict)


async def test_validate_rejects_a_bad_key_in_the_error_shape(asgi, make_key):
    make_key()
    r = await asgi.post("/api/v1/api-keys/validate",
                        headers={**_h("sk-opt-0000000000000000-notavalidsecretatall"),
                                 "Content-Length": "0"})
    assert r.status_code == 401
    body = r.json()
    assert body["error"]["code"] in ("INVALID_API_KEY", "UNAUTHORIZED")
    assert body["request_id"] and body["timestamp"]


async def test_detect_context(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/detect-context", headers=_h(key), content=_chunked(
        {"prompt": "Photorealistic portrait of an old fisherman at golden hour, 85mm lens, "
                   "shallow depth of field, --ar 3:2"}))
    assert r.status_code == 200
    d = r.json()
    assert d["primary_context"] == "image_generation"
    assert 0.0 <= d["confidence"] <= 1.0
    assert isinstance(d["secondary_contexts"], list)
    assert all(isinstance(c, str) for c in d["secondary_contexts"])  # it joins them
    assert isinstance(d["detected_parameters"], list)
    assert all(isinstance(p["name"], str) for p in d["detected_parameters"])
    assert d["context"]["category"] == "image_video"
    assert d["context"]["runner_up"]["category"] != "image_video"


async def test_optimize_with_default_goal_and_no_context(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked(
        {"prompt": "Could you please write a Python function that parses ISO dates from "
                   "\"log.txt\"? Do not use regex. Thanks!",
         "goals": ["clarity"], "ai_context": None}))
    assert r.status_code == 200, r.text
    d = r.json()
    assert isinstance(d["optimized_prompt"], str) and d["optimized_prompt"]
    assert d["optimized_prompt"] != d["original_prompt"]
    assert 0.0 <= d["confidence_score"] <= 1.0
    assert d["template_saved"] is True and isinstance(d["template_id"], str)
    assert isinstance(d["quota_used"], int) and d["quota_used"] == 1
    assert isinstance(d["quota_limit"], int)
    meta = d["metadata"]
    for name in ("model_used", "routing_tier", "ai_context"):
        assert isinstance(meta[name], str)
    assert isinstance(meta["routing_score"], float)
    assert isinstance(meta["context_detection"]["ai_context"], str)
    assert isinstance(d["optimization_insights"]["improvement_metrics"], dict)
    assert isinstance(d["optimization_insights"]["recommendations"], list)
    assert isinstance(d["templates_found"], list)
    # false: the answer is the server's, not the bridge's local-rules fallback
    assert d["rules_based"] is False and d["fallback_mode"] is False
    assert d["optimization_tier"] == "rules" and meta["routing_tier"] == "RULES"
    metrics = d["optimization_insights"]["improvement_metrics"]  # the two the bridge prints
    for dim in ("clarity", "specificity"):
        assert metrics[f"{dim}_improvement"] == pytest.approx(
            (d["quality_after"][dim] - d["quality_before"][dim]) / 20.0)
    # our richer answer
    assert '"log.txt"' in d["optimized_prompt"] and "not use regex" in d["optimized_prompt"]
    assert d["scan"]["verdict"] == "clean"
    assert d["tokens_after"] < d["tokens_before"]


async def test_optimize_with_value_hierarchy_and_intent_frame(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked({
        "prompt": "Write a short story about a lighthouse keeper who finds a message in a "
                  "bottle.",
        "goals": ["clarity", "tone_consistency", "narrative_flow"],
        "ai_context": "creative_writing",
        "value_hierarchy": [{"label": "warmth", "description": "keep it gentle"}],
        "intent_frame": {"perspective": "first person", "out_of_scope": ["violence"],
                         "success_definition": "a hopeful ending"}}))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["ai_context_detected"] == "creative_writing"
    assert d["metadata"]["ai_context_source"] == "client"
    assert {c["goal"] for c in d["changes"]} >= {"tone_consistency", "narrative_flow"}


async def test_templates_listing_search_and_get(asgi, make_key):
    _, key = make_key()
    for prompt in ("Write a haiku about autumn leaves falling.",
                   "Write a SQL query that sums revenue per region from the sales table.",
                   "Explain the difference between TCP and UDP for beginners."):
        r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key),
                            content=_chunked({"prompt": prompt, "goals": ["clarity"]}))
        assert r.status_code == 200
    # list_recent_templates
    r = await asgi.get("/api/v1/mcp/templates", headers=_h(key), params={
        "page": 1, "per_page": 2, "sort_by": "created_at", "sort_order": "desc"})
    assert r.status_code == 200
    d = r.json()
    assert d["total"] == 3 and len(d["templates"]) == 2
    for t in d["templates"]:
        assert isinstance(t["id"], str) and isinstance(t["title"], str)
        assert isinstance(t["confidence_score"], float)
        assert isinstance(t["optimized_prompt"], str)
        assert isinstance(t["ai_context"], str)
        assert isinstance(t["optimization_goals"], list)
    # search_templates
    r = await asgi.get("/api/v1/mcp/templates", headers=_h(key), params={
        "page": 1, "per_page": 10, "sort_by": "confidence_score", "sort_order": "desc",
        "query": "revenue", "sophistication_level": "advanced"})
    assert r.status_code == 200
    d = r.json()
    assert d["total"] == 1 and "revenue" in d["templates"][0]["original_prompt"]
    assert d["filters_applied"]["ranking"] == "relevance"
    # search_templates is semantic: a paraphrase sharing no word with the prompt finds it
    r = await asgi.get("/api/v1/mcp/templates", headers=_h(key), params={
        "page": 1, "per_page": 10, "sort_by": "created_at", "sort_order": "desc",
        "query": "short Japanese poem on the fall season"})
    assert r.status_code == 200
    found = r.json()["templates"]
    assert found and "haiku" in found[0]["original_prompt"]
    assert 0 < found[0]["relevance"] <= 1
    # get_template
    tid = d["templates"][0]["id"]
    r = await asgi.get(f"/api/v1/mcp/templates/{tid}", headers=_h(key))
    assert r.status_code == 200
    t = r.json()
    for name in ("id", "title", "saved_at_utc", "optimization_tier", "original_prompt",
                 "optimized_prompt", "request_id", "model_optimized_with"):
        assert isinstance(t[name], str), name
    assert t["optimization_tier"] in ("rules", "llm", "hybrid")
    assert set(t["context_snapshot"]) == {"ai_context", "domain", "target_audience"}
    assert t["usage_analytics"]["times_used"] == 1
    assert isinstance(t["request_metadata"], dict)


async def test_create_update_delete_template(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/templates", headers=_h(key), content=_chunked({
        "title": "Bug triage", "original_prompt": "fix my bug",
        "optimized_prompt": "Diagnose the bug described below.", "confidence_score": 0.8,
        "optimization_goals": ["clarity"], "ai_context_detected": "code_generation",
        "is_public": False, "tags": ["debug"]}))
    assert r.status_code == 201, r.text
    created = r.json()
    assert isinstance(created["id"], str) and created["title"] == "Bug triage"
    assert created["is_public"] is False
    tid = created["id"]
    r = await asgi.patch(f"/api/v1/mcp/templates/{tid}", headers=_h(key),
                         content=_chunked({"title": "Bug triage v2", "tags": ["debug", "x"]}))
    assert r.status_code == 200 and r.json()["title"] == "Bug triage v2"
    r = await asgi.patch(f"/api/v1/mcp/templates/{tid}", headers=_h(key),
                         content=_chunked({"optimized_prompt": "something else"}))
    assert r.status_code == 409
    assert r.json()["error"]["code"] == "CONFLICT"
    assert r.json()["error"]["details"]["immutable_fields"] == ["optimized_prompt"]
    r = await asgi.get(f"/api/v1/mcp/templates/{tid}", headers=_h(key))
    assert r.json()["optimized_prompt"] == "Diagnose the bug described below."
    r = await asgi.delete(f"/api/v1/mcp/templates/{tid}", headers=_h(key))
    assert r.status_code == 200 and r.json()["deleted"] is True
    r = await asgi.get(f"/api/v1/mcp/templates/{tid}", headers=_h(key))
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND"


# --- regressions found by running the reference bridge against the server ------------------

def _bridge_parameter_names(answer: dict) -> list[str]:
    """What the bridge's ``detect_ai_context`` does with ``detected_parameters``: ``(x ?? [])``,
    ``.filter(d => d && d.name)``, ``.map(d => d.name)`` — an object has no ``.filter``, the
    bridge threw and printed its offline mock detection instead of the server's."""
    params = answer.get("detected_parameters")
    params = [] if params is None else params
    if not isinstance(params, list):
        raise TypeError("detections.filter is not a function")
    return [p["name"] for p in params if isinstance(p, dict) and p.get("name")]


async def test_detected_parameters_are_a_list_the_bridge_can_filter(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/detect-context", headers=_h(key), content=_chunked(
        {"prompt": "Why is this slow?\n```sql\nSELECT name FROM users WHERE id = 3;\n```"}))
    assert r.status_code == 200
    d = r.json()
    names = _bridge_parameter_names(d)
    assert "sql" in names
    assert all(isinstance(p["count"], int) and p["count"] >= 1
               for p in d["detected_parameters"])
    # a prompt without signals: an empty list, still filterable
    r = await asgi.post("/api/v1/mcp/detect-context", headers=_h(key),
                        content=_chunked({"prompt": "Tell me a joke."}))
    assert isinstance(r.json()["detected_parameters"], list)
    _bridge_parameter_names(r.json())


def _bridge_usage_line(answer: dict) -> str:
    """The bridge's usage line after an optimization (``formatOptimizationResult``)."""
    used, limit = answer.get("quota_used"), answer.get("quota_limit")
    if used is None:
        return ""
    if limit is None:
        return f"{used} optimizations - Unlimited plan"
    if used >= limit:
        return f"{used}/{limit} - quota reached"
    return f"{used}/{limit}"


async def test_unlimited_plan_is_a_null_quota_limit(asgi, make_key):
    _, key = make_key({"plan": "enterprise"})
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked(
        {"prompt": "Write a haiku about autumn leaves.", "goals": ["clarity"],
         "ai_context": "creative_writing"}))
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["quota_limit"] is None and d["quota_used"] == 1  # -1 printed "quota reached"
    assert _bridge_usage_line(d) == "1 optimizations - Unlimited plan"
    r = await asgi.get("/api/v1/mcp/quota-status", headers=_h(key))
    assert r.json()["quota"]["unlimited"] is True
    # a limited plan keeps its integer limit
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked(
        {"prompt": "Write a haiku about autumn leaves.", "goals": ["clarity"]}))
    assert _bridge_usage_line(r.json()) == "1/10000"


def _bridge_error_text(status: int, body: dict) -> str:
    """The bridge's error text for a non-2xx answer (``callBackendAPI``)."""
    detail = body.get("detail")
    if isinstance(detail, dict):
        import json as _json
        return _json.dumps(detail)
    return detail or body.get("message") or f"HTTP {status}"


async def test_bridge_errors_carry_a_readable_detail(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/templates", headers=_h(key), content=_chunked({
        "title": "T", "original_prompt": "o", "optimized_prompt": "Do the thing.",
        "confidence_score": 0.5}))
    tid = r.json()["id"]
    # update_template with content: our templates are immutable (409), and the bridge says why
    r = await asgi.patch(f"/api/v1/mcp/templates/{tid}", headers=_h(key),
                         content=_chunked({"optimized_prompt": "changed"}))
    assert r.status_code == 409
    body = r.json()
    assert body["error"]["code"] == "CONFLICT" and body["request_id"]  # the one shape, kept
    text = _bridge_error_text(409, body)
    assert text.startswith("HTTP 409 CONFLICT: ") and "immutable_fields" in text
    assert "optimized_prompt" in text
    # get_template of a missing id: the bridge looks for "404" to say "not found"
    r = await asgi.get("/api/v1/mcp/templates/tpl_missing", headers=_h(key))
    assert r.status_code == 404 and "404" in _bridge_error_text(404, r.json())
    # an unknown goal
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked(
        {"prompt": "Analyse churn.", "goals": ["deep_magic"], "ai_context": None}))
    assert r.status_code == 422
    text = _bridge_error_text(422, r.json())
    assert "INVALID_GOALS" in text and "deep_magic" in text and "clarity" in text
    # a body that fails validation (rendered by the app's validation handler)
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key), content=_chunked({}))
    assert r.status_code == 422 and _bridge_error_text(422, r.json()).startswith("HTTP 422")
    # a rejected key at start-up: the key manager reads ``detail`` too
    r = await asgi.post("/api/v1/api-keys/validate",
                        headers={**_h("sk-opt-0000000000000000-notavalidsecretatall"),
                                 "Content-Length": "0"})
    assert r.status_code == 401 and _bridge_error_text(401, r.json()).startswith("HTTP 401")
    # the public API keeps the plain error shape
    r = await asgi.get("/api/v1/templates/tpl_missing", headers=_h(key))
    assert r.status_code == 404 and "detail" not in r.json()


async def test_features_name_auto_save_and_insights(asgi, make_key):
    _, key = make_key()
    for path in ("/api/v1/mcp/quota-status",):
        f = (await asgi.get(path, headers=_h(key))).json()["features_available"]
        assert f["template_auto_save"] is True and f["optimization_insights"] is True
    r = await asgi.post("/api/v1/api-keys/validate", headers={**_h(key), "Content-Length": "0"})
    assert r.json()["features"]["template_auto_save"] is True
