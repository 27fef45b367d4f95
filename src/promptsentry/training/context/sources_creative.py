"""Public GitHub sources of the ``creative`` register (issue 21): writing requests and story
premises, never the stories themselves.

Each source is read from a pinned repository snapshot with ``git show`` and labelled by its
nature (every row ``creative``), as in :mod:`promptsentry.training.context.public_sources`:

* ``arena-hard-creative``: the 250 ``creative_writing`` prompts of Arena-Hard-Auto v2.0 (real
  Chatbot Arena user requests for stories, poems, lyrics, scripts, role-play; multilingual);
* ``tell-me-a-story``: the writing prompts of DeepMind's *Tell Me A Story* (human-written story
  requests with constraints on length, point of view, genre, characters and ending);
* ``mops-premises``: MoPS's synthesised one-sentence story premises over 14 genre themes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from promptsentry.training.context.public_sources import PublicSource
from promptsentry.training.mirrors import git_show

__all__ = ["CREATIVE_SOURCES"]

_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")


def _clean(text: str) -> str:
    """Spaces and tabs collapsed, at most one blank line between paragraphs, trimmed."""
    text = re.sub(r"[ \t]+", " ", text.replace("\r\n", "\n"))
    return re.sub(r"\n\s*\n+", "\n\n", text).strip()


def _words(text: str) -> int:
    """Whitespace words, or for scripts written without spaces (CJK) two characters a word."""
    return max(len(text.split()), len(_CJK.findall(text)) // 2)


def _jsonl(src: PublicSource, snap: Path, path: str) -> Iterator[dict]:
    for line in git_show(snap, src.commit, path).decode("utf-8", "replace").split("\n"):
        if line.strip():
            yield json.loads(line)


def _arena_hard_creative(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Arena-Hard-Auto v2.0's ``creative_writing`` prompts: Chatbot Arena users asking for a
    story, poem, song lyrics, a script or a role-play, often with constraints (in several
    languages); the benchmark's ``hard_prompt`` rows are left out. One group per prompt (uid)."""
    for item in _jsonl(src, snap, "data/arena-hard-v2.0/question.jsonl"):
        if item.get("category") != "creative_writing":
            continue
        text = _clean(item["prompt"])
        if _words(text) >= 5:
            yield text, item["uid"]


_TMAS_SPLITS = ("train", "validation", "test")


def _tell_me_a_story(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Tell Me A Story's ``inputs``: human-written writing prompts ("Write a story about …")
    with constraints on length, point of view, genre, characters and ending; the ``targets``
    (the stories) are never read into a row. The dataset lists the variants of one base premise
    next to each other, so a group is a split and a block of 8 consecutive examples."""
    for split in _TMAS_SPLITS:
        path = f"dataset/tell-me-a-story-{split}.jsonl"
        for i, item in enumerate(_jsonl(src, snap, path)):
            text = _clean(item["inputs"])
            if _words(text) >= 5:
                yield text, f"{split}-{i // 8}"


def _mops_premises(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """MoPS's story premises (``moderate`` set, which holds the ``curated`` one): a story's
    setting, protagonist, conflict and stakes in one or two sentences, from which a story is to
    be written; only the premise field (quotes around it removed), not the modules nor the
    extended stories. One group per genre theme."""
    for item in _jsonl(src, snap, "assets/premises/mops/moderate.jsonl"):
        text = _clean(item["premise"]).strip('"')
        if _words(text) >= 5:
            yield text, item.get("theme") or "none"


CREATIVE_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("arena-hard-creative", "lmarena/arena-hard-auto",
                 "196f6b826783b3da7310e361a805fa36f0be83f3", "Apache-2.0", "creative", "train",
                 _arena_hard_creative, cap=400),
    PublicSource("tell-me-a-story", "haruboring/tell_me_a_story",
                 "f9cbf896a2aca9a4ff6c9171efc07fdc6c6c6153",
                 "CC BY 4.0 (dataset; code Apache-2.0)", "creative", "eval", _tell_me_a_story,
                 cap=400),
    PublicSource("mops-premises", "GAIR-NLP/MoPS", "4e4ee427b5d35513a1ea33958a4c93993fd96f04",
                 "MIT (pyproject.toml; no LICENSE file)", "creative", "train", _mops_premises,
                 cap=400),
)
