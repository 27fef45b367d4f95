"""The goals that append a requirement line: ``logic_preservation``, ``tone_consistency``
and the fixed-line goals (``security_standard_alignment``, ``style_coherence``,
``narrative_flow``, ``citation_requirements``, ``factual_accuracy``). Each adds its line only
when the prompt does not already say it."""

from __future__ import annotations

import re
from collections.abc import Callable

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.goals.outcome import Change, GoalContext, GoalOutcome
from promptsentry.optimizer.spans import find_spans

__all__ = ["ADDED_SENTENCES", "LOGIC_CODE", "LOGIC_PLAIN", "citation_requirements",
           "factual_accuracy", "logic_preservation", "narrative_flow",
           "security_standard_alignment", "style_coherence", "tone_consistency"]


#: Fixed sentences the rules engine adds (role lines, requirement lines); see
#: :func:`strip_boilerplate`.
ADDED_SENTENCES: list[str] = []


def _append_line(goal: str, line: str, why: str, already: re.Pattern[str] | None = None,
                 locks: tuple[Lock, ...] | None = None) -> Callable[[str, GoalContext],
                                                                    GoalOutcome]:
    ADDED_SENTENCES.append(line)

    def run(text: str, ctx: GoalContext) -> GoalOutcome:
        if already is not None and already.search(text):
            return GoalOutcome(text.strip())
        new = f"{text.strip()}\n\n{line}"
        return GoalOutcome(new, [Change(goal, f"added: {line}", why)])

    return run


LOGIC_CODE = ("Preserve the existing behaviour and public interfaces of the code shown; "
               "change only what the task requires and explain each change.")
LOGIC_PLAIN = ("Keep the logic explicit: state assumptions, handle edge cases and explain "
                "each step of the solution.")


def logic_preservation(text: str, ctx: GoalContext) -> GoalOutcome:
    has_code = any(s.kind in ("code_block", "inline_code") for s in find_spans(text))
    line = LOGIC_CODE if has_code else LOGIC_PLAIN
    if re.search(r"\b(preserve|keep) (the )?(existing )?(behaviou?r|logic|interfaces?)\b",
                 text, re.IGNORECASE):
        return GoalOutcome(text.strip())
    return GoalOutcome(f"{text.strip()}\n\n{line}",
                       [Change("logic_preservation", f"added: {line}",
                               "rewrites of code prompts must not change what the code does")])


_TONE_WORDS = re.compile(r"\b(formal|casual|playful|dark|whimsical|humorous|funny|serious"
                         r"|melancholic|hopeful|romantic|suspenseful|warm|friendly|ironic"
                         r"|lyrical|gritty)\b", re.IGNORECASE)


def tone_consistency(text: str, ctx: GoalContext) -> GoalOutcome:
    tones = sorted({m.group().lower() for m in _TONE_WORDS.finditer(text)})
    if tones:
        line = f"Keep the {' and '.join(tones)} tone consistent from start to finish."
        return GoalOutcome(f"{text.strip()}\n\n{line}",
                           [Change("tone_consistency", f"added: {line}",
                                   "the prompt names a tone; a rewrite must not flatten it")])
    out = GoalOutcome(f"{text.strip()}\n\nTone: [SPECIFY: the tone or mood to keep]")
    out.questions.append("What tone or mood should the piece keep?")
    out.changes.append(Change("tone_consistency", "marked the missing tone as a placeholder",
                              "the prompt does not name a tone"))
    return out



security_standard_alignment = _append_line(
    "security_standard_alignment",
    "Follow secure coding practice: validate all inputs, use parameterised queries, never "
    "hard-code secrets, and handle errors explicitly (OWASP ASVS).",
    "code written from the prompt should meet common security standards",
    re.compile(r"\b(owasp|secure coding|parameteri[sz]ed quer|hard-?code\w* secrets?)\b",
               re.IGNORECASE))

style_coherence = _append_line(
    "style_coherence",
    "Keep one consistent style, tense and point of view throughout.",
    "mixed registers and shifting viewpoints read as errors",
    re.compile(r"\b(consistent style|point of view|same tense)\b", re.IGNORECASE))

narrative_flow = _append_line(
    "narrative_flow",
    "Give the piece a clear arc: an opening that sets the scene, rising tension, and a "
    "resolution that pays off the opening.",
    "a stated arc keeps long creative output coherent",
    re.compile(r"\b(arc|beginning, middle and end|rising (action|tension)|resolution)\b",
               re.IGNORECASE))

citation_requirements = _append_line(
    "citation_requirements",
    "Cite a verifiable source for every factual claim (author, year, title, and a link or "
    "DOI); mark any claim you cannot source as unverified.",
    "research answers are only as good as their traceable sources",
    re.compile(r"\b(cite|citations?|doi|references?)\b", re.IGNORECASE))

factual_accuracy = _append_line(
    "factual_accuracy",
    "Separate established findings from speculation, state uncertainty explicitly, and do "
    "not invent data, quotes or references.",
    "guards against confident fabrication",
    re.compile(r"\b(do not invent|don't invent|state uncertainty|no fabricat\w+)\b", re.IGNORECASE))
