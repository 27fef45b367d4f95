"""Rewrites aimed at shared, human-written prompts (the Awesome ChatGPT Prompts register:
"I want you to act as … I will provide you with … My first request is …"), the fixes to
rules that used to drop meaning, and JSON compaction for ``token_efficiency``."""

from __future__ import annotations

import json
import re

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptsentry.optimizer.compress import compact_json, compress, rewrite_line
from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.goals import GoalContext, apply_goal
from promptsentry.optimizer.similarity import clear_cache
from promptsentry.optimizer.spans import missing_spans
from promptsentry.optimizer.tokens import count_tokens

TRAVEL = (
    "I want you to act as a travel guide. I will provide you with my location and you will "
    "suggest a place to visit near my location. Please make sure that you mention the "
    "opening hours. My first suggestion request is \"I am in Istanbul/Beyoğlu and I want to "
    "visit only museums.\"")


class _Fixed:
    """A fake encoder that finds every rewrite harmless (the rules alone are under test)."""

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 4), dtype=np.float32) / 2.0


def test_an_act_as_prompt_loses_its_scaffolding_but_keeps_every_fact():
    clear_cache()
    out = compress(TRAVEL, 2, embedder=_Fixed()).text
    assert out == (
        "Act as a travel guide. Input: my location and you will suggest a place to visit "
        "near my location. Mention the opening hours. First suggestion request: \"I am in "
        "Istanbul/Beyoğlu and I want to visit only museums.\"")
    assert count_tokens(out) < count_tokens(TRAVEL) - 10
    assert missing_spans(TRAVEL, out) == []


def test_the_real_encoder_accepts_the_act_as_rewrite():
    out, check = apply_goal("conciseness", TRAVEL, GoalContext(Lock.GENERAL, "general_assistant"))
    assert check.applied and check.passed, check.evidence
    assert out.text.startswith("Act as a travel guide. Input: my location")
    assert 'First suggestion request: "I am in Istanbul/Beyoğlu' in out.text


def test_first_request_closer_becomes_a_label_and_keeps_the_quote():
    assert rewrite_line('My first request is "I need help with my essay."', 1) == \
        'First request: "I need help with my essay."'
    assert rewrite_line("My first command is pwd", 1) == "First command: pwd"
    # not a closer: "my first job was" tells a fact, and mid-sentence it is an opinion
    assert rewrite_line("My first job was in Paris.", 1) == "My first job was in Paris."
    assert rewrite_line("I think my first idea is better.", 1) == \
        "I think my first idea is better."


def test_i_will_provide_becomes_input_only_at_a_sentence_start():
    assert rewrite_line("Act as a poet. I will give you a word.", 1) == \
        "Act as a poet. Input: a word."
    assert rewrite_line("I'll paste several drafts to compare.", 1) == \
        "Input: several drafts to compare."
    mid = "Wait until I will provide you with the data."
    assert rewrite_line(mid, 1) == mid
    # no object that reads as material, or a conditional / timed promise: the verb stays
    assert rewrite_line("I will give you feedback later.", 1) == "I will give you feedback later."
    hint = "I will give you a hint if you are stuck."
    assert rewrite_line(hint, 1) == hint
    assert rewrite_line("I will send you the file after the meeting.", 1) == \
        "I will send you the file after the meeting."


def test_make_sure_you_goes_but_never_leaves_a_verbless_sentence():
    assert rewrite_line("Please make sure that you include the date.", 1) == "Include the date."
    assert rewrite_line("- Make sure you cite sources.", 1) == "- Cite sources."
    # before an auxiliary or a negation the subject must stay (used to give "Ensure are polite.")
    assert rewrite_line("Make sure you are polite.", 1) == "Ensure you are polite."
    assert rewrite_line("Make sure you do not lie.", 1) == "Ensure you do not lie."


def test_task_headings_become_labels_at_the_compact_level():
    assert rewrite_line("Your task is to:", 1) == "Your task is to:"
    assert rewrite_line("Your task is to:", 2) == "Task:"
    assert rewrite_line("Your responsibilities include:", 2) == "Responsibilities:"
    assert rewrite_line("Your main goal is to: win.", 2) == "Goal: win."
    assert rewrite_line("Your goals are to:", 2) == "Goals:"


def test_questions_keep_would_you_and_the_following_keeps_its_pointer():
    # these used to become "What type of place like to review?" and "in structure:"
    assert rewrite_line("What type of place would you like to review?", 2) == \
        "What type of place would you like to review?"
    assert rewrite_line("How would you rate it?", 2) == "How would you rate it?"
    assert rewrite_line("Could you please write a poem.", 1) == "Write a poem."
    assert rewrite_line("Format your output in the following structure:", 2) == \
        "Format your output in this structure:"
    assert rewrite_line("Follow the following steps and use the following process.", 2) == \
        "Follow these steps and use this process."
    # a time, not a pointer (used to lose "the following" and read "He left day.")
    assert rewrite_line("He left the following day.", 2) == "He left the following day."


JSON_PROMPT = """{
  "subject": {
    "description": "A woman on a \\"rainy\\" street, ${style} look",
    "age": 27,
    "tags": ["candid", "35mm"]
  },
  "no_text": true,
  "ratio": "4:5"
}"""


def test_json_prompts_are_compacted_for_token_efficiency_only():
    packed = compact_json(JSON_PROMPT)
    assert packed == ('{"subject":{"description":"A woman on a \\"rainy\\" street, ${style} '
                      'look",\n"age":27,\n"tags":["candid","35mm"]},\n"no_text":true,\n'
                      '"ratio":"4:5"}')
    assert json.loads(packed) == json.loads(JSON_PROMPT)
    assert count_tokens(packed) < count_tokens(JSON_PROMPT)
    done = compress(JSON_PROMPT, 3)
    assert done.text == packed and "compact_json" in done.rewrites
    assert done.similarity >= 0.90
    assert missing_spans(JSON_PROMPT, done.text) == []
    assert "compact_json" not in compress(JSON_PROMPT, 2).rewrites


def test_compact_json_leaves_non_json_alone():
    assert compact_json("Write a poem about {topic}.") is None
    assert compact_json('{"a": 1} and then some prose') is None
    assert compact_json('{\n  "a": 1,\n}') is None  # trailing comma: not JSON
    assert compact_json('{"a":1}') is None  # already compact


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-10**6, 10**6)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=4),
    max_leaves=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.text(max_size=8), _JSON, min_size=1, max_size=5), st.booleans())
def test_compact_json_keeps_the_value_and_every_string_verbatim(value, ascii_only):
    text = json.dumps(value, indent=2, ensure_ascii=ascii_only)
    packed = compact_json(text)
    if packed is None:
        return
    assert json.loads(packed) == json.loads(text)
    literal = re.compile(r'"(?:[^"\\]|\\.)*"')
    assert literal.findall(packed) == literal.findall(text)  # every string, verbatim, in order
    outside = [re.sub(r"\s+", "", part) for part in literal.split(text)]
    assert [part.replace("\n", "") for part in literal.split(packed)] == outside
