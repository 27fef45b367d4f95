"""PromptSentry's detector and jailguard, side by side, on the same rows in one process run.

    bash bench/setup_jailguard.sh          # once: jailguard, CPU torch, encoder export
    .venv/bin/python bench/detectors.py [--data FILE ...]   # default: the model card's data
        [--model DIR]        # the recipe (model card) and model to measure; default: shipped
        [--source S ...]     # only these leave-one-source-out folds (default: every source)
        [--loso-only]        # skip the dev sets and the corpus

For every source S of the corpus (leave-one-source-out):

* ours: the shipped training recipe (same hyper-parameters, augmentation built only from the
  fold's training rows) fitted without S, then S scored through the runtime ``Detector``;
* jailguard 0.1.2: its fixed, pretrained model scores the very same held-out rows.

A source with one class only gets the fixed benign reserve of ``promptsentry.training.loso``.
Then the shipped model and jailguard on the published dev sets (``data/dev/``) and the
corpus's attacks at the shipped threshold. Prints the tables (Markdown with ``--markdown``)
and writes every figure to ``.bench-cache/detectors.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from promptsentry.detector import load_detector
from promptsentry.training.data import read_rows, thin_rows
from promptsentry.training.finetune import FinetuneConfig
from promptsentry.training.loso import make_folds
from promptsentry.training.metrics import report
from promptsentry.training.pipeline import CachedEncoder, TrainConfig, fit_cascade, write_artifacts

COLS = [("n", "n"), ("roc_auc", "AUC"), ("recall_at_1fpr", "R@1%FPR"),
        ("recall_at_5fpr", "R@5%FPR"), ("recall", "recall"), ("fpr", "FPR"),
        ("precision", "prec"), ("f1", "F1"), ("ece", "ECE")]


def _fmt(v: object) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.4f}"
    return str(v)


def print_table(title: str, rows: dict[str, dict], markdown: bool) -> None:
    heads = ["rows"] + [h for _, h in COLS] + ["thr"]
    print(f"\n### {title}\n" if markdown else f"\n== {title}")
    if markdown:
        print("| " + " | ".join(heads) + " |")
        print("|" + "---|" * len(heads))
    else:
        print("  ".join(f"{h:>9s}" for h in heads))
    for name, r in rows.items():
        cells = [name] + [_fmt(r[k]) for k, _ in COLS] + [_fmt(r["threshold"])]
        if markdown:
            print("| " + " | ".join(cells) + " |")
        else:
            print("  ".join(f"{c:>9s}" for c in cells))


def _progress(fold: str):  # type: ignore[no-untyped-def]
    """One stderr line per 10 % of each training step of a fold."""
    from promptsentry.training.progress import decile_progress

    return decile_progress(lambda line: print(line, file=sys.stderr, flush=True), f"[{fold}] ")


def jailguard_scores(texts: list[str]) -> np.ndarray:
    import jailguard

    # one text per call: detect_batch pads a batch to its longest member, which makes mixed
    # lengths far slower; per-text calls are also how a firewall would call it
    return np.array([jailguard.score(t) for t in texts], dtype=np.float64)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", type=Path, action="append", default=None,
                    help="training JSONL (repeatable; default: the files the model card lists "
                         "under data, i.e. the recipe's --data)")
    ap.add_argument("--holdout", type=Path, action="append", default=None,
                    help="rows kept out of every fold (repeatable; default: the model card's "
                         "holdout files)")
    ap.add_argument("--dev", type=Path, action="append",
                    default=[ROOT / "data" / "dev" / "hard_negatives.jsonl",
                             ROOT / "data" / "dev" / "indirect.jsonl",
                             ROOT / "data" / "dev" / "long_documents.jsonl"])
    ap.add_argument("--encoder-cache", type=Path, default=ROOT / ".bench-cache" / "encoder")
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--model", type=Path, default=None,
                    help="artifacts directory whose model card gives the recipe and whose model "
                         "is scored on the dev sets (default: the shipped model)")
    ap.add_argument("--source", action="append", default=None,
                    help="run only this leave-one-source-out fold (repeatable); a partial run "
                         "is for exploring, the published table comes from a run of every fold")
    ap.add_argument("--loso-only", action="store_true",
                    help="skip the dev sets and the corpus (the slow part of jailguard)")
    ap.add_argument("--out", type=Path, default=ROOT / ".bench-cache" / "detectors.json")
    ap.add_argument("--save-folds", type=Path, default=None, metavar="DIR",
                    help="keep each fold's model (DIR/<source>/) and its per-row scores, ours "
                         "and jailguard's (DIR/<source>/scores.jsonl), for later analysis")
    args = ap.parse_args()

    import jailguard

    shipped = load_detector(args.model)
    card = json.loads((Path(shipped.model_dir) / "model_card.json").read_text())
    hp = dict(card["hyper_parameters"])
    hp.pop("features", None)
    hp["finetune"] = FinetuneConfig(**hp.get("finetune", {}))
    cfg = TrainConfig(**hp)
    enc = None
    if cfg.use_encoder and cfg.encoder_mode == "frozen":
        enc = CachedEncoder(args.encoder_cache, args.encoder_cache.parent / "emb.npz",
                            threads=2, max_tokens=cfg.max_tokens)

    # the recipe's files, as the model card records them (paths relative to the checkout)
    if args.data is None:
        args.data = [ROOT / e["path"] for e in card["data"]]
    if args.holdout is None:
        args.holdout = [ROOT / e["path"] for e in card.get("holdout") or []]
    held = {r.text for p in args.holdout for r in read_rows(p)}
    # the shipped recipe's extra benign rows (recorded in the model card), in every fold
    # (with the share of each file the recipe kept, --extra-benign-percent)
    extra = [r for e in card.get("extra_benign") or []
             for r in thin_rows(read_rows(ROOT / e["path"]), e.get("percent", 100),
                                e.get("full_categories") or [])]
    rows = [r for p in args.data for r in read_rows(p) if r.text not in held]
    # corpus rows the shipped recipe's label review rejected: out of every fold's *training*
    # rows, as in the shipped model; the held-out test rows keep the corpus labels
    excluded = {r.text for e in card.get("excluded") or [] for r in read_rows(ROOT / e["path"])}
    results: dict[str, object] = {
        "machine": f"{platform.machine()} {platform.processor() or ''} "
                   f"{__import__('os').cpu_count()} cores, {platform.python_version()}",
        "jailguard_version": jailguard.__version__,
        "shipped_model": shipped.version,
        "data": [str(p) for p in args.data],
    }
    ours: dict[str, dict] = {}
    peer: dict[str, dict] = {}
    t_start = time.time()
    folds = make_folds(rows)
    known = sorted({f.source for f in folds})
    unknown = sorted(set(args.source or []) - set(known))
    if unknown:
        ap.error(f"unknown source(s) {', '.join(unknown)}; the data has {', '.join(known)}")
    results["folds"] = args.source or known
    for fold in folds:
        if args.source and fold.source not in args.source:
            continue
        t0 = time.time()
        train = [r for r in fold.train if r.text not in excluded]
        model = fit_cascade(train, cfg, enc, _progress(fold.source), extra=extra)
        det = model.detector(encoder=enc)
        texts = [r.text for r in fold.test]
        if enc is not None:  # frozen mode: embed the held-out rows in batches first
            enc.embed([t for t in texts if len(t) <= cfg.window_chars])
            enc.save()
        y = np.array([r.label for r in fold.test])
        p_ours = np.array([det.score(t).probability for t in texts])
        p_jg = jailguard_scores(texts)
        name = fold.source + (" (+benign reserve)" if fold.reserve_used else "")
        if args.save_folds is not None:
            fold_dir = args.save_folds / fold.source
            write_artifacts(model, fold_dir, encoder_dir=None, card=dict(card, fold=fold.source),
                            version=f"{shipped.version}-without-{fold.source}")
            with (fold_dir / "scores.jsonl").open("w", encoding="utf-8") as fh:
                for row, po, pj in zip(fold.test, p_ours, p_jg, strict=True):
                    fh.write(json.dumps({"text": row.text, "label": row.label,
                                         "source": row.source, "promptsentry": float(po),
                                         "jailguard": float(pj)}) + "\n")
        ours[name] = report(y, p_ours, model.threshold).to_dict()
        peer[name] = report(y, p_jg, 0.5).to_dict()
        print(f"[{fold.source}] {len(texts)} rows, {time.time() - t0:.0f}s", file=sys.stderr)
    print_table("Leave-one-source-out — PromptSentry (trained without the source)", ours,
                args.markdown)
    print_table("Leave-one-source-out — jailguard 0.1.2 (same rows)", peer, args.markdown)
    results["loso"] = {"promptsentry": ours, "jailguard": peer}

    # shipped model and jailguard on the dev sets and on the corpus attacks
    ours_dev: dict[str, dict] = {}
    peer_dev: dict[str, dict] = {}
    for path in [] if args.loso_only else args.dev + args.data:
        dev_rows = read_rows(path)
        texts = [r.text for r in dev_rows]
        y = np.array([r.label for r in dev_rows])
        p_ours = np.array([shipped.score(t).probability for t in texts])
        p_jg = jailguard_scores(texts)
        ours_dev[path.name] = report(y, p_ours, shipped.threshold).to_dict()
        peer_dev[path.name] = report(y, p_jg, 0.5).to_dict()
    if ours_dev:
        print_table(f"Model {shipped.version} at its threshold {shipped.threshold:.4f}",
                    ours_dev, args.markdown)
        print_table("jailguard 0.1.2 at 0.5", peer_dev, args.markdown)
        results["shipped"] = {"promptsentry": ours_dev, "jailguard": peer_dev}
    results["seconds"] = round(time.time() - t_start, 1)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n")
    print(f"\nwrote {args.out} ({results['seconds']} s)", file=sys.stderr)


if __name__ == "__main__":
    main()
