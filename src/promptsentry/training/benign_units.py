"""Benign training units from public prompt collections (``data/detector/benign_public.jsonl``).

The injection corpus's benign side is mostly short questions; it has almost no system prompts,
role-play set-ups ("Act as a travel guide…"), bug reports or long task descriptions, so a model
trained on it alone learns that such text — cut into sentence-sized units at run time — looks
like an attack. This module takes the public prompts gathered for the optimizer
(``data/optimizer/contexts.jsonl``; provenance and licences in ``data/optimizer/SOURCES.md``)
and keeps deterministic, per-source-capped samples of two kinds as benign rows (``label`` 0):

* **units** (``origin`` ``public-benign``): the sentence-sized pieces :func:`segment_spans`
  cuts a long text into (the units of a long prompt at run time);
* **heads** (``origin`` ``public-benign-head``, since model 2.1): each prompt's opening
  sentences, as many as fit in ``head_chars`` (512) characters, kept when longer than 256 —
  the multi-sentence set-ups ("You are a senior engineer … I will provide …") that the
  runtime scores whole (``window.whole`` 512), which sentence units alone never show. The optimizer's external test source (``mt-bench``) and rows copied from
the injection corpus (``s-labs*``) are left out.

    python -m promptsentry.training.benign_units \\
        --contexts data/optimizer/contexts.jsonl --out data/detector/benign_public.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from promptsentry.detector import segment_spans
from promptsentry.training.data import Row, write_rows

__all__ = ["EXCLUDED_SOURCES", "benign_heads", "benign_units"]

# mmlu, vbench and bbh joined contexts.jsonl after the shipped detector was trained: left out
# so that this command still rebuilds the committed benign_public.jsonl.
EXCLUDED_SOURCES = ("mt-bench", "s-labs", "s-labs-weak", "mmlu", "vbench", "bbh")


def _rank(text: str) -> bytes:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


def _sample(records: list[dict], pieces: Callable[[str], Iterable[str]], per_source: int,
            origin: str) -> list[Row]:
    """Benign rows of the distinct ``pieces`` of each record's text (excluded sources left
    out), at most ``per_source`` per source, chosen by text hash (stable across runs)."""
    by_source: dict[str, dict[str, None]] = defaultdict(dict)
    for rec in records:
        source = str(rec.get("source", "unknown"))
        if source not in EXCLUDED_SOURCES:
            by_source[source].update(dict.fromkeys(pieces(str(rec["text"]))))
    rows: list[Row] = []
    for source in sorted(by_source):
        kept = sorted(by_source[source], key=_rank)[:per_source]
        rows += [Row(t, 0, f"public:{source}", "benign", origin) for t in kept]
    return rows


def benign_units(records: list[dict], per_source: int = 1200, min_chars: int = 24,
                 window: tuple[int, int, int] = (160, 80, 256)) -> list[Row]:
    """Unit-sized benign rows from ``records`` (``{"text", "source"}``), at most
    ``per_source`` per source, chosen by text hash (stable across runs)."""
    size, stride, whole = window

    def units(text: str) -> Iterator[str]:
        for s, e in segment_spans(text, size, stride, whole=whole):
            unit = text[s:e].strip()
            if len(unit) >= min_chars:
                yield unit

    return _sample(records, units, per_source, "public-benign")


def benign_heads(records: list[dict], per_source: int = 600, head_chars: int = 512,
                 min_chars: int = 257, window: tuple[int, int, int] = (160, 80, 256)
                 ) -> list[Row]:
    """Each record's opening units (:func:`segment_spans` with ``window``), as many as end
    within ``head_chars`` characters, when that head is at least ``min_chars`` long; at most
    ``per_source`` per source, chosen by text hash (stable across runs)."""
    size, stride, whole = window

    def head(text: str) -> list[str]:
        end = 0
        for _, e in segment_spans(text, size, stride, whole=whole):
            if e > head_chars:
                break
            end = e
        piece = text[:end].strip()
        return [piece] if len(piece) >= min_chars else []

    return _sample(records, head, per_source, "public-benign-head")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--contexts", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    ap.add_argument("--out", type=Path, default=Path("data/detector/benign_public.jsonl"))
    ap.add_argument("--per-source", type=int, default=1200)
    ap.add_argument("--heads-per-source", type=int, default=600,
                    help="prompt openings of 257-512 characters per source (0: none)")
    args = ap.parse_args(argv)
    with args.contexts.open(encoding="utf-8") as fh:
        records = [json.loads(line) for line in fh if line.strip()]
    rows = benign_units(records, per_source=args.per_source)
    if args.heads_per_source > 0:
        rows += benign_heads(records, per_source=args.heads_per_source)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    n = write_rows(args.out, rows)
    counts: dict[str, int] = defaultdict(int)
    for r in rows:
        counts[r.source] += 1
    print(f"{n} rows → {args.out}: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
