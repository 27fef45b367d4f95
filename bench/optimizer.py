"""Optimizer benchmarks: conciseness token reduction and similarity, rubric gain per goal,
context-detection accuracy with confusion matrices, and rules-engine latency.

Corpus: the real prompts of ``data/optimizer/contexts.jsonl`` (public prompt-forge prompts,
HumanEval problems, s-labs questions, WritingBench/PersistBench queries, MT-bench
questions, SWE-Lancer issues, FreshQA questions; see data/optimizer/SOURCES.md).
Nothing is downloaded.

Usage::

    .venv/bin/python bench/optimizer.py [--json out.json] [--latency-runs 300] [--latency-only]
    .venv/bin/python bench/optimizer.py --corpus data/optimizer/awesome_chatgpt_prompts.jsonl
    PROMPTSENTRY_OPTIMIZER_LLM_PROVIDER=openai \
    PROMPTSENTRY_OPTIMIZER_LLM_BASE_URL=http://127.0.0.1:11434/v1 \
    PROMPTSENTRY_OPTIMIZER_LLM_MODEL=qwen2.5:7b-instruct \
        .venv/bin/python bench/optimizer.py --engine llm --sample 200 --goals conciseness

Prints a markdown section for docs/BENCHMARKS.md. ``--corpus`` (any JSONL with a ``text``
field per line) runs only the conciseness table and the function-word share on that corpus:
``data/optimizer/awesome_chatgpt_prompts.jsonl`` holds the shared, human-written prompts of
the Awesome ChatGPT Prompts collection (see data/optimizer/SOURCES.md). ``--engine llm`` (or
``hybrid``) runs the same table through the LLM engine exactly as the service runs it
(provider from ``PROMPTSENTRY_OPTIMIZER_LLM_*``, firewall and similarity floor on the answer,
fallback to ``rules``) and adds how often the provider's answer was used, why not, its
token usage, and whether the conciseness target of the LLM engine (median token reduction
>= 35 %, issue 21) is met; ``--sample N`` keeps the provider bill small (N prompts chosen by
SHA-256). Every table reports the target's figures: median token reduction, similarity median
and p5, and protected spans kept (the share of prompts whose protected spans all survive).
Progress goes to stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import platform
import re
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from promptsentry.config import Settings
from promptsentry.encoders import sentence_encoder
from promptsentry.optimizer.detect import default_detector
from promptsentry.optimizer.engine import OptimizationResult, optimize_rules
from promptsentry.optimizer.goals import GOALS, SUPPORTED_GOALS
from promptsentry.optimizer.llm import LLMClient, optimize_llm
from promptsentry.optimizer.service import pattern_firewall, rewrite_scanner
from promptsentry.optimizer.settings import OptimizerSettings
from promptsentry.optimizer.similarity import clear_cache, similarity
from promptsentry.optimizer.spans import find_spans, missing_spans
from promptsentry.optimizer.tokens import count_tokens
from promptsentry.training.context.train_context import evaluate

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data" / "optimizer" / "contexts.jsonl"

#: The LLM engine's conciseness target (issue 21): median token reduction of at least 35 %.
CONCISENESS_TARGET_PCT = 35.0


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


def sample_rows(rows: list[dict], n: int | None) -> list[dict]:
    """``n`` rows chosen by the SHA-256 of their text (the same subset on every run and
    machine), all rows when ``n`` is ``None``."""
    if n is None or n >= len(rows):
        return rows
    return sorted(rows, key=lambda r: hashlib.sha256(r["text"].encode()).hexdigest())[:n]


class Progress:
    """One line on stderr at most every ``every_s`` seconds: done/total, elapsed, ETA."""

    def __init__(self, label: str, total: int, every_s: float = 15.0) -> None:
        self.label, self.total, self.every_s = label, total, every_s
        self.started = self.last = time.monotonic()

    def step(self, done: int) -> None:
        now = time.monotonic()
        if now - self.last < self.every_s and done < self.total:
            return
        self.last = now
        elapsed = now - self.started
        eta = elapsed / done * (self.total - done) if done else float("nan")
        print(f"[{self.label}] {done}/{self.total} prompts, {elapsed:.0f} s elapsed, "
              f"~{eta:.0f} s left", file=sys.stderr, flush=True)


_FALLBACK = re.compile(r"llm (?:rewrite rejected|engine failed) \((.*)\); fell back")


def fallback_reason(warnings: list[str]) -> str | None:
    """Why the llm engine fell back to ``rules``, with numbers and quoted text generalised
    so that the reasons can be counted (``None``: it did not fall back)."""
    for w in warnings:
        m = _FALLBACK.search(w)
        if m:
            reason = re.sub(r"'[^']*'|\"[^\"]*\"", "'…'", m.group(1))
            return re.sub(r"\d+(?:\.\d+)?", "N", reason)
        if "llm engine is not configured" in w:
            return "not configured"
    return None


Rewrite = Callable[[str, str], OptimizationResult]


def spans_kept(original: str, optimized: str) -> bool | None:
    """Whether every protected span of ``original`` survives in ``optimized`` (each as many
    times, in any order: the check the LLM engine applies to an answer), recomputed here from
    the two texts; ``None`` when ``original`` has no protected span."""
    if not find_spans(original):
        return None
    return not missing_spans(original, optimized, ordered=False)


def rules_rewrite(text: str, goal: str) -> OptimizationResult:
    return optimize_rules(text, [goal], "human_communication")


@contextmanager
def llm_rewriter(engine: str, client: LLMClient | None = None) -> Iterator[Rewrite]:
    """A ``Rewrite`` through the ``llm`` (or ``hybrid``) engine as the service runs it: the
    provider configured by ``PROMPTSENTRY_OPTIMIZER_LLM_*`` (or ``client``), the optimizer's
    firewall on the answer, the configured similarity floor, fallback to ``rules``."""
    settings = OptimizerSettings.of(Settings())
    client = client or LLMClient.from_settings(settings)
    if client is None:
        raise SystemExit("--engine llm/hybrid needs a provider: set "
                         "PROMPTSENTRY_OPTIMIZER_LLM_PROVIDER (openai|anthropic|gemini), "
                         "PROMPTSENTRY_OPTIMIZER_LLM_BASE_URL, PROMPTSENTRY_OPTIMIZER_LLM_MODEL "
                         "and, if the provider needs one, PROMPTSENTRY_OPTIMIZER_LLM_API_KEY "
                         "(docs/OPTIMIZER.md)")
    scanner = rewrite_scanner(pattern_firewall())
    with asyncio.Runner() as runner:
        def rewrite(text: str, goal: str) -> OptimizationResult:
            return runner.run(optimize_llm(
                text, [goal], "human_communication", client, scanner=scanner,
                similarity_floor=settings.llm_similarity_floor, hybrid=engine == "hybrid"))

        yield rewrite


def conciseness(rows: list[dict], rewrite: Rewrite = rules_rewrite,
                goals: tuple[str, ...] = ("conciseness", "token_efficiency"),
                progress: bool = False) -> dict:
    """Token reduction of ``conciseness``/``token_efficiency`` on prompts of 150+ tokens, with
    the encoder similarity the engine reports and an independent window-similarity check.

    With an LLM ``rewrite`` it also reports how often the LLM's answer was used, why it was
    not (the engine then falls back to ``rules``, and that result is what is measured), and
    the provider's token usage, and whether the median reduction meets
    :data:`CONCISENESS_TARGET_PCT`.

    ``protected_spans_kept_pct``: the share of the prompts with at least one protected span
    (``prompts_with_protected_spans``) whose spans all survive in the measured result."""
    long = [r["text"] for r in rows if count_tokens(r["text"]) >= 150]
    out: dict[str, dict] = {}
    for goal in goals:
        reductions, sims, windows, changed = [], [], [], 0
        with_spans = kept = 0
        tiers: Counter[str] = Counter()
        reasons: Counter[str] = Counter()
        usage = {"input_tokens": 0, "output_tokens": 0}
        llm_reductions = []
        bar = Progress(goal, len(long)) if progress else None
        for i, text in enumerate(long, 1):
            r = rewrite(text, goal)
            reduction = 100.0 * (r.tokens_before - r.tokens_after) / r.tokens_before
            reductions.append(reduction)
            sims.append(r.similarity)
            windows.append(_window_similarity(text, r.optimized_prompt))
            changed += r.tokens_after < r.tokens_before
            if (intact := spans_kept(text, r.optimized_prompt)) is not None:
                with_spans += 1
                kept += intact
            tiers[r.optimization_tier] += 1
            if r.optimization_tier != "rules":
                llm_reductions.append(reduction)
            if (reason := fallback_reason(r.warnings)) is not None:
                reasons[reason] += 1
            for k in usage:
                usage[k] += (r.llm_usage or {}).get(k, 0)
            if bar:
                bar.step(i)
        out[goal] = {
            "prompts": len(long),
            "changed_pct": round(100.0 * changed / len(long), 1),
            "median_token_reduction_pct": round(statistics.median(reductions), 2),
            "mean_token_reduction_pct": round(statistics.fmean(reductions), 2),
            "p90_token_reduction_pct": round(pct(reductions, 0.9), 2),
            "median_similarity": round(statistics.median(sims), 4),
            "p5_similarity": round(pct(sims, 0.05), 4),
            "p5_window_similarity": round(pct(windows, 0.05), 4),
            "prompts_with_protected_spans": with_spans,
            "protected_spans_kept_pct": (round(100.0 * kept / with_spans, 1)
                                         if with_spans else None),
        }
        if rewrite is not rules_rewrite:
            median = out[goal]["median_token_reduction_pct"]
            out[goal].update({
                "conciseness_target": {"median_token_reduction_pct_at_least":
                                       CONCISENESS_TARGET_PCT,
                                       "met": median >= CONCISENESS_TARGET_PCT},
                "tiers": dict(tiers),
                "llm_answer_used_pct": round(100.0 * len(llm_reductions) / len(long), 1),
                "median_token_reduction_pct_llm_answers": (
                    round(statistics.median(llm_reductions), 2) if llm_reductions else None),
                "fallback_reasons": dict(reasons.most_common()),
                "llm_usage": usage,
            })
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
          "similarity | p5 window similarity | protected spans kept |\n"
          "|---|---|---|---|---|---|---|---|---|---|")
    for goal, v in c.items():
        kept = v["protected_spans_kept_pct"]
        print(f"| {goal} | {v['prompts']} | {v['changed_pct']} % | "
              f"{v['median_token_reduction_pct']} % | {v['mean_token_reduction_pct']} % | "
              f"{v['p90_token_reduction_pct']} % | {v['median_similarity']} | "
              f"{v['p5_similarity']} | {v['p5_window_similarity']} | "
              f"{'—' if kept is None else f'{kept} %'} "
              f"(of {v['prompts_with_protected_spans']}) |")
    fw = report["function_words"]
    print(f"\nFunction words in free text: {fw['median_pct']} % of the tokens at the median, "
          f"{fw['p90_pct']} % at p90 ({fw['prompts']} prompts) — what deleting every one of "
          "them would save at most.")


def print_llm(report: dict) -> None:
    """How often the LLM's answer was used, and why not (``--engine llm|hybrid``)."""
    print("\n| goal | LLM answer used | median reduction, LLM answers only | provider tokens "
          "in / out (answers used) | fallbacks to rules, by reason |\n|---|---|---|---|---|")
    for goal, v in report["conciseness"].items():
        reasons = "; ".join(f"{k}: {n}" for k, n in v["fallback_reasons"].items()) or "none"
        med = v["median_token_reduction_pct_llm_answers"]
        print(f"| {goal} | {v['llm_answer_used_pct']} % | "
              f"{'—' if med is None else str(med) + ' %'} | "
              f"{v['llm_usage']['input_tokens']} / {v['llm_usage']['output_tokens']} | "
              f"{reasons} |")
    for goal, v in report["conciseness"].items():
        target = v["conciseness_target"]
        kept = v["protected_spans_kept_pct"]
        print(f"\nConciseness target of the LLM engine ({goal}): median token reduction "
              f"≥ {target['median_token_reduction_pct_at_least']:g} % — "
              f"{'met' if target['met'] else 'not met'} "
              f"({v['median_token_reduction_pct']} %); similarity median "
              f"{v['median_similarity']}, p5 {v['p5_similarity']}; protected spans kept "
              f"{'—' if kept is None else f'{kept} %'} of "
              f"{v['prompts_with_protected_spans']} prompts with protected spans.")


