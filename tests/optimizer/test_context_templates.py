"""The template source of the context corpus (issue 21): deterministic, its dev pool shares
no text (and no template or slot value) with its train pool, and dev rows never reach a
training or calibration split."""

from __future__ import annotations

import json

from promptsentry.training.context import build_public, templates
from promptsentry.training.context.common import dedupe_key
from promptsentry.training.context.template_multilingual import DEV_FROM, EXTRA_TRAIN, PROMPTS
from promptsentry.training.context.template_text import REGISTERS


def _body(row: dict) -> str:
    return dedupe_key(row["text"])


def test_template_builder_is_deterministic():
    assert templates.template_rows() == templates.template_rows()


def test_train_and_dev_pools_share_no_text():
    train = templates.template_rows(("train",))
    dev = templates.template_rows(("dev",))
    assert train and dev
    assert not {_body(r) for r in train} & {_body(r) for r in dev}
    for spec in REGISTERS.values():
        assert not set(spec["train"]["templates"]) & set(spec["dev"]["templates"])
        train_values = {v for vs in spec["train"]["slots"].values() for v in vs}
        dev_values = {v for vs in spec["dev"]["slots"].values() for v in vs}
        assert not train_values & dev_values
    for lang in PROMPTS.values():
        for prompts in lang.values():
            assert len(prompts) > DEV_FROM and len(set(prompts)) == len(prompts)


def test_pools_go_to_their_splits_and_families():
    rows = templates.template_rows()
    for row in rows:
        dev = row["source_family"].endswith("-dev")
        assert row["source"] == row["source_family"]
        assert row["split"] in ({templates.DEV_SPLIT} if dev else {"train", "calib"})
    labels = {r["source_family"]: r["label"] for r in rows if "multilingual" not in r["source"]}
    assert labels["template-premise"] == labels["template-premise-dev"] == "creative"
    assert labels["template-analytics"] == "data_analysis"
    assert labels["template-market"] == labels["template-biomed"] == "research"
    multi = {r["label"] for r in rows if r["source_family"] == "template-multilingual-dev"}
    assert len(multi) == 6


def test_build_public_appends_the_template_rows_with_their_split(tmp_path, monkeypatch):
    monkeypatch.setattr(build_public, "SOURCES", ())
    base = tmp_path / "base.jsonl"
    base.write_text(json.dumps({"text": "Write a Python function that adds two numbers.",
                                "label": "code", "source": "human-eval", "group": "g",
                                "split": "train"}) + "\n")
    rows = build_public.build(base, tmp_path, None)
    assert len(rows) == 1 + len(templates.template_rows())
    dev = [r for r in rows if r["source_family"].endswith("-dev")]
    assert dev and {r["split"] for r in dev} == {templates.DEV_SPLIT}
    assert len(build_public.build(base, tmp_path, None, templates=False)) == 1


def test_registers_of_2026_12_07_b_have_their_locks_and_leave_the_old_rows_alone():
    rows = templates.template_rows()
    labels = {r["source_family"]: r["label"] for r in rows if "multilingual" not in r["source"]}
    expected = {"situation": "creative", "codetask": "code", "bugreport": "code",
                "dataset": "data_analysis", "consult": "research", "advice": "general",
                "factual": "general"}
    for register, lock in expected.items():
        assert labels[f"template-{register}"] == labels[f"template-{register}-dev"] == lock
    # each pool draws from its own seeded generator: the rows of an older register do not
    # depend on the registers added after it
    premise = [r for r in rows if r["source_family"] == "template-premise"]
    assert premise == templates._register_rows("premise", "train",
                                               templates.CAPS["premise"]["train"])


def test_extra_multilingual_prompts_go_to_the_train_pool_only():
    extra = {p for lang in EXTRA_TRAIN.values() for prompts in lang.values() for p in prompts}
    assert extra
    dev = {r["text"] for r in templates.template_rows(("dev",))}
    train = {r["text"] for r in templates.template_rows(("train",))}
    assert extra <= train and not extra & dev
    originals = {p for lang in PROMPTS.values() for prompts in lang.values() for p in prompts}
    assert not extra & originals
