"""Instructions aimed at a model, found inside data: tool arguments, tool returns, documents.

A web page or an e-mail that an agent reads should describe things, not order the model
about. These patterns catch the imperative phrasing of indirect prompt injection and report
*where* it sits, so a 40 KB document with one poisoned paragraph names that paragraph.
Regular expressions over the whole text run in linear time; the classifier's windows add the
learned signal on top.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from promptsentry.pipeline.normalize.unicode import ZERO_WIDTH

_INVISIBLE = re.compile("[" + "".join(sorted(ZERO_WIDTH)) + "]")


@dataclass(frozen=True, slots=True)
class InjectionHit:
    """One instruction-like passage: the rule that matched and its ``[start, end)`` span."""

    rule: str
    start: int
    end: int


_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("ignore_instructions", re.compile(
        r"\b(?:ignore|disregard|forget|override|bypass|skip)\b[^.\n]{0,40}?"
        r"\b(?:previous|prior|above|earlier|preceding|all|any|your|system|original)\b"
        r"[^.\n]{0,25}?\b(?:instructions?|prompts?|rules|directions|guidelines|directives)\b",
        re.IGNORECASE)),
    ("new_instructions", re.compile(
        r"\b(?:new|updated|real|actual|revised|additional)\s+(?:system\s+)?"
        r"(?:instructions?|directives?|orders|task)\s*[:\-–]", re.IGNORECASE)),
    ("prompt_extraction", re.compile(
        r"\b(?:reveal|print|show|output|repeat|display|leak|dump)\b[^.\n]{0,30}?"
        r"\b(?:system\s+prompt|hidden\s+(?:instructions|prompt)|initial\s+instructions|"
        r"developer\s+message)", re.IGNORECASE)),
    ("role_markup", re.compile(
        r"<\|im_start\|>|<\|im_end\|>|\[/?INST\]|<</?SYS>>|</?(?:system|assistant)>|"
        r"^\s*(?:system|assistant)\s*:", re.IGNORECASE | re.MULTILINE)),
    ("conceal_from_user", re.compile(
        r"\b(?:do\s+not|don'?t|never)\s+(?:tell|inform|mention|reveal|notify|alert)\b"
        r"[^.\n]{0,30}?\b(?:the\s+)?(?:user|human|owner|operator)\b", re.IGNORECASE)),
    ("exfiltration_instruction", re.compile(
        r"\b(?:send|forward|e-?mail|post|upload|exfiltrate|transmit|copy|leak)\b[^.\n]{0,60}?"
        r"\b(?:passwords?|credentials?|api[\s_-]?keys?|secrets?|tokens?|ssh\s+keys?|"
        r"conversation|chat\s+history|private\s+data|personal\s+data|the\s+user'?s\s+\w+)\b"
        r"[^.\n]{0,60}?\b(?:to|at|into)\b", re.IGNORECASE)),
    ("addressed_to_model", re.compile(
        r"\b(?:attention|important|note|instruction)\b[^.\n]{0,20}?"
        r"\b(?:ai|assistant|agent|llm|language\s+model|chatbot)s?\b\s*[:,!]", re.IGNORECASE)),
    ("persona_override", re.compile(
        r"\byou\s+are\s+now\b[^.\n]{0,40}?|\b(?:enter|enable|activate)\s+"
        r"(?:developer|god|dan|jailbreak|unrestricted)\s+mode\b", re.IGNORECASE)),
)

RULE_NAMES = tuple(name for name, _ in _RULES)


def find_injections(text: str, *, limit: int = 32) -> list[InjectionHit]:
    """Instruction-like passages in ``text``, in order, at most ``limit`` of them.

    Zero-width characters are ignored (``ig\u200bnore`` reads as ``ignore``); spans refer to
    the text as given.
    """
    clean, index = _strip_invisible(text)
    hits: list[InjectionHit] = []
    for name, pattern in _RULES:
        for m in pattern.finditer(clean):
            hits.append(InjectionHit(name, index(m.start()), index(m.end() - 1) + 1))
            if len(hits) >= limit:
                break
    hits.sort(key=lambda h: (h.start, h.rule))
    return hits[:limit]


def _strip_invisible(text: str):
    if not _INVISIBLE.search(text):
        return text, lambda i: i
    kept = [i for i, ch in enumerate(text) if ch not in ZERO_WIDTH]
    clean = "".join(text[i] for i in kept)
    return clean, lambda i: kept[i] if i < len(kept) else len(text)
