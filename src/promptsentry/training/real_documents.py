"""Real documents, as agents read them: a blind dev set of clean e-mails, tables, API responses
and web-page text (``data/dev/real_documents.jsonl``).

Every other benign document of the dev sets is built from templates or from corpus rows inside
hand-written carriers; none is a document someone actually wrote. Issue 18 judges clean
e-mails, tables, code and tool outputs (≤ 2 % blocked), so this set takes them from the real
world. It is a **dev set only**: no row or source of it is ever a training row, and nothing was
tuned on it before it was measured.

Sources (public repositories; commit and licence recorded in each row's ``source`` and in
``data/dev/SOURCES.md``):

* ``email`` — the ham test messages of Apache SpamAssassin (``t/data/nice``, Apache-2.0), the
  reply and signature fixtures of mailgun/talon (Apache-2.0), and :data:`PUBLIC_HAM` messages
  of each ham folder of the SpamAssassin public corpus (mailing lists and personal mail of
  2002; as packaged by stdlib-js/datasets-spam-assassin, PDDL-1.0 / CC0-1.0): headers and the
  text body, as an agent's mail tool returns them. (The test mails of mail parsers were left out: most are
  phishing or malware samples.)
* ``table`` — slices of the CSV and JSON datasets of vega/vega-datasets (BSD-3-Clause;
  each file's own source in its ``datapackage.json``): a header and consecutive rows.
* ``api_response`` — response bodies of the GitHub REST API recorded by octokit/fixtures
  (MIT), pretty-printed JSON as a tool returns it.
* ``web_page`` — sections of the long descriptions (README) of the Python packages installed
  in the project's environment (their ``METADATA``; each package's own licence), the text an
  agent gets from a documentation or project page.

Sizes follow what a tool returns: whole e-mails (cut at 8 KB), 1–4 KB of a table, an API
body cut at 4 KB on a line boundary, README sections of 300–4,000 characters.

**Attacks in the same documents.** Every benign row also comes back once with one injection
inside it (category ``<kind>_injection``, label 1), placed as an author of that kind of
document would place it: a paragraph of an e-mail or page (wrapped at 72 columns when the
document is hard-wrapped) at its start, middle or end; a row of a table (a cell of a CSV, an
object of a JSON list); a string field of an API response. The injections come only from
the dev side of the detector's data, never a training row: the corpus attacks held out of
training (``data/detector/corpus_holdout.jsonl``), the *dev* pool of attacker goals without
trigger phrases (:func:`promptsentry.training.traffic.goal_text`) and the *dev* pool of
multilingual injections. ``promptsentry eval`` ranks each attack category against the file's
benign rows, so a category's AUC and recall at 1 % FPR say how well an injection is found in
real documents, against real documents.

Rebuild (needs the fetched mirrors, read at the commits pinned in ``REPOS``; the web pages
come from the installed packages, so a newer package version changes its rows)::

    python -m promptsentry.training.real_documents --mirrors /work/.mirror
"""

from __future__ import annotations

import argparse
import email
import email.policy
import hashlib
import json
import random
import re
import subprocess
import textwrap
from collections.abc import Iterator, Sequence
from importlib import metadata
from pathlib import Path

from promptsentry.training.data import Row, write_rows
from promptsentry.training.mirrors import git_show, snapshot

__all__ = ["build"]

ROOT = Path(__file__).resolve().parents[3]
MAX_EMAIL = 8192
MAX_API = 4096
MAX_FILE = 3_000_000
PUBLIC_HAM = 100  # dev: messages drawn from each dev ham folder of the public corpus
TRAIN_HAM = 1200  # train: messages drawn from easy-ham-1
WHOLE = 512  # the shipped model's ``window.whole``
MIN_UNIT_CHARS = 24
DEV_HAM = ("easy-ham-2", "hard-ham-1")


def _pool(source: str) -> str:
    """``train`` or ``dev`` for a table file, an API scenario or a package (half each, by the
    SHA-1 of the file, scenario or package name)."""
    key = source.split(" (")[0].split("#")[0]
    key = key.split("==")[0] if key.startswith("pypi:") else key.split(":", 1)[-1]
    return "train" if hashlib.sha1(f"realdocs:{key}".encode()).digest()[0] < 128 else "dev"

