"""Fine-tuning the encoder stage end to end (training time only: torch + transformers).

The encoder stage is ``all-MiniLM-L6-v2`` cut to its first ``layers`` transformer layers,
mean-pooled, with a linear head, trained as one binary classifier on the rows (cross-entropy,
benign rows that use trigger words weighted up). It is exported to ONNX with the head inside
the graph — inputs ``input_ids``, ``attention_mask``, ``token_type_ids``; output ``logits``
``[batch]`` — and quantised to int8, so the runtime needs only onnxruntime and tokenizers.

Cutting layers is the latency knob: each MiniLM layer costs about 0.4 ms per 30-token unit on
one core (int8). The fine-tuned 3-layer model (2.0–2.2) beat the frozen 6-layer encoder with
a fitted head on every held-out measure we have; fine-tuning all 6 (2.3) beats both
(docs/MODEL.md).
"""

from __future__ import annotations

import random
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from promptsentry.training.data import Row

__all__ = ["FinetuneConfig", "FinetunedClassifier", "export_classifier", "finetune",
           "optimizer_step"]


@dataclass
class FinetuneConfig:
    """Hyper-parameters of the fine-tuning run (recorded in the model card)."""

    layers: int = 3
    epochs: float = 2.0
    lr: float = 5e-5
    weight_decay: float = 0.01
    warmup_steps: int = 100
    batch_size: int = 32
    max_tokens: int = 128
    hard_negative_weight: float = 8.0  # benign corpus rows that use trigger words
    synthetic_hard_negative_weight: float = 2.0  # augmented benign rows with trigger words
    hard_negative_repeats: int = 1  # passes over the benign corpus trigger-word rows per epoch
    threads: int = 2
    seed: int = 0

    def to_dict(self) -> dict[str, object]:
        return asdict(self)


class FinetunedClassifier:
    """The trained torch model and its tokenizer; ``logits`` scores texts in batches."""

    def __init__(self, model, head, tokenizer, cfg: FinetuneConfig) -> None:  # type: ignore[no-untyped-def]
        self.model = model
        self.head = head
        self.tokenizer = tokenizer
        self.cfg = cfg

    def _forward(self, texts: list[str]):  # type: ignore[no-untyped-def]
        batch = self.tokenizer(texts, padding=True, truncation=True,
                               max_length=self.cfg.max_tokens, return_tensors="pt")
        hidden = self.model(**batch).last_hidden_state
        mask = batch["attention_mask"].unsqueeze(-1).to(hidden.dtype)
        pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
        return self.head(pooled).squeeze(-1)

    def logits(self, texts: Sequence[str], batch: int = 64) -> np.ndarray:
        import torch

        self.model.eval()
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        out = np.zeros(len(texts), dtype=np.float64)
        with torch.no_grad():
            for i in range(0, len(order), batch):
                idx = order[i : i + batch]
                out[idx] = self._forward([texts[j] for j in idx]).numpy()
        return out


def _weight(row: Row, cfg: FinetuneConfig) -> float:
    from promptsentry.training.devsets import is_hard_negative

    if is_hard_negative(row):
        return cfg.synthetic_hard_negative_weight if row.origin else cfg.hard_negative_weight
    return 1.0


def optimizer_step(loss, params, opt, sched) -> None:  # type: ignore[no-untyped-def]
    """One optimiser step on ``loss``: backward, gradient norm clipped to 1, learning-rate
    schedule step, gradients cleared."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(params, 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()


def finetune(
    rows: Sequence[Row],
    cfg: FinetuneConfig,
    progress: Callable[[str, int, int], None] = lambda *a: None,
) -> FinetunedClassifier:
    """Fine-tune the truncated encoder + head on ``rows`` (labels 0/1)."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    from promptsentry.training.export import encoder_source_dir

    torch.manual_seed(cfg.seed)
    rng = random.Random(cfg.seed)
    torch.set_num_threads(max(1, cfg.threads))
    src = str(encoder_source_dir())
    tokenizer = AutoTokenizer.from_pretrained(src)
    model = AutoModel.from_pretrained(src)
    model.encoder.layer = model.encoder.layer[: cfg.layers]
    model.config.num_hidden_layers = cfg.layers
    head = torch.nn.Linear(model.config.hidden_size, 1)
    clf = FinetunedClassifier(model, head, tokenizer, cfg)
    params = list(model.parameters()) + list(head.parameters())
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=cfg.weight_decay)

    # The benign corpus rows with trigger words are the rows the model fails to fit in one
    # pass (a weight alone does not fix that): they can be seen several times per epoch.
    rows = list(rows)
    if cfg.hard_negative_repeats > 1:
        from promptsentry.training.devsets import is_hard_negative

        corpus_hard = [r for r in rows if not r.origin and is_hard_negative(r)]
        rows += corpus_hard * (cfg.hard_negative_repeats - 1)
    # length-sorted batches (little padding), shuffled batch order every epoch
    order = sorted(range(len(rows)), key=lambda i: len(rows[i].text))
    batches = [order[i : i + cfg.batch_size] for i in range(0, len(order), cfg.batch_size)]
    total = max(1, int(len(batches) * cfg.epochs))
    sched = torch.optim.lr_scheduler.LambdaLR(
        opt, lambda s: min(1.0, (s + 1) / max(1, cfg.warmup_steps)) * max(0.0, 1 - s / total)
    )
    y_all = torch.tensor([r.label for r in rows], dtype=torch.float32)
    w_all = torch.tensor([_weight(r, cfg) for r in rows], dtype=torch.float32)
    progress("fine-tuning", 0, total)
    model.train()
    step = 0
    while step < total:
        rng.shuffle(batches)
        for idx in batches:
            z = clf._forward([rows[i].text for i in idx])
            w = w_all[idx]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(
                z, y_all[idx], reduction="none")
            optimizer_step((loss * w).sum() / w.sum(), params, opt, sched)
            step += 1
            progress("fine-tuning", 1, total)
            if step >= total:
                break
    model.eval()
    return clf


def export_classifier(clf: FinetunedClassifier, out_dir: str | Path, opset: int = 17,
                      keep_fp32: bool = False) -> Path:
    """Write ``classifier.int8.onnx`` and ``tokenizer.json`` of ``clf`` into ``out_dir``."""
    import torch

    from promptsentry.training.export import encoder_source_dir, quantize_int8

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)

    class _Graph(torch.nn.Module):
        def __init__(self, inner: FinetunedClassifier) -> None:
            super().__init__()
            self.model = inner.model
            self.head = inner.head

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            hidden = self.model(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0)
            return self.head(pooled).squeeze(-1)

    fp32 = out / "classifier.fp32.onnx"
    dummy = torch.ones((2, 8), dtype=torch.long)
    with torch.no_grad():
        torch.onnx.export(
            _Graph(clf).eval(), (dummy, dummy, torch.zeros_like(dummy)), str(fp32),
            input_names=["input_ids", "attention_mask", "token_type_ids"],
            output_names=["logits"],
            dynamic_axes={"input_ids": {0: "batch", 1: "sequence"},
                          "attention_mask": {0: "batch", 1: "sequence"},
                          "token_type_ids": {0: "batch", 1: "sequence"},
                          "logits": {0: "batch"}},
            opset_version=opset, do_constant_folding=True, dynamo=False,
        )
    quantize_int8(fp32, out / "classifier.int8.onnx")
    if not keep_fp32:
        fp32.unlink()
    shutil.copyfile(encoder_source_dir() / "tokenizer.json", out / "tokenizer.json")
    return out / "classifier.int8.onnx"
