"""Build the issue-21 context corpus: the shipped wheel corpus plus the public GitHub sources.

Reads ``data/optimizer/contexts.jsonl`` (the wheel sources, see ``build_data``), adds a
``source_family`` to each of its rows (its ``source``), and appends the rows of every source
in :data:`SOURCES` (repository snapshots under
``--mirror``, as the ``fetch`` tool leaves them: ``<mirror>/<owner>+<name>/repo``) and of the
shared benign-chat corpus, then (unless ``--no-templates``) the template source's rows
(``templates``: our own templates; train pool → ``train`` / ``calib``, dev pool →
``test_template``, never trained on). ``train``-use sources are split by group like the wheel sources
(70 % train, 10 % calib, 20 % dev); ``eval``-use sources (no licence or a non-commercial one)
go to ``test_family`` only. Duplicates (case and whitespace folded, first 300 characters) are
kept once, the first seen.

Usage::

    python -m promptsentry.training.context.build_public --mirror /work/.mirror \\
        --benign-chat ../shared/data/benign_chat/train.jsonl \\
        --out .bench-cache/contexts_public.jsonl
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from promptsentry.training.context.build_data import split_of
from promptsentry.training.context.common import dedupe_key
from promptsentry.training.context.public_sources import (
    REPOSITORY_SOURCES,
    PublicSource,
    shared_chat_rows,
    source_rows,
)
from promptsentry.training.context.sources_consulting import CONSULTING_SOURCES
from promptsentry.training.context.sources_creative import CREATIVE_SOURCES
from promptsentry.training.context.sources_data_analysis import DATA_ANALYSIS_SOURCES
from promptsentry.training.context.sources_general import GENERAL_SOURCES
from promptsentry.training.context.sources_research import RESEARCH_SOURCES
from promptsentry.training.context.templates import template_rows

__all__ = ["SOURCES", "build"]

#: Every public source of the corpus: the first repositories (``public_sources``) and the
#: per-label additions of 2026-12-08 (``sources_research``, ``sources_data_analysis``,
#: ``sources_creative``, ``sources_general``, ``sources_consulting``).
SOURCES: tuple[PublicSource, ...] = (*REPOSITORY_SOURCES, *RESEARCH_SOURCES,
                                     *DATA_ANALYSIS_SOURCES, *CREATIVE_SOURCES, *GENERAL_SOURCES,
                                     *CONSULTING_SOURCES)


def build(base: Path, mirror: Path, benign_chat: Path | None, templates: bool = True
          ) -> list[dict]:
    """The combined rows (wheel corpus first, then the public sources, then the template
    rows, which carry their own split)."""
    rows = []
    for line in base.open(encoding="utf-8"):
        row = json.loads(line)
        row.setdefault("source_family", row["source"])
        rows.append(row)
    extra = [r for src in SOURCES for r in source_rows(src, mirror)]
    if benign_chat is not None:
        extra += shared_chat_rows(benign_chat)
    seen = {dedupe_key(r["text"]) for r in rows}
    for row in extra:
        key = dedupe_key(row["text"])
        if key in seen:
            continue
        seen.add(key)
        row["split"] = split_of(row["group"]) if row.pop("use") == "train" else "test_family"
        rows.append(row)
    for row in template_rows() if templates else []:
        key = dedupe_key(row["text"])
        if key not in seen:
            seen.add(key)
            rows.append(row)
    return rows


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--base", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    ap.add_argument("--mirror", type=Path, required=True)
    ap.add_argument("--benign-chat", type=Path)
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--no-templates", action="store_true",
                    help="leave out the template source (the corpus before 2026-12-07)")
    args = ap.parse_args(argv)
    rows = build(args.base, args.mirror, args.benign_chat, templates=not args.no_templates)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["source_family"], r["label"], r["split"]) for r in rows)
    for (fam, lab, split), n in sorted(counts.items()):
        print(f"{fam:>24} {lab:>13} {split:>22} {n}")


if __name__ == "__main__":
    main()
