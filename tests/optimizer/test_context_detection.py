"""Context detection ("precision locks"): the shipped artifact, the fused model, training."""

from __future__ import annotations

import json
import random

import numpy as np
import pytest

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.detect import ARTIFACT, ContextDetector, default_detector
from promptsentry.optimizer.features import HASH_DIM, SIGNALS, embedding_input
from promptsentry.training.context import train_context
from promptsentry.training.context.train_context import fit_fusion

LOCKS = [lock.value for lock in Lock]


class RecordingEncoder:
    """A stand-in sentence encoder: a deterministic 8-d vector per text, inputs recorded."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def embed(self, texts: list[str]) -> np.ndarray:
        self.seen.extend(texts)
        out = np.zeros((len(texts), 8), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, len(t) % 8] = 1.0
        return out


class ExplodingEncoder:
    def embed(self, texts: list[str]) -> np.ndarray:  # pragma: no cover - must not run
        raise AssertionError("the encoder must not be called")


def _lexical_only(**kw) -> ContextDetector:
    rng = np.random.default_rng(0)
    return ContextDetector(rng.normal(size=(HASH_DIM, 6)).astype(np.float32) * 0.01,
                           np.zeros((len(SIGNALS), 6), np.float32), np.zeros(6, np.float32),
                           LOCKS, **kw)


# --- the shipped artifact ------------------------------------------------------------------

def test_shipped_artifact_loads_with_both_halves():
    det = ContextDetector.load(ARTIFACT)
    assert [lab.value for lab in det.labels] == LOCKS
    assert det.temperature > 0
    assert det.uses_encoder and det.alpha > 0  # the semantic half is part of the model
    assert det.metadata["embed_chars"] == det.embed_chars > 0


def test_bundled_encoder_still_matches_the_semantic_weights():
    """The semantic half was trained on the bundled encoder's output: if the encoder file is
    swapped (another model, another quantisation), the stored probe no longer matches."""
    from promptsentry.encoders import sentence_encoder

    probe = default_detector().metadata["encoder_probe"]
    now = sentence_encoder().embed([embedding_input(probe["text"])])[0]
    assert float(now @ np.array(probe["embedding"], dtype=np.float32)) > 0.999


@pytest.mark.parametrize("prompt,lock", [
    ("Write a Python function that returns the n-th Fibonacci number using memoization.",
     "code"),
    ("TypeError: Cannot read properties of undefined (reading 'map') at App.render "
     "(src/App.jsx:12). How do I fix this React error?", "code"),
    ("Write a short story about a lighthouse keeper who finds a message in a bottle.",
     "creative"),
    ("Compose a sonnet about the end of summer, with a twist in the final couplet.",
     "creative"),
    ("I have a CSV of monthly sales by region. Using pandas, group by region, compute the "
     "median and plot a bar chart of the totals.", "data_analysis"),
    # issue 21's labelling guide: SQL tasks are code (the first issue-21 model answered
    # general here; the model with the template source, 2026-12-07, answers code)
    ("Why does this query return duplicates? SELECT c.name, SUM(o.total) FROM "
     "customers c JOIN orders o ON o.customer_id = c.id GROUP BY c.name", "code"),
    ("Write a literature review of peer-reviewed studies on microplastics in drinking water, "
     "citing each source with its DOI.", "research"),
    ("A cozy cabin in a snowy forest at night, warm light in the windows, cinematic "
     "lighting, 35mm, photorealistic, 8k --ar 16:9", "image_video"),
    ("Generate an image of a red fox in a misty meadow at golden hour, shallow depth of "
     "field, watercolor style.", "image_video"),
    ("What are some good tips for sleeping better when I travel across time zones?",
     "general"),
    ("Who won the football World Cup in 2018?", "general"),
    # search-box questions that name a work or a person are factual questions, not captions
    # or story prompts (2026-12-07 c; the artifact before answered image_video for these three)
    ("who played the joker in the dark knight", "general"),
    ("what is the longest river in africa", "general"),
    ("what language is spoken in brazil", "general"),
    # Chinese prompts of our own, none trained on (2026-12-07 d: the encoder gate and ten
    # Chinese training prompts per lock; the artifact before sent the first three to
    # image_video)
    ("请综述近五年关于肠道菌群与抑郁症关系的研究进展，并列出主要参考文献。", "research"),
    ("请调研全球固态电池产业的发展现状，分析主要企业的技术路线和市场格局。", "research"),
    ("根据这份销售数据表，分析各地区的季度增长趋势。", "data_analysis"),
    ("帮我写一个Python函数，计算列表中所有偶数的和。", "code"),
    ("写一首关于秋天的诗。", "creative"),
    ("一只在雪地里奔跑的红色狐狸，电影感光线，4k", "image_video"),
    ("去日本旅游需要办签证吗？", "general"),
    # story premises told as a scene and a causal question about a dataset, our own wording,
    # none trained on (the registers of 2026-12-08 e; the artifact before also got them)
    ('"Don\'t turn around," the voice in the elevator said. "And whatever you do, don\'t '
     'press thirteen."', "creative"),
    ("You're the last barber on a space station where nobody's hair grows anymore. Today a "
     "customer walks in with a beard.", "creative"),
    ("In the churn data, is the effect of the new pricing plan on cancellations confounded "
     "by account age?", "data_analysis"),
])
def test_obvious_prompts_land_in_their_lock(prompt, lock):
    det = default_detector().detect(prompt)
    assert det.category.value == lock, det.probabilities


def test_confidence_is_a_calibrated_probability():
    det = default_detector().detect("Write a haiku about autumn rain")
    probs = det.probabilities
    assert set(probs) == set(LOCKS)
    assert all(0.0 <= p <= 1.0 for p in probs.values())
    assert abs(sum(probs.values()) - 1.0) < 1e-5
    assert det.confidence == max(probs.values())
    assert det.runner_up != det.category
    assert det.runner_up_confidence == sorted(probs.values())[-2] <= det.confidence


def test_confidence_is_higher_for_a_clear_prompt_than_for_a_vague_one():
    det = default_detector()
    clear = det.detect("```python\ndef add(a, b):\n    return a - b\n```\nFix this function.")
    vague = det.detect("help me with this")
    assert clear.confidence > vague.confidence


# --- the model ------------------------------------------------------------------------------

def test_embedding_input_is_the_collapsed_head():
    text = "Line one\n\n   line   two " + "x" * 2000
    head = embedding_input(text, 40)
    assert head.startswith("Line one line two ")
    assert len(head) == 40


def test_semantic_half_reads_only_the_head_through_the_encoder():
    enc = RecordingEncoder()
    ew = np.zeros((8 + len(SIGNALS), 6), np.float32)
    ew[:8, 2] = 5.0  # any embedding pushes towards data_analysis
    det = _lexical_only(embed_weights=ew, alpha=1.0, embed_chars=64, encoder=enc)
    assert det.uses_encoder
    result = det.detect("a " * 500)
    assert enc.seen and all(len(t) <= 64 for t in enc.seen)
    assert result.category is Lock.DATA_ANALYSIS


def test_a_prompt_the_lexical_half_settles_skips_the_encoder():
    ew = np.zeros((8 + len(SIGNALS), 6), np.float32)
    ew[:8, 2] = 5.0
    sure = _lexical_only(embed_weights=ew, alpha=1.0, embed_chars=64,
                         encoder=ExplodingEncoder())
    sure._b[0] = 10.0  # the lexical half alone: lock 0 at ≈ 1.0
    result = sure.detect("a " * 50)
    assert result.category is sure.labels[0] and result.embedding is None
    assert result.confidence >= sure.lexical_settle
    # unsure (uniform lexical half): the semantic half runs and moves the decision
    enc = RecordingEncoder()
    unsure = _lexical_only(embed_weights=ew, alpha=1.0, embed_chars=64, encoder=enc)
    assert unsure.detect("a " * 50).category is Lock.DATA_ANALYSIS and enc.seen
    # 1.0 turns the shortcut off: the semantic half always runs
    enc = RecordingEncoder()
    always = _lexical_only(embed_weights=ew, alpha=1.0, embed_chars=64, encoder=enc,
                           lexical_settle=1.0)
    always._b[0] = 10.0
    assert always.detect("a " * 50).embedding is not None and enc.seen


def test_a_prompt_the_encoder_cannot_read_is_scored_by_the_lexical_half_alone():
    """The encoder gate: less than ``encoder_min_latin`` of the letters Latin (Chinese here)
    → no encoder call, and the semantic half's pull does not reach the answer."""
    enc = RecordingEncoder()
    ew = np.zeros((8 + len(SIGNALS), 6), np.float32)
    ew[:8, 4] = 50.0  # any embedding pushes hard towards image_video
    det = _lexical_only(embed_weights=ew, alpha=1.0, encoder=enc, encoder_min_latin=0.5)
    det.lexical_settle = 1.0
    assert det.detect("请综述近五年关于肠道菌群与抑郁症关系的研究进展").category is not Lock.IMAGE_VIDEO
    assert enc.seen == []
    assert det.detect("please review the research on gut bacteria").category is Lock.IMAGE_VIDEO
    assert len(enc.seen) == 1
    det.encoder_min_latin = 0.0  # off: every prompt may reach the encoder
    assert det.detect("请综述近五年的研究进展").category is Lock.IMAGE_VIDEO


