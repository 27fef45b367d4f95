"""Random bodies to POST /scan never produce a 5xx."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptsentry.api.app import create_app
from promptsentry.config import Settings
from promptsentry.stores.memory import MemoryHotStore

json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
json_values = st.recursive(
    json_scalars,
    lambda children: st.lists(children, max_size=4)
    | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=12,
)
field_names = st.sampled_from(["prompt", "source_ip", "user_identity", "context", "scan_type",
                               "output", "canary_tokens", "child_safety_override"])
# Mostly well-formed requests with random field values, so validation paths deep inside are
# reached, plus arbitrary JSON and arbitrary bytes.
scan_like = st.fixed_dictionaries(
    {"prompt": st.text(min_size=0, max_size=300) | json_values},
    optional={
        "source_ip": st.ip_addresses().map(str) | st.text(max_size=40) | json_values,
        "user_identity": st.text(max_size=300) | json_values,
        "context": st.text(max_size=150) | json_values,
        "scan_type": st.sampled_from(["prompt", "response", "tool_call", "other"]) | json_values,
        "output": st.text(max_size=200) | json_values,
        "canary_tokens": st.lists(st.text(max_size=300), max_size=5) | json_values,
        "child_safety_override": st.fixed_dictionaries(
            {}, optional={"enabled": json_values, "age_tier": st.text(max_size=20)}
        ) | json_values,
    },
)
bodies = (
    scan_like.map(lambda d: json.dumps(d).encode())
    | st.dictionaries(field_names, json_values).map(lambda d: json.dumps(d).encode())
    | json_values.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=200)
)


@pytest.fixture(scope="module")
def fuzz_client(tmp_path_factory, pipeline):
    app = create_app(Settings(data_dir=tmp_path_factory.mktemp("fuzz"), audit_salt="fuzz"),
                     pipeline=pipeline, hot_store=MemoryHotStore())
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


@settings(max_examples=300, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, content_type=st.sampled_from(["application/json", "text/plain", None]))
def test_scan_never_answers_5xx(fuzz_client, body, content_type):
    headers = {"content-type": content_type} if content_type else {}
    resp = fuzz_client.post("/scan", content=body, headers=headers)
    assert resp.status_code < 500, (body, resp.text)
    payload = resp.json()
    if resp.status_code == 200:
        assert payload["verdict"] in {"clean", "malicious", "escalated_clean",
                                      "escalated_malicious"}
    else:
        assert 400 <= resp.status_code < 500
        assert payload["error"]["code"].isupper()
