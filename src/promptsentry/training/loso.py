"""Leave-one-source-out evaluation: train without source S, test on S.

A source with only one class (``yanismiraoui`` is attacks only) cannot give an AUC or a
false-positive rate by itself. For such a fold the test set is S's rows **plus a fixed benign
reserve**: the benign rows of the other sources whose text hashes into the lowest
``reserve_percent`` buckets. The reserve is removed from that fold's training data, so the
fold's model has seen neither S nor the benign rows it is measured against. The reserve is the
same in every run (a hash of the text, not a random draw).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from promptsentry.training.data import Row, in_share
from promptsentry.training.pipeline import CachedEncoder, Progress, TrainConfig, fit_cascade

__all__ = ["Fold", "make_folds", "run_loso"]


@dataclass
class Fold:
    source: str
    train: list[Row]
    test: list[Row]
    reserve_used: bool


def make_folds(rows: Sequence[Row], reserve_percent: int = 15) -> list[Fold]:
    """One fold per source, in sorted source order."""
    folds = []
    for source in sorted({r.source for r in rows}):
        held = [r for r in rows if r.source == source]
        rest = [r for r in rows if r.source != source]
        labels = {r.label for r in held}
        if len(labels) == 2:
            folds.append(Fold(source, rest, held, False))
            continue
        missing = 1 - next(iter(labels))
        reserve = [r for r in rest if r.label == missing and in_share(r.text, reserve_percent)]
        keep = [r for r in rest if not (r.label == missing and in_share(r.text, reserve_percent))]
        folds.append(Fold(source, keep, held + reserve, True))
    return folds


@dataclass
class FoldResult:
    source: str
    y: np.ndarray
    p: np.ndarray
    stages: list[str]
    threshold: float
    reserve_used: bool
    seconds: float


def run_loso(
    rows: Sequence[Row],
    cfg: TrainConfig,
    encoder: CachedEncoder | None,
    progress: Progress | None = None,
    on_fold: Callable[[Fold], None] | None = None,
    extra: Sequence[Row] = (),
) -> list[FoldResult]:
    """Fit a cascade per fold and score the held-out rows through the runtime ``Detector``."""
    out = []
    for fold in make_folds(rows):
        if on_fold is not None:
            on_fold(fold)
        t0 = time.perf_counter()
        model = fit_cascade(fold.train, cfg, encoder, progress or (lambda *a: None),
                            extra=extra)
        det = model.detector(encoder=encoder)
        if encoder is not None and model.head is not None:  # frozen mode: batch the embeddings
            # embed the held-out single-window rows in batches (same vectors the runtime makes)
            short = [r.text for r in fold.test if len(r.text) <= cfg.window_chars]
            todo = encoder.count_missing(short)
            if progress is not None:
                progress("embeddings", 0, todo)
            encoder.embed(
                short, (lambda n, t=todo: progress("embeddings", n, t)) if progress else None
            )
            encoder.save()
        if progress is not None:
            progress("scoring", 0, len(fold.test))
        ps, stages = [], []
        for i, r in enumerate(fold.test):
            d = det.score(r.text)
            ps.append(d.probability)
            stages.append(d.stage)
            if progress is not None and (i + 1) % 1000 == 0:
                progress("scoring", 1000, len(fold.test))
        out.append(
            FoldResult(
                fold.source,
                np.array([r.label for r in fold.test]),
                np.array(ps),
                stages,
                model.threshold,
                fold.reserve_used,
                time.perf_counter() - t0,
            )
        )
    return out
