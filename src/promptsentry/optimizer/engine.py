"""The deterministic ``rules`` engine and the result every engine returns.

``optimize_rules`` is pure: the same prompt, goals and context give the same answer, byte for
byte, on every run and in every process. It detects the context (unless the caller names
one), runs the goals in :data:`~promptsentry.optimizer.goals.GOAL_ORDER`, checks each one
(:func:`~promptsentry.optimizer.goals.apply_goal` keeps the input when a check fails) and
scores the result before and after on the rubric.

``confidence_score`` = 0.45 · quality_after/100 + 0.35 · similarity + 0.20 · context
confidence, clipped to 0–1: high when the rewrite is good, faithful and its context certain.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from promptsentry.optimizer.contexts import (
    Lock,
    lock_of,
    normalise_ai_context,
)
from promptsentry.optimizer.detect import ContextDetection, ContextDetector, default_detector
from promptsentry.optimizer.firewall import INJECTION_PATTERNS
from promptsentry.optimizer.goals import (
    DEFAULT_GOALS,
    GOAL_ORDER,
    Change,
    GoalCheck,
    GoalContext,
    apply_goal,
    validate_goals,
)
from promptsentry.optimizer.quality import QualityScore, score_prompt
from promptsentry.optimizer.similarity import Embedder, similarity
from promptsentry.optimizer.tokens import TokenCounter, encoding_for_model
from promptsentry.optimizer.turns import conversational_turn

__all__ = ["OptimizationResult", "confidence_of", "optimize_rules", "resolve_context"]


@dataclass(slots=True)
class OptimizationResult:
    """What an engine produced, with everything needed to explain it."""

    original_prompt: str
    optimized_prompt: str
    goals: list[str]
    ai_context: str
    detection: ContextDetection
    ai_context_source: str  # "detected" | "client"
    changes: list[Change]
    questions: list[str]
    checks: list[GoalCheck]
    quality_before: QualityScore
    quality_after: QualityScore
    tokens_before: int
    tokens_after: int
    token_encoding: str
    similarity: float
    confidence_score: float
    optimization_tier: str = "rules"
    model_used: str = "rules-engine"
    warnings: list[str] = field(default_factory=list)
    llm_usage: dict[str, int] | None = None

    @property
    def lock(self) -> Lock:
        return lock_of(self.ai_context)

    def as_dict(self) -> dict[str, Any]:
        """Our richer answer fields (the routes add the contract's envelope)."""
        return {
            "optimized_prompt": self.optimized_prompt,
            "confidence_score": self.confidence_score,
            "optimization_goals": self.goals,
            "ai_context_detected": self.ai_context,
            "context": self.detection.context_object(),
            "optimization_tier": self.optimization_tier,
            "model_used": self.model_used,
            "changes": [c.as_dict() for c in self.changes],
            "checks": [c.as_dict() for c in self.checks],
            "questions": self.questions,
            "quality_before": self.quality_before.as_dict(),
            "quality_after": self.quality_after.as_dict(),
            "tokens_before": self.tokens_before,
            "tokens_after": self.tokens_after,
            "token_encoding": self.token_encoding,
            "similarity": self.similarity,
            "warnings": self.warnings,
        }


def confidence_of(quality_after: int, sim: float, context_confidence: float) -> float:
    value = 0.45 * quality_after / 100 + 0.35 * sim + 0.20 * context_confidence
    return round(min(1.0, max(0.0, value)), 4)


def resolve_context(prompt: str, ai_context: str | None,
                    detector: ContextDetector | None = None) -> tuple[ContextDetection, str, str]:
    """The detection, the effective ``ai_context`` and whether the client named it.

    Raises :class:`ValueError` for an unknown ``ai_context``.
    """
    detection = (detector or default_detector()).detect(prompt)
    named = normalise_ai_context(ai_context)
    if named is not None:
        return detection, named, "client"
    return detection, detection.ai_context, "detected"


def optimize_rules(
    prompt: str,
    goals: list[str] | None = None,
    ai_context: str | None = None,
    *,
    detector: ContextDetector | None = None,
    injection_flagged: bool = False,
    target_model: str | None = None,
    embedder: Embedder | None = None,
) -> OptimizationResult:
    """Optimize ``prompt`` deterministically.

    ``goals``: goal names or aliases (unknown → ``ApiError`` 422 ``INVALID_GOALS``); empty or
    ``None`` picks the defaults of the context. ``injection_flagged``: the firewall judged the
    prompt malicious, so ``safety`` runs even when not asked for. ``embedder``: the sentence
    encoder for the meaning checks and the reported similarity (default: the bundled encoder;
    the lexical measure only when it cannot load).
    """
    detection, ctx_name, source = resolve_context(prompt, ai_context, detector)
    lock = lock_of(ctx_name)
    requested = validate_goals(goals)
    chosen = requested or list(DEFAULT_GOALS[lock])
    warnings: list[str] = []
    looks_injected = any(p.search(prompt) for p in INJECTION_PATTERNS)
    if not requested and not (injection_flagged or looks_injected) \
            and conversational_turn(prompt):
        # "hello", "yes please", "thanks, that worked!": no task to make clearer or more
        # specific; the default goals would only append placeholders
        chosen = []
        warnings.append("a conversational turn (greeting, thanks or acknowledgement) holds no "
                        "task to optimize; the prompt is returned as it is")
    if (injection_flagged or looks_injected) and "safety" not in chosen:
        chosen = sorted([*chosen, "safety"], key=GOAL_ORDER.index)
        warnings.append("the prompt contains injection-like content; the safety goal ran "
                        "although it was not requested")
    gctx = GoalContext(lock=lock, ai_context=ctx_name, injection_flagged=injection_flagged,
                       embedder=embedder)
    text = prompt
    changes: list[Change] = []
    questions: list[str] = []
    checks: list[GoalCheck] = []
    for goal in chosen:
        outcome, check = apply_goal(goal, text, gctx)
        checks.append(check)
        if not check.passed and goal != "safety":
            warnings.append(f"goal {goal!r} was reverted: {check.evidence}")
        text = outcome.text
        changes.extend(outcome.changes)
        for q in outcome.questions:
            if q not in questions:
                questions.append(q)
    counter = TokenCounter(encoding_for_model(target_model))
    q_before, q_after = score_prompt(prompt), score_prompt(text)
    sim = similarity(prompt, text, embedder)
    return OptimizationResult(
        original_prompt=prompt,
        optimized_prompt=text,
        goals=chosen,
        ai_context=ctx_name,
        detection=detection,
        ai_context_source=source,
        changes=changes,
        questions=questions,
        checks=checks,
        quality_before=q_before,
        quality_after=q_after,
        tokens_before=counter.count(prompt),
        tokens_after=counter.count(text),
        token_encoding=counter.encoding,
        similarity=sim,
        confidence_score=confidence_of(q_after.total, sim, detection.confidence
                                       if source == "detected" else 1.0),
        warnings=warnings,
    )

