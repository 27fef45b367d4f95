"""The six "precision locks" and the reference product's ``ai_context`` vocabulary.

A *lock* is the coarse context the optimizer adapts its goals to; an ``ai_context`` is the
finer label the reference API speaks. Every ``ai_context`` maps onto exactly one lock, and
:func:`refine_ai_context` picks the finer label inside a detected lock from plain keyword cues.
"""

from __future__ import annotations

import re
from enum import StrEnum

__all__ = [
    "AI_CONTEXTS",
    "AI_CONTEXT_TO_LOCK",
    "BRIDGE_AI_CONTEXTS",
    "LOCK_DEFAULT_AI_CONTEXT",
    "Lock",
    "ai_context_variants",
    "canonical_ai_context",
    "lock_of",
    "normalise_ai_context",
    "refine_ai_context",
]


class Lock(StrEnum):
    """The six precision locks."""

    CODE = "code"
    CREATIVE = "creative"
    DATA_ANALYSIS = "data_analysis"
    RESEARCH = "research"
    IMAGE_VIDEO = "image_video"
    GENERAL = "general"


#: The ``ai_context`` values the reference MCP bridge declares in its tools' input schema
#: (``optimize_prompt.ai_context`` enum), in its order. Source: GitHub
#: ``nivlewd1/mcp-prompt-optimizer-npm`` v3.7.1, ``index.js``, commit
#: 64fa091ea71fdc2fb7f4bbe9b51d6a65159beb87 (values only; none of its code is used here).
#: Every ``ai_context`` we answer is one of these; ``general_assistant`` is not among them.
BRIDGE_AI_CONTEXTS: tuple[str, ...] = (
    "human_communication", "llm_interaction", "image_generation", "technical_automation",
    "structured_output", "code_generation", "api_automation", "data_analysis",
    "creative_writing", "business_strategy", "technical_strategy", "academic_research",
    "legal_compliance", "medical_healthcare", "educational_content",
)

#: Every ``ai_context`` value we answer (exactly the bridge's) and the lock it belongs to.
AI_CONTEXT_TO_LOCK: dict[str, Lock] = {
    "code_generation": Lock.CODE,
    "technical_automation": Lock.CODE,
    "api_automation": Lock.CODE,
    "technical_strategy": Lock.CODE,
    "creative_writing": Lock.CREATIVE,
    "data_analysis": Lock.DATA_ANALYSIS,
    "structured_output": Lock.DATA_ANALYSIS,
    "academic_research": Lock.RESEARCH,
    "medical_healthcare": Lock.RESEARCH,
    "legal_compliance": Lock.RESEARCH,
    "image_generation": Lock.IMAGE_VIDEO,
    "human_communication": Lock.GENERAL,
    "llm_interaction": Lock.GENERAL,
    "business_strategy": Lock.GENERAL,
    "educational_content": Lock.GENERAL,
}
AI_CONTEXTS: tuple[str, ...] = tuple(AI_CONTEXT_TO_LOCK)

LOCK_DEFAULT_AI_CONTEXT: dict[Lock, str] = {
    Lock.CODE: "code_generation",
    Lock.CREATIVE: "creative_writing",
    Lock.DATA_ANALYSIS: "data_analysis",
    Lock.RESEARCH: "academic_research",
    Lock.IMAGE_VIDEO: "image_generation",
    # The bridge's own default context (what it answers for a prompt it cannot place).
    Lock.GENERAL: "human_communication",
}

#: Names we answered and stored before the vocabulary followed the bridge's; still accepted
#: as input, and read back from stored templates as their canonical value.
_LEGACY: dict[str, str] = {"general_assistant": "human_communication"}

# Aliases clients send for the same thing (lock names, the bridge's short forms, legacy names).
_ALIASES: dict[str, str] = {
    "code": "code_generation",
    "coding": "code_generation",
    "creative": "creative_writing",
    "writing": "creative_writing",
    "research": "academic_research",
    "image_video": "image_generation",
    "image": "image_generation",
    "video_generation": "image_generation",
    "general": "human_communication",
    "communication": "human_communication",
    **_LEGACY,
}

