"""The local path answers as the HTTP routes do (issue 19 point 5).

``LocalOptimizer`` (the CLI without ``--server`` and the ``promptsentry mcp`` optimizer
tools) calls ``OptimizerService`` directly; ``RemoteOptimizer`` sends the same operation to
the HTTP route. Both run here over one ``Services`` (one store, the ``default`` tenant), on
each state backend, and every answer and every refusal (status, code, message, details) must
be the same.
"""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import httpx
import pytest

from fixtures_state import keyword_pipeline
from promptsentry.api.app import create_app
from promptsentry.api.auth import Principal
from promptsentry.errors import ApiError
from promptsentry.optimizer.local_client import LocalOptimizer
from promptsentry.optimizer.remote_client import ApiBackend, RemoteOptimizer
from promptsentry.service import DEFAULT_TENANT
from promptsentry.wiring import Services

PROMPTS = [
    "Could you please write a Python function that parses ISO dates? No external libraries.",
    "Write a short poem about the sea for children, four lines, gentle rhythm.",
    "Summarise the attached quarterly sales report in five bullet points for executives.",
]
#: What an optimize answer carries per call, not per input.
PER_CALL = {"request_id", "processing_time_ms", "quota_used", "quota_remaining",
            "template_id", "template_saved"}

#: What a read of one template counts (each ``get`` is a use).
USAGE = {"times_used", "last_used", "usage_count", "usage_analytics"}


def without(answer: dict[str, Any], keys: set[str]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k not in keys}


class DefaultTenant:
    """The app's authenticator for this test: every request is the default tenant's."""

    requires_credentials = False

    async def authenticate(self, request: Any) -> Principal:
        return Principal(DEFAULT_TENANT, frozenset({"optimize"}), subject="test")


@pytest.fixture
def clients(state_settings) -> tuple[LocalOptimizer, RemoteOptimizer]:
    services = Services(state_settings, pipeline=keyword_pipeline())
    app = create_app(services=services, authenticator=DefaultTenant())
    backend = ApiBackend("http://promptsentry.test", transport=httpx.ASGITransport(app=app))
    return LocalOptimizer(services), RemoteOptimizer(backend)


async def refusal(call) -> tuple[int, str, str, dict]:
    with pytest.raises(ApiError) as caught:
        await call
    e = caught.value
    return e.status_code, e.code, e.message, e.details


async def same_refusal(local_call, remote_call) -> tuple[int, str, str, dict]:
    mine, theirs = await refusal(local_call), await refusal(remote_call)
    assert mine == theirs
    return mine


async def saved_ids(local: LocalOptimizer) -> list[str]:
    ids = []
    for i, prompt in enumerate(PROMPTS):
        answer = await local.optimize({"prompt": prompt, "title": f"t{i}"})
        ids.append(answer["template_id"])
    return ids


async def test_listing_search_and_export_answer_alike(clients):
    local, remote = clients
    ids = await saved_ids(local)
    for params in ({}, {"limit": 2}, {"limit": 2, "offset": 2}, {"sort": "oldest"},
                   {"sort": "confidence", "ai_context": "code_generation"},
                   {"search": "poem"}, {"goals": "clarity"}):
        mine, theirs = await local.list_templates(**params), await remote.list_templates(**params)
        assert mine == theirs, params
    assert (await local.list_templates())["total_count"] == 3
    assert {t["id"] for t in (await local.list_templates())["templates"]} == set(ids)

    for body in ({"query": "poem sea"}, {"query": "dates", "limit": 1},
                 {"query": "report", "min_confidence": 0.1, "ai_context": None}):
        mine, theirs = await local.search_templates(body), await remote.search_templates(body)
        assert mine == theirs, body
    assert (await local.search_templates({"query": "poem sea"}))["templates"][0]["id"] == ids[1]

    for params in ({}, {"per_page": 2, "page": 2}, {"sort_by": "title", "sort_order": "asc"},
                   {"query": "sales report", "complexity_level": "high"}):
        mine, theirs = await local.bridge_templates(**params), await remote.bridge_templates(**params)
        assert mine == theirs, params

    for fmt in ("json", "csv"):
        for formulas in ("escape", "keep"):
            assert await local.export(fmt, formulas) == await remote.export(fmt, formulas)
    exported = json.loads(await local.export("json"))
    assert {t["id"] for t in exported} == set(ids)
    rows = list(csv.DictReader(io.StringIO(await local.export("csv"))))
    assert {r["id"] for r in rows} == set(ids)

    assert await local.bridge_quota() == await remote.bridge_quota()
    assert (await local.bridge_quota())["quota_used"] == 3


