"""Train the context classifier and write ``optimizer/artifacts/context_model.npz``.

Reads ``data/optimizer/contexts.jsonl`` (see ``build_data``): fits a class-balanced
multinomial logistic regression on the ``train`` split (full prompts plus their first 400
characters — more windows with ``--windows`` — so short prompts are covered), fits a softmax
temperature on ``calib``, and reports accuracy, macro-F1 and the confusion matrix on ``dev``
(which neither step saw) and on ``test_external`` (MT-bench, labelled by hand) into
``data/optimizer/context_metrics.json``. Needs the ``train`` extra (scikit-learn).

Usage::

    python -m promptsentry.optimizer.training.train_context [--data ...] [--out ...]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.detect import ARTIFACT, ContextDetector
from promptsentry.optimizer.features import HASH_DIM, featurize

LABELS = [lock.value for lock in Lock]


def _matrix(texts: list[str]):
    from scipy.sparse import csr_matrix, hstack

    rows, cols, vals, dense = [], [], [], []
    for i, text in enumerate(texts):
        fv = featurize(text)
        rows.extend([i] * len(fv.indices))
        cols.extend(fv.indices.tolist())
        vals.extend(fv.values.tolist())
        dense.append(fv.signals)
    hashed = csr_matrix((vals, (rows, cols)), shape=(len(texts), HASH_DIM), dtype=np.float32)
    return hstack([hashed, csr_matrix(np.vstack(dense))], format="csr")


def _fit_temperature(logits: np.ndarray, y: np.ndarray) -> float:
    best_t, best_nll = 1.0, float("inf")
    for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)):
        z = logits / t
        z = z - z.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        nll = -float(logp[np.arange(len(y)), y].mean())
        if nll < best_nll:
            best_t, best_nll = float(t), nll
    return best_t


def evaluate(detector: ContextDetector, rows: list[dict]) -> dict:
    """Accuracy, macro-F1, per-class F1 and the confusion matrix of ``detector`` on ``rows``."""
    labels = [lab.value for lab in detector.labels]
    index = {lab: i for i, lab in enumerate(labels)}
    cm = np.zeros((len(labels), len(labels)), dtype=np.int64)
    confidences, correct = [], []
    for row in rows:
        det = detector.detect(row["text"])
        cm[index[row["label"]], index[det.category.value]] += 1
        confidences.append(det.confidence)
        correct.append(det.category.value == row["label"])
    f1 = {}
    for i, lab in enumerate(labels):
        tp = cm[i, i]
        prec = tp / cm[:, i].sum() if cm[:, i].sum() else 0.0
        rec = tp / cm[i, :].sum() if cm[i, :].sum() else 0.0
        f1[lab] = float(2 * prec * rec / (prec + rec)) if prec + rec else 0.0
    present = [lab for i, lab in enumerate(labels) if cm[i, :].sum()]
    conf = np.array(confidences)
    ok = np.array(correct, dtype=float)
    # expected calibration error over 10 equal-width bins
    ece = 0.0
    for lo in np.linspace(0, 0.9, 10):
        sel = (conf >= lo) & (conf < lo + 0.1 + (1e-9 if lo >= 0.9 else 0))
        if sel.any():
            ece += sel.mean() * abs(conf[sel].mean() - ok[sel].mean())
    return {
        "n": len(rows),
        "accuracy": float(np.trace(cm) / cm.sum()) if cm.sum() else 0.0,
        "macro_f1": float(np.mean([f1[lab] for lab in present])) if present else 0.0,
        "f1": f1,
        "ece": float(ece),
        "labels": labels,
        "confusion": cm.tolist(),
    }


def main(argv: list[str] | None = None) -> None:
    from sklearn.linear_model import LogisticRegression

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    ap.add_argument("--out", type=Path, default=ARTIFACT)
    ap.add_argument("--metrics", type=Path, default=Path("data/optimizer/context_metrics.json"))
    ap.add_argument("--C", type=float, default=8.0)
    ap.add_argument("--windows", type=int, default=1,
                    help="400-character windows (every 500 characters) added per long prompt")
    args = ap.parse_args(argv)

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8")]
    split = {s: [r for r in rows if r["split"] == s]
             for s in ("train", "calib", "dev", "test_external")}
    train_texts, train_y = [], []
    for r in split["train"]:
        train_texts.append(r["text"])
        train_y.append(LABELS.index(r["label"]))
        for start in range(0, min(len(r["text"]), args.windows * 500), 500):
            if len(r["text"]) > start + 600:
                train_texts.append(r["text"][start:start + 400])
                train_y.append(LABELS.index(r["label"]))
    X = _matrix(train_texts)
    y = np.array(train_y)
    clf = LogisticRegression(C=args.C, max_iter=3000, class_weight="balanced")
    clf.fit(X, y)
    coef = np.zeros((len(LABELS), X.shape[1]), dtype=np.float32)
    bias = np.zeros(len(LABELS), dtype=np.float32)
    for row_i, cls in enumerate(clf.classes_):
        coef[cls] = clf.coef_[row_i]
        bias[cls] = clf.intercept_[row_i]
    # classes missing from training would get -inf; none are missing in practice
    weights = coef[:, :HASH_DIM].T.astype(np.float16)
    signal_weights = coef[:, HASH_DIM:].T.astype(np.float32)
    raw = ContextDetector(weights.astype(np.float32), signal_weights, bias, LABELS)
    calib_logits = np.vstack([raw.logits(r["text"])[0] for r in split["calib"]])
    calib_y = np.array([LABELS.index(r["label"]) for r in split["calib"]])
    temperature = _fit_temperature(calib_logits, calib_y)
    detector = ContextDetector(weights.astype(np.float32), signal_weights, bias, LABELS,
                               temperature)
    metrics = {
        "temperature": temperature,
        "C": args.C,
        "counts": {s: len(v) for s, v in split.items()},
        "dev": evaluate(detector, split["dev"]),
        "dev_first_300_chars": evaluate(
            detector, [dict(r, text=r["text"][:300]) for r in split["dev"]]),
        "calib": evaluate(detector, split["calib"]),
    }
    if split["test_external"]:
        metrics["test_external"] = evaluate(detector, split["test_external"])
    meta = {"labels": LABELS, "trained_on": str(args.data), "dev_accuracy":
            metrics["dev"]["accuracy"], "dev_macro_f1": metrics["dev"]["macro_f1"]}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(args.out, weights=weights, signal_weights=signal_weights, bias=bias,
                        temperature=np.float32(temperature), metadata=json.dumps(meta))
    args.metrics.write_text(json.dumps(metrics, indent=1) + "\n")
    print(json.dumps({k: metrics[k] for k in ("temperature", "counts")}))
    for name in ("dev", "dev_first_300_chars", "test_external"):
        if name not in metrics:
            continue
        m = metrics[name]
        print(name, f"acc={m['accuracy']:.4f} macroF1={m['macro_f1']:.4f} ece={m['ece']:.3f}",
              m["f1"])
        print(m["labels"])
        for line in m["confusion"]:
            print(line)


if __name__ == "__main__":
    main()
