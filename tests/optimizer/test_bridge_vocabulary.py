"""Every ``ai_context`` the bridge routes answer is one of the reference MCP bridge's own values.

The list below is the ``ai_context`` enum of the bridge's ``optimize_prompt`` tool, read from
GitHub ``nivlewd1/mcp-prompt-optimizer-npm`` v3.7.1, ``index.js`` at commit
64fa091ea71fdc2fb7f4bbe9b51d6a65159beb87 (values only). It is written out here, not imported,
so that a change to our vocabulary cannot move the expectation with it.
"""

from __future__ import annotations

import pytest

from promptsentry.optimizer.contexts import (
    AI_CONTEXT_TO_LOCK,
    BRIDGE_AI_CONTEXTS,
    LOCK_DEFAULT_AI_CONTEXT,
    Lock,
    normalise_ai_context,
    refine_ai_context,
)

from .conftest import BRIDGE_HEADERS

BRIDGE_ENUM = (
    "human_communication", "llm_interaction", "image_generation", "technical_automation",
    "structured_output", "code_generation", "api_automation", "data_analysis",
    "creative_writing", "business_strategy", "technical_strategy", "academic_research",
    "legal_compliance", "medical_healthcare", "educational_content",
)

#: Everything ``normalise_ai_context`` accepted before the vocabulary followed the bridge's.
PREVIOUSLY_ACCEPTED = (*BRIDGE_ENUM, "general_assistant", "code", "coding", "creative",
                       "writing", "research", "image_video", "image", "video_generation",
                       "general", "communication")

GREETING = "Hi there! How are you today?"
ONE_PER_LOCK = [
    ("Could you please write a python function to parse logs?", Lock.CODE),
    (("Write a poem about the sea from the point of view of a lonely lighthouse, in free "
      "verse with melancholic tone"), Lock.CREATIVE),
    (("Load sales.csv into a pandas dataframe, compute the median revenue per region and "
      "plot a histogram"), Lock.DATA_ANALYSIS),
    ("Find peer-reviewed studies on intermittent fasting and cite them", Lock.RESEARCH),
    ("Photorealistic portrait of an old fisherman, golden hour, 85mm lens, bokeh, --ar 2:3",
     Lock.IMAGE_VIDEO),
    ("Who won the football World Cup in 2018?", Lock.GENERAL),
]


def _h(key: str) -> dict[str, str]:
    return {**BRIDGE_HEADERS, "x-api-key": key}


def test_our_vocabulary_is_the_bridges():
    assert len(BRIDGE_ENUM) == 15
    assert BRIDGE_AI_CONTEXTS == BRIDGE_ENUM
    assert set(AI_CONTEXT_TO_LOCK) == set(BRIDGE_ENUM)
    assert set(AI_CONTEXT_TO_LOCK.values()) == set(Lock)
    assert set(LOCK_DEFAULT_AI_CONTEXT.values()) <= set(BRIDGE_ENUM)
    assert LOCK_DEFAULT_AI_CONTEXT[Lock.GENERAL] == "human_communication"
    cues = ("api endpoint", "deploy pipeline", "architecture", "return only json", "patient",
            "gdpr", "system prompt", "email", "startup", "lesson", "")
    for lock in Lock:
        for cue in cues:
            assert refine_ai_context(lock, cue) in BRIDGE_ENUM


@pytest.mark.parametrize("value", PREVIOUSLY_ACCEPTED)
def test_every_value_accepted_before_is_still_accepted_and_answered_in_the_enum(value):
    assert normalise_ai_context(value) in BRIDGE_ENUM
    assert normalise_ai_context(value.upper()) in BRIDGE_ENUM


def test_legacy_general_names_mean_the_bridges_default():
    assert normalise_ai_context("general_assistant") == "human_communication"
    assert normalise_ai_context("general") == "human_communication"
    with pytest.raises(ValueError):
        normalise_ai_context("general_assistant_v2")


@pytest.mark.usefixtures("backend")
async def test_detect_context_of_a_greeting_is_in_the_enum(asgi, make_key):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/detect-context", headers=_h(key),
                        json={"prompt": GREETING})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["primary_context"] == "human_communication"  # was general_assistant
    assert set(d["secondary_contexts"]) <= set(BRIDGE_ENUM)


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("prompt,lock", ONE_PER_LOCK, ids=[lk.value for _, lk in ONE_PER_LOCK])
async def test_detect_context_answers_the_enum_for_every_lock(asgi, make_key, prompt, lock):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/detect-context", headers=_h(key), json={"prompt": prompt})
    assert r.status_code == 200, r.text
    d = r.json()
    assert d["primary_context"] in BRIDGE_ENUM
    assert AI_CONTEXT_TO_LOCK[d["primary_context"]] == lock
    assert set(d["secondary_contexts"]) <= set(BRIDGE_ENUM)
    assert d["primary_context"] not in d["secondary_contexts"] or lock is not Lock.GENERAL


@pytest.mark.usefixtures("backend")
@pytest.mark.parametrize("sent", [None, "general_assistant", "general"])
async def test_optimize_metadata_is_in_the_enum(asgi, make_key, sent):
    _, key = make_key()
    r = await asgi.post("/api/v1/mcp/optimize", headers=_h(key),
                        json={"prompt": GREETING + " Could you please tell me a fun fact?",
                              "goals": ["clarity"], "ai_context": sent})
    assert r.status_code == 200, r.text
    meta = r.json()["metadata"]
    assert meta["ai_context"] in BRIDGE_ENUM
    assert meta["context_detection"]["ai_context"] in BRIDGE_ENUM
    if sent is not None:
        assert meta["ai_context"] == "human_communication"


@pytest.mark.usefixtures("backend")
async def test_templates_saved_under_the_legacy_name_are_found_by_both_names(
        asgi, make_key, opt_app):
    tenant, key = make_key()
    r = await asgi.get("/api/v1/mcp/templates", headers=_h(key))  # builds the service
    assert r.status_code == 200 and r.json()["total"] == 0
    store = opt_app.state.services.optimizer.store
    store.create(tenant, title="old greeting", original_prompt="Hi there, how are you?",
                 optimized_prompt="Hi, how are you?", confidence_score=0.5,
                 ai_context="general_assistant")
    for name in ("human_communication", "general_assistant"):
        r = await asgi.get("/api/v1/mcp/templates", headers=_h(key),
                           params={"ai_context": name})
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["total"] == 1
        assert page["templates"][0]["ai_context"] == "human_communication"
