"""Random tool arguments never crash the MCP tools: every answer is JSON text, either a scan
response or the error object (failing closed)."""

from __future__ import annotations

import asyncio
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptsentry.config import Settings
from promptsentry.mcp_server.server import build_server
from promptsentry.wiring import Services

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.text(max_size=10), children, max_size=3),
    max_leaves=8,
)
keys = st.sampled_from(["prompt", "source_ip", "user_identity", "context", "scan_type", "output",
                        "canary_tokens", "child_safety_override", "tool_name", "arguments"])
arguments = st.dictionaries(keys | st.text(max_size=8), json_values | st.text(max_size=200),
                            max_size=6)


@pytest.fixture(scope="module")
def mcp_server(tmp_path_factory, pipeline):
    cfg = Settings(data_dir=tmp_path_factory.mktemp("mcp-fuzz"), audit_salt="fuzz",
                   log_level="error")
    return build_server(services=Services(cfg, pipeline=pipeline))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tool=st.sampled_from(["scan_prompt", "scan_response", "scan_tool_call"]),
       args=arguments)
def test_tools_always_answer_json(mcp_server, tool, args):
    result = asyncio.run(mcp_server.call_tool(tool, args))
    assert len(result.content) == 1
    body = json.loads(result.content[0].text)
    if result.is_error:
        assert body["error"]["code"].isupper()
        assert body["verdict"] == "malicious" and body["action_taken"] == "blocked"
    else:
        assert body["verdict"] in {"clean", "malicious"}
        assert body["scan_id"].startswith("scan_")
