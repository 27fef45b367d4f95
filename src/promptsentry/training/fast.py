"""Fitting the fast stage: logistic regression on hashed n-grams (scikit-learn, training only)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from promptsentry.detector.features import FeatureConfig, hashed_features

__all__ = ["fast_logits", "featurize", "fit_fast"]


def featurize(
    texts: Sequence[str],
    config: FeatureConfig,
    progress: Callable[[int], None] | None = None,
):  # -> scipy.sparse.csr_matrix
    """CSR matrix of the texts' hashed features (the runtime function, row by row)."""
    from scipy.sparse import csr_matrix

    indptr = [0]
    idx_parts: list[np.ndarray] = []
    val_parts: list[np.ndarray] = []
    for i, t in enumerate(texts):
        idx, vals = hashed_features(t, config)
        idx_parts.append(idx)
        val_parts.append(vals)
        indptr.append(indptr[-1] + len(idx))
        if progress is not None and (i + 1) % 500 == 0:
            progress(500)
    if progress is not None:
        progress(len(texts) % 500)
    indices = np.concatenate(idx_parts) if idx_parts else np.zeros(0, dtype=np.int64)
    data = np.concatenate(val_parts) if val_parts else np.zeros(0, dtype=np.float32)
    return csr_matrix((data, indices, np.asarray(indptr)), shape=(len(texts), config.dim))


def fit_fast(X, y: np.ndarray, *, C: float = 4.0, seed: int = 0,
             sample_weight: np.ndarray | None = None) -> tuple[np.ndarray, float]:
    """``(w, b)`` of an L2 logistic regression with balanced class weights."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(
        C=C, solver="liblinear", class_weight="balanced", max_iter=200, random_state=seed
    )
    clf.fit(X, y, sample_weight=sample_weight)
    return clf.coef_.ravel().astype(np.float32), float(clf.intercept_[0])


def fast_logits(X, w: np.ndarray, b: float) -> np.ndarray:
    return np.asarray(X @ w.astype(np.float64)).ravel() + b
