"""Train the context classifier and write ``optimizer/artifacts/context_model.npz``.

Reads ``data/optimizer/contexts.jsonl`` (see ``build_data``) and fits, on the ``train`` split:

* the **lexical** half: a class-balanced multinomial logistic regression over hashed n-grams
  and named signals (full prompts plus their first 400 characters — more windows with
  ``--windows`` — so short prompts are covered);
* the **semantic** half: the same kind of regression over the bundled sentence encoder's
  embedding of the prompt's head plus the signals (rows of the rule-labelled
  ``s-labs-weak`` source are left out of it: ``--embed-skip``).

On ``calib`` it fits the fusion weight ``alpha`` and a softmax temperature (grid search,
minimum negative log-likelihood). It then reports accuracy, macro-F1, ECE and the confusion
matrix on ``dev`` (never used for fitting or calibration) and on every external test split
(``test_external*``: MT-bench labelled by hand, SWE-Lancer issues, FreshQA questions), plus
*leave-one-source-out* runs (``--loso``): the whole pipeline retrained without one source,
scored on all of that source's rows. Everything goes to ``data/optimizer/context_metrics.json``.
Needs the ``train`` extra (scikit-learn).

Usage::

    python -m promptsentry.training.context.train_context [--data ...] [--out ...]
"""

from __future__ import annotations

import argparse
import hashlib
import json
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from promptsentry.optimizer.contexts import Lock
from promptsentry.optimizer.detect import ARTIFACT, ContextDetector, Embedder
from promptsentry.optimizer.features import (
    EMBED_CHARS,
    HASH_DIM,
    SIGNALS,
    embedding_input,
    encoder_can_read,
    featurize,
)

LABELS = [lock.value for lock in Lock]
ALPHAS = (0.0, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5)
TEMPERATURES = tuple(float(t) for t in np.exp(np.linspace(np.log(0.2), np.log(5.0), 81)))


def _matrix(texts: list[str]):
    """Sparse lexical design matrix: hashed n-gram columns then the signal columns."""
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


def semantic_matrix(texts: list[str], encoder: Embedder, embed_chars: int = EMBED_CHARS,
                    batch: int = 16) -> np.ndarray:
    """Dense semantic design matrix: the head's embedding then the signal columns."""
    heads = [embedding_input(t, embed_chars) for t in texts]
    emb = [encoder.embed(heads[i:i + batch]) for i in range(0, len(heads), batch)]
    sig = np.vstack([featurize(t).signals for t in texts])
    return np.hstack([np.vstack(emb), sig]).astype(np.float32)


def _signal_signature() -> str:
    # a cached row is the embedding *and* the signal columns, so the key covers the signal
    # set too: a changed or added signal pattern misses the cache instead of misaligning it
    return "\1".join(f"{name}={pat.pattern}" for name, pat in SIGNALS.items())


def _text_key(text: str, embed_chars: int, signals: str) -> str:
    return hashlib.sha256(f"{embed_chars}\0{signals}\0{text}".encode()).hexdigest()


def load_cache(path: Path | None, rows: list[dict], embed_chars: int = EMBED_CHARS
               ) -> dict[str, np.ndarray]:
    """The semantic rows cached in ``path`` for the texts of ``rows`` (text → row)."""
    if path is None or not path.exists():
        return {}
    with np.load(path, allow_pickle=False) as z:
        index = {k: i for i, k in enumerate(z["keys"].tolist())}
        matrix = z["rows"]
    out = {}
    signals = _signal_signature()
    for r in rows:
        i = index.get(_text_key(r["text"], embed_chars, signals))
        if i is not None:
            out[r["text"]] = matrix[i]
    return out


def save_cache(path: Path, cache: dict[str, np.ndarray], embed_chars: int = EMBED_CHARS
               ) -> None:
    """Write ``cache`` (text → semantic row) for :func:`load_cache`."""
    if not cache:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    texts = list(cache)
    signals = _signal_signature()
    np.savez(path, keys=np.array([_text_key(t, embed_chars, signals) for t in texts]),
             rows=np.vstack([cache[t] for t in texts]).astype(np.float32))


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=1, keepdims=True))


