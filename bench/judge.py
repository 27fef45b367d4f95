"""Measure a judge model on labelled files: alone, on the gray-zone rows, and end to end with
the local pipeline; latency, tokens and cost.

    .venv/bin/python bench/judge.py --endpoint https://api.openai.com/v1 --model gpt-4o-mini \\
        [--api openai|anthropic|gemini] [--api-key-env OPENAI_API_KEY] [--price IN,OUT] \\
        [--limit N] [--json out.json] data/dev/traffic.jsonl ...

Files are JSONL rows ``{"text": ..., "label": 0|1}`` (``promptsentry eval``'s format). Every
row is scanned by the local pipeline (no judge) and judged once by the endpoint, exactly as
the judge stage asks (nonce-delimited block, strict answer). Reported:

* **judge alone** — AUC (score: the judge's confidence that the text is malicious) and
  accuracy over every row; failed judgements (invalid answer, timeout) count as wrong;
* **gray zone** — the same on the rows whose local risk fell in the gray zone, next to the
  local verdict's accuracy on those rows;
* **end to end** — accuracy, recall and false-positive rate of the local pipeline alone and
  with the judge deciding the gray zone under the stage's rules (``promptsentry.judge.rules``;
  a failed judgement keeps the local verdict, as ``fail_open`` does);
* latency p50/p99 of judge calls, tokens per call, and tokens and cost per 1,000 scans (only
  gray-zone scans reach the judge in the service).

The endpoint is the operator's own: its host is allow-listed for this run (plain http and
local addresses allowed), unlike a tenant's BYOM endpoint.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from promptsentry.cli.evaluate import read_labelled  # noqa: E402
from promptsentry.config import Settings  # noqa: E402
from promptsentry.judge import rules  # noqa: E402
from promptsentry.judge.policy import JudgePolicy, JudgeTarget  # noqa: E402
from promptsentry.judge.prompt import addresses_judge  # noqa: E402
from promptsentry.judge.runtime import JudgeFailure, JudgeRuntime  # noqa: E402
from promptsentry.pipeline.runner import (  # noqa: E402
    build_pipeline,
    policy_for,
    resolve_block_threshold,
    resolve_context_thresholds,
)
from promptsentry.pipeline.verdict import decide  # noqa: E402
from promptsentry.providers.usage import cost_usd  # noqa: E402
from promptsentry.schemas.request import ScanRequest  # noqa: E402


def auc(labels: list[int], scores: list[float]) -> float | None:
    """Area under the ROC curve (Mann-Whitney, ties counted half); ``None`` with one class."""
    y, s = np.asarray(labels), np.asarray(scores, dtype=float)
    pos, neg = s[y == 1], s[y == 0]
    if not len(pos) or not len(neg):
        return None
    greater = (pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum()
    return round(float(greater / (len(pos) * len(neg))), 4)


def _rates(labels: list[int], predicted: list[bool]) -> dict[str, Any]:
    y, p = np.asarray(labels, dtype=bool), np.asarray(predicted, dtype=bool)
    n = len(y)
    return {"rows": n,
            "accuracy": round(float((y == p).mean()), 4) if n else None,
            "recall": round(float(p[y].mean()), 4) if y.any() else None,
            "false_positive_rate": round(float(p[~y].mean()), 4) if (~y).any() else None}


async def run(args: argparse.Namespace) -> dict[str, Any]:
    host = urlsplit(args.endpoint).hostname or ""
    settings = Settings(egress_allowlist=[host], judge_cache_seconds=0,
                        data_dir=Path(args.data_dir) if args.data_dir else Settings().data_dir)
    pipeline = build_pipeline(settings)
    threshold = resolve_block_threshold(settings, pipeline)
    contexts = resolve_context_thresholds(settings, pipeline)
    runtime = JudgeRuntime(settings)
    key = os.environ.get(args.api_key_env) if args.api_key_env else None
    target = JudgeTarget(args.api, args.endpoint, args.model, api_key=key)
    judge_policy = JudgePolicy("bench", target, deadline_s=args.timeout)
    price = tuple(float(x) for x in args.price.split(",")) if args.price else None

    rows = [r for f in args.files for r in read_labelled(Path(f))][: args.limit or None]
    sem = asyncio.Semaphore(args.concurrency)

    async def one(row: dict[str, Any]) -> dict[str, Any]:
        request = ScanRequest(prompt=row["text"], context=row.get("context"))
        policy = policy_for(settings, request, block_threshold=threshold,
                            context_thresholds=contexts)
        state, _ = await pipeline.judge(request, policy)
        local = decide(state)
        out: dict[str, Any] = {"label": int(row["label"]), "local": local.verdict == "malicious",
                               "gray": local.gray_zone, "risk": local.risk_score}
        async with sem:
            t0 = time.perf_counter()
            try:
                j = await runtime.ask(target, judge_policy, row["text"], "prompt",
                                      row.get("context"), time.monotonic() + args.timeout,
                                      "judge")
            except JudgeFailure as exc:
                out.update(ms=(time.perf_counter() - t0) * 1000, failed=exc.reason)
                return out
            out["ms"] = (time.perf_counter() - t0) * 1000
        a = j.answer
        out.update(failed=None, judge=a.verdict == "malicious", tokens_in=j.input_tokens,
                   tokens_out=j.output_tokens,
                   score=a.confidence if a.verdict == "malicious" else 1 - a.confidence)
        outcome, _ = rules.outcome(a.verdict, steering=addresses_judge(row["text"]),
                                   hard=rules.hard_evidence(state.findings))
        out["outcome"] = outcome
        return out

    results = await asyncio.gather(*(one(r) for r in rows))
    return report(results, price)


def report(results: list[dict[str, Any]], price: tuple[float, ...] | None) -> dict[str, Any]:
    labels = [r["label"] for r in results]

    def judged(subset: list[dict[str, Any]]) -> dict[str, Any]:
        ys = [r["label"] for r in subset]
        # a failed judgement is wrong: it scores on the wrong side
        scores = [r["score"] if not r["failed"] else (0.0 if r["label"] else 1.0) for r in subset]
        preds = [bool(r.get("judge")) if not r["failed"] else not r["label"] for r in subset]
        return {**_rates(ys, preds), "auc": auc(ys, scores),
                "failed": sum(1 for r in subset if r["failed"])}

    def final(r: dict[str, Any]) -> bool:
        if not r["gray"] or r["failed"] or r.get("outcome") == "kept_local":
            return r["local"]
        return r["outcome"] == "escalated_malicious"

    gray = [r for r in results if r["gray"]]
    ok = [r for r in results if not r["failed"]]
    ms = [r["ms"] for r in results]
    tin = sum(r.get("tokens_in", 0) for r in ok)
    tout = sum(r.get("tokens_out", 0) for r in ok)
    gray_in = sum(r.get("tokens_in", 0) for r in gray if not r["failed"])
    gray_out = sum(r.get("tokens_out", 0) for r in gray if not r["failed"])
    n = max(len(results), 1)
    return {
        "rows": len(results), "gray_zone_rows": len(gray),
        "judge_alone": judged(results),
        "gray_zone": {"judge": judged(gray),
                      "local": _rates([r["label"] for r in gray], [r["local"] for r in gray])},
        "end_to_end": {"local": _rates(labels, [r["local"] for r in results]),
                       "with_judge": _rates(labels, [final(r) for r in results])},
        "latency_ms": {"p50": round(float(np.percentile(ms, 50)), 1) if ms else None,
                       "p99": round(float(np.percentile(ms, 99)), 1) if ms else None},
        "tokens_per_call": {"input": round(tin / max(len(ok), 1), 1),
                            "output": round(tout / max(len(ok), 1), 1)},
        "per_1000_scans": {"judge_calls": round(1000 * len(gray) / n, 1),
                           "input_tokens": round(1000 * gray_in / n),
                           "output_tokens": round(1000 * gray_out / n),
                           "cost_usd": round(1000 * cost_usd(price, gray_in, gray_out) / n, 4)},
    }


def _print(rep: dict[str, Any]) -> None:
    def line(name: str, m: dict[str, Any]) -> None:
        print(f"  {name:<26} rows {m['rows']:>5}  acc {m['accuracy']}  recall {m['recall']}  "
              f"fpr {m['false_positive_rate']}" + (f"  auc {m['auc']}  failed {m['failed']}"
                                                    if "auc" in m else ""))
    print(f"rows {rep['rows']}, gray zone {rep['gray_zone_rows']}")
    line("judge alone", rep["judge_alone"])
    line("gray zone: judge", rep["gray_zone"]["judge"])
    line("gray zone: local", rep["gray_zone"]["local"])
    line("end to end: local", rep["end_to_end"]["local"])
    line("end to end: with judge", rep["end_to_end"]["with_judge"])
    print(f"  latency p50 {rep['latency_ms']['p50']} ms, p99 {rep['latency_ms']['p99']} ms; "
          f"tokens/call {rep['tokens_per_call']}; per 1,000 scans {rep['per_1000_scans']}")


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="+")
    parser.add_argument("--endpoint", required=True, help="base URL of the judge")
    parser.add_argument("--model", required=True)
    parser.add_argument("--api", choices=["openai", "anthropic", "gemini"], default="openai")
    parser.add_argument("--api-key-env", default="PROMPTSENTRY_JUDGE_API_KEY",
                        help="environment variable holding the API key")
    parser.add_argument("--price", help="dollars per million input,output tokens (e.g. 0.15,0.6)")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per judgement")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--data-dir", help="data directory (audit salt); default the install's")
    parser.add_argument("--json", help="also write the report here")
    args = parser.parse_args(argv)
    rep = asyncio.run(run(args))
    _print(rep)
    if args.json:
        Path(args.json).write_text(json.dumps(rep, indent=2) + "\n", encoding="utf-8")
    return rep


if __name__ == "__main__":
    main()
