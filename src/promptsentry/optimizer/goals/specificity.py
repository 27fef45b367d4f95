"""The goals that ask instead of guessing: ``specificity``, ``visual_detail`` and
``output_format`` add *questions* and marked placeholders (``[SPECIFY: …]``) for the details a
prompt does not give, never invented content."""

from __future__ import annotations

import re

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.goals.outcome import Change, GoalContext, GoalOutcome
from promptsentry.optimizer.goals.rewrite import CONSTRAINT_RX, FORMAT_RX
from promptsentry.optimizer.turns import short_question

__all__ = ["output_format", "specificity", "visual_detail"]


_DIMENSIONS: dict[Lock, list[tuple[str, re.Pattern[str], str]]] = {
    Lock.GENERAL: [
        ("audience", re.compile(r"\b(audience|for (a|an|the|my) \w+|readers?|beginners?|experts?"
                                r"|students?|customers?|team)\b", re.IGNORECASE),
         "Who is the audience?"),
        ("length", re.compile(r"\b\d+\s*(words?|sentences?|paragraphs?|lines?|pages?|bullets?"
                              r"|items?)\b|\b(brief|short|concise|one[- ]\w+)\b", re.IGNORECASE),
         "How long should the answer be?"),
        ("format", FORMAT_RX, "What format should the answer use?"),
    ],
    Lock.CODE: [
        ("language", re.compile(r"\b(python|javascript|typescript|java|go|golang|rust|c\+\+|c#"
                                r"|ruby|php|kotlin|swift|sql|bash|shell|scala|r|html|css)\b",
                                re.IGNORECASE),
         "Which programming language and version?"),
        ("inputs_outputs", re.compile(r"\b(input|output|return|example|test|given|expected)\b",
                                      re.IGNORECASE),
         "What are the inputs, expected outputs or an example?"),
        ("constraints", CONSTRAINT_RX, "Are there constraints (libraries, performance, style)?"),
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
        ("format", FORMAT_RX, "How should results be presented (table, chart, summary)?"),
    ],
    Lock.RESEARCH: [
        ("scope", re.compile(r"\b(since|between|\d{4}|last \d+ years|scope|focus on|limited to)\b",
                             re.IGNORECASE), "What scope or time frame should the research cover?"),
        ("sources", re.compile(r"\b(sources?|cite|citations?|references?|peer[- ]reviewed"
                               r"|papers?|journals?)\b", re.IGNORECASE),
         "Which kinds of sources are acceptable?"),
        ("format", FORMAT_RX, "What form should the findings take?"),
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


def specificity(text: str, ctx: GoalContext) -> GoalOutcome:
    out = GoalOutcome(text.strip())
    if ctx.lock is Lock.GENERAL and short_question(text):
        return out  # "What is the capital of Australia?" fixes its answer's length and form
    missing = [(name, q) for name, rx, q in _DIMENSIONS[ctx.lock] if not rx.search(text)]
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


def visual_detail(text: str, ctx: GoalContext) -> GoalOutcome:
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


def output_format(text: str, ctx: GoalContext) -> GoalOutcome:
    if FORMAT_RX.search(text):
        return GoalOutcome(text.strip())
    out = GoalOutcome(f"{text.strip()}\n\nOutput format: [SPECIFY: e.g. a table with named "
                      f"columns, a JSON object with a schema, or a short summary]")
    out.questions.append("How should the results be presented (table, JSON, chart, summary)?")
    out.changes.append(Change("output_format", "marked the missing output format",
                              "results are only comparable when their shape is fixed"))
    return out
