"""Benign training units from public prompt collections (``data/detector/benign_public.jsonl``).

The injection corpus's benign side is mostly short questions; it has almost no system prompts,
role-play set-ups ("Act as a travel guide…"), bug reports or long task descriptions, so a model
trained on it alone learns that such text — cut into sentence-sized units at run time — looks
like an attack. This module takes the public prompts gathered for the optimizer
(``data/optimizer/contexts.jsonl``; provenance and licences in ``data/optimizer/SOURCES.md``),
cuts them into the units the detector scores at run time (:func:`segment_spans`), and keeps a
deterministic, per-source-capped sample as benign rows (``label`` 0, ``origin``
``public-benign``). The optimizer's external test source (``mt-bench``) and rows copied from
the injection corpus (``s-labs*``) are left out.

    python -m promptsentry.training.benign_units \\
        --contexts data/optimizer/contexts.jsonl --out data/detector/benign_public.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from pathlib import Path

from promptsentry.detector import segment_spans
from promptsentry.training.data import Row, write_rows

__all__ = ["EXCLUDED_SOURCES", "benign_units"]

EXCLUDED_SOURCES = ("mt-bench", "s-labs", "s-labs-weak")


def _rank(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def benign_units(records: list[dict], per_source: int = 1200, min_chars: int = 24,
                 window: tuple[int, int, int] = (160, 80, 256)) -> list[Row]:
    """Unit-sized benign rows from ``records`` (``{"text", "source"}``), at most
    ``per_source`` per source, chosen by text hash (stable across runs)."""
    size, stride, whole = window
    by_source: dict[str, dict[str, None]] = defaultdict(dict)
    for rec in records:
        source = str(rec.get("source", "unknown"))
        if source in EXCLUDED_SOURCES:
            continue
        text = str(rec["text"])
        for s, e in segment_spans(text, size, stride, whole=whole):
            unit = text[s:e].strip()
            if len(unit) >= min_chars:
                by_source[source][unit] = None
    rows: list[Row] = []
    for source in sorted(by_source):
        units = sorted(by_source[source], key=_rank)[:per_source]
        rows += [Row(u, 0, f"public:{source}", "benign", "public-benign") for u in units]
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contexts", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("data/detector/benign_public.jsonl"))
    ap.add_argument("--per-source", type=int, default=1200)
    args = ap.parse_args(argv)
    with args.contexts.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    rows = benign_units(records, per_source=args.per_source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    n = write_rows(args.out, rows)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r.source] += 1
    print(f"{n} rows → {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