# Finer labels inside a lock: first matching cue wins, else the lock's default.
_REFINE: dict[Lock, list[tuple[str, re.Pattern[str]]]] = {
    Lock.CODE: [
        ("api_automation", re.compile(r"\b(api|endpoint|webhook|rest|graphql|oauth)\b", re.IGNORECASE)),
        ("technical_automation", re.compile(
            r"\b(automat\w*|cron|pipeline|ci/cd|github actions|ansible|terraform|bash script"
            r"|deploy\w*)\b", re.IGNORECASE)),
        ("technical_strategy", re.compile(
            r"\b(architecture|roadmap|migration strategy|tech stack|scalab\w+)\b", re.IGNORECASE)),
    ],
    Lock.DATA_ANALYSIS: [
        ("structured_output", re.compile(
            r"\b(json schema|return (only )?json|output (as|in) (json|yaml|csv)|structured output)\b",
            re.IGNORECASE)),
    ],
    Lock.RESEARCH: [
        ("medical_healthcare", re.compile(
            r"\b(patient|clinical|medical|diagnos\w+|disease|symptom\w*|treatment)\b", re.IGNORECASE)),
        ("legal_compliance", re.compile(
            r"\b(legal|law|gdpr|hipaa|contract|compliance|regulat\w+|statute)\b", re.IGNORECASE)),
    ],
    Lock.GENERAL: [
        ("llm_interaction", re.compile(
            r"\b(system prompt|prompt engineering|llm|chatgpt|language model)\b", re.IGNORECASE)),
        ("human_communication", re.compile(
            r"\b(email|e-mail|letter|message|reply|respond to|slack|linkedin post)\b", re.IGNORECASE)),
        ("business_strategy", re.compile(
            r"\b(business|market\w*|revenue|startup|customer|sales|pricing|strategy)\b", re.IGNORECASE)),
        ("educational_content", re.compile(
            r"\b(teach\w*|lesson|student\w*|curriculum|quiz|explain to a|tutor\w*)\b", re.IGNORECASE)),
        ("medical_healthcare", re.compile(r"\b(patient|medical|symptom\w*|doctor)\b", re.IGNORECASE)),
        ("legal_compliance", re.compile(r"\b(legal|lawyer|gdpr|contract)\b", re.IGNORECASE)),
    ],
}


def normalise_ai_context(value: str | None) -> str | None:
    """The canonical ``ai_context`` for a client value (lock names and aliases accepted);
    ``None`` for empty input, :class:`ValueError` for an unknown one."""
    if value is None:
        return None
    key = value.strip().lower().replace("-", "_").replace(" ", "_")
    if not key:
        return None
    key = _ALIASES.get(key, key)
    if key not in AI_CONTEXT_TO_LOCK:
        raise ValueError(f"unknown ai_context {value!r}")
    return key


def canonical_ai_context(stored: str) -> str:
    """A stored ``ai_context`` in today's vocabulary (legacy names mapped, others as stored)."""
    return _LEGACY.get(stored, stored)


def ai_context_variants(ai_context: str) -> tuple[str, ...]:
    """``ai_context`` and the legacy names stored for it (what a filter on it must match)."""
    return (ai_context, *sorted(old for old, new in _LEGACY.items() if new == ai_context))


def lock_of(ai_context: str) -> Lock:
    """The lock an ``ai_context`` belongs to."""
    return AI_CONTEXT_TO_LOCK[ai_context]


def refine_ai_context(lock: Lock, text: str) -> str:
    """The finer ``ai_context`` inside ``lock`` suggested by keyword cues in ``text``."""
    for name, pattern in _REFINE.get(lock, ()):
        if pattern.search(text):
            return name
    return LOCK_DEFAULT_AI_CONTEXT[lock]