async def test_one_template_answers_alike(clients):
    local, remote = clients
    first, second, _ = await saved_ids(local)
    mine = await local.get_template(first)
    theirs = await remote.get_template(first)  # a second use of the same template
    assert without(theirs, USAGE) == without(mine, USAGE)
    assert theirs["times_used"] == theirs["usage_count"] == mine["times_used"] + 1
    assert mine["original_prompt"] == PROMPTS[0]

    mine = await local.update_template(first, {"title": "renamed", "tags": ["a"]})
    theirs = await remote.update_template(first, {"title": "renamed", "tags": ["a"]})
    assert without(mine, {"updated_at_utc"}) == without(theirs, {"updated_at_utc"})
    assert mine["title"] == "renamed"

    created = {"title": "Slug helper", "original_prompt": "slug fn pls",
               "optimized_prompt": "Write a slugify function.", "confidence_score": 0.9,
               "optimization_goals": ["clarity"], "tags": ["python"]}
    mine = await local.create_template(created, request_id="req_same")
    theirs = await remote.create_template(created)
    volatile = {"id", "saved_at_utc", "created_at", "updated_at_utc", "request_id"}
    assert without(mine, volatile) == without(theirs, volatile)
    assert mine["request_id"] == "req_same"  # the MCP tool call's request id is kept

    assert await local.delete_template(first) == {"deleted": True, "id": first}
    assert await remote.delete_template(second) == {"deleted": True, "id": second}
    code = await same_refusal(local.get_template(first), remote.get_template(first))
    assert code[:2] == (404, "NOT_FOUND")
    await same_refusal(local.delete_template(second), remote.delete_template(second))
    await same_refusal(local.update_template(first, {"title": "x"}),
                       remote.update_template(first, {"title": "x"}))
    assert (await local.list_templates())["total_count"] == 3  # 3 saved + 2 created - 2


async def test_optimize_and_detect_answer_alike(clients):
    local, remote = clients
    body = {"prompt": PROMPTS[0], "goals": ["clarity"], "save_template": False}
    for bridge in (False, True):
        mine = await local.optimize(body, bridge=bridge)
        theirs = await remote.optimize(body, bridge=bridge)
        assert without(mine, PER_CALL) == without(theirs, PER_CALL)
        assert theirs["quota_used"] == mine["quota_used"] + 1
        assert mine["rules_based"] is (not bridge and mine["optimization_tier"] == "rules")
        assert await local.detect(PROMPTS[1], bridge=bridge) == await remote.detect(
            PROMPTS[1], bridge=bridge)
    assert isinstance((await local.detect(PROMPTS[1], bridge=True))["detected_parameters"], list)


@pytest.mark.parametrize("params", [
    {"limit": 0}, {"limit": 101}, {"offset": -1}, {"sort": "bogus"},
    {"search": "a\x00b"}, {"search": "x" * 501}, {"ai_context": "no_such_context"},
])
async def test_invalid_listing_is_refused_alike(clients, params):
    local, remote = clients
    status, code, _, _ = await same_refusal(local.list_templates(**params),
                                            remote.list_templates(**params))
    assert (status, code) == (422, "INVALID_REQUEST")


async def test_invalid_input_is_refused_alike(clients):
    local, remote = clients
    tid = (await saved_ids(local))[0]
    cases = [
        ("search_templates", ({"query": "a\x00b"},), "INVALID_REQUEST"),
        ("search_templates", ({"query": "x", "limit": 0},), "INVALID_REQUEST"),
        ("search_templates", ({"query": "x", "min_confidence": 2},), "INVALID_REQUEST"),
        ("search_templates", ({"query": "x", "ai_context": "nope"},), "INVALID_REQUEST"),
        ("bridge_templates", (), "INVALID_REQUEST", {"per_page": 0}),
        ("bridge_templates", (), "INVALID_REQUEST", {"sort_by": "colour"}),
        ("export", ("xml",), "INVALID_REQUEST"),
        ("export", ("csv", "sometimes"), "INVALID_REQUEST"),
        ("optimize", ({"prompt": "   "},), "PROMPT_EMPTY"),
        ("optimize", ({"prompt": "Write a haiku.", "goals": ["sparkle"]},), "INVALID_GOALS"),
        ("optimize", ({"prompt": "Write a haiku.", "engine": "magic"},), "INVALID_REQUEST"),
        ("detect", ("",), "PROMPT_EMPTY"),
        ("create_template", ({"title": "t", "original_prompt": "a", "optimized_prompt": "b",
                              "confidence_score": 2},), "INVALID_REQUEST"),
        ("update_template", (tid, {"optimized_prompt": "changed"}), "CONFLICT"),
        ("update_template", (tid, ["not", "an", "object"]), "INVALID_REQUEST"),
        ("get_template", ("tpl_\x00",), "INVALID_REQUEST"),
        ("delete_template", ("tpl_\x00",), "INVALID_REQUEST"),
        ("bridge_templates", (), "INVALID_REQUEST", {"query": "a\x00b"}),
    ]
    for name, args, expected, *kw in cases:
        kwargs = kw[0] if kw else {}
        _, code, _, _ = await same_refusal(getattr(local, name)(*args, **kwargs),
                                           getattr(remote, name)(*args, **kwargs))
        assert code == expected, (name, args, kwargs)
    # Nothing was charged or saved by a refusal.
    assert (await local.bridge_quota())["quota_used"] == 3
    assert (await local.list_templates())["total_count"] == 3
