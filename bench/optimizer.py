"""Optimizer benchmarks: conciseness token reduction and similarity, rubric gain per goal,
context-detection accuracy with confusion matrices, and rules-engine latency.

Corpus: the real prompts of ``data/optimizer/contexts.jsonl`` (public prompt-forge prompts,
HumanEval problems, s-labs questions, WritingBench/PersistBench queries, MT-bench
questions, SWE-Lancer issues, FreshQA questions; see data/optimizer/SOURCES.md).
Nothing is downloaded.

Usage::

    .venv/bin/python bench/optimizer.py [--json out.json] [--latency-runs 300]
    .venv/bin/python bench/optimizer.py --corpus data/optimizer/awesome_chatgpt_prompts.jsonl

Prints a markdown section for docs/BENCHMARKS.md. ``--corpus`` (any JSONL with a ``text``
field per line) runs only the conciseness table and the function-word share on that corpus:
``data/optimizer/awesome_chatgpt_prompts.jsonl`` holds the shared, human-written prompts of
the Awesome ChatGPT Prompts collection (see data/optimizer/SOURCES.md).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from pathlib import Path

import numpy as np

from promptsentry.encoders import sentence_encoder
from promptsentry.optimizer.detect import default_detector
from promptsentry.optimizer.engine import optimize_rules
from promptsentry.optimizer.goals import GOALS, SUPPORTED_GOALS
from promptsentry.optimizer.similarity import clear_cache, similarity
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


def _window_similarity(a: str, b: str) -> float:
    """Cross-check of the reported similarity with coarser units: consecutive whole lines
    grouped into windows of up to 600 characters (one encoder call each), length-weighted
    mean, cosine. (Fixed character windows are not used: cutting at arbitrary offsets makes
    even a 3-character deletion score as low as 0.70.)"""
    enc = sentence_encoder()

    def vec(t: str) -> np.ndarray:
        wins, cur = [], ""
        for line in t.splitlines(keepends=True):
            if cur and len(cur) + len(line) > 600:
                wins.append(cur)
                cur = ""
            cur += line
        wins.append(cur)
        v = sum(enc.embed([w])[0].astype(np.float64) * len(w) for w in wins)
        return v / np.linalg.norm(v)

    return float(vec(a) @ vec(b))


def conciseness(rows: list[dict]) -> dict:
    """Token reduction of ``conciseness``/``token_efficiency`` on prompts of 150+ tokens, with
    the encoder similarity the engine reports and an independent window-similarity check."""
    long = [r["text"] for r in rows if count_tokens(r["text"]) >= 150]
    out: dict[str, dict] = {}
    for goal in ("conciseness", "token_efficiency"):
        reductions, sims, windows, changed = [], [], [], 0
        for text in long:
            r = optimize_rules(text, [goal], "general_assistant")
            reductions.append(100.0 * (r.tokens_before - r.tokens_after) / r.tokens_before)
            sims.append(r.similarity)
            windows.append(_window_similarity(text, r.optimized_prompt))
            changed += r.tokens_after < r.tokens_before
        out[goal] = {
            "prompts": len(long),
            "changed_pct": round(100.0 * changed / len(long), 1),
            "median_token_reduction_pct": round(statistics.median(reductions), 2),
            "mean_token_reduction_pct": round(statistics.fmean(reductions), 2),
            "p90_token_reduction_pct": round(pct(reductions, 0.9), 2),
            "median_similarity": round(statistics.median(sims), 4),
            "p5_similarity": round(pct(sims, 0.05), 4),
            "p5_window_similarity": round(pct(windows, 0.05), 4),
        }
    return out


#: Function words: articles, auxiliaries, pronouns, prepositions, modals, conjunctions.
FUNCTION_WORDS = frozenset(
    "a an the is are was were be been being am to of in on at by for with from as that this "
    "these those it its which who whom whose there here then than so such very really just also "
    "any some each every all both either or and but if while when where what how why would "
    "could should shall will may might must can do does did have has had i me my we our you "
    "your he she they them their his her".split())


def function_word_share(rows: list[dict]) -> dict:
    """How much a rewrite could save without touching content: the share of a prompt's tokens
    that are function words in free text (outside protected spans, fenced code and code-like
    lines), over the prompts of 150+ tokens — each such word counted as one token."""
    import re

    from promptsentry.optimizer.compress import _CODE_LINE
    from promptsentry.optimizer.spans import segments

    fence = re.compile(r"```.*?(?:```|\Z)", re.DOTALL)
    shares = []
    for text in (r["text"] for r in rows if count_tokens(r["text"]) >= 150):
        words = 0
        for line in fence.sub("", text).split("\n"):
            if _CODE_LINE.search(line):
                continue
            words += sum(w.lower() in FUNCTION_WORDS for protected, piece in segments(line)
                         if not protected for w in re.findall(r"[A-Za-z']+", piece))
        shares.append(100.0 * words / count_tokens(text))
    return {"prompts": len(shares), "median_pct": round(statistics.median(shares), 1),
            "p90_pct": round(pct(shares, 0.9), 1)}


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
        samples, sim_ms = [], []
        for i in range(runs):
            text = texts[i % len(texts)]
            clear_cache()  # cold: no unit vectors left over from an earlier run
            t0 = time.perf_counter()
            res = optimize_rules(text, goals)
            samples.append((time.perf_counter() - t0) * 1000)
            clear_cache()  # the encoder-similarity share of that request, timed on its own
            t0 = time.perf_counter()
            similarity(text, res.optimized_prompt)
            sim_ms.append((time.perf_counter() - t0) * 1000)
        result[label] = {"runs": runs, "p50_ms": round(pct(samples, 0.5), 2),
                         "p99_ms": round(pct(samples, 0.99), 2),
                         "mean_ms": round(statistics.fmean(samples), 2),
                         "similarity_p50_ms": round(pct(sim_ms, 0.5), 2)}
    return result


def detection_latency(rows: list[dict], det, runs: int) -> dict:
    """``detect`` on 2 KB prompts: the fused model, and its lexical half alone."""
    texts = []
    for r in rows[:50]:
        t = r["text"]
        while len(t.encode()) < 2048:
            t = t + "\n" + r["text"]
        texts.append(t.encode()[:2048].decode("utf-8", "ignore"))
    out = {}
    for name, alpha in (("fused", det.alpha), ("lexical", 0.0)):
        saved, det.alpha = det.alpha, alpha
        try:
            det.detect(texts[0])  # warm-up (encoder load)
            samples = []
            for i in range(runs):
                t0 = time.perf_counter()
                det.detect(texts[i % len(texts)])
                samples.append((time.perf_counter() - t0) * 1000)
        finally:
            det.alpha = saved
        out[name] = {"runs": runs, "p50_ms": round(pct(samples, 0.5), 2),
                     "p99_ms": round(pct(samples, 0.99), 2)}
    return out


#: Names of the context-detection test splits in the report.
DETECTION_SETS = {
    "dev": "dev (held-out groups of the training sources)",
    "test_external": "MT-bench first turns, labelled by hand (external)",
    "test_external_code": "SWE-Lancer issues, code (external)",
    "test_external_general": "FreshQA questions, general (external)",
}


def detection(rows: list[dict], det) -> dict:
    """Context-detection metrics on dev and on every external test split."""
    return {name: evaluate(det, [r for r in rows if r["split"] == name])
            for name in DETECTION_SETS if any(r["split"] == name for r in rows)}


def table(m: dict) -> str:
    labels = m["labels"]
    lines = ["| true \\ predicted | " + " | ".join(labels) + " |",
             "|---|" + "---|" * len(labels)]
    for lab, row in zip(labels, m["confusion"]):
        if not any(row):
            continue  # no example of this class in the set
        lines.append(f"| {lab} | " + " | ".join(str(v) for v in row) + " |")
    return "\n".join(lines)


def print_conciseness(report: dict) -> None:
    c = report["conciseness"]
    print("### Conciseness (prompts of 150+ cl100k tokens)\n")
    print("| goal | prompts | changed | median reduction | mean | p90 | median similarity | p5 "
          "similarity | p5 window similarity |\n|---|---|---|---|---|---|---|---|---|")
    for goal, v in c.items():
        print(f"| {goal} | {v['prompts']} | {v['changed_pct']} % | "
              f"{v['median_token_reduction_pct']} % | {v['mean_token_reduction_pct']} % | "
              f"{v['p90_token_reduction_pct']} % | {v['median_similarity']} | "
              f"{v['p5_similarity']} | {v['p5_window_similarity']} |")
    fw = report["function_words"]
    print(f"\nFunction words in free text: {fw['median_pct']} % of the tokens at the median, "
          f"{fw['p90_pct']} % at p90 ({fw['prompts']} prompts) — what deleting every one of "
          "them would save at most.")


def corpus_report(path: Path, json_out: Path | None) -> None:
    """The conciseness table and function-word share on another corpus."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    rows = [r for r in rows if r.get("split") != "test_external"]  # as in the full report
    report = {"corpus": str(path), "rows": len(rows),
              "conciseness": conciseness(rows), "function_words": function_word_share(rows)}
    if json_out:
        json_out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"Corpus `{path}`: {len(rows)} rows.\n")
    print_conciseness(report)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--latency-runs", type=int, default=300)
    ap.add_argument("--rubric-sample", type=int, default=200)
    ap.add_argument("--corpus", type=Path,
                    help="only the conciseness table, on this JSONL corpus ({text} per line)")
    args = ap.parse_args()
    if args.corpus:
        corpus_report(args.corpus, args.json)
        return
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    dev = [r for r in rows if r["split"] == "dev"]
    det = default_detector()
    report = {
        "machine": f"{platform.machine()} {platform.processor() or ''} Python "
                   f"{platform.python_version()}",
        "conciseness": conciseness([r for r in rows if r["split"] != "test_external"]),
        "function_words": function_word_share([r for r in rows
                                               if r["split"] != "test_external"]),
        "rubric_gain": rubric_gain(dev, args.rubric_sample),
        "detection": detection(rows, det),
        "latency_2kb": latency(dev, args.latency_runs),
        "detection_latency_2kb": detection_latency(dev, det, args.latency_runs),
    }
    if args.json:
        args.json.write_text(json.dumps(report, indent=1) + "\n")
    print_conciseness(report)
    print(f"\n### Rubric gain per goal (first {args.rubric_sample} dev prompts, 0–100 scale)\n")
    print("| goal | mean gain | median gain | prompts changed |\n|---|---|---|---|")
    for goal, v in report["rubric_gain"].items():
        print(f"| {goal} | {v['mean_gain']:+} | {v['median_gain']:+} | {v['changed_pct']} % |")
    for name, m in report["detection"].items():
        print(f"\n### Context detection — {DETECTION_SETS.get(name, name)} (n = {m['n']})\n")
        print(f"accuracy {m['accuracy']:.4f}, macro-F1 {m['macro_f1']:.4f} (over the classes "
              f"present), ECE {m['ece']:.3f}\n")
        print(table(m))
    d = report["detection_latency_2kb"]
    print(f"\nContext-detection latency, 2 KB prompts: fused {d['fused']['p50_ms']} ms p50 / "
          f"{d['fused']['p99_ms']} ms p99; lexical half alone {d['lexical']['p50_ms']} ms p50 / "
          f"{d['lexical']['p99_ms']} ms p99 ({d['fused']['runs']} runs)")
    print("\n### Rules-engine latency, 2 KB prompts (in process)\n")
    print("| goals | runs | p50 | p99 | mean | of which encoder similarity, p50 |\n"
          "|---|---|---|---|---|---|")
    for label, v in report["latency_2kb"].items():
        print(f"| {label} | {v['runs']} | {v['p50_ms']} ms | {v['p99_ms']} ms | "
              f"{v['mean_ms']} ms | {v['similarity_p50_ms']} ms |")
    _ = GOALS


if __name__ == "__main__":
    main()