def fit_fusion(lexical: np.ndarray, semantic: np.ndarray | None, y: np.ndarray,
               alphas: tuple[float, ...] = ALPHAS) -> tuple[float, float]:
    """``(alpha, temperature)`` minimising the NLL of ``softmax((lex + alpha*sem) / T)``."""
    best = (0.0, 1.0, float("inf"))
    for alpha in (alphas if semantic is not None else (0.0,)):
        z = lexical if semantic is None or alpha == 0 else lexical + alpha * semantic
        for t in TEMPERATURES:
            nll = -float(_log_softmax(z / t)[np.arange(len(y)), y].mean())
            if nll < best[2]:
                best = (float(alpha), float(t), nll)
    return best[0], best[1]


def _fit_lr(X, y: np.ndarray, C: float, sample_weight: np.ndarray | None = None,
            ) -> tuple[np.ndarray, np.ndarray]:
    """``(coef [features, labels], bias [labels])`` of a class-balanced softmax regression
    (rows optionally weighted); a label absent from ``y`` gets a very negative bias so it is
    never predicted."""
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=C, max_iter=5000, class_weight="balanced")
    clf.fit(X, y, sample_weight=sample_weight)
    coef = np.zeros((X.shape[1], len(LABELS)), dtype=np.float32)
    bias = np.full(len(LABELS), -30.0, dtype=np.float32)
    if len(clf.classes_) == 2:  # sklearn's binary case: one row for the positive class
        coef[:, clf.classes_[1]] = clf.coef_[0] / 2
        coef[:, clf.classes_[0]] = -clf.coef_[0] / 2
        bias[clf.classes_[1]], bias[clf.classes_[0]] = clf.intercept_[0] / 2, -clf.intercept_[0] / 2
    else:
        for row_i, cls in enumerate(clf.classes_):
            coef[:, cls] = clf.coef_[row_i]
            bias[cls] = clf.intercept_[row_i]
    return coef, bias


@dataclass
class TrainConfig:
    """Hyper-parameters of one training run."""

    C: float = 8.0
    C_embed: float = 0.25
    windows: int = 1
    embed_skip: tuple[str, ...] = ("s-labs-weak",)
    #: sources left out of the lexical half (their phrasing, not their meaning, would be
    #: learnt: question-style data-analysis sets taught it that "When was …" is data)
    lexical_skip: tuple[str, ...] = ()
    embed_chars: int = EMBED_CHARS
    semantic: bool = True
    #: per-source row weights (default 1): a source of one narrow style can teach its lock
    #: without redrawing the other locks' boundaries.
    source_weights: tuple[tuple[str, float], ...] = ()
    #: weight rows by 1/sqrt(rows of their source family), so no family's style dominates
    family_balance: bool = False
    #: compare the embedding with the label-description prototypes (``label_prototypes``)
    prototypes: bool = False
    #: fit the abstain band (``general_floor``) on calib
    fit_general_floor: bool = False
    #: the encoder gate (``ContextDetector.encoder_min_latin``): rows whose letters are less
    #: than this share Latin train the lexical half only and are fused without the semantic
    #: half on calib, as at run time (0: off)
    encoder_min_latin: float = 0.0
    #: the fusion weight of the semantic half; ``None``: chosen on calib from ``ALPHAS``
    #: (the NLL of neighbouring values is often a near tie, so one calib row more can move
    #: it: fixing it keeps a retraining on slightly different data comparable)
    alpha: float | None = None


GENERAL_FLOORS = (0.0, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)


def row_weights(rows: list[dict], config: TrainConfig) -> np.ndarray:
    """Per-row training weights: the source weight, times the family balance if asked."""
    source_weight = dict(config.source_weights)
    w = np.array([source_weight.get(r.get("source", ""), 1.0) for r in rows])
    if config.family_balance:
        fams = [r.get("source_family", r.get("source", "")) for r in rows]
        count: dict[str, int] = {}
        for f in fams:
            count[f] = count.get(f, 0) + 1
        w = w / np.sqrt([count[f] for f in fams])
    return w / w.mean()


