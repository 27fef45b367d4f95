"""The optimizer's MCP tools: every tool through the ``mcp`` Python client — in memory, over
stdio, and through bridge mode against a running server."""

from __future__ import annotations

import json
import sys

import httpx
import pytest
from mcp.client.client import Client
from mcp.client.stdio import stdio_client

from mcp import ClientSession, StdioServerParameters
from promptsentry.mcp_server.optimizer_tools import TOOL_NAMES, load_bridge_key
from promptsentry.mcp_server.server import build_server
from promptsentry.wiring import Services


def payload(result) -> dict:
    assert len(result.content) == 1 and result.content[0].type == "text"
    return json.loads(result.content[0].text)


async def drive_every_tool(call) -> dict[str, dict]:
    """Call each tool once (plus error cases); ``call(name, args) -> CallToolResult``."""
    out: dict[str, dict] = {}
    r = await call("optimize_prompt", {
        "prompt": "Could you please write a Python function `slugify(title)` that turns "
                  "\"Hello World\" into \"hello-world\"? Do not use external libraries.",
        "goals": ["clarity", "conciseness"], "ai_context": "code_generation",
        "value_hierarchy": [{"label": "correctness", "description": "tests pass"}],
        "intent_frame": {"perspective": "senior dev", "out_of_scope": ["i18n"],
                         "success_definition": "works"}})
    out["optimize_prompt"] = payload(r)
    r = await call("detect_ai_context", {"prompt": "Photorealistic portrait of a fox in snow, "
                                         "golden hour, 85mm lens, --ar 3:2"})
    out["detect_ai_context"] = payload(r)
    r = await call("create_template", {
        "title": "Slug helper", "original_prompt": "slug fn pls",
        "optimized_prompt": "Write a slugify function.", "confidence_score": 0.9,
        "optimization_goals": ["clarity"], "tags": ["python"]})
    out["create_template"] = payload(r)
    tid = out["create_template"]["id"]
    out["get_template"] = payload(await call("get_template", {"template_id": tid}))
    out["update_template"] = payload(await call("update_template", {
        "template_id": tid, "title": "Slug helper v2"}))
    immut = await call("update_template", {"template_id": tid, "optimized_prompt": "changed"})
    assert immut.is_error is True
    out["update_immutable"] = payload(immut)
    out["search_templates"] = payload(await call("search_templates", {
        "query": "slugify", "limit": 5, "sort_by": "created_at", "sort_order": "desc"}))
    out["list_recent_templates"] = payload(await call("list_recent_templates", {"limit": 5}))
    out["export_templates"] = payload(await call("export_templates", {"format": "csv"}))
    out["get_quota_status"] = payload(await call("get_quota_status", {}))
    out["delete_template"] = payload(await call("delete_template", {"template_id": tid}))
    missing = await call("get_template", {"template_id": tid})
    assert missing.is_error is True
    out["get_missing"] = payload(missing)
    bad = await call("optimize_prompt", {"prompt": "hi", "goals": ["sparkle"]})
    assert bad.is_error is True
    out["bad_goals"] = payload(bad)
    return out


def check_answers(out: dict[str, dict]) -> None:
    opt = out["optimize_prompt"]
    assert opt["optimized_prompt"].startswith("Write a Python function `slugify(title)`")
    assert opt["template_saved"] is True and opt["ai_context_detected"] == "code_generation"
    assert out["detect_ai_context"]["primary_context"] == "image_generation"
    assert out["create_template"]["title"] == "Slug helper"
    assert out["get_template"]["optimized_prompt"] == "Write a slugify function."
    assert out["update_template"]["title"] == "Slug helper v2"
    assert out["update_immutable"]["error"]["code"] == "CONFLICT"
    assert out["search_templates"]["total"] >= 1
    assert any(t["id"] == out["create_template"]["id"]
               for t in out["search_templates"]["templates"])
    recent = out["list_recent_templates"]["templates"]
    assert recent[0]["id"] == out["create_template"]["id"]
    assert {t["id"] for t in recent} >= {opt["template_id"]}
    assert "Slug helper v2" in out["export_templates"]["csv"]
    quota = out["get_quota_status"]
    assert quota["quota"]["used"] == 1 and isinstance(quota["tier"], str)
    assert out["delete_template"]["deleted"] is True
    assert out["get_missing"]["error"]["code"] == "NOT_FOUND"
    assert out["bad_goals"]["error"]["code"] == "INVALID_GOALS"


