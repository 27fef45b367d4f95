"""Experiment: would a fine-tuned encoder detect the optimizer's context better than the
shipped linear model? (issue 21; training extras needed: torch, transformers.)

Fine-tunes ``all-MiniLM-L6-v2`` (its first ``--layers`` layers, mean-pooled, a 6-way linear
head; cross-entropy with label smoothing 0.05, AdamW 5e-5, batch 32, 50 warm-up steps,
linear decay) on the ``train`` split of the issue-21 corpus (``build_public``'s output), with
the shipped model's row weights (``--family-balance`` and the same source weights). It reads
the same prompt head as the shipped semantic half (``embedding_input``, 384 characters), then
reports accuracy per split and per label for

* ``shipped``: the shipped detector as it answers (lexical half, semantic half when unsettled);
* ``lexical``: the shipped lexical half alone;
* ``finetuned``: the fine-tuned model alone;
* ``lexical + a × finetuned``: fused in logit space, ``a`` chosen on the ``calib`` split by
  log-loss (with a softmax temperature).

The splits that measure transfer are ``test_family`` (source families never trained on) and
the three external sets; ``dev`` and ``test_template`` hold groups of trained sources.
Nothing is written into the package. Results: docs/experiments/optimizer.md.

    .venv/bin/python bench/context_finetune.py --data .bench-cache/contexts_public.jsonl
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import time
from pathlib import Path

import numpy as np

from promptsentry.optimizer.detect import default_detector
from promptsentry.optimizer.features import embedding_input

LABELS = ["code", "creative", "data_analysis", "general", "image_video", "research"]
#: The shipped model's source weights (docs/OPTIMIZER.md, the retrain command).
SOURCE_WEIGHTS = {"mmlu": 0.5, "vbench": 0.25, "bbh": 0.5, "template-query": 0.4}
SPLITS = ("dev", "calib", "test_template", "test_family", "test_external",
          "test_external_code", "test_external_general")


def row_weights(rows: list[dict]) -> np.ndarray:
    """The source weight divided by the square root of the row's family size (mean 1)."""
    fam = collections.Counter(r.get("source_family", r["source"]) for r in rows)
    w = np.array([SOURCE_WEIGHTS.get(r["source"], 1.0)
                  / np.sqrt(fam[r.get("source_family", r["source"])]) for r in rows])
    return w / w.mean()


def finetune_logits(train: list[dict], evaluate: list[dict], *, layers: int, epochs: float,
                    seed: int) -> np.ndarray:
    """Fine-tune on ``train``; the logits ``[len(evaluate), 6]`` (columns in LABELS order)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from promptsentry.training.export import encoder_source_dir
    from promptsentry.training.finetune import optimizer_step

    torch.manual_seed(seed)
    rng = random.Random(seed)
    torch.set_num_threads(1)
    src = str(encoder_source_dir())
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModel.from_pretrained(src)
    model.encoder.layer = model.encoder.layer[:layers]
    model.config.num_hidden_layers = layers
    head = torch.nn.Linear(model.config.hidden_size, len(LABELS))

    def forward(texts: list[str]):  # type: ignore[no-untyped-def]
        batch = tok([embedding_input(t) for t in texts], padding=True, truncation=True,
                    max_length=128, return_tensors="pt")
        hidden = model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).float()
        return head((hidden * mask).sum(1) / mask.sum(1).clamp(min=1))

    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=5e-5, weight_decay=0.01)
    order = sorted(range(len(train)), key=lambda i: len(train[i]["text"]))
    batches = [order[i:i + 32] for i in range(0, len(order), 32)]
    total = int(len(batches) * epochs)
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / 50) * max(0.0, 1 - s / total))
    y = torch.tensor([LABELS.index(r["label"]) for r in train])
    w = torch.tensor(row_weights(train), dtype=torch.float32)
    step, t0 = 0, time.time()
    model.train()
    while step < total:
        rng.shuffle(batches)
        for idx in batches:
            loss = torch.nn.functional.cross_entropy(
                forward([train[i]["text"] for i in idx]), y[idx], reduction="none",
                label_smoothing=0.05)
            optimizer_step((loss * w[idx]).sum() / w[idx].sum(), params, opt, sched)
            step += 1
            if step % 50 == 0 or step == total:
                print(f"[{time.time() - t0:6.0f}s] fine-tuning {step}/{total}", flush=True)
            if step >= total:
                break
    model.eval()
    out = np.zeros((len(evaluate), len(LABELS)), np.float32)
    by_len = sorted(range(len(evaluate)), key=lambda i: len(evaluate[i]["text"]))
    with torch.no_grad():
        for i in range(0, len(by_len), 64):
            idx = by_len[i:i + 64]
            out[idx] = forward([evaluate[j]["text"] for j in idx]).numpy()
    return out


def softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    return p / p.sum(axis=1, keepdims=True)


def report(name: str, pred: np.ndarray, y: np.ndarray, split: np.ndarray) -> dict:
    """Accuracy per split, and per label on ``test_family``; printed and returned."""
    acc = {s: round(float(np.mean(pred[split == s] == y[split == s])), 3)
           for s in SPLITS if (split == s).any()}
    fam = split == "test_family"
    per = {LABELS[k]: round(float(np.mean(pred[fam & (y == k)] == k)), 3)
           for k in range(len(LABELS)) if (fam & (y == k)).any()}
    print(f"{name:>24}  " + "  ".join(f"{s} {a:.3f}" for s, a in acc.items()))
    print(f"{'':>24}  test_family per label: {per}")
    return {"accuracy": acc, "test_family_per_label": per}


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(".bench-cache/contexts_public.jsonl"))
    ap.add_argument("--layers", type=int, default=6)
    ap.add_argument("--epochs", type=float, default=2.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the figures here as well")
    args = ap.parse_args(argv)

    rows = [json.loads(line) for line in args.data.open(encoding="utf-8")]
    train = [r for r in rows if r["split"] == "train"]
    ev = [r for r in rows if r["split"] in SPLITS]
    y = np.array([LABELS.index(r["label"]) for r in ev])
    split = np.array([r["split"] for r in ev])

    det = default_detector()
    perm = [[lab.value for lab in det.labels].index(lab) for lab in LABELS]
    col = {lab.value: i for i, lab in enumerate(det.labels)}
    shipped = np.array([LABELS.index(det.detect(r["text"]).category.value) for r in ev])
    lexical = np.array([det.lexical_logits(r["text"])[0] for r in ev])[:, perm]
    assert all(col[lab] == perm[i] for i, lab in enumerate(LABELS))

    tuned = finetune_logits(train, ev, layers=args.layers, epochs=args.epochs, seed=args.seed)
    cal = split == "calib"
    best = min(((-np.log(softmax((lexical + a * tuned) / t)[cal, y[cal]] + 1e-12).mean(), a, t)
                for a in (0.25, 0.5, 1, 2, 4, 8) for t in (0.5, 1, 1.5, 2, 3, 4)))
    a = best[1]
    out = {
        "config": {"layers": args.layers, "epochs": args.epochs, "seed": args.seed,
                   "train_rows": len(train), "fused_a": a},
        "shipped": report("shipped", shipped, y, split),
        "lexical": report("lexical", lexical.argmax(1), y, split),
        "finetuned": report("finetuned", tuned.argmax(1), y, split),
        "fused": report(f"lexical + {a} x finetuned", (lexical + a * tuned).argmax(1), y, split),
    }
    if args.json:
        args.json.write_text(json.dumps(out, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
