"""The published dev sets under ``data/dev/`` and how each row is built.

``hard_negatives.jsonl`` — benign text about instructions, prompts, system prompts, rules,
passwords and role play. Three kinds of rows (``origin`` says which):

* ``corpus:trigger-word`` — benign rows of the training corpus on the dev set's topics
  (:data:`DEV_TOPICS`: instruction, prompt, system prompt, rules, password, role play, ignore,
  reveal, override, …), the half whose text hash is even. Training drops them (``--holdout``).
* ``hard_negative:template:dev`` — the *dev* pool of hand-written templates (never used in
  training; the training pool is disjoint).
* ``hard_negative:wrapped:dev`` — benign corpus questions inside the *dev* pool of benign
  trigger-word wrappers ("Please ignore my earlier typo. …").

Corpus rows listed in ``data/detector/corpus_label_review.jsonl`` are labelled benign in the
corpus but are jailbreaks (adversarial suffixes, forced "Sure, here is…" openings, role play
around a harmful request; every row carries its reason). They are not hard negatives, so they
are left out of this set — as rows and as the question inside a wrapper.

``indirect.jsonl`` — attack rows of the corpus hidden in the *dev* pool of carriers (CSV, YAML
comment, chat log, support ticket, PDF text), and the same carriers around benign rows.

``long_documents.jsonl`` — long texts (2, 4 and 16 KB) made of the two sets above: the benign
carriers of ``indirect.jsonl`` with every fifth piece a hard negative, joined into one
document, and the same document with one attack carrier of ``indirect.jsonl`` inserted at its
start, middle or end (``origin`` says which). It measures what the short sets cannot: whether
the detector finds one injection among many benign units, some of which use the same trigger
words, and how often a long benign document is flagged. Its rows are derived from the other
two sets, so it holds nothing they do not.

Rebuild the files: ``python -m promptsentry.training.devsets`` (deterministic).
"""

from __future__ import annotations

import hashlib
import random
import re
import sys
from collections.abc import Collection, Sequence
from pathlib import Path

from promptsentry.training.augment import hard_negative_rows, trigger_wrapped_rows
from promptsentry.training.carriers import indirect_rows
from promptsentry.training.data import Row, read_rows, write_rows

__all__ = [
    "DEV_TOPICS",
    "TRIGGER",
    "build_hard_negatives",
    "build_indirect",
    "build_long_documents",
    "is_hard_negative",
]

TRIGGER = re.compile(
    r"instruction|prompt|ignore|disregard|password|role.?play|rules?\b|system|pretend|jailbreak|"
    r"reveal|secret|bypass|override|forget|act as",
    re.IGNORECASE,
)


def is_hard_negative(row: Row) -> bool:
    """A benign row that uses a trigger word: the rows training weighs (and repeats) more."""
    return row.label == 0 and TRIGGER.search(row.text) is not None


# The hard-negative dev set's topics, as the issue names them: instructions, prompts, system
# prompts, rules, passwords, role play (plus the verbs attacks use: ignore, reveal, override…).
DEV_TOPICS = re.compile(
    r"instruction|prompt|ignore|disregard|password|passphrase|role.?play|\brules?\b|guideline|"
    r"restriction|pretend|jailbreak|reveal|secret|override|system (?:message|prompt)",
    re.IGNORECASE,
)


