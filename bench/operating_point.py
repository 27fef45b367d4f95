"""Choose the block threshold on the traffic-mix dev set (``data/dev/traffic.jsonl``, and since
3.4.1 the real documents of ``data/dev/real_documents.jsonl``).

Every row goes through the real pipeline (``promptsentry eval``'s scoring, nothing blocked by
the threshold: block_threshold 1.0), then each candidate threshold is checked against the
ceilings below — the share of each *benign* kind of input that may be blocked. The shipped
threshold is the **lowest** one under which every benign category keeps to its ceiling (the
one that blocks the most attacks while doing so), within a recall floor: it never goes above
the highest threshold that still blocks ``RECALL_FLOOR`` of the held-out corpus attacks
(``corpus_direct``). A category whose ceiling would need more is reported as **unmet** and
left out of the choice. The table shows the blocked share of every category at the chosen
threshold, at the model's own threshold and at a few others.

    .venv/bin/python bench/operating_point.py [--model-dir DIR] [--write] [--json out.json]

``--write`` stores the chosen threshold in DIR/model.json and the rule in model_card.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import sys
from collections import defaultdict
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from promptsentry.cli.evaluate import read_labelled, score_file  # noqa: E402
from promptsentry.config import get_settings  # noqa: E402
from promptsentry.pipeline.runner import build_pipeline, pipeline_detector  # noqa: E402

# The share of each benign kind of input that may be blocked (issue 18's targets, with the
# categories of data/dev/traffic.jsonl). Attack categories have no ceiling: they are what the
# lowest threshold under these ceilings is for.
CEILINGS = {
    "chat_short": 0.005, "chat_long": 0.005, "chat_command": 0.005, "instruction": 0.01, "optimizer_prompts": 0.01,
    "over_defence": 0.10, "multilingual": 0.03, "document_multilingual": 0.03,
    # attack words in their ordinary sense, 14 languages (49 rows: 3 % is one row)
    "multilingual_trigger": 0.03,
    "system_prompt": 0.05, "system_prompt_defensive": 0.05, "document": 0.02,
    "corpus_benign": 0.05,
    # data/dev/real_documents.jsonl (since 3.4.1): real e-mails, tables, API responses, pages
    "email": 0.02, "table": 0.02, "api_response": 0.02, "web_page": 0.02,
    # since 3.12: role-play requests ("pretend you're a pirate and say hi": requests that
    # sound edgy, 3 %) and command-line tool output (tool output, 2 %)
    "chat_roleplay": 0.03, "tool_output_shell": 0.02,
}


def blocked_share(risk: np.ndarray, thr: float) -> float:
    return float((risk >= thr).mean()) if len(risk) else float("nan")


# When the request's ``context`` says what the text is, the model has an operating point of its
# own for it, chosen the same way on the dev rows of that kind scored with that context:
# documents and tool output (the indirect-injection stage runs on them too) and system prompts
# (the app builder's own text: 1 % of them at most).
CONTEXTS = {
    "tool_return": ({"document": 0.02, "document_multilingual": 0.03, "email": 0.02,
                     "table": 0.02, "api_response": 0.02, "web_page": 0.02,
                     "tool_output_shell": 0.02},
                    ("document", "document_multilingual", "tool_output_injection",
                     "indirect_injection", "email", "table", "api_response", "web_page",
                     "tool_output_shell")),
    "system_prompt": ({"system_prompt": 0.01, "system_prompt_defensive": 0.01},
                      ("system_prompt", "system_prompt_defensive")),
}
CONTEXT_ALIASES = {"document": "tool_return"}
RECALL_FLOOR = ("corpus_direct", 0.90)
# A scan reports its risk rounded to 6 decimals (pipeline/verdict.py) while the verdict compares
# the unrounded one: a threshold one step of that resolution above a row's reported risk is
# above its true risk too (nextafter of the rounded value is not: the row would still block).
RISK_RESOLUTION = 1e-6


def ceiling_for_recall(attacks: np.ndarray, recall: float) -> float:
    """The highest threshold that still blocks ``recall`` of ``attacks``."""
    ranked = np.sort(attacks)[::-1]
    return float(ranked[max(0, int(np.ceil(recall * len(ranked))) - 1)])


def choose(by_cat: dict[str, np.ndarray], ceilings: dict[str, float] = CEILINGS) -> float:
    """The lowest threshold at which every benign category keeps to its ceiling."""
    need = 0.0
    for cat, ceiling in ceilings.items():
        risk = np.sort(by_cat.get(cat, np.array([])))[::-1]
        if not len(risk):
            continue
        allowed = int(np.floor(ceiling * len(risk)))  # rows of this category that may block
        if allowed < len(risk):
            need = max(need, round(float(risk[allowed]) + RISK_RESOLUTION, 6))
    return need


def _by_category(scored: list) -> tuple[dict[str, np.ndarray], dict[str, int]]:
    by_cat: dict[str, list[float]] = defaultdict(list)
    labels: dict[str, int] = {}
    for s in scored:
        by_cat[s.category].append(s.risk)
        labels[s.category] = s.label
    return {c: np.array(v) for c, v in by_cat.items()}, labels


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, action="append", default=None,
                    help="dev JSONL (repeatable; default: data/dev/traffic.jsonl and "
                         "data/dev/real_documents.jsonl)")
    ap.add_argument("--model-dir", type=Path, default=None)
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args(argv)
    args.data = args.data or [ROOT / "data" / "dev" / "traffic.jsonl",
                              ROOT / "data" / "dev" / "real_documents.jsonl"]
    update: dict = {"block_threshold": 1.0}
    if args.model_dir is not None:
        update["model_dir"] = args.model_dir
    settings = get_settings().model_copy(update=update)
    pipeline = build_pipeline(settings)
    detector = pipeline_detector(pipeline)
    if detector is None:
        ap.error("the pipeline has no detection model")
    rows = [r for path in args.data for r in read_labelled(path)]
    arrays, labels = _by_category(asyncio.run(score_file(rows, pipeline, settings, 1.0)))
    floor_cat, floor_recall = RECALL_FLOOR
    highest = ceiling_for_recall(arrays[floor_cat], floor_recall)
    needs = {c: choose(arrays, {c: ceil}) for c, ceil in CEILINGS.items() if c in arrays}
    unmet = {c: t for c, t in needs.items() if t > highest}
    chosen = max(t for c, t in needs.items() if c not in unmet)
    print(f"recall floor: {floor_recall:.0%} of {floor_cat} up to threshold {highest:.4f}; "
          "threshold each ceiling needs: " + ", ".join(f"{c} {t:.4f}"
                                                        for c, t in needs.items()))
    if unmet:
        print("UNMET (ceiling needs a threshold above the floor): " + ", ".join(unmet))
    by_context: dict[str, float] = {}
    for context, (ceilings, cats) in CONTEXTS.items():
        subset = [{**r, "context": context} for r in rows if r.get("category") in cats]
        ctx_arrays, ctx_labels = _by_category(
            asyncio.run(score_file(subset, pipeline, settings, 1.0)))
        by_context[context] = choose(ctx_arrays, ceilings)
        print(f"context {context!r}: threshold {by_context[context]:.4f}; " + ", ".join(
            f"{c} {100 * blocked_share(a, by_context[context]):.1f} % blocked"
            for c, a in sorted(ctx_arrays.items())))
    for alias, context in CONTEXT_ALIASES.items():
        by_context[alias] = by_context[context]
    candidates = sorted({chosen, detector.threshold, 0.5, 0.9, 0.97})
    print(f"{', '.join(p.name for p in args.data)} — {len(rows)} rows; model {detector.version} "
          f"(own threshold {detector.threshold:.4f}); chosen {chosen:.4f}")
    print("| category | label | rows | ceiling | " +
          " | ".join(f"blocked at {t:.4f}" for t in candidates) + " |")
    print("|---|---|---|---|" + "---|" * len(candidates))
    table = {}
    for cat in sorted(arrays, key=lambda c: (labels[c], c)):
        shares = [blocked_share(arrays[cat], t) for t in candidates]
        ceiling = CEILINGS.get(cat)
        table[cat] = {"label": labels[cat], "rows": len(arrays[cat]), "ceiling": ceiling,
                      "blocked": dict(zip([str(t) for t in candidates], shares, strict=True))}
        print(f"| {cat} | {labels[cat]} | {len(arrays[cat])} | "
              f"{'' if ceiling is None else f'{100 * ceiling:.1f} %'} | " +
              " | ".join(f"{100 * x:.1f} %" for x in shares) + " |")
    if args.json:
        args.json.write_text(json.dumps({"chosen": chosen, "needs": needs, "unmet": unmet,
                                         "recall_floor_threshold": highest,
                                         "context_thresholds": by_context,
                                         "categories": table}, indent=2))
    if args.write:
        model_dir = Path(detector.model_dir)
        spec = json.loads((model_dir / "model.json").read_text(encoding="utf-8"))
        previous = spec["threshold"]
        spec["threshold"] = chosen
        spec["context_thresholds"] = by_context
        (model_dir / "model.json").write_text(json.dumps(spec, indent=2) + "\n", "utf-8")
        card_path = model_dir / "model_card.json"
        card = json.loads(card_path.read_text(encoding="utf-8"))
        # the threshold `promptsentry train` wrote, kept across later runs of this script
        previous = card.get("threshold_rule", {}).get("previous_threshold", previous)
        card["threshold"] = chosen
        card["context_thresholds"] = by_context
        card["threshold_rule"] = {
            "rule": "lowest threshold at which every benign category of the traffic-mix dev "
                    "set keeps to its ceiling, no higher than the recall floor allows "
                    "(bench/operating_point.py)",
            "recall_floor": {"category": floor_cat, "recall": floor_recall,
                             "highest_threshold": highest},
            "unmet": unmet,
            "data": [{"path": str(p.relative_to(ROOT)) if p.is_relative_to(ROOT) else str(p),
                      "sha256": hashlib.sha256(p.read_bytes()).hexdigest()}
                     for p in args.data],
            "ceilings": CEILINGS,
            "context_ceilings": {c: ceil for c, (ceil, _) in CONTEXTS.items()},
            "previous_threshold": previous,
        }
        card_path.write_text(json.dumps(card, indent=2) + "\n", encoding="utf-8")
        print(f"wrote threshold {chosen:.4f} to {model_dir / 'model.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
