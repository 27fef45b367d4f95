"""The goals that edit wording or layout: ``clarity``, ``conciseness``/``token_efficiency``
(line-wise compression, see :mod:`promptsentry.optimizer.compress`) and ``structure``.

``clarity`` and the compression goals touch only the *free* pieces of
:func:`promptsentry.optimizer.spans.segments`, so code blocks, quoted strings, numbers, URLs,
names, negations and placeholders pass through byte for byte. ``structure`` moves whole
sentences and never cuts inside a protected span.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from promptsentry.optimizer.compress import compress, tidy
from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.goals.outcome import Change, GoalContext, GoalOutcome
from promptsentry.optimizer.spans import NEGATION, find_spans, segments
from promptsentry.optimizer.tokens import count_tokens

__all__ = ["CONSTRAINT_RX", "FORMAT_RX", "ROLE_LINES", "clarity", "conciseness", "structure",
           "token_efficiency"]


# --------------------------------------------------------------------------- helpers

def _rewrite_free(text: str, fn: Callable[[str], str]) -> str:
    """Apply ``fn`` to every free (unprotected) piece of ``text``."""
    return "".join(piece if protected else fn(piece) for protected, piece in segments(text))


#: The end of a sentence (or of a line) just before a position; see :func:`_starts_sentence`.
_SENT_END = re.compile(r"(?:[.!?:]\s+|\n\s*)$")


def _starts_sentence(text: str, pos: int) -> bool:
    """Whether ``text[pos:]`` starts a sentence: ``pos`` is 0 or what precedes it ends a
    sentence or a line (looked for in the 256 characters before ``pos``)."""
    return pos == 0 or _SENT_END.search(text, max(0, pos - 256), pos) is not None


#: A lower-case letter starting a sentence or a line — unless it starts a ``key:``,
#: ``key=`` or ``call(`` (front matter, configuration and code keep their case).
_SENTENCE_START = re.compile(r"(^|(?<=[.!?]) +|\n[ \t]*)([a-z])(?![\w-]*(?::(?:[ \t]|$)|=|\())")


def _recapitalise(text: str) -> str:
    """Capitalise a lower-case letter that now starts a sentence (free pieces only)."""
    out: list[str] = []
    pos = 0  # offset of ``piece`` in ``text`` (re-casing keeps every offset)
    for protected, piece in segments(text):
        at_start = _starts_sentence(text, pos)
        pos += len(piece)
        if protected and NEGATION.fullmatch(piece) and piece[0].islower():
            if at_start:
                piece = piece[0].upper() + piece[1:]
        elif not protected:

            def upper(m: re.Match[str], at_start: bool = at_start) -> str:
                if m.start() or at_start:
                    return m.group(1) + m.group(2).upper()
                return m.group(0)

            piece = _SENTENCE_START.sub(upper, piece)
        out.append(piece)
    return "".join(out)


_TEXTSPEAK: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b(?:pls|plz|thx)\b[,.]?\s*", re.IGNORECASE), ""),
    (re.compile(r"\bu\b(?!\.)"), "you"),
    (re.compile(r"\bur\b"), "your"),
    (re.compile(r"\bw/(?=\s)"), "with"),
    (re.compile(r"\bidk\b", re.IGNORECASE), "I am not sure"),
]


def _apply_table(piece: str, table: Iterable[tuple[re.Pattern[str], str]],
                 hits: list[str]) -> str:
    for pattern, repl in table:
        new, n = pattern.subn(repl, piece)
        if n:
            hits.append(pattern.pattern.split("\\b")[1][:30] if "\\b" in pattern.pattern
                        else pattern.pattern[:30])
            piece = new
    return piece


_REQUEST_PREFIX = re.compile(
    r"(?:(?<=^)|(?<=[.!?]\s)|(?<=\n))[ \t]*(?:hi|hello|hey)?[ \t,!]*(?:could|can|would|will) you "
    r"(?:please )?(?:kindly )?(?=[a-z])", re.IGNORECASE | re.MULTILINE)


def _requests_to_instructions(text: str) -> str:
    """``Could you (please) write X?`` → ``Write X.`` (only when the prefix and the closing
    ``?`` both lie in free text; protected spans in between are kept as they are)."""
    mask = bytearray(len(text))
    for span in find_spans(text):
        mask[span.start:span.end] = b"\x01" * (span.end - span.start)
    edits: list[tuple[int, int, str]] = []
    for m in _REQUEST_PREFIX.finditer(text):
        if any(mask[m.start():m.end()]):
            continue
        q = m.end()
        while q < len(text) and (mask[q] or text[q] not in "?.!\n"):
            q += 1
        if q >= len(text) or text[q] != "?":
            continue
        edits.append((q, q + 1, "."))
        first = text[m.end()] if not mask[m.end()] else ""
        edits.append((m.start(), m.end() + (1 if first else 0), first.upper()))
    for start, end, repl in sorted(edits, reverse=True):
        text = text[:start] + repl + text[end:]
    return text


# --------------------------------------------------------------------------- goals

def clarity(text: str, ctx: GoalContext) -> GoalOutcome:
    hits: list[str] = []

    def fix(piece: str) -> str:
        piece = _apply_table(piece, _TEXTSPEAK, hits)
        return tidy(piece)

    new = _recapitalise(_rewrite_free(_requests_to_instructions(text), fix)).strip()
    if new and new[-1].isalnum() and not find_spans(new[-1:]):
        new += "."
    out = GoalOutcome(new)
    if new != text.strip():
        out.changes.append(Change("clarity", "turned requests into direct instructions, "
                                  "expanded text-speak and normalised spacing/punctuation",
                                  "direct, well-formed instructions are followed more reliably"))
    vague = sorted({m.group().lower() for m in re.finditer(
        r"\b(stuff|things|something|somehow|etc\.?|whatever|kind of|sort of)\b", new, re.IGNORECASE)})
    if vague:
        out.questions.append(f"What exactly do you mean by {', '.join(repr(v) for v in vague)}?")
    return out


def conciseness(text: str, ctx: GoalContext, *, efficient: bool = False) -> GoalOutcome:
    """Compress at up to level 2 (``conciseness``) or 3 (``token_efficiency``); every changed
    line is checked against its original with the sentence encoder and backs off when its
    meaning drifts (see :mod:`promptsentry.optimizer.compress`)."""
    goal = "token_efficiency" if efficient else "conciseness"
    source = _requests_to_instructions(text)
    done = compress(source, 3 if efficient else 2, embedder=ctx.embedder)
    new = done.text
    if count_tokens(new) >= count_tokens(text):  # nothing to gain: keep the input as is
        return GoalOutcome(text)
    out = GoalOutcome(new)
    levels = ", ".join(f"{n} {name}" for name, n in sorted(done.level_counts.items())
                       if name != "unchanged")
    what = ("removed pleasantries, hedges, meta-talk and wordy phrases"
            + ("; dropped modal openers, stock phrases and repeated lines"
               if {"compact", "telegraphic"} & set(done.level_counts) else "")
            + ("; telegraphic wording (articles, pronoun openers, list 'and')"
               if "telegraphic" in done.level_counts else "")
            + f" (lines rewritten per level: {levels or 'none'})")
    why = (f"fewer tokens for the same instruction: {done.measure} similarity to the original "
           f"{done.similarity}, every changed line kept its meaning (line similarity ≥ 0.85) "
           "and protected spans (code, quotes, numbers, names, negations, placeholders) are "
           "untouched")
    if "compact_json" in done.rewrites:
        what = ("compacted the JSON prompt's layout: indentation and blanks between JSON "
                "tokens removed, one member per line")
        why = (f"fewer tokens for the same JSON value (it parses to exactly the same data; "
               f"every key, string and number is unchanged): {done.measure} similarity to the "
               f"original {done.similarity}")
    if done.backed_off:
        why += f"; backed off to a gentler level because {done.backed_off}"
    out.changes.append(Change(goal, what, why))
    return out



def token_efficiency(text: str, ctx: GoalContext) -> GoalOutcome:
    """``conciseness`` at compression level 3."""
    return conciseness(text, ctx, efficient=True)


ROLE_LINES = {
    Lock.CODE: "You are an experienced software engineer.",
    Lock.CREATIVE: "You are a skilled creative writer.",
    Lock.DATA_ANALYSIS: "You are a careful data analyst.",
    Lock.RESEARCH: "You are a rigorous research assistant.",
    Lock.IMAGE_VIDEO: "You are an expert visual prompt designer.",
    Lock.GENERAL: "You are a helpful, precise assistant.",
}
_ROLE_RX = re.compile(r"^\s*(you are\b|act as\b|as an? [\w -]{2,40},|your role\b|role:)", re.IGNORECASE)
CONSTRAINT_RX = re.compile(r"\b(must|should|never|do not|don't|avoid|only|at most|at least"
                            r"|no more than|ensure|without|limit|keep|exactly|required?)\b",
                            re.IGNORECASE)
FORMAT_RX = re.compile(r"\b(return|output|format|respond|reply|json|yaml|csv|table|bullet"
                        r"|markdown|list|headings?|word count|\d+ words|aspect ratio|--ar)\b",
                        re.IGNORECASE)
_TASK_RX = re.compile(
    r"^\s*(?:[-*•]\s*)?(write|create|generate|build|make|explain|summari[sz]e|list|describe"
    r"|analy[sz]e|compare|translate|rewrite|fix|debug|review|draft|design|implement|find"
    r"|calculate|classify|extract|convert|produce|plot|give|suggest|propose|evaluate|answer"
    r"|tell|help|draw|render|compose|refactor|optimi[sz]e|outline|identify|test|plan|research"
    r"|cite|show|prepare|develop|investigate|assess|what|how|why|which|who|when|where"
    r"|(?:could|can|would|will) you|please|i (?:need|want|would like))\b", re.IGNORECASE)
_HEADING_RX = re.compile(r"^\s*(#{1,6} \S|[A-Z][A-Za-z /-]{2,30}:\s*$)", re.MULTILINE)


def _units(text: str) -> list[str]:
    """Sentences and code blocks of ``text``; protected spans are never cut."""
    units: list[str] = []
    cur = ""
    for protected, piece in segments(text):
        if protected:
            if piece.startswith(("```", "~~~")):
                if cur.strip():
                    units.append(cur.strip())
                units.append(piece)
                cur = ""
            else:
                cur += piece
            continue
        parts = re.split(r"(?<=[.!?])[ \t]+(?=\S|$)|\n+", piece)
        for i, part in enumerate(parts):
            if i:
                if cur.strip():
                    units.append(cur.strip())
                cur = ""
            cur += part
    if cur.strip():
        units.append(cur.strip())
    return units


def _join_units(units: list[str]) -> str:
    out = ""
    for unit in units:
        if not out:
            out = unit
        elif unit.startswith(("```", "~~~")) or out.endswith(("```", "~~~")):
            out += "\n" + unit
        else:
            out += " " + unit
    return out


def structure(text: str, ctx: GoalContext) -> GoalOutcome:
    if len(_HEADING_RX.findall(text)) >= 2:
        return GoalOutcome(text.strip())
    role, task, context, constraints, output = [], [], [], [], []
    for unit in _units(text):
        is_task = bool(_TASK_RX.search(unit))
        if unit.startswith(("```", "~~~")):
            context.append(unit)
        elif _ROLE_RX.search(unit) and not role:
            role.append(unit)
        elif is_task:
            task.append(unit)
        elif FORMAT_RX.search(unit):
            output.append(unit)
        elif CONSTRAINT_RX.search(unit):
            constraints.append(unit)
        else:
            context.append(unit)
    if not task:
        for i, unit in enumerate(context):
            if not unit.startswith(("```", "~~~")):
                task.append(context.pop(i))
                break
    out = GoalOutcome("")
    if not role:
        role = [ROLE_LINES[ctx.lock]]
        out.changes.append(Change("structure", "added a role line for the detected context",
                                  "a role frames expertise and register"))
    sections = [("Role", role), ("Task", task), ("Context", context),
                ("Constraints", constraints), ("Output format", output)]
    blocks = []
    for title, units in sections:
        if not units:
            continue
        if title in ("Constraints",) and len(units) > 1:
            body = "\n".join(u if u.lstrip().startswith(("-", "*", "•")) else f"- {u}"
                             for u in units)
        else:
            body = _join_units(units)
        blocks.append(f"## {title}\n{body}")
    out.text = "\n\n".join(blocks)
    out.changes.append(Change("structure", "organised the prompt into "
                              + ", ".join(t for t, u in sections if u) + " sections",
                              "separated task, context, constraints and output are easier to "
                              "follow and to check"))
    if not output:
        out.questions.append("What should the answer look like (format, length)?")
    return out
