"""``promptsentry eval FILE...`` — labelled JSONL through the real scan pipeline.

Each row is ``{"text", "label"}`` (1 attack, 0 benign) plus optional ``category`` and any
:class:`~promptsentry.schemas.request.ScanRequest` field (``scan_type``, ``context``, …). Every
row is judged as ``POST /scan`` would judge it on this install (same stages, same settings,
the model's block threshold unless ``--threshold``), and the command prints, per file and per
category: rows, the share blocked, AUC and recall at 1 % FPR; ``--scores FILE`` also writes
one JSONL line per row (file, line, label, category, risk, blocked, verdict, patterns — never
the text) to review what was blocked and why. A category that holds only
attacks is ranked against the benign rows of its file, so "injections in e-mails" gets an AUC
even when its benign counterpart is another category. Users run it on their own traffic
before switching blocking on.
"""

from __future__ import annotations

import asyncio
import json
import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

__all__ = ["Scored", "eval_command", "read_labelled", "read_numbered", "score_file", "summarise"]

err = Console(stderr=True)
out = Console()


@dataclass(frozen=True, slots=True)
class Scored:
    """One row's label, category, the pipeline's risk score and whether it was blocked; the
    verdict and the patterns that matched, for ``--scores``."""

    label: int
    category: str
    risk: float
    blocked: bool
    verdict: str = ""
    patterns: tuple[str, ...] = ()


def _request_fields() -> set[str]:
    from promptsentry.schemas.request import ScanRequest

    return set(ScanRequest.model_fields) - {"prompt"}


def read_labelled(path: Path) -> list[dict[str, Any]]:
    """The rows of a labelled JSONL file as dicts; a malformed row raises ``ValueError`` with
    its file and line."""
    return [row for _, row in read_numbered(path)]


