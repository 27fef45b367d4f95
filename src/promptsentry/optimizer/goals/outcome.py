"""What a goal is: a pure function ``(text, GoalContext) -> GoalOutcome``, and the
:class:`GoalCheck` that proves it did something and harmed nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.similarity import Embedder

__all__ = ["Change", "GoalCheck", "GoalContext", "GoalFn", "GoalOutcome"]


@dataclass(frozen=True, slots=True)
class Change:
    goal: str
    what: str
    why: str

    def as_dict(self) -> dict[str, str]:
        return {"goal": self.goal, "what": self.what, "why": self.why}


@dataclass(frozen=True, slots=True)
class GoalCheck:
    """Did the goal do something (``applied``), and is its output safe to keep (``passed``)?"""

    goal: str
    applied: bool
    passed: bool
    evidence: str

    def as_dict(self) -> dict[str, object]:
        return {"goal": self.goal, "applied": self.applied, "passed": self.passed,
                "evidence": self.evidence}


@dataclass(slots=True)
class GoalContext:
    lock: Lock
    ai_context: str
    injection_flagged: bool = False
    #: Sentence encoder for meaning checks; ``None``: the bundled one (lexical if absent).
    embedder: Embedder | None = None


@dataclass(slots=True)
class GoalOutcome:
    text: str
    changes: list[Change] = field(default_factory=list)
    questions: list[str] = field(default_factory=list)



GoalFn = Callable[[str, GoalContext], GoalOutcome]
