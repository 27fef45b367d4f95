"""The session_scan MCP tool, driven through the MCP server's tool registry."""

from __future__ import annotations

import json

from promptsentry.mcp_server.registry import ToolRegistry
from promptsentry.mcp_server.session_tools import register_tools
from promptsentry.service import ScanService
from promptsentry.stores.memory import MemoryHotStore
from promptsentry.wiring import Services

from .support import agent_pipeline


def _tool(make_settings):
    settings = make_settings()
    service = ScanService(settings, agent_pipeline(), MemoryHotStore())
    registry = ToolRegistry(Services(settings, hot_store=service.hot_store,
                                     local_scan_service=service))
    register_tools(registry)
    [tool] = [t for t in registry.tools if t.name == "session_scan"]
    return tool


async def call(tool, **arguments) -> tuple[dict, bool]:
    result = await tool.run(arguments, context=None)
    return json.loads(result.content[0].text), bool(result.is_error)


async def test_session_scan_tool_chain_and_gate(make_settings) -> None:
    tool = _tool(make_settings)
    assert "min_trust" in tool.description and "source_node_ids" in tool.description
    assert {"session_id", "prompt", "node_type", "min_trust"} <= set(
        tool.parameters["properties"])
    p, err = await call(tool, session_id="mcp-1", prompt="Pay Alice 10 euros")
    assert not err and p["provenance_label"] == "USER"
    ret, _ = await call(tool, session_id="mcp-1", node_type="tool_return", tool_name="web_search",
                        prompt="Alice's IBAN is listed on her site.",
                        source_node_ids=[p["node_id"]])
    assert ret["provenance_label"] == "EXTERNAL"
    pay, _ = await call(tool, session_id="mcp-1", node_type="tool_call", tool_name="pay",
                        prompt='{"to": "alice"}', min_trust=4,
                        source_node_ids=[ret["node_id"]])
    assert pay["provenance_violation"] is True and pay["action"] == "blocked"
    assert "requires trust 4" in pay["provenance_violation_reason"]


async def test_session_scan_tool_errors_fail_closed(make_settings) -> None:
    tool = _tool(make_settings)
    body, err = await call(tool, session_id="mcp-2", prompt="hi", min_trust=9)
    assert err and body["error"]["code"] == "INVALID_REQUEST"
    assert body["action"] == "blocked"
    body, err = await call(tool, session_id="bad id!", prompt="hi")
    assert err and body["error"]["code"] == "INVALID_REQUEST"
    assert body["error"]["details"] == {"field": "session_id"}
