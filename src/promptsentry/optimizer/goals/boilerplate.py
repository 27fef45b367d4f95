"""The fixed text the goals add — section headings, role lines, requirement lines,
placeholder lines — and :func:`strip_boilerplate`, which removes it so that the firewall judges
only what came from the prompt's author (or an LLM)."""

from __future__ import annotations

import re

from promptsentry.optimizer.goals.requirements import ADDED_SENTENCES, LOGIC_CODE, LOGIC_PLAIN
from promptsentry.optimizer.goals.rewrite import ROLE_LINES

__all__ = ["strip_boilerplate"]


_HEADING_LINE = re.compile(r"^## (Role|Task|Context|Constraints|Output format)[ \t]*$",
                           re.MULTILINE)
_PLACEHOLDER_LINE = re.compile(r"^.*\[SPECIFY: [^\]\n]*\].*$\n?", re.MULTILINE)
_TONE_LINE = re.compile(r"Keep the [a-z ]+ tone consistent from start to finish\.")


def strip_boilerplate(text: str) -> str:
    """``text`` without the fixed text the rules engine itself adds — section headings,
    role lines, requirement lines, placeholder lines — i.e. the part that came from the
    prompt's author (or an LLM), which is what the firewall should judge."""
    out = _PLACEHOLDER_LINE.sub("", text)
    out = _HEADING_LINE.sub("", out)
    out = _TONE_LINE.sub("", out)
    for sentence in (*ADDED_SENTENCES, *ROLE_LINES.values(), LOGIC_CODE, LOGIC_PLAIN,
                     "Details to fill in:"):
        out = out.replace(sentence, "")
    out = re.sub(r"^[ \t]*-[ \t]*$\n?", "", out, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
