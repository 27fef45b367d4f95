"""The quality rubric: five dimensions scored 0–20 each, with the deductions that explain them.

=================  ==========================================================================
dimension          full marks when the prompt…
=================  ==========================================================================
clarity            says what to do with a verb, avoids vague words ("stuff", "things",
                   "etc.", "somehow"), hedges and text-speak, and keeps sentences ≤ 40 words
specificity        names an audience, a length or scope, and concrete details (numbers,
                   names, quoted strings); very short prompts lose points
structure          separates role/context, task, constraints and output (headings, lists or
                   paragraphs) once it is longer than 60 words, and states its task
constraints        states at least two constraints (must/only/never/at most…), one of them
                   measurable
output_format      says what the answer should look like (JSON, table, list, word count…)
=================  ==========================================================================

Every dimension starts at 20; each deduction is recorded with its reason, so a score can be
explained and a rewrite's gain traced to what it fixed. Pure and deterministic.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

__all__ = ["DIMENSIONS", "Deduction", "QualityScore", "score_prompt"]

DIMENSIONS = ("clarity", "specificity", "structure", "constraints", "output_format")

_VAGUE = re.compile(r"\b(stuff|things?|something|somehow|etc\.?|whatever|kind of|sort of"
                    r"|some sort|a bit|various|nice|good|better|maybe|perhaps)\b", re.IGNORECASE)
_TEXTSPEAK = re.compile(r"\b(u|ur|pls|plz|thx|w/|idk|asap|btw)\b", re.IGNORECASE)
_VERB = re.compile(
    r"\b(write|create|generate|build|make|explain|summari[sz]e|list|describe|analy[sz]e|compare"
    r"|translate|rewrite|fix|debug|review|draft|design|implement|find|calculate|classify"
    r"|extract|convert|produce|plot|give|suggest|propose|evaluate|answer|tell|help|draw"
    r"|render|compose|refactor|optimi[sz]e|outline|identify|test|plan|research|cite)\b", re.IGNORECASE)
_AUDIENCE = re.compile(r"\b(audience|for (a |an |the )?(beginner|expert|child|kid|student|"
                       r"developer|manager|executive|reader|customer|team|user|general public|"
                       r"non-technical|technical)s?|readers?|aimed at|targeted at|intended for"
                       r"|who (is|are) (new|familiar))\b", re.IGNORECASE)
_LENGTH = re.compile(r"\b(\d+\s*(words?|sentences?|paragraphs?|lines?|pages?|bullets?|items?"
                     r"|characters?|tokens?|minutes?|steps?|examples?)|brief|short|concise"
                     r"|one[- ](line|sentence|paragraph|page)|at most|no more than|up to)\b", re.IGNORECASE)
_CONSTRAINT = re.compile(r"\b(must|should|only|never|do not|don't|avoid|at most|at least"
                         r"|no more than|limit(ed)? to|without|exactly|ensure|required?|within"
                         r"|keep)\b", re.IGNORECASE)
_MEASURABLE = re.compile(r"\d")
_FORMAT = re.compile(r"\b(json|yaml|csv|xml|markdown|table|bullet(ed)? (list|points?)|list"
                     r"|numbered|headings?|sections?|code block|format|return (only|a|an|the)"
                     r"|respond (with|in)|output|answer (with|in)|template|schema|\d+ words?"
                     r"|aspect ratio|--ar)\b", re.IGNORECASE)
_SECTION = re.compile(r"^\s*(#{1,6} |\*\*[^*]+\*\*:?$|[A-Z][A-Za-z /]{2,30}:\s*$|[-*•] |\d+[.)] )",
                      re.MULTILINE)
_ROLE = re.compile(r"\b(you are|act as|as an? [a-z]+|role:|context:|background:)", re.IGNORECASE)
_SENTENCE = re.compile(r"[^.!?\n]+[.!?]?")


@dataclass(frozen=True, slots=True)
class Deduction:
    dimension: str
    points: int
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {"dimension": self.dimension, "points": self.points, "reason": self.reason}


@dataclass(frozen=True, slots=True)
class QualityScore:
    """Scores per dimension (0–20), their total (0–100) and the deductions."""

    scores: Mapping[str, int]  # read-only: scores are shared by the cache of score_prompt
    deductions: tuple[Deduction, ...] = ()

    @property
    def total(self) -> int:
        return sum(self.scores.values())

    def as_dict(self) -> dict[str, object]:
        return {"total": self.total, **self.scores,
                "deductions": [d.as_dict() for d in self.deductions]}


@lru_cache(maxsize=64)
def score_prompt(text: str) -> QualityScore:
    """Score ``text`` on the rubric (pure; the last 64 answers are cached — a request scores
    the same text more than once: the engine and the goals' checks)."""
    ded: list[Deduction] = []

    def take(dim: str, points: int, reason: str) -> None:
        ded.append(Deduction(dim, points, reason))

    words = text.split()
    n_words = len(words)
    # --- clarity
    vague = sorted({m.group().lower() for m in _VAGUE.finditer(text)})
    if vague:
        take("clarity", min(9, 3 * len(vague)), f"vague wording: {', '.join(vague[:5])}")
    if not _VERB.search(text) and "?" not in text:
        take("clarity", 5, "no instruction verb or question says what to do")
    long_sentences = [s for s in _SENTENCE.findall(text) if len(s.split()) > 40]
    if long_sentences:
        take("clarity", min(6, 3 * len(long_sentences)),
             f"{len(long_sentences)} sentence(s) longer than 40 words")
    speak = sorted({m.group().lower() for m in _TEXTSPEAK.finditer(text)})
    if speak:
        take("clarity", 2, f"text-speak: {', '.join(speak)}")
    # --- specificity
    if not _AUDIENCE.search(text):
        take("specificity", 5, "no target audience")
    if not _LENGTH.search(text):
        take("specificity", 5, "no length or scope")
    if not re.search(r"\d|\"[^\"]+\"|`[^`]+`|(?<=[a-z] )[A-Z][a-z]+", text):
        take("specificity", 4, "no concrete details (numbers, names, quoted examples)")
    if n_words < 12:
        take("specificity", 4, f"very short ({n_words} words)")
    # --- structure
    has_sections = bool(_SECTION.search(text)) or "\n\n" in text.strip()
    if n_words > 60 and not has_sections:
        take("structure", 8, "longer than 60 words with no sections, lists or paragraphs")
    if not _VERB.search(text) and "?" not in text:
        take("structure", 6, "no explicit task")
    if not _ROLE.search(text):
        take("structure", 4 if n_words > 25 else 2, "no role or context statement")
    # --- constraints
    constraints = _CONSTRAINT.findall(text)
    if not constraints:
        take("constraints", 12, "no constraints stated")
    elif len(constraints) == 1:
        take("constraints", 6, "only one constraint stated")
    if constraints and not any(_MEASURABLE.search(s) and _CONSTRAINT.search(s)
                               for s in _SENTENCE.findall(text)):
        take("constraints", 4, "no measurable constraint")
    # --- output format
    if not _FORMAT.search(text):
        take("output_format", 14, "the expected output format is not stated")

    scores = {d: 20 for d in DIMENSIONS}
    for d in ded:
        scores[d.dimension] -= d.points
    return QualityScore(MappingProxyType({k: max(0, v) for k, v in scores.items()}),
                        tuple(ded))