def fit_general_floor(detector: ContextDetector, rows: list[dict]) -> float:
    """The abstain band's floor (``GENERAL_FLOORS``) with the best macro-F1 on ``rows``."""
    best = (0.0, -1.0)
    for floor in GENERAL_FLOORS:
        detector.general_floor = floor
        f1 = evaluate(detector, rows)["macro_f1"]
        if f1 > best[1] + 1e-9:
            best = (floor, f1)
    detector.general_floor = best[0]
    return best[0]


def train(train_rows: list[dict], calib_rows: list[dict], config: TrainConfig,
          encoder: Embedder | None = None, semantic_cache: dict[str, np.ndarray] | None = None,
          ) -> ContextDetector:
    """Fit both halves on ``train_rows`` and the fusion on ``calib_rows``."""
    lex_rows = [r for r in train_rows if r.get("source") not in config.lexical_skip]
    texts, ys, ws = [], [], []
    for r, w in zip(lex_rows, row_weights(lex_rows, config)):
        texts.append(r["text"])
        ys.append(LABELS.index(r["label"]))
        ws.append(w)
        for start in range(0, min(len(r["text"]), config.windows * 500), 500):
            if len(r["text"]) > start + 600:
                texts.append(r["text"][start:start + 400])
                ys.append(LABELS.index(r["label"]))
                ws.append(w)
    weights_arg = np.array(ws) if config.source_weights or config.family_balance else None
    coef, bias = _fit_lr(_matrix(texts), np.array(ys), config.C, weights_arg)
    weights = coef[:HASH_DIM].astype(np.float16)  # shipped precision
    signal_weights = coef[HASH_DIM:]
    lexical = ContextDetector(weights.astype(np.float32), signal_weights, bias, LABELS)
    calib_y = np.array([LABELS.index(r["label"]) for r in calib_rows])
    calib_lex = np.vstack([lexical.lexical_logits(r["text"])[0] for r in calib_rows])
    embed_weights = embed_bias = calib_sem = protos = proto_labels = None

    def readable(text: str) -> bool:
        return encoder_can_read(text, config.embed_chars, config.encoder_min_latin)

    if config.semantic:
        if encoder is None:
            from promptsentry.encoders import sentence_encoder

            encoder = sentence_encoder()
        cache = semantic_cache if semantic_cache is not None else {}
        if config.prototypes:
            from promptsentry.training.context.label_prototypes import LABEL_DESCRIPTIONS

            texts_p = [(LABELS.index(lab), d) for lab, ds in LABEL_DESCRIPTIONS.items()
                       for d in ds]
            protos = encoder.embed([d for _, d in texts_p]).astype(np.float32)
            proto_labels = np.array([i for i, _ in texts_p])
        shape = ContextDetector(lexical._w, signal_weights, bias, LABELS,
                                prototypes=protos, prototype_labels=proto_labels)

        def sem(rows: list[dict]) -> np.ndarray:
            missing = [r["text"] for r in rows if r["text"] not in cache]
            if missing:
                for text, vec in zip(missing, semantic_matrix(missing, encoder,
                                                              config.embed_chars)):
                    cache[text] = vec
            base = np.vstack([cache[r["text"]] for r in rows])
            if protos is None:
                return base
            dim = base.shape[1] - len(signal_weights)
            return np.hstack([base, np.vstack([shape.prototype_similarities(e)
                                               for e in base[:, :dim]])])

        sem_rows = [r for r in train_rows if r.get("source") not in config.embed_skip
                    and readable(r["text"])]
        embed_weights, embed_bias = _fit_lr(
            sem(sem_rows), np.array([LABELS.index(r["label"]) for r in sem_rows]),
            config.C_embed,
            row_weights(sem_rows, config)
            if config.source_weights or config.family_balance else None)
        # a calib row the gate keeps from the encoder is fused without the semantic half
        calib_sem = np.zeros((len(calib_rows), len(LABELS)), np.float32)
        seen = np.array([readable(r["text"]) for r in calib_rows], dtype=bool)
        if seen.any():
            calib_sem[seen] = (sem([r for r, s in zip(calib_rows, seen) if s]) @ embed_weights
                               + embed_bias)
    alpha, temperature = fit_fusion(calib_lex, calib_sem, calib_y,
                                    ALPHAS if config.alpha is None else (config.alpha,))
    detector = ContextDetector(weights.astype(np.float32), signal_weights, bias, LABELS,
                               temperature, {"labels": LABELS, "embed_chars": config.embed_chars},
                               embed_weights=embed_weights, embed_bias=embed_bias, alpha=alpha,
                               embed_chars=config.embed_chars, encoder=encoder,
                               prototypes=protos, prototype_labels=proto_labels,
                               encoder_min_latin=config.encoder_min_latin)
    if config.fit_general_floor and calib_rows:
        fit_general_floor(detector, calib_rows)
    return detector