# repository -> (licence, paths to take, the pinned commit read)
REPOS: dict[str, tuple[str, str, str]] = {
    "apache/spamassassin": ("Apache-2.0", r"^t/data/nice/\d+$",
                            "f7fe7b82a2db63ee1406d74d88ce564b69881954"),
    "mailgun/talon": ("Apache-2.0", r"^tests/fixtures/(standard_replies|signature/emails)/.*",
                      "71d9b6eb78e985bcdfbf99b69c20c001b4b818c4"),
    "stdlib-js/datasets-spam-assassin": ("PDDL-1.0 / CC0-1.0",
                                         r"^data/(easy-ham-[12]|hard-ham-1)/[^/]+\.json$",
                                         "1b84d49ab4b28092ead009b3ceeb67ae525289d1"),
    "vega/vega-datasets": ("BSD-3-Clause", r"^data/[^/]+\.(csv|json)$",
                           "cad85578e232704bb0453544742440038038c6a2"),
    "octokit/fixtures": ("MIT", r"^scenarios/api\.github\.com/[^/]+/normalized-fixture\.json$",
                         "cb8bc9dafc55a3837be4434ff4ba7acf3d9cadde"),
}


def _files(mirrors: Path, repo: str) -> tuple[str, Iterator[tuple[str, bytes]]]:
    """The pinned commit of ``repo`` and its files that match the repository's pattern."""
    snap = snapshot(mirrors, repo)
    _licence, pattern_text, commit = REPOS[repo]
    pattern = re.compile(pattern_text)
    listing = subprocess.run(["git", f"--git-dir={snap}", "ls-tree", "-r", "-l", commit],
                             check=True, capture_output=True, text=True).stdout
    names = []
    for line in listing.splitlines():
        meta, name = line.split("\t", 1)
        size = meta.split()[3]
        if pattern.search(name) and size.isdigit() and int(size) <= MAX_FILE:
            names.append(name)  # snapshots lack files of 4 MiB and more

    def read() -> Iterator[tuple[str, bytes]]:
        for name in sorted(names):
            yield name, git_show(snap, commit, name)

    return commit, read()


def _email_text(raw: bytes) -> str | None:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    if msg.get_content_maintype() != "multipart" and msg.get_content_type() not in (
            "text/plain", "text/html"):
        return None
    body = msg.get_body(preferencelist=("plain", "html"))
    try:
        text = body.get_content() if body is not None else ""
    except (LookupError, ValueError):
        return None
    if body is not None and body.get_content_type() == "text/html":
        text = re.sub(r"<[^>]+>", " ", text)
        text = re.sub(r"[ \t]+", " ", text)
    head = "\n".join(f"{k}: {msg[k]}" for k in ("From", "To", "Date", "Subject") if msg[k])
    out = f"{head}\n\n{text.strip()}" if head else text.strip()
    return out[:MAX_EMAIL] if len(out.strip()) >= 80 else None


def _public_ham(files: Iterator[tuple[str, bytes]], pool: str
                ) -> Iterator[tuple[str, bytes]]:
    """Dev: :data:`PUBLIC_HAM` messages of each folder of :data:`DEV_HAM`; train:
    :data:`TRAIN_HAM` of easy-ham-1 — the lowest SHA-1 of their file names."""
    by_folder: dict[str, list[str]] = {}
    items = dict(files)
    for name in items:
        by_folder.setdefault(name.split("/")[1], []).append(name)
    for folder, names in sorted(by_folder.items()):
        if (folder in DEV_HAM) != (pool == "dev"):
            continue
        for name in sorted(names, key=lambda n: hashlib.sha1(n.encode()).hexdigest())[
                :PUBLIC_HAM if pool == "dev" else TRAIN_HAM]:
            yield name, json.loads(items[name])["text"].encode("utf-8", "surrogateescape")


def _emails(mirrors: Path, pool: str) -> list[Row]:
    """Dev: the test messages and the dev ham folders; train: easy-ham-1 only."""
    rows: list[Row] = []
    repos = ("apache/spamassassin", "mailgun/talon", "stdlib-js/datasets-spam-assassin")
    for repo in repos if pool == "dev" else repos[2:]:
        commit, files = _files(mirrors, repo)
        if repo == "stdlib-js/datasets-spam-assassin":
            files = _public_ham(files, pool)
        for name, raw in files:
            text = _email_text(raw)
            if text is None:
                continue
            rows.append(Row(text, 0, f"{repo}@{commit[:12]}:{name} ({REPOS[repo][0]})",
                            "email", "real:email"))
    return rows


def _table_slices(name: str, raw: bytes, rng: random.Random) -> list[str]:
    text = raw.decode("utf-8", "replace")
    if name.endswith(".csv"):
        lines = text.splitlines()
        if len(lines) < 3:
            return []
        out = []
        for _ in range(2):
            size = rng.randint(1000, 4000)
            start = rng.randrange(1, max(2, len(lines) - 5))
            body: list[str] = []
            for line in lines[start:]:
                if sum(len(b) + 1 for b in body) + len(line) > size:
                    break
                body.append(line)
            if body:
                out.append("\n".join([lines[0], *body]))
        return out
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return []
    if not isinstance(data, list) or not data or not isinstance(data[0], dict):
        return []
    size = rng.randint(1000, 4000)
    start = rng.randrange(len(data))
    items: list[str] = []
    for item in data[start:]:
        piece = json.dumps(item, ensure_ascii=False)
        if sum(len(i) + 2 for i in items) + len(piece) > size:
            break
        items.append(piece)
    return ["[" + ",\n ".join(items) + "]"] if items else []


