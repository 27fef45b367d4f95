"""Issue 21's detector parts: label-description prototypes in the semantic half, the abstain
band (``general`` only when the model is sure enough), family-balanced weights, the lexical
skip, and the public-source corpus builder (rules by source, eval-only licences kept out of
training), on small stand-ins so every test can fail on its own."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pytest

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.detect import ContextDetector
from promptsentry.optimizer.features import HASH_DIM, SIGNALS
from promptsentry.training.context import build_public, public_sources
from promptsentry.training.context.train_context import (
    TrainConfig,
    fit_general_floor,
    load_cache,
    row_weights,
    save,
    save_cache,
)

LOCKS = [lock.value for lock in Lock]
DIM = 8


class AxisEncoder:
    """Every text embeds on the axis given by its length modulo 8."""

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), DIM), dtype=np.float32)
        for i, t in enumerate(texts):
            out[i, len(t) % DIM] = 1.0
        return out


def _detector(**kw) -> ContextDetector:
    return ContextDetector(np.zeros((HASH_DIM, 6), np.float32),
                           np.zeros((len(SIGNALS), 6), np.float32), np.zeros(6, np.float32),
                           LOCKS, **kw)


def _prototyped(**kw) -> ContextDetector:
    """A semantic half that reads only the prototype similarities: prototype i is axis i
    and belongs to lock i (i < 6), so a text of length 2 (axis 2) is data_analysis."""
    protos = np.eye(DIM, dtype=np.float32)[:6]
    ew = np.zeros((DIM + len(SIGNALS) + 6, 6), np.float32)
    ew[DIM + len(SIGNALS):, :] = np.eye(6)
    return _detector(embed_weights=ew, alpha=1.0, encoder=AxisEncoder(), prototypes=protos,
                     prototype_labels=np.arange(6), lexical_settle=1.0, **kw)


def test_prototype_similarity_is_the_best_cosine_per_lock():
    det = _prototyped()
    sims = det.prototype_similarities(np.eye(DIM, dtype=np.float32)[2])
    assert sims.argmax() == LOCKS.index("data_analysis")
    assert sims[2] == pytest.approx(det.prototype_scale)
    assert sims[0] == pytest.approx(0.0)


def test_prototypes_drive_the_semantic_half():
    det = _prototyped()
    assert det.detect("ab").category is Lock.DATA_ANALYSIS  # length 2 → axis 2
    assert det.detect("abcd").category is Lock.IMAGE_VIDEO  # length 4 → axis 4


def test_prototypes_without_their_labels_or_with_the_old_shape_are_refused():
    with pytest.raises(ValueError):
        _detector(prototypes=np.eye(DIM, dtype=np.float32)[:6])
    with pytest.raises(ValueError):  # embed weights without room for the similarities
        _detector(embed_weights=np.zeros((DIM + len(SIGNALS), 6), np.float32), alpha=1.0,
                  prototypes=np.eye(DIM, dtype=np.float32)[:6], prototype_labels=np.arange(6))


def _unsure_general(floor: float) -> ContextDetector:
    bias = np.zeros(6, np.float32)
    bias[LOCKS.index("general")] = 0.6
    bias[LOCKS.index("research")] = 0.4
    return ContextDetector(np.zeros((HASH_DIM, 6), np.float32),
                           np.zeros((len(SIGNALS), 6), np.float32), bias, LOCKS,
                           general_floor=floor)


def test_abstain_band_answers_the_specific_lock_when_general_is_unsure():
    plain = _unsure_general(0.0).detect("anything at all")
    assert plain.category is Lock.GENERAL and plain.confidence < 0.5
    banded = _unsure_general(0.5).detect("anything at all")
    assert banded.category is Lock.RESEARCH
    assert banded.runner_up is Lock.GENERAL
    assert banded.confidence == pytest.approx(plain.probabilities["research"])


def test_abstain_band_keeps_a_sure_general():
    bias = np.zeros(6, np.float32)
    bias[LOCKS.index("general")] = 5.0
    det = ContextDetector(np.zeros((HASH_DIM, 6), np.float32),
                          np.zeros((len(SIGNALS), 6), np.float32), bias, LOCKS,
                          general_floor=0.5)
    assert det.detect("hello there").category is Lock.GENERAL


def test_general_floor_is_fitted_on_rows_and_kept_in_the_artifact(tmp_path):
    det = _unsure_general(0.0)
    rows = [{"text": "some question", "label": "research"}] * 3
    assert fit_general_floor(det, rows) > 0.0  # research is what these rows are
    path = tmp_path / "m.npz"
    save(det, path, {})
    assert ContextDetector.load(path).general_floor == det.general_floor
    rows = [{"text": "some question", "label": "general"}] * 3
    assert fit_general_floor(det, rows) == 0.0


def test_artifact_round_trips_the_prototypes(tmp_path):
    det = _prototyped(general_floor=0.4)
    path = tmp_path / "m.npz"
    save(det, path, {})
    back = ContextDetector.load(path, encoder=AxisEncoder())
    back.lexical_settle = 1.0
    assert back.general_floor == pytest.approx(0.4)
    assert back.detect("ab").category is Lock.DATA_ANALYSIS


def test_family_balance_weights_each_family_by_one_over_sqrt_rows():
    rows = [{"source": "big", "source_family": "big"}] * 4 + [
        {"source": "small", "source_family": "small"}]
    flat = row_weights(rows, TrainConfig())
    assert np.allclose(flat, 1.0)
    w = row_weights(rows, TrainConfig(family_balance=True))
    assert w[-1] / w[0] == pytest.approx(2.0)  # 1/sqrt(1) vs 1/sqrt(4)
    assert w.mean() == pytest.approx(1.0)


def test_embedding_cache_round_trips_by_text(tmp_path):
    path = tmp_path / "cache.npz"
    save_cache(path, {"a": np.ones(3, np.float32), "b": np.zeros(3, np.float32)})
    back = load_cache(path, [{"text": "b"}, {"text": "c"}])
    assert list(back) == ["b"] and not back["b"].any()
    assert load_cache(path, [{"text": "a"}], embed_chars=10) == {}  # another head length


def test_embedding_cache_misses_when_the_signal_set_changes(tmp_path, monkeypatch):
    """A cached row holds the signal columns too: a new signal must not reuse old rows."""
    import re

    from promptsentry.optimizer import features

    path = tmp_path / "cache.npz"
    save_cache(path, {"a": np.ones(3, np.float32)})
    assert list(load_cache(path, [{"text": "a"}])) == ["a"]
    monkeypatch.setitem(features.SIGNALS, "extra", re.compile("x"))
    assert load_cache(path, [{"text": "a"}]) == {}


# --- the public-source builder ----------------------------------------------------------------

def _snapshot(root: Path, repo: str, files: dict[str, str]) -> str:
    """A bare-ish git snapshot at ``root/owner+name/repo`` holding ``files``; its commit."""
    work = root / "work" / repo.replace("/", "+")
    work.mkdir(parents=True)
    for name, text in files.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text, encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=work, check=True)
    subprocess.run([*git, "add", "."], cwd=work, check=True)
    subprocess.run([*git, "commit", "-qm", "x"], cwd=work, check=True)
    target = root / repo.replace("/", "+")
    target.mkdir()
    (work / ".git").rename(target / "repo")
    return subprocess.run(["git", f"--git-dir={target / 'repo'}", "rev-parse", "HEAD"],
                          check=True, capture_output=True, text=True).stdout.strip()


def test_source_rule_labels_every_row_by_its_source(tmp_path):
    files = {f"examples/dataset/{c}.txt": f"a red {c} cube on a table\nshort\n"
             for c in public_sources._T2I_CATEGORIES}
    commit = _snapshot(tmp_path, "me/t2i", files)
    src = public_sources.PublicSource("t2i", "me/t2i", commit, "MIT", "image_video", "train",
                                      public_sources._t2i_compbench, cap=5)
    rows = public_sources.source_rows(src, tmp_path)
    assert len(rows) == 5  # capped; the two-word line is dropped
    assert {r["label"] for r in rows} == {"image_video"}
    assert {r["source_family"] for r in rows} == {"t2i"}
    assert all(r["group"].startswith("t2i:") for r in rows)


def test_writing_prompt_tags_are_removed_and_untagged_posts_left_out(tmp_path):
    posts = {"subreddit-data/r-WritingPrompts/a.json": json.dumps(
                 {"id": "a", "title": "[WP] A dragon opens a bakery in a small town."}),
             "subreddit-data/r-WritingPrompts/b.json": json.dumps(
                 {"id": "b", "title": "Weekly feedback thread for everyone"}),
             "subreddit-data/r-WritingPrompts/c.json": ""}
    commit = _snapshot(tmp_path, "me/reddit", posts)
    src = public_sources.PublicSource("wp", "me/reddit", commit, "none", "creative", "eval",
                                      public_sources._reddit_writingprompts)
    rows = public_sources.source_rows(src, tmp_path)
    assert [r["text"] for r in rows] == ["A dragon opens a bakery in a small town."]


def test_eval_only_sources_never_reach_a_training_split(tmp_path, monkeypatch):
    commit = _snapshot(tmp_path, "me/t2i", {f"examples/dataset/{c}.txt":
                                            f"a blue {c} sphere in the rain\n"
                                            for c in public_sources._T2I_CATEGORIES})
    train_src = public_sources.PublicSource("t2i", "me/t2i", commit, "MIT", "image_video",
                                            "train", public_sources._t2i_compbench)
    eval_src = public_sources.PublicSource("t2i-nc", "me/t2i", commit, "CC BY-NC",
                                           "image_video", "eval",
                                           public_sources._t2i_compbench)
    monkeypatch.setattr(build_public, "SOURCES", (eval_src, train_src))
    base = tmp_path / "base.jsonl"
    base.write_text(json.dumps({"text": "Write a Python function that adds two numbers.",
                                "label": "code", "source": "human-eval", "group": "g",
                                "split": "train"}) + "\n")
    rows = build_public.build(base, tmp_path, None, templates=False)
    assert rows[0]["source_family"] == "human-eval"
    new = rows[1:]
    # the eval-only source came first, so it keeps the duplicates and none is trainable
    assert new and {r["split"] for r in new} == {"test_family"}
    assert {r["source_family"] for r in new} == {"t2i-nc"}


def test_a_snapshot_that_came_with_a_work_tree_is_read_through_its_git_directory(tmp_path):
    from promptsentry.training.mirrors import git_show, snapshot

    work = tmp_path / "me+qa" / "repo"
    work.mkdir(parents=True)
    (work / "q.txt").write_text("who wrote hamlet?\n", encoding="utf-8")
    git = ["git", "-c", "user.email=t@example.org", "-c", "user.name=t"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "x"]):
        subprocess.run([*git, *args], cwd=work, check=True)
    snap = snapshot(tmp_path, "me/qa")
    assert snap == work / ".git"
    commit = subprocess.run(["git", f"--git-dir={snap}", "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    assert git_show(snap, commit, "q.txt") == b"who wrote hamlet?\n"


def test_the_per_label_sources_keep_only_the_question_and_label_by_source(tmp_path):
    from promptsentry.training.context import (
        sources_creative,
        sources_data_analysis,
        sources_general,
        sources_research,
    )

    medevidence = {"dset_gen/manual_284-setup.json": json.dumps({
        "111": [{"question": "Is the risk of stroke higher, lower, or the same when comparing "
                             "aspirin to placebo?", "answer": "lower"},
                {"question": "Too short a question", "answer": "x"}],
        "222": [{"question": "Is the risk of stroke higher, lower, or the same when comparing "
                             "aspirin to placebo?", "answer": "lower"}]})}
    qald = {path: json.dumps({"questions": [{"id": "1", "question": [
        {"language": "de", "string": "Wie hoch ist der höchste Berg Italiens?"},
        {"language": "en", "string": "Which is the highest mountain in Italy?"}]}]})
        for _, path in sources_general._QALD_FILES}
    bi = {f"dataset/{name}.json": json.dumps([
        {"Natural Language Query": f"Which {name.lower()} drivers explain store sales?",
         "Table(s) Used": ["sales_orders"], "SQL": "SELECT 1"}])
        for name in sources_data_analysis._BI_FILES}
    mops = {"assets/premises/mops/moderate.jsonl": json.dumps(
        {"premise": '"A lighthouse keeper finds a map to a drowned city."', "theme": "sea",
         "story": "Once upon a time"}) + "\n"}
    cases = ((sources_research._medevidence, medevidence, "research",
              ["Is the risk of stroke higher, lower, or the same when comparing aspirin to "
               "placebo?"]),
             (sources_general._qald, qald, "general",
              ["Which is the highest mountain in Italy?"]),
             (sources_data_analysis._bi_bench, bi, "data_analysis",
              sorted(f"Which {n.lower()} drivers explain store sales?"
                     for n in sources_data_analysis._BI_FILES)),
             (sources_creative._mops_premises, mops, "creative",
              ["A lighthouse keeper finds a map to a drowned city."]))
    for i, (rule, files, label, texts) in enumerate(cases):
        repo = f"me/src{i}"
        commit = _snapshot(tmp_path, repo, files)
        src = public_sources.PublicSource(f"fam{i}", repo, commit, "MIT", label, "train", rule)
        rows = public_sources.source_rows(src, tmp_path)
        assert sorted(r["text"] for r in rows) == texts, rule.__name__
        assert {r["label"] for r in rows} == {label}