def test_the_encoder_gate_reads_the_head_the_encoder_embeds():
    """The gate looks at what the encoder would read (the first ``embed_chars`` characters),
    not at the whole prompt: an English request followed by a long Chinese document is read,
    a Chinese request followed by a long English log is not."""
    det = _lexical_only(encoder_min_latin=0.5, embed_chars=64)
    english_head = "Summarise the following customer feedback for me. " + "客户反馈很好" * 40
    chinese_head = "请帮我总结下面的日志内容并找出错误原因。" * 3 + " error: timeout" * 60
    assert det.encoder_reads(english_head)
    assert not det.encoder_reads(chinese_head)


def test_the_encoder_gate_is_kept_in_the_artifact(tmp_path):
    from promptsentry.training.context.train_context import save

    det = _lexical_only(encoder_min_latin=0.5)
    path = tmp_path / "m.npz"
    save(det, path, {})
    assert ContextDetector.load(path).encoder_min_latin == 0.5
    assert default_detector().encoder_min_latin == 0.5  # the shipped artifact uses it


def test_lexical_only_detector_never_calls_the_encoder():
    det = _lexical_only(encoder=ExplodingEncoder())
    assert not det.uses_encoder
    assert det.detect("Write a poem").category in set(Lock)


def test_embed_weights_of_the_wrong_shape_are_refused():
    with pytest.raises(ValueError):
        _lexical_only(embed_weights=np.zeros((8, 5), np.float32), alpha=1.0)