def _tables(mirrors: Path, rng: random.Random) -> list[Row]:
    repo = "vega/vega-datasets"
    commit, files = _files(mirrors, repo)
    rows: list[Row] = []
    for name, raw in files:
        for text in _table_slices(name, raw, rng):
            rows.append(Row(text, 0, f"{repo}@{commit[:12]}:{name} ({REPOS[repo][0]})",
                            "table", "real:table"))
    return rows


def _api_responses(mirrors: Path) -> list[Row]:
    repo = "octokit/fixtures"
    commit, files = _files(mirrors, repo)
    rows: list[Row] = []
    for name, raw in files:
        for i, call in enumerate(json.loads(raw)):
            body = call.get("response")
            if not isinstance(body, (dict, list)) or not body:
                continue
            text = json.dumps(body, indent=2, ensure_ascii=False)
            if len(text) > MAX_API:
                text = text[:text.rfind("\n", 0, MAX_API)]
            if len(text) < 200:
                continue
            rows.append(Row(text, 0, f"{repo}@{commit[:12]}:{name}#{i} ({REPOS[repo][0]})",
                            "api_response", "real:api_response"))
    return rows


def _web_pages(rng: random.Random) -> list[Row]:
    rows: list[Row] = []
    for dist in sorted(metadata.distributions(), key=lambda d: d.metadata["Name"].lower()):
        name = dist.metadata["Name"]
        if name.lower().startswith("promptsentry"):
            continue
        body = dist.metadata.get_payload() or dist.metadata.get("Description") or ""
        sections = [s.strip() for s in re.split(r"\n(?=#{1,3} |\S[^\n]*\n[=\-~]{3,}\n)", body)]
        sections = [s for s in sections if 300 <= len(s)]
        rng.shuffle(sections)
        for text in sections[:2]:
            licence = dist.metadata.get("License-Expression") or dist.metadata.get("License") \
                or "see package"
            licence = licence.splitlines()[0][:40]
            rows.append(Row(text[:4000], 0, f"pypi:{name}=={dist.version} ({licence})",
                            "web_page", "real:web_page"))
    return rows


def _payloads(rng: random.Random, pool: str) -> list[str]:
    """Injections of one side of the detector's data, shuffled: for ``dev`` the corpus attacks
    held out of training and the dev pools of goals and multilingual injections; for
    ``train`` the other corpus attacks (not held out, not rejected by the label review) and
    the train pools."""
    from promptsentry.training.data import read_rows
    from promptsentry.training.traffic import corpus_holdout, goal_text, multilingual_attacks

    if pool == "dev":
        corpus = [r.text for r in read_rows(ROOT / "data" / "detector" / "corpus_holdout.jsonl")
                  if r.label == 1]
    else:
        rejected = {r.text for r in read_rows(ROOT / "data" / "detector" /
                                               "corpus_label_review.jsonl")}
        shared = ROOT.parent / "shared" / "data" / "injection" / "train.jsonl"
        corpus = [r.text for r in read_rows(shared)
                  if r.label == 1 and not corpus_holdout(r) and r.text not in rejected]
        corpus = rng.sample(corpus, min(len(corpus), 800))
    corpus = [t for t in corpus if 40 <= len(t) <= 600]
    goals = [goal_text(rng, pool) for _ in range(300 if pool == "dev" else 600)]
    multi = [r.text for r in multilingual_attacks(pool, rng, {})]
    out = corpus + goals + multi * (3 if pool == "dev" else 1)
    rng.shuffle(out)
    return out


def _wrapped(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip()]
    return len(lines) >= 4 and sum(len(ln) <= 80 for ln in lines) >= 0.9 * len(lines)