def corpus_report(path: Path, json_out: Path | None, *, engine: str = "rules",
                  sample: int | None = None, goals: tuple[str, ...] = ("conciseness",
                                                                      "token_efficiency")
                  ) -> None:
    """The conciseness table and function-word share on a corpus, with either engine."""
    rows = [json.loads(line) for line in path.open(encoding="utf-8") if line.strip()]
    rows = [r for r in rows if r.get("split") != "test_external"]  # as in the full report
    rows = sample_rows([r for r in rows if count_tokens(r["text"]) >= 150], sample)
    if engine == "rules":
        c = conciseness(rows, goals=goals, progress=True)
    else:
        with llm_rewriter(engine) as rewrite:
            c = conciseness(rows, rewrite, goals=goals, progress=True)
    report = {"corpus": str(path), "rows": len(rows), "engine": engine, "sample": sample,
              "conciseness": c, "function_words": function_word_share(rows)}
    if json_out:
        json_out.write_text(json.dumps(report, indent=1) + "\n")
    print(f"Corpus `{path}`: {len(rows)} prompts of 150+ tokens"
          f"{f' (sample of {sample} by SHA-256)' if sample else ''}; engine `{engine}`.\n")
    print_conciseness(report)
    if engine != "rules":
        print_llm(report)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    ap.add_argument("--latency-runs", type=int, default=300)
    ap.add_argument("--rubric-sample", type=int, default=200)
    ap.add_argument("--corpus", type=Path,
                    help="only the conciseness table, on this JSONL corpus ({text} per line)")
    ap.add_argument("--engine", choices=("rules", "llm", "hybrid"), default="rules",
                    help="llm/hybrid: only the conciseness table, through the provider "
                         "configured by PROMPTSENTRY_OPTIMIZER_LLM_*")
    ap.add_argument("--sample", type=int, default=None, metavar="N",
                    help="conciseness table on N prompts of 150+ tokens (chosen by SHA-256)")
    ap.add_argument("--goals", default="conciseness,token_efficiency",
                    help="goals of the conciseness table (comma-separated)")
    ap.add_argument("--latency-only", action="store_true",
                    help="only the rules-engine and context-detection latency tables")
    args = ap.parse_args()
    goals = tuple(g.strip() for g in args.goals.split(",") if g.strip())
    unknown = [g for g in goals if g not in SUPPORTED_GOALS]
    if unknown:
        ap.error(f"unknown goal(s) {', '.join(unknown)}; supported: "
                 f"{', '.join(SUPPORTED_GOALS)}")
    if args.corpus or args.engine != "rules" or args.sample:
        corpus_report(args.corpus or DATA, args.json, engine=args.engine, sample=args.sample,
                      goals=goals)
        return
    rows = [json.loads(line) for line in DATA.open(encoding="utf-8")]
    dev = [r for r in rows if r["split"] == "dev"]
    det = default_detector()
    if args.latency_only:
        print_latency(latency(dev, args.latency_runs),
                      detection_latency(dev, det, args.latency_runs))
        return
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
    print_latency(report["latency_2kb"], report["detection_latency_2kb"])
    _ = GOALS


def print_latency(engine: dict, d: dict) -> None:
    """The context-detection latency line (``d``) and the rules-engine latency table."""
    print(f"\nContext-detection latency, 2 KB prompts: fused {d['fused']['p50_ms']} ms p50 / "
          f"{d['fused']['p99_ms']} ms p99; lexical half alone {d['lexical']['p50_ms']} ms p50 / "
          f"{d['lexical']['p99_ms']} ms p99 ({d['fused']['runs']} runs)")
    print("\n### Rules-engine latency, 2 KB prompts (in process)\n")
    print("| goals | runs | p50 | p99 | mean | of which encoder similarity, p50 |\n"
          "|---|---|---|---|---|---|")
    for label, v in engine.items():
        print(f"| {label} | {v['runs']} | {v['p50_ms']} ms | {v['p99_ms']} ms | "
              f"{v['mean_ms']} ms | {v['similarity_p50_ms']} ms |")


if __name__ == "__main__":
    main()
