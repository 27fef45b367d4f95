"""Public GitHub sources of ``research`` prompts (consulting cases, investment-research questions).

Each source is one pinned commit of one public repository, read with ``git show`` like the
sources of :mod:`promptsentry.training.context.public_sources`, and one **source rule**: every
row of a source is ``research`` because of what the source is (strategy-consulting case prompts
from MBB casebooks; analyst questions about listed companies asked of their public filings), the
"consulting/market-research tasks" and "investment-research questions" of the labelling guide;
never by looking at a row. Only the question or task is kept, never an answer, a rubric, the
information released on request, the exhibits or the evidence.

Both sources are non-commercial or unlicensed, so they are ``eval`` only.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from promptsentry.training.context.public_sources import PublicSource, has_words, one_line
from promptsentry.training.mirrors import git_ls, git_show

__all__ = ["CONSULTING_SOURCES"]

_MIN_WORDS = 5




_OPENING = re.compile(
    r"I need you to answer the following questions for the client\.(?P<questions>.*?)"
    r"(?:Before you start, feel free to ask me 2-3 clarifying questions about the client\.)?"
    r"\s*Here is the basic context for the client:(?P<context>.*)", re.S)
_NOTE = re.compile(r"\[(?:No numbers are provided\.|Mental Math[^\]]*)\]"
                   r"|Before you start, feel free to ask me 2-3 clarifying questions about the client\.")


def _opening(prompt: str) -> str:
    """A case's opening prompt as the client's context followed by the case's questions; the
    benchmark's fixed preamble to the model ("Hi, I'd like to solve some consulting cases with
    you …", the same words in every case) is dropped."""
    match = _OPENING.search(prompt)
    if not match:
        return one_line(prompt)
    return one_line(f"{match['context']} {match['questions']}")


def _case_context(ctx: object) -> str:
    """The upfront client context of a BACasebook case: its situation and the client's goal
    (``action``), as the interviewer reads them out."""
    if not isinstance(ctx, dict):
        return one_line(str(ctx or ""))
    parts = [ctx.get("situation") or ctx.get("client_context") or "",
             ctx.get("action") or ctx.get("objective") or ""]
    return one_line(" ".join(str(p) for p in parts if p))


def _bacasebook(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """BACasebook (MBBCasebook): 50 consulting-interview cases from McKinsey / Bain / BCG
    casebooks (profitability, market entry, M&A, growth, public policy). Two kinds of rows, one
    group per case so a case's rows stay together: the case's opening prompt (the client's
    context, then the case's questions; the benchmark's preamble shared by every case and the
    interviewer's bracketed notes are dropped), and each framework or qualitative case question
    ("What factors would you consider …", "How would you structure your approach …") behind the
    client's situation and goal. Quantitative questions
    (worked on exhibits, a data-analysis task) and every answer, keypoint and piece of
    information released on request are dropped."""
    for path in git_ls(snap, src.commit, "cases"):
        if not path.endswith(".json"):
            continue
        case = json.loads(git_show(snap, src.commit, path))
        group = path.rsplit("/", 1)[-1].removesuffix(".json")
        opening = one_line(_NOTE.sub("", _opening(case.get("opening_prompt") or "")))
        if has_words(opening, _MIN_WORDS):
            yield opening, group
        context = _case_context(case.get("structure_1_client_basic_context"))
        questions = case.get("structure_3_case_questions") or {}
        for item in questions.values():
            if not isinstance(item, dict) or item.get("type") not in ("framework", "qualitative"):
                continue
            question = one_line(_NOTE.sub("", item.get("question_text") or ""))
            text = f"{context} {question}".strip()
            if has_words(question, _MIN_WORDS):
                yield text, group


_FINANCEBENCH_TYPES = ("domain-relevant", "novel-generated")


def _financebench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """FinanceBench (open-source sample): analysts' questions about US listed companies,
    answerable from their public filings ("Is 3M a capital-intensive business based on FY2022
    data?", "What drove operating margin change as of FY2022 for 3M?"); the financial analysts'
    own domain-relevant and novel questions only. The metrics-generated third (a figure pulled
    or computed from a named statement, a data-analysis task) is dropped, as are answers,
    justifications and evidence pages. One group per company."""
    raw = git_show(snap, src.commit, "data/financebench_open_source.jsonl").decode("utf-8")
    for line in raw.splitlines():
        if not line.strip():
            continue
        item = json.loads(line)
        if item.get("question_type") not in _FINANCEBENCH_TYPES:
            continue
        text = one_line(item.get("question") or "")
        if has_words(text, _MIN_WORDS):
            yield text, one_line(item.get("company") or "none")


CONSULTING_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("bacasebook", "mlsys-io/MBBCasebook",
                 "1be2d17649e7e61dfa0d628fe200b4f4c530c0c6", "CC-BY-NC-4.0", "research", "eval",
                 _bacasebook, cap=400),
    PublicSource("financebench", "patronus-ai/financebench",
                 "cc39aeb4afdf33909ee1412188bf89035950c2eb", "none", "research", "eval",
                 _financebench, cap=400),
)
