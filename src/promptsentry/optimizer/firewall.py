"""The optimizer's own injection patterns — the fallback firewall when no pipeline is wired,
the ``safety`` goal's targets, and the check that a rewrite did not add an injection — and
:func:`neutralise_injections`, which replaces the sentences they match with a marker."""

from __future__ import annotations

import re

__all__ = ["INJECTION_PATTERNS", "REMOVED_MARKER", "neutralise_injections"]


INJECTION_PATTERNS: list[re.Pattern[str]] = [
    re.compile(p, re.IGNORECASE) for p in (
        (r"\b(ignore|disregard|forget|override)\b[^.\n]{0,40}\b(previous|prior|above|earlier"
         r"|all|your|system)\b[^.\n]{0,30}\b(instructions?|prompts?|rules?|guidelines?"
         r"|directives?)"),
        (r"\b(reveal|print|show|repeat|output|leak)\b[^.\n]{0,30}\b(system prompt|hidden"
         r" (prompt|instructions?)|initial instructions?|your instructions)"),
        r"\byou are now\b[^.\n]{0,40}\b(dan|unfiltered|jailbroken|developer mode|unrestricted)",
        r"\b(developer|god|jailbreak|dan) mode\b",
        r"\bpretend (that )?you (have|are) no (restrictions|rules|filters|limits)",
        r"\bdo anything now\b",
        r"<\|?(im_start|im_end|system|endoftext)\|?>",
        r"^\s*#{2,}\s*(system|assistant)\s*:?",
        r"\bnew (system )?instructions?:",
    )
]


REMOVED_MARKER = "[removed]"


def neutralise_injections(text: str) -> tuple[str, list[str]]:
    """``text`` with injection-like sentences replaced by a marker, and the removed snippets."""
    removed: list[str] = []
    kept: list[str] = []
    for line in text.split("\n"):
        parts = re.split(r"(?<=[.!?])\s+", line)
        new_parts = []
        for part in parts:
            if any(p.search(part) for p in INJECTION_PATTERNS):
                removed.append(part.strip()[:200])
                new_parts.append(REMOVED_MARKER)
            else:
                new_parts.append(part)
        kept.append(" ".join(new_parts))
    return "\n".join(kept), removed