def read_numbered(path: Path) -> list[tuple[int, dict[str, Any]]]:
    """:func:`read_labelled` with each row's line number in the file."""
    rows = []
    with path.open(encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
            if not isinstance(obj, dict) or not isinstance(obj.get("text"), str):
                raise ValueError(f"{path}:{n}: a row needs a string `text`")
            if isinstance(obj.get("label"), bool) or obj.get("label") not in (0, 1):
                raise ValueError(f"{path}:{n}: `label` must be 0 (benign) or 1 (attack)")
            rows.append((n, obj))
    return rows


async def score_file(rows: list[dict[str, Any]], pipeline: Any, settings: Any,
                     threshold: float, advance: Any = None,
                     context_thresholds: dict[str, float] | None = None) -> list[Scored]:
    """Judge every row as ``POST /scan`` would; ``advance()`` after each."""
    from promptsentry.pipeline.runner import policy_for
    from promptsentry.schemas.request import ScanRequest

    fields = _request_fields()
    scored = []
    for row in rows:
        extra = {k: v for k, v in row.items() if k in fields}
        request = ScanRequest(prompt=row["text"], **extra)
        policy = policy_for(settings, request, block_threshold=threshold,
                            context_thresholds=context_thresholds)
        response, _ = await pipeline.run(request, policy)
        scored.append(Scored(int(row["label"]), str(row.get("category") or "uncategorised"),
                             float(response.risk_score), response.action_taken == "blocked",
                             str(response.verdict), tuple(response.patterns_matched)))
        if advance is not None:
            advance()
    return scored


def _figures(scored: list[Scored], benign: list[Scored]) -> dict[str, Any]:
    from promptsentry.training.metrics import recall_at_fpr, roc_auc

    attacks = [s for s in scored if s.label == 1]
    negatives = [s for s in scored if s.label == 0] or benign
    ranked = attacks + negatives
    y = np.array([s.label for s in ranked])
    p = np.array([s.risk for s in ranked])
    auc = roc_auc(y, p) if attacks and negatives else math.nan
    r1 = recall_at_fpr(y, p, 0.01) if attacks and negatives else math.nan
    return {
        "rows": len(scored),
        "attacks": len(attacks),
        "blocked": float(np.mean([s.blocked for s in scored])) if scored else math.nan,
        "benign_blocked": (float(np.mean([s.blocked for s in scored if s.label == 0]))
                           if len(scored) > len(attacks) else math.nan),
        "attacks_blocked": (float(np.mean([s.blocked for s in attacks]))
                            if attacks else math.nan),
        "auc": auc,
        "recall_at_1pct_fpr": r1,
    }


def summarise(scored: list[Scored]) -> dict[str, Any]:
    """Figures of one file, overall and per category (NaN where a figure is undefined)."""
    benign = [s for s in scored if s.label == 0]
    by_cat: dict[str, list[Scored]] = defaultdict(list)
    for s in scored:
        by_cat[s.category].append(s)
    return {"overall": _figures(scored, benign),
            "categories": {c: _figures(v, benign) for c, v in sorted(by_cat.items())}}


def _cell(v: Any, pct: bool = False) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return "—"
        return f"{100 * v:.1f} %" if pct else f"{v:.3f}"
    return str(v)


def _table(name: str, summary: dict[str, Any], threshold: float) -> Table:
    table = Table(title=f"{name} — block threshold {threshold:.4f}")
    for col, justify in (("category", "left"), ("rows", "right"), ("attacks", "right"),
                         ("blocked", "right"), ("AUC", "right"), ("R@1%FPR", "right")):
        table.add_column(col, justify=justify)  # type: ignore[arg-type]
    items = [*summary["categories"].items(), ("all", summary["overall"])]
    for cat, f in items:
        table.add_row(cat, str(f["rows"]), str(f["attacks"]), _cell(f["blocked"], pct=True),
                      _cell(f["auc"]), _cell(f["recall_at_1pct_fpr"]),
                      end_section=cat == items[-2][0])
    return table


def eval_command(
    files: Annotated[list[Path], typer.Argument(
        help="Labelled JSONL files: {\"text\", \"label\"} plus optional \"category\" and "
             "scan request fields.", exists=True, dir_okay=False)],
    model_dir: Annotated[Path | None, typer.Option(
        help="Detector artifacts (default: the configured or shipped model).")] = None,
    threshold: Annotated[float | None, typer.Option(
        min=0.0, max=1.0, help="Block threshold (default: the install's).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
        = False,
    scores: Annotated[Path | None, typer.Option(
        help="Also write one JSONL line per row (file, line, label, category, risk, blocked, "
             "verdict, patterns; not the text).", dir_okay=False)] = None,
) -> None:
    """Score labelled JSONL files through the real pipeline: per file and category, the
    share blocked, AUC and recall at 1 % FPR."""
    from promptsentry.cli.core import _quiet_logging
    from promptsentry.config import get_settings
    from promptsentry.detector import DetectorError
    from promptsentry.pipeline.runner import (
        build_pipeline,
        resolve_block_threshold,
        resolve_context_thresholds,
    )

    _quiet_logging()

    overrides: dict[str, Any] = {}
    if model_dir is not None:
        overrides["model_dir"] = model_dir
    if threshold is not None:
        overrides["block_threshold"] = threshold
    try:
        settings = get_settings().model_copy(update=overrides)
        numbered = {str(p): read_numbered(p) for p in files}
        per_file = {name: [row for _, row in rows] for name, rows in numbered.items()}
        line_numbers = {name: [n for n, _ in rows] for name, rows in numbered.items()}
        pipeline = build_pipeline(settings)
        used = resolve_block_threshold(settings, pipeline)
        by_context = resolve_context_thresholds(settings, pipeline)
    except (ValueError, OSError, DetectorError) as exc:
        err.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(2) from exc
    results: dict[str, Any] = {}
    per_row: list[dict[str, Any]] = []
    with Progress("[progress.description]{task.description}", BarColumn(),
                  MofNCompleteColumn(), TimeElapsedColumn(), console=err,
                  transient=True) as bar:
        for name, rows in per_file.items():
            task = bar.add_task(Path(name).name, total=len(rows))
            scored = asyncio.run(score_file(rows, pipeline, settings, used,
                                            lambda t=task: bar.advance(t), by_context))
            results[name] = summarise(scored)
            per_row += [{"file": name, "line": n, "label": s.label, "category": s.category,
                         "risk": round(s.risk, 6), "blocked": s.blocked, "verdict": s.verdict,
                         "patterns": list(s.patterns)}
                        for n, s in zip(line_numbers[name], scored, strict=True)]
    if scores is not None:
        try:
            scores.write_text("".join(json.dumps(r) + "\n" for r in per_row), encoding="utf-8")
        except OSError as exc:
            err.print(f"[red]error:[/red] cannot write {scores}: {exc}")
            raise typer.Exit(2) from exc
    if as_json:
        from promptsentry.training.metrics import json_safe

        print(json.dumps({"threshold": used, "files": json_safe(results)}, indent=2))
        return
    for name, summary in results.items():
        out.print(_table(name, summary, used))