#: A fixed sentence whose embedding is stored with the semantic half, so a test can tell
#: when the bundled encoder no longer matches the weights trained on its output.
ENCODER_PROBE = "Write a Python function that sorts a list of customer records by signup date."


def save(detector: ContextDetector, path: Path, metadata: dict) -> None:
    """Write ``detector`` as the ``.npz`` artifact :meth:`ContextDetector.load` reads."""
    meta = {**metadata, "labels": LABELS, "embed_chars": detector.embed_chars,
            "general_floor": detector.general_floor,
            "prototype_scale": detector.prototype_scale,
            "lexical_settle": detector.lexical_settle,
            "encoder_min_latin": detector.encoder_min_latin}
    if detector.uses_encoder:
        probe = detector._embed([ENCODER_PROBE])[0]
        meta["encoder_probe"] = {"text": ENCODER_PROBE,
                                 "embedding": [round(float(v), 6) for v in probe]}
    arrays = {"weights": detector._w.astype(np.float16), "signal_weights": detector._s,
              "bias": detector._b, "temperature": np.float32(detector.temperature),
              "metadata": json.dumps(meta)}
    if detector._ew is not None:
        arrays.update(embed_weights=detector._ew, embed_bias=detector._eb,
                      alpha=np.float32(detector.alpha))
    if detector._protos is not None:
        arrays.update(prototypes=detector._protos.astype(np.float16).astype(np.float32),
                      prototype_labels=detector._proto_labels)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path, **arrays)


def evaluate(detector: ContextDetector, rows: list[dict]) -> dict:
    """Accuracy, macro-F1, per-class F1, ECE and the confusion matrix of ``detector`` on
    ``rows`` (macro-F1 over the classes present in ``rows``)."""
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


