"""Optimization goals: deterministic rewrites, each with a check that proves it did something
and harmed nothing.

A goal is a pure function ``(text, GoalContext) -> GoalOutcome``. Rewrites that edit wording
(``clarity``, ``conciseness``, ``token_efficiency``) touch only the *free* pieces of
:func:`promptsentry.optimizer.spans.segments`, so code blocks, quoted strings, numbers, URLs,
names, negations and placeholders pass through byte for byte. ``structure`` moves whole
sentences and never cuts inside a protected span. Goals that need facts the prompt does not
give add *questions* and marked placeholders (``[SPECIFY: …]``), never invented content.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.optimizer.compress import compress, tidy
from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.quality import score_prompt
from promptsentry.optimizer.similarity import Embedder
from promptsentry.optimizer.spans import NEGATION, find_spans, missing_spans, segments
from promptsentry.optimizer.tokens import count_tokens

__all__ = [
    "DEFAULT_GOALS",
    "GOALS",
    "GOAL_ALIASES",
    "GOAL_ORDER",
    "INJECTION_PATTERNS",
    "REMOVED_MARKER",
    "SUPPORTED_GOALS",
    "Change",
    "GoalCheck",
    "GoalContext",
    "GoalOutcome",
    "apply_goal",
    "neutralise_injections",
    "strip_boilerplate",
    "validate_goals",
]


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

def _clarity(text: str, ctx: GoalContext) -> GoalOutcome:
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


def _conciseness(text: str, ctx: GoalContext, *, efficient: bool = False) -> GoalOutcome:
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


_ROLE_LINE = {
    Lock.CODE: "You are an experienced software engineer.",
    Lock.CREATIVE: "You are a skilled creative writer.",
    Lock.DATA_ANALYSIS: "You are a careful data analyst.",
    Lock.RESEARCH: "You are a rigorous research assistant.",
    Lock.IMAGE_VIDEO: "You are an expert visual prompt designer.",
    Lock.GENERAL: "You are a helpful, precise assistant.",
}
_ROLE_RX = re.compile(r"^\s*(you are\b|act as\b|as an? [\w -]{2,40},|your role\b|role:)", re.IGNORECASE)
_CONSTRAINT_RX = re.compile(r"\b(must|should|never|do not|don't|avoid|only|at most|at least"
                            r"|no more than|ensure|without|limit|keep|exactly|required?)\b",
                            re.IGNORECASE)
_FORMAT_RX = re.compile(r"\b(return|output|format|respond|reply|json|yaml|csv|table|bullet"
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


def _structure(text: str, ctx: GoalContext) -> GoalOutcome:
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
        elif _FORMAT_RX.search(unit):
            output.append(unit)
        elif _CONSTRAINT_RX.search(unit):
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
        role = [_ROLE_LINE[ctx.lock]]
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


_DIMENSIONS: dict[Lock, list[tuple[str, re.Pattern[str], str]]] = {
    Lock.GENERAL: [
        ("audience", re.compile(r"\b(audience|for (a|an|the|my) \w+|readers?|beginners?|experts?"
                                r"|students?|customers?|team)\b", re.IGNORECASE),
         "Who is the audience?"),
        ("length", re.compile(r"\b\d+\s*(words?|sentences?|paragraphs?|lines?|pages?|bullets?"
                              r"|items?)\b|\b(brief|short|concise|one[- ]\w+)\b", re.IGNORECASE),
         "How long should the answer be?"),
        ("format", _FORMAT_RX, "What format should the answer use?"),
    ],
    Lock.CODE: [
        ("language", re.compile(r"\b(python|javascript|typescript|java|go|golang|rust|c\+\+|c#"
                                r"|ruby|php|kotlin|swift|sql|bash|shell|scala|r|html|css)\b",
                                re.IGNORECASE),
         "Which programming language and version?"),
        ("inputs_outputs", re.compile(r"\b(input|output|return|example|test|given|expected)\b",
                                      re.IGNORECASE),
         "What are the inputs, expected outputs or an example?"),
        ("constraints", _CONSTRAINT_RX, "Are there constraints (libraries, performance, style)?"),
    ],
    Lock.CREATIVE: [
        ("audience", re.compile(r"\b(audience|for (kids|children|adults|teens|readers)|readers?"
                                r"|young)\b", re.IGNORECASE), "Who is the audience?"),
        ("length", re.compile(r"\b\d+\s*(words?|lines?|stanzas?|paragraphs?|pages?|chapters?)\b"
                              r"|\b(short|brief|long)\b", re.IGNORECASE), "How long should it be?"),
        ("tone", re.compile(r"\b(tone|mood|style|voice|funny|humorous|dark|whimsical|serious"
                            r"|playful|melancholic|formal|casual)\b", re.IGNORECASE),
         "What tone or mood should it have?"),
    ],
    Lock.DATA_ANALYSIS: [
        ("data", re.compile(r"\b(columns?|fields?|table|dataset|csv|file|rows?|schema|data)\b",
                            re.IGNORECASE), "What data (source, columns, size) will be analysed?"),
        ("question", re.compile(r"\b(trend|compare|correlat\w*|predict|forecast|why|which|how"
                                r"|impact|segment|group)\b", re.IGNORECASE),
         "What question should the analysis answer?"),
        ("format", _FORMAT_RX, "How should results be presented (table, chart, summary)?"),
    ],
    Lock.RESEARCH: [
        ("scope", re.compile(r"\b(since|between|\d{4}|last \d+ years|scope|focus on|limited to)\b",
                             re.IGNORECASE), "What scope or time frame should the research cover?"),
        ("sources", re.compile(r"\b(sources?|cite|citations?|references?|peer[- ]reviewed"
                               r"|papers?|journals?)\b", re.IGNORECASE),
         "Which kinds of sources are acceptable?"),
        ("format", _FORMAT_RX, "What form should the findings take?"),
    ],
    Lock.IMAGE_VIDEO: [
        ("style", re.compile(r"\b(style|photo\w*|illustration|painting|watercolou?r|3d|render"
                             r"|anime|cinematic|realistic|sketch|digital art)\b", re.IGNORECASE),
         "What visual style?"),
        ("format", re.compile(r"\b(aspect ratio|--ar|\d+:\d+|resolution|\d+k|portrait|landscape"
                              r"|square|seconds?|duration)\b", re.IGNORECASE),
         "What aspect ratio, resolution or duration?"),
    ],
}


def _specificity(text: str, ctx: GoalContext) -> GoalOutcome:
    missing = [(name, q) for name, rx, q in _DIMENSIONS[ctx.lock] if not rx.search(text)]
    out = GoalOutcome(text.strip())
    if not missing:
        return out
    lines = "\n".join(f"- {name.replace('_', ' ').capitalize()}: [SPECIFY: {q.rstrip('?')}]"
                      for name, q in missing)
    out.text = f"{text.strip()}\n\nDetails to fill in:\n{lines}"
    out.questions.extend(q for _, q in missing)
    out.changes.append(Change("specificity", "marked missing details as placeholders: "
                              + ", ".join(n for n, _ in missing),
                              "the prompt does not say them; the optimizer asks instead of "
                              "guessing"))
    return out


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


_LOGIC_CODE = ("Preserve the existing behaviour and public interfaces of the code shown; "
               "change only what the task requires and explain each change.")
_LOGIC_PLAIN = ("Keep the logic explicit: state assumptions, handle edge cases and explain "
                "each step of the solution.")


def _logic_preservation(text: str, ctx: GoalContext) -> GoalOutcome:
    has_code = any(s.kind in ("code_block", "inline_code") for s in find_spans(text))
    line = _LOGIC_CODE if has_code else _LOGIC_PLAIN
    if re.search(r"\b(preserve|keep) (the )?(existing )?(behaviou?r|logic|interfaces?)\b",
                 text, re.IGNORECASE):
        return GoalOutcome(text.strip())
    return GoalOutcome(f"{text.strip()}\n\n{line}",
                       [Change("logic_preservation", f"added: {line}",
                               "rewrites of code prompts must not change what the code does")])


_TONE_WORDS = re.compile(r"\b(formal|casual|playful|dark|whimsical|humorous|funny|serious"
                         r"|melancholic|hopeful|romantic|suspenseful|warm|friendly|ironic"
                         r"|lyrical|gritty)\b", re.IGNORECASE)


def _tone_consistency(text: str, ctx: GoalContext) -> GoalOutcome:
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


_VISUAL = [
    ("subject", re.compile(r"\b(of|showing|featuring|depicting)\b|\b(a|an|the) \w+", re.IGNORECASE),
     "What is the main subject?"),
    ("style", _DIMENSIONS[Lock.IMAGE_VIDEO][0][1], "What visual style or medium?"),
    ("lighting", re.compile(r"\b(light\w*|lit|sun\w*|shadows?|golden hour|neon|glow\w*"
                            r"|backlit|dusk|dawn|night)\b", re.IGNORECASE), "What lighting?"),
    ("camera", re.compile(r"\b(\d{2,3}mm|lens|close-up|wide[- ]angle|shot|angle|camera|bokeh"
                          r"|depth of field|aerial|macro|pov)\b", re.IGNORECASE),
     "What camera angle, lens or framing?"),
    ("composition", re.compile(r"\b(composition|foreground|background|centered|rule of thirds"
                               r"|symmetr\w*|framing|in the (center|corner))\b", re.IGNORECASE),
     "What composition?"),
    ("colour_palette", re.compile(r"\b(colou?rs?|palette|pastel|monochrome|vibrant|muted"
                                  r"|black and white|red|blue|green|gold\w*|teal|orange)\b",
                                  re.IGNORECASE), "What colour palette?"),
    ("aspect_ratio", _DIMENSIONS[Lock.IMAGE_VIDEO][1][1], "What aspect ratio or resolution?"),
]


def _visual_detail(text: str, ctx: GoalContext) -> GoalOutcome:
    missing = [(n, q) for n, rx, q in _VISUAL if not rx.search(text)]
    out = GoalOutcome(text.strip())
    if not missing:
        return out
    lines = "\n".join(f"{n.replace('_', ' ').capitalize()}: [SPECIFY: {q.rstrip('?').lower()}]"
                      for n, q in missing)
    out.text = f"{text.strip()}\n\n{lines}"
    out.questions.extend(q for _, q in missing)
    out.changes.append(Change("visual_detail", "marked missing visual details: "
                              + ", ".join(n for n, _ in missing),
                              "image and video models fill unstated details at random"))
    return out


def _output_format(text: str, ctx: GoalContext) -> GoalOutcome:
    if _FORMAT_RX.search(text):
        return GoalOutcome(text.strip())
    out = GoalOutcome(f"{text.strip()}\n\nOutput format: [SPECIFY: e.g. a table with named "
                      f"columns, a JSON object with a schema, or a short summary]")
    out.questions.append("How should the results be presented (table, JSON, chart, summary)?")
    out.changes.append(Change("output_format", "marked the missing output format",
                              "results are only comparable when their shape is fixed"))
    return out


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


def _safety(text: str, ctx: GoalContext) -> GoalOutcome:
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
    for sentence in (*ADDED_SENTENCES, *_ROLE_LINE.values(), _LOGIC_CODE, _LOGIC_PLAIN,
                     "Details to fill in:"):
        out = out.replace(sentence, "")
    out = re.sub(r"^[ \t]*-[ \t]*$\n?", "", out, flags=re.MULTILINE)
    return re.sub(r"\n{3,}", "\n\n", out).strip()


GoalFn = Callable[[str, GoalContext], GoalOutcome]

GOALS: dict[str, GoalFn] = {
    "safety": _safety,
    "clarity": _clarity,
    "conciseness": _conciseness,
    "token_efficiency": lambda t, c: _conciseness(t, c, efficient=True),
    "logic_preservation": _logic_preservation,
    "security_standard_alignment": _append_line(
        "security_standard_alignment",
        "Follow secure coding practice: validate all inputs, use parameterised queries, never "
        "hard-code secrets, and handle errors explicitly (OWASP ASVS).",
        "code written from the prompt should meet common security standards",
        re.compile(r"\b(owasp|secure coding|parameteri[sz]ed quer|hard-?code\w* secrets?)\b",
                   re.IGNORECASE)),
    "tone_consistency": _tone_consistency,
    "style_coherence": _append_line(
        "style_coherence",
        "Keep one consistent style, tense and point of view throughout.",
        "mixed registers and shifting viewpoints read as errors",
        re.compile(r"\b(consistent style|point of view|same tense)\b", re.IGNORECASE)),
    "narrative_flow": _append_line(
        "narrative_flow",
        "Give the piece a clear arc: an opening that sets the scene, rising tension, and a "
        "resolution that pays off the opening.",
        "a stated arc keeps long creative output coherent",
        re.compile(r"\b(arc|beginning, middle and end|rising (action|tension)|resolution)\b",
                   re.IGNORECASE)),
    "citation_requirements": _append_line(
        "citation_requirements",
        "Cite a verifiable source for every factual claim (author, year, title, and a link or "
        "DOI); mark any claim you cannot source as unverified.",
        "research answers are only as good as their traceable sources",
        re.compile(r"\b(cite|citations?|doi|references?)\b", re.IGNORECASE)),
    "factual_accuracy": _append_line(
        "factual_accuracy",
        "Separate established findings from speculation, state uncertainty explicitly, and do "
        "not invent data, quotes or references.",
        "guards against confident fabrication",
        re.compile(r"\b(do not invent|don't invent|state uncertainty|no fabricat\w+)\b", re.IGNORECASE)),
    "output_format": _output_format,
    "visual_detail": _visual_detail,
    "specificity": _specificity,
    "structure": _structure,
}
#: Order goals run in: neutralise first, edit wording, add requirements, then lay out.
GOAL_ORDER = ("safety", "clarity", "conciseness", "token_efficiency", "logic_preservation",
              "security_standard_alignment", "tone_consistency", "style_coherence",
              "narrative_flow", "citation_requirements", "factual_accuracy", "output_format",
              "visual_detail", "specificity", "structure")
SUPPORTED_GOALS: tuple[str, ...] = tuple(sorted(GOALS))

#: Goal names of the reference product accepted as synonyms of ours.
GOAL_ALIASES: dict[str, str] = {
    "technical_accuracy": "logic_preservation",
    "technical_precision": "specificity",
    "role_prompting": "structure",
    "readability": "clarity",
    "brevity": "conciseness",
    "token_optimization": "token_efficiency",
    "format_consistency": "output_format",
    "output_formatting": "output_format",
    "security": "security_standard_alignment",
    "accuracy": "factual_accuracy",
    "citations": "citation_requirements",
    "creativity": "style_coherence",
    # suggested by the reference bridge's tool descriptions, so MCP clients send them
    "creative_enhancement": "style_coherence",
    "analytical_depth": "logic_preservation",
    "tone": "tone_consistency",
    "visual_details": "visual_detail",
}

DEFAULT_GOALS: dict[Lock, tuple[str, ...]] = {
    Lock.CODE: ("clarity", "logic_preservation", "specificity"),
    Lock.CREATIVE: ("clarity", "tone_consistency"),
    Lock.DATA_ANALYSIS: ("clarity", "output_format"),
    Lock.RESEARCH: ("clarity", "citation_requirements"),
    Lock.IMAGE_VIDEO: ("clarity", "visual_detail"),
    Lock.GENERAL: ("clarity", "specificity"),
}


def validate_goals(goals: Iterable[str] | None) -> list[str]:
    """Canonical goal names in run order; unknown names raise a 422 ``INVALID_GOALS``."""
    if goals is None:
        return []
    canonical: list[str] = []
    unknown: list[str] = []
    for raw in goals:
        if not isinstance(raw, str):
            unknown.append(repr(raw)[:60])
            continue
        key = raw.strip().lower().replace("-", "_").replace(" ", "_")
        key = GOAL_ALIASES.get(key, key)
        if key in GOALS:
            if key not in canonical:
                canonical.append(key)
        else:
            unknown.append(raw[:60])
    if unknown:
        raise ApiError(422, ErrorCode.INVALID_GOALS,
                       f"unknown optimization goal(s): {', '.join(unknown[:10])}",
                       {"unknown": unknown[:20], "supported": list(SUPPORTED_GOALS),
                        "aliases": GOAL_ALIASES})
    return sorted(canonical, key=GOAL_ORDER.index)


def check_goal(goal: str, before: str, after: str) -> GoalCheck:
    """Independent check of one goal's output: it changed what it claims and lost nothing."""
    if goal == "safety":
        still = [p.pattern for p in INJECTION_PATTERNS if p.search(after)]
        return GoalCheck(goal, after != before, not still,
                         "no injection pattern remains" if not still
                         else f"{len(still)} injection pattern(s) remain")
    lost = missing_spans(before, after, ordered=goal != "structure")
    if lost:
        return GoalCheck(goal, after != before, False,
                         f"lost {len(lost)} protected span(s): "
                         + ", ".join(f"{s.kind}:{s.text[:30]!r}" for s in lost[:3]))
    if goal in ("conciseness", "token_efficiency"):
        tb, ta = count_tokens(before), count_tokens(after)
        return GoalCheck(goal, ta < tb, ta <= tb, f"tokens {tb} → {ta}; protected spans intact")
    if goal == "clarity":
        sb, sa = score_prompt(before).scores["clarity"], score_prompt(after).scores["clarity"]
        return GoalCheck(goal, after != before, sa >= sb,
                         f"clarity {sb} → {sa}; protected spans intact")
    if goal == "structure":
        sections = len(re.findall(r"^## ", after, re.MULTILINE))
        return GoalCheck(goal, sections >= 2, True,
                         f"{sections} sections; every protected span still present")
    return GoalCheck(goal, after != before, True, "additions only; protected spans intact"
                     if after != before else "nothing to add: already covered")


def apply_goal(goal: str, text: str, ctx: GoalContext) -> tuple[GoalOutcome, GoalCheck]:
    """Run one goal and check it; a failing check keeps the input unchanged."""
    outcome = GOALS[goal](text, ctx)
    check = check_goal(goal, text, outcome.text)
    if not check.passed and goal != "safety":
        return GoalOutcome(text, [], outcome.questions), check
    return outcome, check
