"""Public GitHub sources of ``research`` prompts (biomedical evidence questions, literature search).

Each source is one pinned commit of one public repository, read with ``git show`` like the
sources of :mod:`promptsentry.training.context.public_sources`, and one **source rule**: every
row of a source is ``research`` because of what the source is (questions asked of the medical
literature, queries sent to an academic paper search engine), never by looking at a row. Only
the question or query is kept, never an answer, a verdict or the evidence.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

from promptsentry.training.context.public_sources import PublicSource, has_words, one_line
from promptsentry.training.mirrors import git_show

__all__ = ["RESEARCH_SOURCES"]

_MIN_WORDS = 5



def _unmojibake(text: str) -> str:
    """UTF-8 that was once read as Latin-1 and saved again ("â\x80\x89" for a thin space),
    decoded back; any other text unchanged."""
    try:
        return text.encode("latin-1").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return text



def _medevidence(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """MedEvidence's comparative clinical-evidence questions, each written from the findings
    of one Cochrane systematic review ("Is the rate of X higher, lower, or the same when
    comparing A to B in patients with Z?"); one group per review, so the questions of one
    review stay together; a question repeated under a second review is kept once. Answers,
    certainty and cited PMIDs are dropped."""
    setup = json.loads(git_show(snap, src.commit, "dset_gen/manual_284-setup.json"))
    seen: set[str] = set()
    for review_pmid, questions in setup.items():
        for item in questions:
            text = one_line(item.get("question", ""))
            if has_words(text, _MIN_WORDS) and text not in seen:
                seen.add(text)
                yield text, review_pmid


def _pubmedrs(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """PubMedRS-200 (Clinfo.AI): clinical research questions answered by a recent systematic
    review or meta-analysis ("Is X associated with Y in Z?"); the human-written question,
    else the one drawn from the review title. One group per medical specialty. The review's
    abstract, sections and answer are dropped."""
    raw = git_show(snap, src.commit, "PubMedRS-200/PubMedRS-200.csv").decode("utf-8", "replace")
    for item in csv.DictReader(io.StringIO(raw)):
        text = one_line(_unmojibake(item.get("HumanQuestions") or item.get("questions") or ""))
        if has_words(text, _MIN_WORDS):
            yield text, one_line(item.get("specialty") or "none")


_PAPER_SEARCH_FILES = ("computer_science_ai_search_queries.json",
                       "computer_science_non_ai_search_queries.json")


def _paper_search(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Paper Lantern's academic paper search queries (literature-review, related-work and
    "what are the approaches to …" requests over computer-science research), from a few words
    to several sentences; one group per test set and research stage."""
    for name in _PAPER_SEARCH_FILES:
        queries = json.loads(git_show(snap, src.commit, f"test_sets/{name}"))
        for item in queries.values():
            text = one_line(item.get("search_query", ""))
            stage = (item.get("settings") or {}).get("research_stage") or "none"
            if has_words(text, _MIN_WORDS):
                yield text, f"{name.split('_search')[0]}:{stage}"


RESEARCH_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("medevidence", "zyfetcabc/medevidence",
                 "8ed8afd9b844f0331dbbd76769a778302159bea0", "MIT", "research", "train",
                 _medevidence, cap=400),
    PublicSource("pubmedrs-200", "som-shahlab/Clinfo.AI",
                 "e8f89f5bd697b23fda2a2fec6d0a4668828959f5", "MIT", "research", "train",
                 _pubmedrs, cap=400),
    PublicSource("paperlantern-search", "paperlantern-ai/academic_paper_search_benchmarks",
                 "b45875fba6e3cb6e64386c52e225dbf72041f246", "Apache-2.0", "research", "eval",
                 _paper_search, cap=400),
)