def test_fusion_weight_follows_the_informative_half():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 6, size=400)
    informative = np.eye(6)[y] * 4.0
    noise = rng.normal(size=(400, 6))
    alpha, temp = fit_fusion(informative, noise, y)
    assert alpha <= 0.1 and temp > 0
    alpha, _ = fit_fusion(noise * 0.1, informative, y)
    assert alpha >= 0.5


# --- training end to end ----------------------------------------------------------------------

_TEMPLATES = {
    "code": ["Write a Python function that {v} a list of integers.",
             "Fix the bug in this JavaScript function that {v} an array:\n```js\n"
             "function f(a) {{ return a.map(x => x) }}\n```"],
    "creative": ["Write a short poem about a {n} that {v} the moon.",
                 "Tell a fairy tale story where a brave {n} {v} the dragon."],
    "data_analysis": ["Load the sales CSV into a pandas dataframe and {v} the median by {n}.",
                      "Write a SQL query that {v} the average revenue grouped by {n}."],
    "research": ["Summarise peer-reviewed studies on how the {n} {v} memory, with citations.",
                 "Write a literature review on {n} research that {v} climate models."],
    "image_video": ["Photorealistic portrait of a {n} that {v} the sea, 85mm, bokeh, 8k.",
                    "Generate an image of a {n} who {v} a castle, watercolor, golden hour."],
    "general": ["Give me tips for planning a birthday party for my {n} who {v} games.",
                "How should I reply to my {n} who {v} my messages at work?"],
}
_NOUNS = ["cat", "teacher", "river", "robot", "sister", "garden", "pilot", "village"]
_VERBS = ["sorts", "watches", "filters", "guards", "loves", "ignores", "counts", "follows"]


