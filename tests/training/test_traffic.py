"""The traffic-shaped training rows and the traffic-mix dev set (``training/traffic.py``)."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path

import pytest

from promptsentry.training import traffic
from promptsentry.training.traffic_templates import ADDRESS, GOALS, HUMAN_REQUESTS, MULTILINGUAL

ROOT = Path(__file__).resolve().parents[2]
DEV = ROOT / "data" / "dev" / "traffic.jsonl"
TRAIN_FILES = [ROOT / "data" / "detector" / "traffic_benign.jsonl",
               ROOT / "data" / "detector" / "traffic_attacks.jsonl"]


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def test_template_pools_are_disjoint():
    for pools in (GOALS, ADDRESS, HUMAN_REQUESTS):
        assert not set(pools["train"]) & set(pools["dev"])
    for overrides, goals, dev_override, dev_goal in MULTILINGUAL.values():
        assert dev_override not in overrides and dev_goal not in goals
    from promptsentry.training.traffic_agent_text import MULTILINGUAL_EXTRA, MULTILINGUAL_MORE

    dev_phrases = {p for _, _, o, g in MULTILINGUAL.values() for p in (o, g)}
    for table in (MULTILINGUAL_MORE, MULTILINGUAL_EXTRA):
        assert not {p for o, g in table.values() for p in o + g} & dev_phrases


def test_trigger_word_sentences_keep_dev_out_of_training():
    """The 14 languages' benign trigger-word sentences: dev sentences are in the dev set
    only, train sentences in the training rows only, and each pool is its own."""
    from promptsentry.training.traffic_trigger_text import MULTILINGUAL_TRIGGER_BENIGN

    train = {t for p in MULTILINGUAL_TRIGGER_BENIGN.values() for t in p["train"]}
    dev = {t for p in MULTILINGUAL_TRIGGER_BENIGN.values() for t in p["dev"]}
    assert len(MULTILINGUAL_TRIGGER_BENIGN) == 14 and len(dev) >= 40 and not train & dev
    trained = {r["text"] for p in TRAIN_FILES for r in _rows(p)}
    dev_rows = [r for r in _rows(DEV) if r["category"] == "multilingual_trigger"]
    assert {r["text"] for r in dev_rows} == dev and all(r["label"] == 0 for r in dev_rows)
    assert train <= trained and not dev & trained


def test_every_language_of_the_benign_pool_has_attacks_in_training():
    """A script seen only in benign rows is learnt as benign (3.6: Persian, Thai, Hebrew)."""
    rows = [r for p in TRAIN_FILES for r in _rows(p)]
    benign = {r["source"].split(":")[1] for r in rows
              if r["label"] == 0 and r["category"] == "multilingual"}
    attacked = Counter(r["source"].split(":")[1] for r in rows
                       if r["label"] == 1 and r["category"] == "multilingual_injection")
    assert benign and all(attacked[lang] >= 24 for lang in benign), (
        sorted(benign - set(attacked)))


def test_split_keeps_a_dialogue_or_treebank_run_on_one_side():
    turns = [f"sgd:train/12_00042/{i}" for i in range(12)]
    assert len({traffic.in_dev(s) for s in turns}) == 1
    share = sum(traffic.in_dev(f"clinc:train/{i}/greeting") for i in range(5000)) / 5000
    assert 0.17 < share < 0.23


def test_goal_text_addresses_the_agent_without_trigger_phrases():
    text = traffic.goal_text(random.Random(3), "dev")
    assert "ignore" not in text.lower() and "instruction" not in text.lower()
    assert any(text.startswith(f.split("{")[0]) for f in ADDRESS["dev"] if f.split("{")[0])


def test_no_dev_text_is_a_training_row():
    train = {r["text"] for p in TRAIN_FILES for r in _rows(p)}
    dev = _rows(DEV)
    assert not [r["text"] for r in dev if r["text"] in train and r["label"] == 0
                and r["category"].startswith(("chat", "multilingual", "system_prompt"))]


def test_dev_set_covers_every_kind_of_input():
    counts = Counter((r["category"], r["label"]) for r in _rows(DEV))
    for cat in ("chat_short", "chat_long", "instruction", "multilingual", "system_prompt",
                "system_prompt_defensive", "optimizer_prompts", "over_defence", "document"):
        assert counts[(cat, 0)] >= 80, cat
    for cat in ("tool_output_injection", "multilingual_injection", "indirect_injection",
                "corpus_direct"):
        assert counts[(cat, 1)] >= 50, cat


@pytest.mark.skipif(not (ROOT.parent / "shared" / "data" / "benign_chat").exists(),
                    reason="needs ../shared/data")
def test_committed_files_are_what_the_builder_writes(tmp_path):
    (tmp_path / "detector").mkdir()
    (tmp_path / "dev").mkdir()
    assert traffic.main(["--out-dir", str(tmp_path)]) == 0
    for rel in ("dev/traffic.jsonl", "detector/traffic_benign.jsonl",
                "detector/traffic_attacks.jsonl", "detector/corpus_holdout.jsonl"):
        assert (tmp_path / rel).read_bytes() == (ROOT / "data" / rel).read_bytes(), rel


def test_role_play_and_shell_pools_keep_dev_out_of_training():
    """3.12's everyday registers: the dev pool shares no persona, task or frame with the train
    pool, its rows are in the dev set only, and every train row is in the training file."""
    from promptsentry.training.traffic_everyday import ROLEPLAY

    for part in ("personas", "tasks", "forms"):
        assert not set(ROLEPLAY["train"][part]) & set(ROLEPLAY["dev"][part]), part
    trained = {r["text"] for r in _rows(TRAIN_FILES[0]) if r["label"] == 0}
    for category in ("chat_roleplay", "tool_output_shell"):
        dev = {r["text"] for r in _rows(DEV) if r["category"] == category}
        train = {r["text"] for r in _rows(TRAIN_FILES[0]) if r["category"] == category}
        assert len(dev) >= 80 and len(train) >= 500 and not dev & trained, category


def test_shell_outputs_look_like_their_commands():
    from promptsentry.training.traffic_everyday import shell_outputs

    first = shell_outputs("train", 18, random.Random(7))
    assert first == shell_outputs("train", 18, random.Random(7))  # deterministic for a seed
    body = [t.split("\n", 1)[1] if t.startswith("$ ") else t for t in first]
    assert body[0].startswith("total ") and "drwxr-xr-x" in body[0]  # ls -la
    assert body[1].startswith("On branch ")  # git status
    assert body[3].startswith("Filesystem") and "Mounted on" in body[3]  # df -h
    assert "passed" in body[8] and "test session starts" in body[8]  # pytest
    dev_words = {"package.json", "server.py", "lib.rs", "bob", "admin"}
    assert not any(w in t for t in first for w in dev_words)  # train pool's names only
