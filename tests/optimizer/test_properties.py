"""Property tests: wording goals never alter protected spans; the rules engine is
deterministic."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.engine import optimize_rules
from promptsentry.optimizer.goals import GoalContext, apply_goal
from promptsentry.optimizer.spans import missing_spans

PROTECTED = st.one_of(
    st.sampled_from([
        "```python\nprint('please   basically')\n```", "`very_important()`",
        '"please kindly keep this"', "'in order to'", "https://example.com/a?b=1",
        "{{user_name}}", "${API_URL}", "{topic}", "do not", "never", "without", "42",
        "3.14", "75%", "$1,200", "ops@example.org", "[TARGET AUDIENCE]",
    ]),
    st.integers(min_value=0, max_value=10**6).map(str),
    st.from_regex(r"\{\{[a-z_]{1,12}\}\}", fullmatch=True),
    st.from_regex(r"\$\{[A-Z_]{1,10}\}", fullmatch=True),
    st.from_regex(r'"[a-z ]{1,20}"', fullmatch=True),
)
FREE = st.sampled_from([
    "please", "Please", "could you", "Could you please", "basically", "really", "very",
    "in order to", "due to the fact that", "it is important that", "make sure to", "write",
    "a", "summary", "of", "the", "report", "and", "as well as", "thanks in advance!",
    "Hi there!", "I would like you to", "for example", "approximately", "the following", ".",
    ",", "?", "\n", "\n\n", "list", "items", "you", "u", "pls",
    # rewrites of the compression levels (modal openers, articles, emphasis, headings…)
    "You should", "Your task is to", "You are", "you will", "your", "the", "an", "**",
    "**Role:**", "## Rules", "- ", "make sure that", "be sure to", "there is", ", and",
    "It is important to note that", "such as", "in a clear manner", "Thank you so much!",
    "also", "just", "all of", "that you", "|---|---|", "Hello!",
    # shared-prompt rewrites (act-as openers, closers, headings) and the rules fixed with them
    "I want you to act as", "My first request is", "my first command is",
    "I will provide you with", "I'll give you", "Your task is to:", "Your responsibilities include:",
    "Make sure you", "Please make sure that you", "would you", "How would you rate",
    "the following steps", "the following", "{", "}", '"key":', ",\n",
])


@st.composite
def prompts(draw) -> tuple[str, list[str]]:
    parts: list[str] = []
    inserted: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=30))):
        if draw(st.booleans()):
            item = draw(PROTECTED)
            inserted.append(item)
            parts.append(item)
        else:
            parts.append(draw(FREE))
    return " ".join(parts), inserted


def _present(item: str, text: str) -> bool:
    if item in ("do not", "never", "without"):
        return item.lower() in text.lower()
    return item in text


def _count(item: str, text: str) -> int:
    hay, needle = (text.lower(), item.lower()) if item in ("do not", "never", "without") \
        else (text, item)
    return hay.count(needle)


FAST = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(prompts(), st.sampled_from(list(Lock)))
def test_conciseness_never_alters_protected_spans(sample, lock):
    text, inserted = sample
    for goal in ("conciseness", "token_efficiency", "clarity"):  # encoder-checked compression
        out, check = apply_goal(goal, text, GoalContext(lock, "general_assistant"))
        if not check.passed:  # a failed check keeps the input unchanged
            assert out.text == text, check.evidence
        for item in inserted:
            assert _count(item, out.text) >= _count(item, text) or _present(item, out.text), \
                (goal, item, text, out.text)
        assert missing_spans(text, out.text, ordered=True) == []


@FAST
@given(prompts(), st.sampled_from(list(Lock)))
def test_structure_keeps_every_protected_span(sample, lock):
    text, inserted = sample
    out, check = apply_goal("structure", text, GoalContext(lock, "general_assistant"))
    assert check.passed, check.evidence
    for item in inserted:
        assert _count(item, out.text) >= _count(item, text), (item, text, out.text)
    assert missing_spans(text, out.text, ordered=False) == []


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(prompts(), st.lists(st.sampled_from(["clarity", "conciseness", "structure",
                                            "specificity", "token_efficiency"]),
                           min_size=1, max_size=4, unique=True))
def test_rules_engine_is_deterministic(sample, goals):
    text, _ = sample
    a = optimize_rules(text, goals).as_dict()
    b = optimize_rules(text, goals).as_dict()
    assert a == b


def test_rules_engine_is_deterministic_across_processes():
    prompt = ('Hi! Could you please write a Python function `dedupe(rows)` that removes '
              'duplicate rows from "data.csv"? It is very important that you do not use '
              'pandas. Return JSON for John Smith. Thanks in advance!')
    code = ("import json,sys;from promptsentry.optimizer.engine import optimize_rules;"
            "print(json.dumps(optimize_rules(sys.argv[1], ['clarity','conciseness',"
            "'structure','specificity']).as_dict(), sort_keys=True))")
    outs = []
    for seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        res = subprocess.run([sys.executable, "-c", code, prompt], capture_output=True,
                             text=True, env=env, check=True, timeout=120)
        outs.append(res.stdout)
    assert outs[0] == outs[1]
    assert json.loads(outs[0])["optimized_prompt"]
