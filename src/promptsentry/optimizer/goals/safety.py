"""The ``safety`` goal: neutralise injection-like sentences (run first, see ``GOAL_ORDER``)."""

from __future__ import annotations

from promptsentry.optimizer.firewall import neutralise_injections
from promptsentry.optimizer.goals.outcome import Change, GoalContext, GoalOutcome

__all__ = ["safety"]


def safety(text: str, ctx: GoalContext) -> GoalOutcome:
    new, removed = neutralise_injections(text)
    out = GoalOutcome(new.strip())
    for snippet in removed:
        out.changes.append(Change("safety", f"neutralised injection-like text: {snippet!r}",
                                  "it tries to override the model's instructions"))
    if ctx.injection_flagged and not removed:
        out.changes.append(Change("safety", "the firewall flagged this prompt but no single "
                                  "sentence could be isolated; review it before use",
                                  "an optimization never silently keeps an injection"))
    return out
