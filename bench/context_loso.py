"""Context detection on prompts from sources never seen: leave-one-source-family-out.

Two kinds of unseen family, both on the corpus ``training/context/build_public`` writes:

* **held-out families** (``--loso``): the shipped recipe retrained without every row of one
  training family (train and calib), then scored on all of that family's rows;
* **never-trained families**: the rows of splits ``test_*`` (sources whose licence keeps
  them out of training, and the external test sets), scored by the shipped artifact (or
  ``--artifact``);
* **template dev pools**: the rows of split ``test_template`` (the template source's dev
  pool: templates and slot values never trained on, ``training/context/templates.py``),
  scored the same way but reported and pooled apart, so ``pooled_never_trained`` stays the
  public families only.

Per family: accuracy, macro-F1 (over the labels present), ECE and the confusion matrix; then
pooled over every scored row: accuracy, macro-F1, per-label recall and ECE. Prints a markdown
section for docs/BENCHMARKS.md; ``--json`` keeps the figures.

Usage::

    .venv/bin/python bench/context_loso.py --data .bench-cache/contexts_public.jsonl \\
        --embedding-cache .bench-cache/context_embeddings.npz \\
        --loso discoverybench,statqa,reportbench [--json out.json]

The retraining uses the options recorded in the artifact's metadata (``train_config``).
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from promptsentry.optimizer.detect import ARTIFACT, ContextDetector  # noqa: E402
from promptsentry.training.context.templates import DEV_SPLIT as TEMPLATE_SPLIT  # noqa: E402
from promptsentry.training.context.train_context import (  # noqa: E402
    LABELS,
    TrainConfig,
    evaluate,
    load_cache,
    train,
)


def pooled(per_family: dict[str, dict]) -> dict:
    """Accuracy, macro-F1, per-label recall over the summed confusion matrices; ECE as the
    row-weighted mean of the families' ECE."""
    cm = sum(np.array(m["confusion"]) for m in per_family.values())
    n = int(cm.sum())
    recall = {lab: float(cm[i, i] / cm[i].sum()) if cm[i].sum() else None
              for i, lab in enumerate(LABELS)}
    f1 = []
    for i in range(len(LABELS)):
        if not cm[i].sum():
            continue
        prec = cm[i, i] / cm[:, i].sum() if cm[:, i].sum() else 0.0
        rec = cm[i, i] / cm[i].sum()
        f1.append(2 * prec * rec / (prec + rec) if prec + rec else 0.0)
    ece = sum(m["ece"] * m["n"] for m in per_family.values()) / n if n else 0.0
    return {"n": n, "accuracy": float(np.trace(cm) / n) if n else 0.0,
            "macro_f1": float(np.mean(f1)) if f1 else 0.0, "recall": recall, "ece": ece,
            "confusion": cm.tolist()}


def config_of(detector: ContextDetector) -> TrainConfig:
    """The training options recorded with an artifact (defaults where none are)."""
    cfg = detector.metadata.get("train_config", {})
    return TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in cfg.items()
                          if k in TrainConfig.__dataclass_fields__})


def run(rows: list[dict], detector: ContextDetector, loso: list[str],
        cache: dict[str, np.ndarray]) -> dict:
    config = config_of(detector)
    held: dict[str, dict] = {}
    for family in loso:
        keep = [r for r in rows if r.get("source_family") != family]
        model = train([r for r in keep if r["split"] == "train"],
                      [r for r in keep if r["split"] == "calib"], config, semantic_cache=cache)
        held[family] = evaluate(model, [r for r in rows if r.get("source_family") == family])
        print(f"held out {family}: {held[family]['accuracy']:.3f}", file=sys.stderr)
    never, template = {}, {}
    for family in sorted({r["source_family"] for r in rows if r["split"].startswith("test_")}):
        scored = [r for r in rows if r["source_family"] == family
                  and r["split"].startswith("test_")]
        into = template if all(r["split"] == TEMPLATE_SPLIT for r in scored) else never
        into[family] = evaluate(detector, scored)
    out = {"held_out": held, "never_trained": never,
           "pooled": pooled({**held, **never}), "pooled_never_trained": pooled(never)}
    if template:
        out.update(template_dev=template, pooled_template_dev=pooled(template))
    return out


def _table(title: str, per_family: dict[str, dict]) -> list[str]:
    out = [f"**{title}**", "", "| family | n | accuracy | macro-F1 | ECE | confusion (rows: "
           + ", ".join(LABELS) + "; only rows present) |", "|---|---|---|---|---|---|"]
    for fam, m in per_family.items():
        rows = [f"{LABELS[i]}→{line}" for i, line in enumerate(m["confusion"]) if sum(line)]
        out.append(f"| {fam} | {m['n']} | {m['accuracy']:.3f} | {m['macro_f1']:.3f} | "
                   f"{m['ece']:.3f} | {'; '.join(rows)} |")
    return out + [""]


def markdown(result: dict, cmd: str) -> str:
    lines = [f"`{cmd}` — {platform.machine()}, {platform.python_version()}", ""]
    if result["held_out"]:
        lines += _table("Held-out training families (retrained without them)",
                        result["held_out"])
    lines += _table("Never-trained families (shipped artifact)", result["never_trained"])
    if result.get("template_dev"):
        lines += _table("Template dev pools (never trained on)", result["template_dev"])
    for name in ("pooled", "pooled_never_trained", "pooled_template_dev"):
        if name not in result:
            continue
        p = result[name]
        rec = ", ".join(f"{k} {v:.3f}" for k, v in p["recall"].items() if v is not None)
        lines.append(f"- {name}: n={p['n']}, accuracy {p['accuracy']:.3f}, macro-F1 "
                     f"{p['macro_f1']:.3f}, ECE {p['ece']:.3f}; recall: {rec}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--artifact", type=Path, default=ARTIFACT)
    ap.add_argument("--embedding-cache", type=Path)
    ap.add_argument("--loso", default="", help="comma-separated training families to hold out")
    ap.add_argument("--json", type=Path)
    args = ap.parse_args(argv)
    rows = [json.loads(line) for line in args.data.open(encoding="utf-8")]
    for r in rows:
        r.setdefault("source_family", r["source"])
    detector = ContextDetector.load(args.artifact)
    cache = load_cache(args.embedding_cache, rows, detector.embed_chars)
    result = run(rows, detector, [f for f in args.loso.split(",") if f], cache)
    if args.json:
        args.json.write_text(json.dumps(result, indent=1) + "\n")
    print(markdown(result, "bench/context_loso.py " + " ".join(argv or sys.argv[1:])))


if __name__ == "__main__":
    main()
