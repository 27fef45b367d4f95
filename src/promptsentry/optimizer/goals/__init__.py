"""Optimization goals: deterministic rewrites, each with a check that proves it did something
and harmed nothing.

A goal is a pure function ``(text, GoalContext) -> GoalOutcome`` (:mod:`.outcome`). This
package face is the registry (:data:`GOALS`, their run order, aliases and per-context
defaults) and the one way to run a goal: :func:`validate_goals`, :func:`apply_goal` (which
runs :func:`check_goal` and keeps the input when the check fails). The goals themselves live
by kind: :mod:`.rewrite` (clarity, conciseness, token_efficiency, structure), :mod:`.specificity`
(questions and ``[SPECIFY: …]`` placeholders, never invented content), :mod:`.requirements`
(requirement lines), :mod:`.safety`; :mod:`.boilerplate` strips the text they add.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.firewall import INJECTION_PATTERNS
from promptsentry.optimizer.goals.boilerplate import strip_boilerplate
from promptsentry.optimizer.goals.outcome import (
    Change,
    GoalCheck,
    GoalContext,
    GoalFn,
    GoalOutcome,
)
from promptsentry.optimizer.goals.requirements import (
    citation_requirements,
    factual_accuracy,
    logic_preservation,
    narrative_flow,
    security_standard_alignment,
    style_coherence,
    tone_consistency,
)
from promptsentry.optimizer.goals.rewrite import (
    clarity,
    conciseness,
    structure,
    token_efficiency,
)
from promptsentry.optimizer.goals.safety import safety
from promptsentry.optimizer.goals.specificity import output_format, specificity, visual_detail
from promptsentry.optimizer.quality import score_prompt
from promptsentry.optimizer.spans import missing_spans
from promptsentry.optimizer.tokens import count_tokens

__all__ = [
    "DEFAULT_GOALS",
    "GOALS",
    "GOAL_ALIASES",
    "GOAL_ORDER",
    "SUPPORTED_GOALS",
    "Change",
    "GoalCheck",
    "GoalContext",
    "GoalFn",
    "GoalOutcome",
    "apply_goal",
    "check_goal",
    "strip_boilerplate",
    "validate_goals",
]

GOALS: dict[str, GoalFn] = {
    "safety": safety,
    "clarity": clarity,
    "conciseness": conciseness,
    "token_efficiency": token_efficiency,
    "logic_preservation": logic_preservation,
    "security_standard_alignment": security_standard_alignment,
    "tone_consistency": tone_consistency,
    "style_coherence": style_coherence,
    "narrative_flow": narrative_flow,
    "citation_requirements": citation_requirements,
    "factual_accuracy": factual_accuracy,
    "output_format": output_format,
    "visual_detail": visual_detail,
    "specificity": specificity,
    "structure": structure,
}
#: Order goals run in: neutralise first, edit wording, add requirements, then lay out.
GOAL_ORDER = ("safety", "clarity", "conciseness", "token_efficiency", "logic_preservation",
              "security_standard_alignment", "tone_consistency", "style_coherence",
              "narrative_flow", "citation_requirements", "factual_accuracy", "output_format",
              "visual_detail", "specificity", "structure")
SUPPORTED_GOALS: tuple[str, ...] = tuple(sorted(GOALS))

#: Goal names of the reference product accepted as synonyms of ours.
GOAL_ALIASES: dict[str, str] = {
    "technical_accuracy": "logic_preservation",
    "technical_precision": "specificity",
    "role_prompting": "structure",
    "readability": "clarity",
    "brevity": "conciseness",
    "token_optimization": "token_efficiency",
    "format_consistency": "output_format",
    "output_formatting": "output_format",
    "security": "security_standard_alignment",
    "accuracy": "factual_accuracy",
    "citations": "citation_requirements",
    "creativity": "style_coherence",
    # suggested by the reference bridge's tool descriptions, so MCP clients send them
    "creative_enhancement": "style_coherence",
    "analytical_depth": "logic_preservation",
    "tone": "tone_consistency",
    "visual_details": "visual_detail",
}

DEFAULT_GOALS: dict[Lock, tuple[str, ...]] = {
    Lock.CODE: ("clarity", "logic_preservation", "specificity"),
    Lock.CREATIVE: ("clarity", "tone_consistency"),
    Lock.DATA_ANALYSIS: ("clarity", "output_format"),
    Lock.RESEARCH: ("clarity", "citation_requirements"),
    Lock.IMAGE_VIDEO: ("clarity", "visual_detail"),
    Lock.GENERAL: ("clarity", "specificity"),
}


def validate_goals(goals: Iterable[str] | None) -> list[str]:
    """Canonical goal names in run order; unknown names raise a 422 ``INVALID_GOALS``."""
    if goals is None:
        return []
    canonical: list[str] = []
    unknown: list[str] = []
    for raw in goals:
        if not isinstance(raw, str):
            unknown.append(repr(raw)[:60])
            continue
        key = raw.strip().lower().replace("-", "_").replace(" ", "_")
        key = GOAL_ALIASES.get(key, key)
        if key in GOALS:
            if key not in canonical:
                canonical.append(key)
        else:
            unknown.append(raw[:60])
    if unknown:
        raise ApiError(422, ErrorCode.INVALID_GOALS,
                       f"unknown optimization goal(s): {', '.join(unknown[:10])}",
                       {"unknown": unknown[:20], "supported": list(SUPPORTED_GOALS),
                        "aliases": GOAL_ALIASES})
    return sorted(canonical, key=GOAL_ORDER.index)


def check_goal(goal: str, before: str, after: str) -> GoalCheck:
    """Independent check of one goal's output: it changed what it claims and lost nothing."""
    if goal == "safety":
        still = [p.pattern for p in INJECTION_PATTERNS if p.search(after)]
        return GoalCheck(goal, after != before, not still,
                         "no injection pattern remains" if not still
                         else f"{len(still)} injection pattern(s) remain")
    lost = missing_spans(before, after, ordered=goal != "structure")
    if lost:
        return GoalCheck(goal, after != before, False,
                         f"lost {len(lost)} protected span(s): "
                         + ", ".join(f"{s.kind}:{s.text[:30]!r}" for s in lost[:3]))
    if goal in ("conciseness", "token_efficiency"):
        tb, ta = count_tokens(before), count_tokens(after)
        return GoalCheck(goal, ta < tb, ta <= tb, f"tokens {tb} → {ta}; protected spans intact")
    if goal == "clarity":
        sb, sa = score_prompt(before).scores["clarity"], score_prompt(after).scores["clarity"]
        return GoalCheck(goal, after != before, sa >= sb,
                         f"clarity {sb} → {sa}; protected spans intact")
    if goal == "structure":
        sections = len(re.findall(r"^## ", after, re.MULTILINE))
        return GoalCheck(goal, sections >= 2, True,
                         f"{sections} sections; every protected span still present")
    return GoalCheck(goal, after != before, True, "additions only; protected spans intact"
                     if after != before else "nothing to add: already covered")


def apply_goal(goal: str, text: str, ctx: GoalContext) -> tuple[GoalOutcome, GoalCheck]:
    """Run one goal and check it; a failing check keeps the input unchanged."""
    outcome = GOALS[goal](text, ctx)
    check = check_goal(goal, text, outcome.text)
    if not check.passed and goal != "safety":
        return GoalOutcome(text, [], outcome.questions), check
    return outcome, check