def _insert(row: Row, payload: str, rng: random.Random) -> tuple[str, int, int]:
    """``payload`` placed inside ``row``'s document as its kind of document holds text; the
    new text and where the inserted block is in it."""
    text = row.text
    one_line = " ".join(payload.split())
    quoted = json.dumps(one_line, ensure_ascii=False)
    if row.category in ("email", "web_page"):
        block = textwrap.fill(one_line, 72) if _wrapped(text) else payload
        head, sep, body = text.partition("\n\n") if row.category == "email" else ("", "", text)
        if not sep:  # no header block: the whole text is the body
            head, body = "", text
        paras = body.split("\n\n")
        at = rng.choice((0, len(paras) // 2, len(paras)))
        before = "\n\n".join(paras[:at])
        prefix = f"{head}{sep}{before}{chr(10) * 2 if at else ''}"
        after = "\n\n".join(paras[at:])
        return prefix + block + ("\n\n" + after if after else ""), len(prefix), \
            len(prefix) + len(block)
    lines = text.split("\n")
    if row.category == "table" and not text.startswith("["):  # CSV: a row whose cell it is
        at = rng.randrange(1, len(lines) + 1)
        block = '"' + one_line.replace('"', '""') + '"' + "," * lines[0].count(",")
    elif row.category == "table":  # a JSON list: one more object
        at = rng.randrange(1, len(lines) + 1)
        block = f' {{"note": {quoted}}},'
    else:  # an API response: one more string field
        fields = [i for i, ln in enumerate(lines) if re.match(r'\s*"[^"]+": "', ln)]
        at = rng.choice(fields) if fields else len(lines) // 2
        indent = re.match(r"\s*", lines[at] if at < len(lines) else "").group() or "  "
        key = rng.choice(("description", "body", "message", "note", "title"))
        block = f'{indent}"{key}": {quoted},'
    start = sum(len(ln) + 1 for ln in lines[:at])
    return "\n".join(lines[:at] + [block] + lines[at:]), start, start + len(block)


def _dedup(rows: list[Row]) -> list[Row]:
    seen: set[str] = set()
    out = []
    for row in rows:
        if row.text not in seen:
            seen.add(row.text)
            out.append(row)
    return out


def _documents(mirrors: Path, pool: str, rng: random.Random) -> list[Row]:
    rows = _emails(mirrors, pool) + _tables(mirrors, rng) + _api_responses(mirrors) + \
        _web_pages(rng)
    return _dedup([r for r in rows if r.category == "email" or _pool(r.source) == pool])


def build(mirrors: Path, seed: int = 11) -> list[Row]:
    """The dev set: every benign document of the dev pool, then each again with one injection
    (see the module doc)."""
    rng = random.Random(seed)
    benign = _documents(mirrors, "dev", rng)
    payloads = _payloads(rng, "dev")
    attacks = [Row(_insert(row, payloads[i % len(payloads)], rng)[0], 1, row.source,
                   f"{row.category}_injection", f"{row.origin}:injected")
               for i, row in enumerate(benign)]
    return benign + attacks


def build_training(mirrors: Path, seed: int = 12, benign_units: int = 2) -> list[Row]:
    """Training rows from the train pool's documents, as the runtime scores them: a document
    of at most :data:`WHOLE` characters whole, else ``benign_units`` random units of it (cut
    with the shipped window, wrapped lines joined); the same documents with one injection of
    the *train* pools, as the unit(s) that hold it (the whole text when it is short)."""
    from promptsentry.detector import segment_spans
    from promptsentry.training.traffic import UNIT_WINDOW

    rng = random.Random(seed)
    docs = _documents(mirrors, "train", rng)
    payloads = _payloads(rng, "train")
    out: list[Row] = []

    def units(text: str) -> list[tuple[int, int]]:
        return [(s, e) for s, e in segment_spans(text, *UNIT_WINDOW, whole=WHOLE,
                                                 join_wrapped=True)
                if len(text[s:e].strip()) >= MIN_UNIT_CHARS]

    for i, row in enumerate(docs):
        spans = units(row.text)
        for s, e in rng.sample(spans, min(benign_units, len(spans))):
            out.append(Row(row.text[s:e].strip(), 0, f"realdocs:{row.category}",
                           "real_document", f"{row.origin}:unit {row.source}"))
        text, a, b = _insert(row, payloads[i % len(payloads)], rng)
        for s, e in units(text):
            if s < b and e > a:  # the units that hold the injection
                out.append(Row(text[s:e].strip(), 1, f"realdocs:{row.category}",
                               "real_document_injection", f"{row.origin}:injected {row.source}"))
    return _dedup(out)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build data/dev/real_documents.jsonl.")
    ap.add_argument("--mirrors", type=Path, default=Path("/work/.mirror"))
    ap.add_argument("--out", type=Path, default=ROOT / "data" / "dev" / "real_documents.jsonl")
    ap.add_argument("--train-dir", type=Path, default=ROOT / "data" / "detector")
    args = ap.parse_args(argv)
    train = build_training(args.mirrors)
    for path, rows in ((args.out, build(args.mirrors)),
                       (args.train_dir / "realdocs_benign.jsonl", [r for r in train if not r.label]),
                       (args.train_dir / "realdocs_attacks.jsonl", [r for r in train if r.label])):
        write_rows(path, rows)
        counts: dict[str, int] = {}  # per category
        for r in rows:
            counts[r.category] = counts.get(r.category, 0) + 1
        print(f"{path}: {len(rows)} rows {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
