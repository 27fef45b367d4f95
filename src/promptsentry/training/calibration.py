"""Calibration of the cascade from held-out logits (training time: sklearn, numpy): Platt
scalings of the fast stage and of the stacked encoder stage, the band in which the fast stage
settles a text alone, and the block threshold for the target recall — steps 3-5 of
:mod:`promptsentry.training.pipeline`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from promptsentry.training.pipeline import TrainConfig

__all__ = ["Calibration", "block_threshold", "calibrate", "cascade_probs", "sigmoid",
           "threshold_for_recall"]


def _platt(z: np.ndarray, y: np.ndarray) -> tuple[float, ...]:
    from sklearn.linear_model import LogisticRegression

    z = z.reshape(len(y), -1)
    clf = LogisticRegression(C=1e4, max_iter=1000).fit(z, y)
    return (*(float(c) for c in clf.coef_.ravel()), float(clf.intercept_[0]))


def sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -40, 40)))


def _settle_bounds(p_fast: np.ndarray, y: np.ndarray, max_err: float) -> tuple[float, float]:
    """Widest fast-only bands whose out-of-fold error rate stays ≤ ``max_err``."""
    low, high = 0.0, 1.0
    order = np.argsort(p_fast)
    ys, ps = y[order], p_fast[order]
    # low band: rows below q; errors are attacks
    err_low = np.cumsum(ys) / np.arange(1, len(ys) + 1)
    ok = np.nonzero(err_low <= max_err)[0]
    if len(ok):
        low = float(ps[ok.max()])
    # high band: rows above q; errors are benign rows
    yr, pr = ys[::-1], ps[::-1]
    err_high = np.cumsum(1 - yr) / np.arange(1, len(yr) + 1)
    ok = np.nonzero(err_high <= max_err)[0]
    if len(ok):
        high = float(pr[ok.max()])
    if high <= low:
        return 0.0, 1.0
    return low, high


def cascade_probs(p_fast: np.ndarray, p_stack: np.ndarray | None,
                  low: float, high: float) -> np.ndarray:
    if p_stack is None:
        return p_fast
    settled = (p_fast < low) | (p_fast > high)
    return np.where(settled, p_fast, p_stack)


def threshold_for_recall(p: np.ndarray, y: np.ndarray, target_recall: float) -> float:
    """The highest block threshold (flag when ``p >= threshold``) whose recall on the attacks
    (``y == 1``) is at least ``target_recall``, kept within [1e-6, 0.99]; 0.5 without attacks.
    """
    pos = np.sort(p[y == 1])
    if len(pos) == 0:
        return 0.5
    k = int(np.floor((1.0 - target_recall) * len(pos)))
    return float(min(max(pos[k] - 1e-9, 1e-6), 0.99))


@dataclass
class Calibration:
    fast: tuple[float, float]  # Platt (a, b) of the fast stage
    stack: tuple[float, float, float] | None  # (a_encoder, a_fast, c) of the encoder stage
    low: float
    high: float
    threshold: float
    p_fast: np.ndarray
    p_final: np.ndarray


def block_threshold(p: np.ndarray, y: np.ndarray, original: np.ndarray,
                     cfg: TrainConfig) -> float:
    """The block threshold under ``cfg.threshold_rows`` (see :class:`TrainConfig`)."""
    if cfg.threshold_rows == "all":
        return threshold_for_recall(p, y, cfg.target_recall)
    if cfg.threshold_rows == "corpus":
        if not (original & (y == 1)).any():
            raise ValueError("threshold_rows='corpus' needs held-out attacks from the training "
                             "files; add rows or raise calib_percent")
        return threshold_for_recall(p[original], y[original], cfg.target_recall)
    raise ValueError(f"threshold_rows must be 'all' or 'corpus', not {cfg.threshold_rows!r}")


def calibrate(z_fast: np.ndarray, z_enc: np.ndarray | None, y: np.ndarray,
               cfg: TrainConfig, original: np.ndarray | None = None,
               readable: np.ndarray | None = None) -> Calibration:
    """Platt scalings, settle band and block threshold from held-out logits and labels.

    ``original`` marks the rows that come from the training files (not augmentation, not the
    extra benign rows); it matters only for ``cfg.threshold_rows == "corpus"``. ``readable``
    marks the rows the detector's run-time gate sends to the encoder (default: all): the
    stack is fitted on those, and the others keep their fast-stage probability, as they do
    at run time.
    """
    if original is None:
        original = np.ones(len(y), dtype=bool)
    if readable is None:
        readable = np.ones(len(y), dtype=bool)
    fa, fb = _platt(z_fast, y)
    p_fast = sigmoid(fa * z_fast + fb)
    if z_enc is None:
        return Calibration((fa, fb), None, 0.0, 1.0,
                            block_threshold(p_fast, y, original, cfg), p_fast, p_fast)
    r = readable
    if cfg.stack == "fit":
        a_enc, a_fast, c0 = _platt(np.column_stack([z_enc[r], z_fast[r]]), y[r])
    else:
        # Equal weights, then one Platt scaling of the sum. A stacker fitted on the training
        # sources learns how much to trust each stage *there*; under leave-one-source-out it
        # generalised worse than the plain sum of logits (docs/MODEL.md).
        # ``fast_weight`` < 1 leans on the encoder (measured on 2.3's fold models: better on
        # two folds of three at 0.25; docs/MODEL.md).
        a, c0 = _platt(z_enc[r] + cfg.fast_weight * z_fast[r], y[r])
        a_enc, a_fast = a, a * cfg.fast_weight
    p_stack = np.where(r, sigmoid(a_enc * z_enc + a_fast * z_fast + c0), p_fast)
    low, high = _settle_bounds(p_fast, y, cfg.settle_error)
    if not cfg.settle_attacks:
        # Under leave-one-source-out the fast stage's confident *attack* calls were the
        # cascade's main error on a new source; only confident benign calls are settled.
        high = 1.0
    p_final = cascade_probs(p_fast, p_stack, low, high)
    return Calibration((fa, fb), (a_enc, a_fast, c0), low, high,
                        block_threshold(p_final, y, original, cfg), p_fast, p_final)
