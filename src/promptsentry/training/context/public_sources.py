"""Public GitHub sources of the context corpus, read from repository snapshots (issue 21).

Every source is one pinned commit of one public repository (read with ``git show``, so a
snapshot without a work tree is enough) and one **source rule**: every row of a source gets
the lock the source's nature gives it (the labelling guide of issue 21, *by source, never by
row*); nothing is labelled by looking at a row, by a keyword or by a model. Each row carries a
``source_family`` (the repository, or the dataset inside a shared file), so an evaluation can
hold out a whole family and measure transfer to sources never seen.

``use`` says what a source may do:

* ``train``: its licence lets us ship a model fitted on it (MIT, Apache-2.0, ODC-By, GPL-3.0,
  CC BY/BY-SA) — split by group into train / calib / dev like the wheel sources;
* ``eval``: no licence, or a non-commercial one (CC BY-NC), or kept out of training by choice
  (``data/optimizer/SOURCES.md`` says why for each) — never trained or calibrated on; scored
  only, as families the shipped model has never seen (split ``test_family``).

The per-label sources of 2026-12-08 live in ``sources_research``, ``sources_data_analysis``,
``sources_creative``, ``sources_general`` and ``sources_consulting``;
``build_public.SOURCES`` lists every source.

The rows are not committed (they come from third-party snapshots); ``build_public`` writes them
where it is told, and data/optimizer/SOURCES.md records each source, commit, licence and rule.
"""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from promptsentry.training.context.common import MAX_CHARS
from promptsentry.training.mirrors import git_ls, git_show, snapshot

__all__ = ["REPOSITORY_SOURCES", "SHARED_CHAT", "PublicSource", "has_words", "one_line", "shared_chat_rows",
           "source_rows"]


@dataclass(frozen=True, slots=True)
class PublicSource:
    """One repository snapshot, the lock its rule gives and what its licence allows."""

    family: str
    repo: str
    commit: str
    licence: str
    label: str
    use: str  # "train" | "eval"
    rows: Callable[[PublicSource, Path], Iterator[tuple[str, str]]]  # (text, group)
    cap: int = 400


def _clean(text: str) -> str:
    return re.sub(r"[ \t]+", " ", text).strip()


def one_line(text: str) -> str:
    """``text`` with every whitespace run, newlines included, collapsed to one space."""
    return re.sub(r"\s+", " ", text).strip()


def has_words(text: str, n: int) -> bool:
    """Whether ``text`` has at least ``n`` whitespace-separated words."""
    return len(text.split()) >= n


# -- the rules: each yields (text, group) ----------------------------------------------------

_T2I_CATEGORIES = ("color", "shape", "texture", "spatial", "non_spatial", "complex",
                   "numeracy", "3d_spatial")


def _t2i_compbench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Text-to-image prompts, one per line, one file per compositional category."""
    for cat in _T2I_CATEGORIES:
        for line in git_show(snap, src.commit, f"examples/dataset/{cat}.txt").decode().splitlines():
            if len(line.split()) >= 3:
                yield _clean(line), cat


def _geneval(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """GenEval's text-to-image prompts ("a photo of …"), grouped by the benchmark's tag."""
    for line in git_show(snap, src.commit, "prompts/evaluation_metadata.jsonl").decode().splitlines():
        item = json.loads(line)
        yield _clean(item["prompt"]), item["tag"]


def _discoverybench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """DiscoveryBench's data-driven discovery queries (analysis goals over a named dataset,
    no data attached); one group per dataset folder."""
    for path in git_ls(snap, src.commit, "discoverybench"):
        if not path.endswith(".json") or "/metadata_" not in path:
            continue
        meta = json.loads(git_show(snap, src.commit, path).decode("utf-8", "replace"))
        folder = path.split("/")[-2]
        for queries in meta.get("queries", []):
            for q in queries if isinstance(queries, list) else [queries]:
                question = q.get("question", "") if isinstance(q, dict) else str(q)
                if len(question.split()) >= 5:
                    yield _clean(question), folder


def _statqa(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """mini-StatQA's statistical questions about a named dataset; one group per dataset."""
    for item in json.loads(git_show(snap, src.commit, "StatQA/mini-StatQA.json")):
        yield _clean(item["refined_question"]), item["dataset"]