@pytest.fixture
def services(settings, pipeline):
    return Services(settings, pipeline=pipeline)


async def test_every_tool_in_memory(services):
    async with Client(build_server(services=services)) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert set(TOOL_NAMES) <= set(tools)
        props = tools["optimize_prompt"].input_schema["properties"]
        assert {"prompt", "goals", "ai_context", "enable_bayesian", "value_hierarchy",
                "intent_frame"} <= set(props)
        assert {"query", "ai_context", "sophistication_level", "complexity_level",
                "optimization_strategy", "limit", "page", "sort_by", "sort_order"} <= set(
            tools["search_templates"].input_schema["properties"])
        out = await drive_every_tool(client.call_tool)
    check_answers(out)


async def test_every_tool_over_stdio(tmp_path):
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "promptsentry", "mcp"],
        env={"PROMPTSENTRY_DATA_DIR": str(tmp_path / "data"),
             "PROMPTSENTRY_AUDIT_SALT": "stdio-salt", "PROMPTSENTRY_LOG_LEVEL": "info"})
    errlog = (tmp_path / "stderr.log").open("w")
    try:
        async with (stdio_client(params, errlog=errlog) as (read, write),
                    ClientSession(read, write) as session):
            await session.initialize()
            names = {t.name for t in (await session.list_tools()).tools}
            assert set(TOOL_NAMES) <= names
            out = await drive_every_tool(session.call_tool)
    finally:
        errlog.close()
    check_answers(out)
    log = (tmp_path / "stderr.log").read_text()
    assert '"event": "optimize"' in log
    assert "Hello World" not in log and "slugify" not in log  # no prompt text in logs


async def test_bridge_mode_against_a_running_server(tmp_path, spawn_server):
    from promptsentry.stores.sql.store import SqlStore

    db = f"sqlite:///{tmp_path / 'server.db'}"
    sql = SqlStore.from_url(db)
    sql.migrate()
    tenant = sql.create_tenant("bridge-user")
    _, key = sql.create_key(tenant.id, "bridge", ["optimize"], "optimizer")
    sql.close()
    url, _ = spawn_server(["serve", "--host", "127.0.0.1", "--port", "{port}"],
                          PROMPTSENTRY_DATABASE_URL=db)
    home = tmp_path / "home"
    home.mkdir()
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "promptsentry", "mcp-bridge", "--remote", url],
        env={"OPTIMIZER_API_KEY": key, "HOME": str(home), "PROMPTSENTRY_LOG_LEVEL": "info",
             "PROMPTSENTRY_DATA_DIR": str(tmp_path / "bridge-data")})
    errlog = (tmp_path / "bridge.log").open("w")
    try:
        async with (stdio_client(params, errlog=errlog) as (read, write),
                    ClientSession(read, write) as session):
            await session.initialize()
            out = await drive_every_tool(session.call_tool)
    finally:
        errlog.close()
    check_answers(out)
    # The answers came from the server: the template it saved is there for this tenant.
    async with httpx.AsyncClient(base_url=url, headers={"X-API-Key": key}) as http:
        saved = (await http.get(f"/api/v1/templates/{out['optimize_prompt']['template_id']}"))
        assert saved.status_code == 200
        assert saved.json()["original_prompt"].startswith("Could you please write")
    # The bridge stored nothing: no files in its home or data dir.
    assert list(home.rglob("*")) == []
    assert not (tmp_path / "bridge-data").exists()
    assert "slugify" not in (tmp_path / "bridge.log").read_text()


def test_bridge_key_sources(tmp_path, monkeypatch):
    monkeypatch.delenv("PROMPTSENTRY_OPTIMIZER_API_KEY", raising=False)
    monkeypatch.delenv("OPTIMIZER_API_KEY", raising=False)
    cfg = tmp_path / "bridge.toml"
    assert load_bridge_key(cfg) is None
    cfg.write_text('api_key = "sk-opt-from-file-0123456789"\n')
    assert load_bridge_key(cfg) == "sk-opt-from-file-0123456789"
    monkeypatch.setenv("OPTIMIZER_API_KEY", "sk-opt-from-env-0123456789")
    assert load_bridge_key(cfg) == "sk-opt-from-env-0123456789"


def test_bridge_refuses_plain_http_to_a_remote_host():
    from promptsentry.mcp_server.optimizer_tools import build_bridge_server

    with pytest.raises(ValueError):
        build_bridge_server("http://optimizer.example.com", "sk-opt-x")
    build_bridge_server("https://optimizer.example.com", "sk-opt-x")