def _print(name: str, m: dict) -> None:
    print(f"{name} (n={m['n']}): acc={m['accuracy']:.4f} macroF1={m['macro_f1']:.4f} "
          f"ece={m['ece']:.3f}")
    for lab, line in zip(m["labels"], m["confusion"]):
        print(f"  {lab:>13} {line}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    ap.add_argument("--out", type=Path, default=ARTIFACT)
    ap.add_argument("--metrics", type=Path, default=Path("data/optimizer/context_metrics.json"))
    ap.add_argument("--C", type=float, default=8.0, help="inverse L2 strength, lexical half")
    ap.add_argument("--C-embed", type=float, default=0.25, help="… semantic half")
    ap.add_argument("--windows", type=int, default=1,
                    help="400-character windows (every 500 characters) added per long prompt")
    ap.add_argument("--embed-skip", default="s-labs-weak",
                    help="comma-separated sources left out of the semantic half")
    ap.add_argument("--lexical-skip", default="",
                    help="comma-separated sources left out of the lexical half")
    ap.add_argument("--embed-chars", type=int, default=EMBED_CHARS,
                    help="characters of the prompt's head the sentence encoder reads")
    ap.add_argument("--no-semantic", action="store_true", help="lexical half only")
    ap.add_argument("--source-weight", default="",
                    help="comma-separated SOURCE=WEIGHT row weights (default 1 each)")
    ap.add_argument("--family-balance", action="store_true",
                    help="weight rows by 1/sqrt(rows of their source family)")
    ap.add_argument("--prototypes", action="store_true",
                    help="add the label-description prototype similarities to the semantic half")
    ap.add_argument("--general-floor", action="store_true",
                    help="fit the abstain band's general floor on calib")
    ap.add_argument("--encoder-min-latin", type=float, default=0.0,
                    help="the encoder gate: prompts whose letters are less than this share "
                         "Latin are scored by the lexical half alone (0: off)")
    ap.add_argument("--embedding-cache", type=Path,
                    help="an .npz of the semantic rows (embedding + signals) by text hash, "
                         "read before and written after training")
    ap.add_argument("--alpha", type=float, default=None,
                    help="fusion weight of the semantic half (default: fitted on calib)")
    ap.add_argument("--loso", default="writingbench,persistbench",
                    help="comma-separated sources for leave-one-source-out runs ('' for none)")
    args = ap.parse_args(argv)

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8")]
    splits = sorted({r["split"] for r in rows})
    split = {s: [r for r in rows if r["split"] == s] for s in splits}
    config = TrainConfig(C=args.C, C_embed=args.C_embed, windows=args.windows,
                         embed_skip=tuple(s for s in args.embed_skip.split(",") if s),
                         lexical_skip=tuple(s for s in args.lexical_skip.split(",") if s),
                         semantic=not args.no_semantic, embed_chars=args.embed_chars,
                         source_weights=tuple(
                             (name, float(w)) for name, w in
                             (item.split("=") for item in args.source_weight.split(",") if item)),
                         family_balance=args.family_balance, prototypes=args.prototypes,
                         fit_general_floor=args.general_floor,
                         encoder_min_latin=args.encoder_min_latin, alpha=args.alpha)
    cache = load_cache(args.embedding_cache, rows, args.embed_chars)
    detector = train(split["train"], split.get("calib", []), config, semantic_cache=cache)
    metrics: dict = {
        "alpha": detector.alpha, "temperature": detector.temperature,
        "C": args.C, "C_embed": args.C_embed, "embed_chars": detector.embed_chars,
        "embed_skip": list(config.embed_skip), "lexical_skip": list(config.lexical_skip),
        "semantic": config.semantic,
        "family_balance": config.family_balance, "prototypes": config.prototypes,
        "general_floor": detector.general_floor,
        **({"source_weights": dict(config.source_weights)} if config.source_weights else {}),
        "counts": {s: len(v) for s, v in split.items()},
    }
    for name in ["dev", *[s for s in splits if s.startswith("test_")], "calib"]:
        if split.get(name):
            metrics[name] = evaluate(detector, split[name])
    metrics["dev_first_300_chars"] = evaluate(
        detector, [dict(r, text=r["text"][:300]) for r in split["dev"]])
    loso = {}
    for source in [s for s in args.loso.split(",") if s]:
        held = [r for r in rows if r["source"] == source]
        if not held:
            continue
        keep = [r for r in split["train"] if r["source"] != source]
        calib = [r for r in split.get("calib", []) if r["source"] != source]
        loso[source] = evaluate(train(keep, calib, config, semantic_cache=cache), held)
    if loso:
        metrics["leave_one_source_out"] = loso
    save(detector, args.out, {"trained_on": str(args.data), "train_config": asdict(config),
                              "dev_accuracy": metrics["dev"]["accuracy"],
                              "dev_macro_f1": metrics["dev"]["macro_f1"]})
    args.metrics.write_text(json.dumps(metrics, indent=1) + "\n")
    if args.embedding_cache:
        save_cache(args.embedding_cache, cache, args.embed_chars)
    print(json.dumps({k: metrics[k] for k in ("alpha", "temperature", "counts")}))
    for name, m in [(k, v) for k, v in metrics.items()
                    if isinstance(v, dict) and "confusion" in v] + [
                        (f"loso:{k}", v) for k, v in loso.items()]:
        _print(name, m)


if __name__ == "__main__":
    main()
