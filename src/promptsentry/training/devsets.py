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

``indirect.jsonl`` — attack rows of the corpus hidden in the *dev* pool of carriers (CSV, YAML
comment, chat log, support ticket, PDF text), and the same carriers around benign rows.
"""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Sequence

from promptsentry.training.augment import hard_negative_rows, indirect_rows, trigger_wrapped_rows
from promptsentry.training.data import Row

__all__ = ["DEV_TOPICS", "TRIGGER", "build_hard_negatives", "build_indirect"]

TRIGGER = re.compile(
    r"instruction|prompt|ignore|disregard|password|role.?play|rules?\b|system|pretend|jailbreak|"
    r"reveal|secret|bypass|override|forget|act as",
    re.IGNORECASE,
)


# The hard-negative dev set's topics, as the issue names them: instructions, prompts, system
# prompts, rules, passwords, role play (plus the verbs attacks use: ignore, reveal, override…).
DEV_TOPICS = re.compile(
    r"instruction|prompt|ignore|disregard|password|passphrase|role.?play|\brules?\b|guideline|"
    r"restriction|pretend|jailbreak|reveal|secret|override|system (?:message|prompt)",
    re.IGNORECASE,
)


def _even(text: str) -> bool:
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()[0] % 2 == 0


def build_hard_negatives(corpus: Sequence[Row], seed: int = 1) -> list[Row]:
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
        if r.text not in seen:
            seen.add(r.text)
            unique.append(r)
    return unique


def build_indirect(corpus: Sequence[Row], n: int = 300, seed: int = 2) -> list[Row]:
    rng = random.Random(seed)
    attacks = [r for r in corpus if r.label == 1]
    benign = [r for r in corpus if r.label == 0]
    return indirect_rows(attacks, benign, n, rng, "dev")