def _reportbench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """ReportBench's deep-research / literature-survey requests; one group per domain."""
    for line in git_show(snap, src.commit, "ReportBench_v1.1.jsonl").decode().splitlines():
        item = json.loads(line)
        yield _clean(item["prompt"]), item.get("application_domain") or "none"


def _researcherbench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """ResearcherBench's frontier-research questions; one group per category."""
    for item in json.loads(git_show(snap, src.commit, "data/eval_data/questions.json")):
        yield _clean(item["question"]), item.get("category") or "none"


def _qrdata(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """QRData's statistical/causal questions; every other row (by hash) keeps the dataset
    description in front, as a user who attaches the data would write."""
    for item in json.loads(git_show(snap, src.commit, "benchmark/QRData.json")):
        q = item["question"].strip()
        if hashlib.sha256(q.encode()).digest()[0] % 2:
            q = f"{item['data_description'].strip()}\n\n{q}"
        yield q, item["meta_data"].get("reference", "none").split(" ")[0]


def _codealpaca(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Code Alpaca's programming instructions (with their input, if any)."""
    for item in json.loads(git_show(snap, src.commit, "data/code_alpaca_2k.json")):
        text = item["instruction"].strip()
        if item.get("input", "").strip():
            text += "\n" + item["input"].strip()
        yield text, hashlib.sha256(text.encode()).hexdigest()[:8]


_WP_TAG = re.compile(r"^\s*\[(WP|SP|EU|CW|TT|RF|PI)\]\s*", re.IGNORECASE)
_REDDIT_EVERYDAY = ("NoStupidQuestions", "legaladvice", "personalfinance",
                    "relationship_advice", "solotravel", "JapanTravel", "AskReddit",
                    "selfimprovement", "slowcooking", "keto", "Entrepreneur", "startups",
                    "investing", "books", "movies", "ApplyingToCollege")


def _reddit_posts(src: PublicSource, snap: Path, subreddit: str) -> Iterator[dict]:
    """The posts of one subreddit folder, read in one ``git cat-file --batch`` (files that
    are not a JSON object are skipped)."""
    paths = git_ls(snap, src.commit, f"subreddit-data/r-{subreddit}/")
    if not paths:
        return
    out = subprocess.run(["git", f"--git-dir={snap}", "cat-file", "--batch"],
                         input="".join(f"{src.commit}:{p}\n" for p in paths).encode(),
                         check=True, capture_output=True).stdout
    pos = 0
    while pos < len(out):
        header_end = out.index(b"\n", pos)
        size = int(out[pos:header_end].split()[2])
        blob = out[header_end + 1:header_end + 1 + size]
        pos = header_end + 1 + size + 1
        try:
            post = json.loads(blob.decode("utf-8", "replace"))
        except ValueError:
            continue
        if isinstance(post, dict):
            yield post


def _reddit_writingprompts(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """r/WritingPrompts post titles tagged as prompts ([WP], [SP], …), the tag removed."""
    for post in _reddit_posts(src, snap, "WritingPrompts"):
        title = post.get("title", "")
        if _WP_TAG.match(title):
            yield _WP_TAG.sub("", title).strip(), post["id"]


def _reddit_everyday(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """Questions and requests for advice from everyday subreddits (title + body head);
    one group per subreddit."""
    for sub in _REDDIT_EVERYDAY:
        for post in _reddit_posts(src, snap, sub):
            body = post.get("postText", "").strip()
            if not post.get("title") or not body or post.get("media_urls"):
                continue
            yield f"{post['title'].strip()}\n{body[:600]}", sub


REDDIT = ("GhostOf0days/Reddit-Data-Scraper", "5fc291342b40b6a7f743246d6b4c6985e1aa6f39")

REPOSITORY_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("t2i-compbench", "Karine-Huang/T2I-CompBench",
                 "1b7094991a57f3c22abdd4f6e8ba6c1a15517073", "MIT", "image_video", "train",
                 _t2i_compbench, cap=320),
    PublicSource("geneval", "djghosh13/geneval", "af4902f24d3ca90ebbb446dd9891a59e0f82725f",
                 "MIT", "image_video", "train", _geneval, cap=200),
    PublicSource("discoverybench", "allenai/discoverybench",
                 "c31fcf011e070f021a5f5b906896d0821f6880e8", "ODC-By 1.0", "data_analysis",
                 "train", _discoverybench),
    PublicSource("statqa", "HKUSTDial/StatQA", "31ca981b9d8dbf7423e5bfc07d7ba4374b3544cd",
                 "GPL-3.0", "data_analysis", "train", _statqa),
    PublicSource("reportbench", "ByteDance-BandAI/ReportBench",
                 "1826140c57cea89e8c2542ed135881ade39a45c3", "Apache-2.0", "research", "train",
                 _reportbench),
    PublicSource("researcherbench", "GAIR-NLP/ResearcherBench",
                 "a95807decfb044c496e6e78d95d6977ed5240cb0", "none stated", "research", "eval",
                 _researcherbench),
    PublicSource("qrdata", "xxxiaol/QRData", "de450af45ff7101b328bb064c6b475f73414a7ed",
                 "CC BY-NC 4.0", "data_analysis", "eval", _qrdata),
    PublicSource("codealpaca", "sahil280114/codealpaca",
                 "2f78ddc5c682ed6738ad092bbbfa59ba915afcb0", "CC BY-NC 4.0 (data)", "code",
                 "eval", _codealpaca, cap=300),
    PublicSource("reddit-writingprompts", *REDDIT, "none stated (Reddit posts)", "creative",
                 "eval", _reddit_writingprompts),
    PublicSource("reddit-everyday", *REDDIT, "none stated (Reddit posts)", "general", "eval",
                 _reddit_everyday),
)

#: The shared benign-chat corpus (``shared/data/benign_chat``): user turns and queries of
#: assistant dialogues, ``general`` by the nature of each source; prefix → licence.
SHARED_CHAT = {"sgd": "CC BY-SA 4.0", "multiwoz": "CC BY 4.0", "clinc": "CC BY 3.0",
               "hwu64": "CC BY 4.0"}


def _take(rows: list[dict], cap: int) -> list[dict]:
    """At most ``cap`` rows, the first by SHA-256 of the text (deterministic)."""
    return sorted(rows, key=lambda r: hashlib.sha256(r["text"].encode()).hexdigest())[:cap]


def source_rows(src: PublicSource, mirror: Path) -> list[dict]:
    """The rows of one source from its snapshot under ``mirror`` (``owner+name/repo``)."""
    snap = snapshot(mirror, src.repo)
    rows = [{"text": text[:MAX_CHARS], "label": src.label, "source": src.family,
             "source_family": src.family, "group": f"{src.family}:{group}", "use": src.use}
            for text, group in src.rows(src, snap) if len(text) >= 12]
    return _take(rows, src.cap)


def shared_chat_rows(path: Path, per_source: int = 150) -> list[dict]:
    """``general`` rows of the shared benign-chat corpus, ``per_source`` per source family
    (rows of three words or more)."""
    by_source: dict[str, list[dict]] = {}
    for line in path.open(encoding="utf-8"):
        item = json.loads(line)
        family = item["source"].split(":", 1)[0]
        if family in SHARED_CHAT and len(item["text"].split()) >= 3:
            by_source.setdefault(family, []).append(
                {"text": item["text"][:MAX_CHARS], "label": "general", "source": family,
                 "source_family": family, "group": f"{family}:{item['source']}",
                 "use": "train"})
    return [row for fam in sorted(by_source) for row in _take(by_source[fam], per_source)]
