"""Optimizer benchmarks: conciseness token reduction and similarity, rubric gain per goal,
context-detection accuracy with confusion matrices, and rules-engine latency.

Corpus: the real prompts of ``data/optimizer/contexts.jsonl`` (public prompt-forge prompts,
HumanEval problems, s-labs questions, MT-bench questions; see data/optimizer/SOURCES.md).
Nothing is downloaded.

Usage::

    .venv/bin/python bench/optimizer.py [--json out.json] [--latency-runs 300]

Prints a markdown section for docs/BENCHMARKS.md.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

from promptsentry.optimizer.detect import default_detector
from promptsentry.optimizer.engine import optimize_rules
from promptsentry.optimizer.goals import GOALS, SUPPORTED_GOALS
from promptsentry.optimizer.tokens import count_tokens
from promptsentry.optimizer.training.train_context import evaluate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "optimizer" / "contexts.jsonl"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def conciseness(rows: list[dict]) -> dict:
    long = [r["text"] for r in rows if count_tokens(r["text"]) >= 150]
    out: dict[str, dict] = {}
    for goal in ("conciseness", "token_efficiency"):
        reductions, sims = [], []
        for text in long:
            r = optimize_rules(text, [goal], "general_assistant")
            reductions.append(100.0 * (r.tokens_before - r.tokens_after) / r.tokens_before)
            sims.append(r.similarity)
        out[goal] = {
            "prompts": len(long),
            "median_token_reduction_pct": round(statistics.median(reductions), 2),
            "mean_token_reduction_pct": round(statistics.fmean(reductions), 2),
            "p90_token_reduction_pct": round(pct(reductions, 0.9), 2),
            "median_similarity": round(statistics.median(sims), 4),
            "p5_similarity": round(pct(sims, 0.05), 4),
        }
    return out


def rubric_gain(rows: list[dict], limit: int) -> dict:
    sample = rows[:limit]
    gains: dict[str, dict] = {}
    for goal in SUPPORTED_GOALS:
        deltas, applied = [], 0
        for r in sample:
            res = optimize_rules(r["text"], [goal])
            deltas.append(res.quality_after.total - res.quality_before.total)
            applied += res.optimized_prompt != r["text"].strip()
        gains[goal] = {"mean_gain": round(statistics.fmean(deltas), 2),
                       "median_gain": statistics.median(deltas),
                       "changed_pct": round(100.0 * applied / len(sample), 1)}
    return gains


def latency(rows: list[dict], runs: int) -> dict:
    texts = []
    for r in rows:
        t = r["text"]
        while len(t.encode()) < 2048:
            t = t + "\n" + r["text"]
        texts.append(t.encode()[:2048].decode("utf-8", "ignore"))
        if len(texts) >= 50:
            break
    result = {}
    for label, goals in (("default goals (detect + context defaults)", None),
                         ("clarity+conciseness+structure+specificity",
                          ["clarity", "conciseness", "structure", "specificity"])):
        optimize_rules(texts[0], goals)  # warm-up (model load, tokenizer)
        samples = []
        for i in range(runs):
            t0 = time.perf_counter()
            optimize_rules(texts[i % len(texts)], goals)
            samples.append((time.perf_counter() - t0) * 1000)
        result[label] = {"runs": runs, "p50_ms": round(pct(samples, 0.5), 2),
                         "p99_ms": round(pct(samples, 0.99), 2),
                         "mean_ms": round(statistics.fmean(samples), 2)}
    return result


def table(m: dict) -> str:
    labels = m["labels"]
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |",
             "|---|" + "---|" * len(labels)]
    for lab, row in zip(labels, m["confusion"]):
        lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--latency-runs", type=int, default=300)
    ap.add_argument("--rubric-sample", type=int, default=200)
    args = ap.parse_args()
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    dev = [r for r in rows if r["split"] == "dev"]
    ext = [r for r in rows if r["split"] == "test_external"]
    det = default_detector()
    report = {
        "machine": f"{platform.machine()} {platform.processor() or ''} Python "
                   f"{platform.python_version()}",
        "conciseness": conciseness([r for r in rows if r["split"] != "test_external"]),
        "rubric_gain": rubric_gain(dev, args.rubric_sample),
        "detection": {"dev": evaluate(det, dev), "test_external": evaluate(det, ext)},
        "latency_2kb": latency(dev, args.latency_runs),
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    c = report["conciseness"]
    print("### Conciseness (prompts of 150+ cl100k tokens)\n")
    print("| goal | prompts | median reduction | mean | p90 | median similarity | p5 "
          "similarity |\n|---|---|---|---|---|---|---|")
    for goal, v in c.items():
        print(f"| {goal} | {v['prompts']} | {v['median_token_reduction_pct']} % | "
              f"{v['mean_token_reduction_pct']} % | {v['p90_token_reduction_pct']} % | "
              f"{v['median_similarity']} | {v['p5_similarity']} |")
    print(f"\n### Rubric gain per goal (first {args.rubric_sample} dev prompts, 0–100 scale)\n")
    print("| goal | mean gain | median gain | prompts changed |\n|---|---|---|---|")
    for goal, v in report["rubric_gain"].items():
        print(f"| {goal} | {v['mean_gain']:+} | {v['median_gain']:+} | {v['changed_pct']} % |")
    for name, m in report["detection"].items():
        print(f"\n### Context detection — {name} (n = {m['n']})\n")
        print(f"accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f} (over the classes "
              f"present), ECE {m['ece']:.3f}\n")
        print(table(m))
    print("\n### Rules-engine latency, 2 KB prompts (in process)\n")
    print("| goals | runs | p50 | p99 | mean |\n|---|---|---|---|---|")
    for label, v in report["latency_2kb"].items():
        print(f"| {label} | {v['runs']} | {v['p50_ms']} ms | {v['p99_ms']} ms | "
              f"{v['mean_ms']} ms |")
    _ = GOALS


if __name__ == "__main__":
    main()
