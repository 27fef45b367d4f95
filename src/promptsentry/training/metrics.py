"""Detection metrics computed the way a third party would (numpy only).

Every function takes ``y`` (0/1 labels) and ``p`` (scores in [0, 1]); nothing here knows about
the model. ROC AUC is the Mann-Whitney statistic with ties counted half; recall at a fixed
false-positive rate uses the highest threshold whose FPR on the negatives does not exceed it.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np

__all__ = ["Report", "expected_calibration_error", "json_safe", "recall_at_fpr", "report",
           "roc_auc"]


def roc_auc(y: np.ndarray, p: np.ndarray) -> float:
    """Area under the ROC curve; NaN when only one class is present."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    n_pos, n_neg = int(y.sum()), int((~y).sum())
    if n_pos == 0 or n_neg == 0:
        return math.nan
    order = np.argsort(p, kind="mergesort")
    ranks = np.empty(len(p), dtype=np.float64)
    # average 1-based ranks over ties
    _, start_idx, counts = np.unique(p[order], return_index=True, return_counts=True)
    ranks[order] = np.repeat(start_idx + (counts + 1) / 2.0, counts)
    return float((ranks[y].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


def recall_at_fpr(y: np.ndarray, p: np.ndarray, max_fpr: float) -> float:
    """Best recall with false-positive rate ≤ ``max_fpr`` (flag when score > threshold)."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    neg = np.sort(p[~y])[::-1]
    pos = p[y]
    if len(neg) == 0 or len(pos) == 0:
        return math.nan
    k = math.floor(max_fpr * len(neg))  # negatives allowed above the threshold
    # threshold: the (k+1)-th highest negative score; flag strictly above it
    thr = neg[k] if k < len(neg) else -math.inf
    return float((pos > thr).mean())


def expected_calibration_error(y: np.ndarray, p: np.ndarray, bins: int = 10) -> float:
    """ECE with equal-width probability bins (weighted mean |accuracy - confidence|)."""
    y = np.asarray(y, dtype=np.float64)
    p = np.clip(np.asarray(p, dtype=np.float64), 0.0, 1.0)
    if len(p) == 0:
        return math.nan
    which = np.minimum((p * bins).astype(int), bins - 1)
    ece = 0.0
    for b in range(bins):
        m = which == b
        if m.any():
            ece += m.mean() * abs(y[m].mean() - p[m].mean())
    return float(ece)


@dataclass(frozen=True, slots=True)
class Report:
    n: int
    positives: int
    accuracy: float
    precision: float
    recall: float
    f1: float
    fpr: float
    roc_auc: float
    recall_at_1fpr: float
    recall_at_5fpr: float
    ece: float
    threshold: float

    def to_dict(self) -> dict[str, float | int]:
        return asdict(self)


def _div(a: float, b: float) -> float:
    return a / b if b else math.nan


def report(y: np.ndarray, p: np.ndarray, threshold: float) -> Report:
    """All figures at once; a row is flagged when ``p >= threshold``."""
    y = np.asarray(y).astype(bool)
    p = np.asarray(p, dtype=np.float64)
    pred = p >= threshold
    tp = int((pred & y).sum())
    fp = int((pred & ~y).sum())
    fn = int((~pred & y).sum())
    tn = int((~pred & ~y).sum())
    precision = _div(tp, tp + fp)
    recall = _div(tp, tp + fn)
    f1 = _div(2 * precision * recall, precision + recall) if tp else (0.0 if y.any() else math.nan)
    return Report(
        n=len(y),
        positives=int(y.sum()),
        accuracy=_div(tp + tn, len(y)),
        precision=precision,
        recall=recall,
        f1=f1,
        fpr=_div(fp, fp + tn),
        roc_auc=roc_auc(y, p),
        recall_at_1fpr=recall_at_fpr(y, p, 0.01),
        recall_at_5fpr=recall_at_fpr(y, p, 0.05),
        ece=expected_calibration_error(y, p),
        threshold=threshold,
    )


def json_safe(o: object) -> object:
    """``o`` with every NaN or infinite float (an undefined figure) replaced by ``None``."""
    if isinstance(o, dict):
        return {k: json_safe(v) for k, v in o.items()}
    if isinstance(o, list | tuple):
        return [json_safe(v) for v in o]
    if isinstance(o, float) and not math.isfinite(o):
        return None
    return o