def _even(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()[0] % 2 == 0


def build_hard_negatives(
    corpus: Sequence[Row], seed: int = 1, not_benign: Collection[str] = ()
) -> list[Row]:
    """The hard-negative dev set; ``not_benign`` are corpus texts the label review rejected.

    Reviewed rows are dropped *after* sampling, so the review removes rows and changes no
    other row of the set.
    """
    rng = random.Random(seed)
    benign = [r for r in corpus if r.label == 0]
    picked = [
        Row(r.text, 0, r.source, "benign", "corpus:trigger-word")
        for r in benign
        if DEV_TOPICS.search(r.text) and _even(r.text)
    ]
    out = picked
    out += hard_negative_rows(400, rng, "dev")
    out += trigger_wrapped_rows(benign, 300, rng, "dev")
    seen: set[str] = set()
    unique = []
    for r in out:
        if any(bad in r.text for bad in not_benign):
            continue
        if r.text not in seen:
            seen.add(r.text)
            unique.append(r)
    return unique


def build_indirect(corpus: Sequence[Row], n: int = 300, seed: int = 2) -> list[Row]:
    rng = random.Random(seed)
    attacks = [r for r in corpus if r.label == 1]
    benign = [r for r in corpus if r.label == 0]
    return indirect_rows(attacks, benign, n, rng, "dev")


LONG_SIZES = (2048, 4096, 16384)  # characters; every third document of each size


def build_long_documents(
    hard_negatives: Sequence[Row], indirect: Sequence[Row], n: int = 150, seed: int = 3
) -> list[Row]:
    """``n`` benign long documents and the same ``n`` with one attack carrier inserted.

    A document is pieces in random order, separated by blank lines, until it reaches its size
    (:data:`LONG_SIZES`, in turn): benign carriers of ``indirect``, every fifth piece a
    hard-negative row (40–600 characters). The attack copy inserts one attack row of
    ``indirect`` before the first, the middle or after the last piece.
    """
    rng = random.Random(seed)
    hard = [r.text for r in hard_negatives if r.label == 0 and 40 <= len(r.text) <= 600]
    plain = [r.text for r in indirect if r.label == 0]
    attacks = [r for r in indirect if r.label == 1]
    if not hard or not plain or not attacks:
        return []
    out: list[Row] = []
    for i in range(n):
        size = LONG_SIZES[i % len(LONG_SIZES)]
        parts: list[str] = []
        while sum(len(t) + 2 for t in parts) < size:
            parts.append(rng.choice(hard if len(parts) % 5 == 4 else plain))
        attack = rng.choice(attacks)
        where = ("start", "middle", "end")[(i // len(LONG_SIZES)) % 3]
        at = {"start": 0, "middle": len(parts) // 2, "end": len(parts)}[where]
        tag = f"long:{size // 1024}KB"
        out.append(Row("\n\n".join(parts), 0, "dev:long", "benign", tag))
        injected = parts[:at] + [attack.text] + parts[at:]
        out.append(Row("\n\n".join(injected), 1, attack.source, "indirect_injection",
                       f"{tag}:{where}"))
    return out


ROOT = Path(__file__).resolve().parents[3]
REVIEW = ROOT / "data" / "detector" / "corpus_label_review.jsonl"


def main(argv: Sequence[str] | None = None) -> None:
    """Write ``hard_negatives.jsonl``, ``indirect.jsonl`` and ``long_documents.jsonl``."""
    args = list(sys.argv[1:] if argv is None else argv)
    corpus = read_rows(Path(args[0]) if args else ROOT.parent / "shared" / "data" /
                       "injection" / "train.jsonl")
    not_benign = {r.text for r in read_rows(REVIEW)} if REVIEW.exists() else set()
    out = ROOT / "data" / "dev"
    out.mkdir(parents=True, exist_ok=True)
    hard = build_hard_negatives(corpus, not_benign=not_benign)
    write_rows(out / "hard_negatives.jsonl", hard)
    indirect = build_indirect(corpus)
    write_rows(out / "indirect.jsonl", indirect)
    long_docs = build_long_documents(hard, indirect)
    write_rows(out / "long_documents.jsonl", long_docs)
    print(f"hard_negatives.jsonl: {len(hard)} rows ({len(not_benign)} reviewed corpus rows "
          f"excluded); indirect.jsonl: {len(indirect)} rows; long_documents.jsonl: "
          f"{len(long_docs)} rows")


if __name__ == "__main__":
    main()
