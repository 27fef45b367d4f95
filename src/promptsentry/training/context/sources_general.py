"""Public GitHub sources of ``general`` prompts (everyday factual questions, as typed into a
search box or asked of an assistant).

Each source is one pinned commit of one public repository, read with ``git show`` like the
sources of :mod:`promptsentry.training.context.public_sources`, and one **source rule**: every
row of a source is ``general`` because of what the source is (open-domain factual questions
people ask a search engine or a question-answering assistant: who, when, where, how many,
which is the largest, yes/no), never by looking at a row. Only the English question text is
kept, never an answer, a SPARQL query, keywords, facts or evidence.

Groups are fine-grained (one question, or one topic entity), so the hash split of the ``train``
sources spreads each source over train / calib / dev.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

from promptsentry.training.context.public_sources import PublicSource, has_words, one_line
from promptsentry.training.mirrors import git_show

__all__ = ["GENERAL_SOURCES"]

_MIN_WORDS = 4




_WEBQ_SPLITS = ("trainmodel", "val", "devtest", "test")


def _webquestions(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """WebQuestions (Berant et al., 2013): questions drawn from the Google Suggest API, i.e.
    what people type into a search box ("what kind of money to take to bahamas?", "who did the
    philippines gain independence from?"), lower-case as typed; all four splits of the
    repository's ``main/`` folder. One group per question (its ``qId``); answers dropped."""
    seen: set[str] = set()
    for split in _WEBQ_SPLITS:
        for item in json.loads(git_show(snap, src.commit, f"main/{split}.json")):
            text = one_line(item.get("qText", ""))
            if has_words(text, _MIN_WORDS) and text.lower() not in seen:
                seen.add(text.lower())
                yield text, item["qId"]


_QALD_FILES = (("train", "9/data/qald-9-train-multilingual.json"),
               ("test", "9/data/qald-9-test-multilingual.json"))


def _qald(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """QALD-9's hand-written questions over an encyclopedic knowledge base (DBpedia), with
    counts, superlatives, comparisons and dates ("How many children did Benjamin Franklin
    have?", "Which is the highest mountain in Italy?"); the English string of the multilingual
    entry only (keywords, SPARQL and answers dropped); a question repeated across the train
    and test files is kept once. One group per question (split and id)."""
    seen: set[str] = set()
    for split, path in _QALD_FILES:
        for item in json.loads(git_show(snap, src.commit, path))["questions"]:
            for q in item.get("question", []):
                if q.get("language") != "en":
                    continue
                text = one_line(q.get("string") or "")
                if has_words(text, _MIN_WORDS) and text.lower() not in seen:
                    seen.add(text.lower())
                    yield text, f"{split}:{item['id']}"


_STRATEGYQA_FILES = ("data/strategyqa/train.json", "data/strategyqa/dev.json")


def _strategyqa(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """StrategyQA's crowd-written yes/no questions about everyday knowledge ("Are more people
    today related to Genghis Khan than Julius Caesar?"), and the crowd-written steps that
    break each one into plain factual questions ("How many kids did Genghis Khan have?"),
    a step kept only when it stands alone (no ``#1`` reference to an earlier step's answer)
    and is a question. Answers, facts and evidence dropped. One group per topic term, so a
    question and its steps stay together."""
    seen: set[str] = set()
    for path in _STRATEGYQA_FILES:
        for item in json.loads(git_show(snap, src.commit, path)):
            group = one_line(item.get("term") or item["qid"])
            texts = [item.get("question", "")]
            texts += [s for s in item.get("decomposition", [])
                      if "#" not in s and s.strip().endswith("?")]
            for text in map(one_line, texts):
                if has_words(text, _MIN_WORDS) and text.lower() not in seen:
                    seen.add(text.lower())
                    yield text, group


GENERAL_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("webquestions", "brmson/dataset-factoid-webquestions",
                 "668890853388010fe6ae9a5eb035a7917b88933b", "CC BY 4.0", "general", "train",
                 _webquestions, cap=400),
    PublicSource("qald-9", "ag-sc/QALD", "7a43e2b99a523f74377c317630f5ec55a6d8c1cf", "MIT",
                 "general", "train", _qald, cap=400),
    PublicSource("strategyqa", "eladsegal/strategyqa",
                 "1ba1e97452e189569357876f2854b01357ffbe37", "MIT", "general", "train",
                 _strategyqa, cap=400),
)
