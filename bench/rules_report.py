"""Per-rule hit counts of the signature rules on a labelled corpus.

Runs the normalise and signature stages over every row of a JSONL file with ``text`` and
``label`` (1 attack, 0 benign) and prints, per rule, how many benign and attack rows it hit,
plus the obfuscation findings and overall coverage. High/critical rules should have (near)
zero benign hits.

    .venv/bin/python bench/rules_report.py [/work/shared/data/injection/train.jsonl] [--show-benign]
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections import Counter
from pathlib import Path

from promptsentry.pipeline.base import PipelinePolicy, ScanState, Severity
from promptsentry.pipeline.stages.normalize import NormalizeStage
from promptsentry.pipeline.stages.signatures import SignatureStage
from promptsentry.schemas.request import ScanRequest

DEFAULT_CORPUS = Path("/work/shared/data/injection/train.jsonl")


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--show-benign", action="store_true",
                        help="print the benign rows that high/critical rules hit")
    args = parser.parse_args()

    normalize, signatures = NormalizeStage(), SignatureStage()
    severity = {rule.id: rule.severity for rule in signatures.rules}
    hits: dict[int, Counter[str]] = {0: Counter(), 1: Counter()}
    totals: Counter[int] = Counter()
    any_rule: Counter[int] = Counter()
    strong: Counter[int] = Counter()
    benign_strong: list[tuple[str, str]] = []

    with args.corpus.open(encoding="utf-8") as fh:
        for line in fh:
            row = json.loads(line)
            label = int(row["label"])
            text = row["text"]
            if not text.strip():
                continue
            totals[label] += 1
            state = ScanState.start(ScanRequest(prompt=text), PipelinePolicy())
            state = state.with_result(await normalize.run(state))
            result = await signatures.run(state)
            found = [f.pattern for f in state.findings] + [f.pattern for f in result.findings]
            hits[label].update(found)
            if result.findings:
                any_rule[label] += 1
            strong_ids = [f.pattern for f in result.findings
                          if f.severity in (Severity.HIGH, Severity.CRITICAL)]
            if strong_ids:
                strong[label] += 1
                if label == 0:
                    benign_strong.extend((rule_id, text[:160]) for rule_id in strong_ids)

    print(f"corpus: {args.corpus}  benign={totals[0]}  attack={totals[1]}")
    print(f"{'rule':40} {'severity':9} {'benign':>7} {'attack':>7}")
    ids = [rule.id for rule in signatures.rules]
    extra = sorted((set(hits[0]) | set(hits[1])) - set(ids))
    for rule_id in ids + extra:
        sev = severity[rule_id].value if rule_id in severity else "(normalize)"
        print(f"{rule_id:40} {sev:9} {hits[0][rule_id]:7d} {hits[1][rule_id]:7d}")
    for label, name in ((0, "benign"), (1, "attack")):
        n = max(totals[label], 1)
        print(f"{name}: any rule {any_rule[label]} ({any_rule[label] / n:.1%}), "
              f"high/critical {strong[label]} ({strong[label] / n:.1%})")
    if args.show_benign:
        for rule_id, text in benign_strong:
            print(f"BENIGN {rule_id}: {text!r}")


if __name__ == "__main__":
    asyncio.run(main())