def _tiny_corpus() -> list[dict]:
    rnd = random.Random(7)
    rows = []
    for lock, templates in _TEMPLATES.items():
        for i in range(24):
            text = rnd.choice(templates).format(n=rnd.choice(_NOUNS), v=rnd.choice(_VERBS))
            split = "train" if i < 14 else "calib" if i < 18 else "dev"
            rows.append({"text": f"{text} (case {i})", "label": lock, "source": f"gen-{lock}",
                         "group": f"{lock}:{i}", "split": split})
    return rows


def test_training_command_runs_end_to_end(tmp_path, monkeypatch):
    data = tmp_path / "contexts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _tiny_corpus()))
    out, metrics_path = tmp_path / "model.npz", tmp_path / "metrics.json"
    enc = RecordingEncoder()
    monkeypatch.setattr("promptsentry.encoders.sentence_encoder", lambda **_: enc)
    train_context.main(["--data", str(data), "--out", str(out), "--metrics",
                        str(metrics_path), "--loso", "gen-code", "--C", "4"])
    metrics = json.loads(metrics_path.read_text())
    assert metrics["counts"] == {"calib": 24, "dev": 36, "train": 84}
    assert np.array(metrics["dev"]["confusion"]).shape == (6, 6)
    assert np.array(metrics["dev"]["confusion"]).sum() == 36
    assert metrics["dev"]["accuracy"] >= 0.8
    assert "gen-code" in metrics["leave_one_source_out"]
    det = ContextDetector.load(out, encoder=enc)
    assert det.detect("Write a Python function that counts a list of integers.").category \
        is Lock.CODE
    assert det.detect("Photorealistic portrait of a robot, 85mm, bokeh, 8k.").category \
        is Lock.IMAGE_VIDEO


def test_training_keeps_what_the_encoder_cannot_read_from_the_semantic_half(tmp_path,
                                                                           monkeypatch):
    """``--encoder-min-latin``: rows the run-time gate keeps from the encoder never reach it
    in training either (neither the semantic fit nor the fusion on calib), and the gate is
    written into the artifact."""
    rows = _tiny_corpus()
    for i, r in enumerate(rows[:40]):
        r["text"] = f"请写一个关于第{i}只猫的故事" if r["label"] == "creative" else r["text"]
    data = tmp_path / "contexts.jsonl"
    data.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))
    out = tmp_path / "model.npz"
    enc = RecordingEncoder()
    monkeypatch.setattr("promptsentry.encoders.sentence_encoder", lambda **_: enc)
    train_context.main(["--data", str(data), "--out", str(out), "--metrics",
                        str(tmp_path / "m.json"), "--loso", "", "--encoder-min-latin", "0.5"])
    assert enc.seen and not any("猫" in t for t in enc.seen)
    assert ContextDetector.load(out, encoder=enc).encoder_min_latin == 0.5


def test_a_fixed_fusion_weight_is_used_instead_of_the_calib_fit(tmp_path, monkeypatch):
    """``--alpha``: the semantic half's weight is the one given (the temperature is still
    fitted on calib), and it is what the artifact carries."""
    data = tmp_path / "contexts.jsonl"
    data.write_text("".join(json.dumps(r) + "\n" for r in _tiny_corpus()))
    enc = RecordingEncoder()
    monkeypatch.setattr("promptsentry.encoders.sentence_encoder", lambda **_: enc)
    alphas = []
    for extra in ([], ["--alpha", "0.3"]):
        out = tmp_path / f"model{len(extra)}.npz"
        train_context.main(["--data", str(data), "--out", str(out), "--metrics",
                            str(tmp_path / "m.json"), "--loso", "", *extra])
        alphas.append(ContextDetector.load(out, encoder=enc).alpha)
    assert alphas[1] == pytest.approx(0.3)
    assert alphas[0] != pytest.approx(0.3)  # the fit on calib chose another grid value
