"""More public GitHub sources of the ``data_analysis`` register (issue 21's source rules).

Each rule reads one pinned commit of one repository (``git show``, so a bare snapshot is
enough) and yields ``(text, group)``; every row of a source gets ``data_analysis`` by the
source's nature, never by looking at the row:

* **nvBench** — natural-language visualisation requests (NL2VIS: "show a bar chart of …")
  over the Spider databases;
* **BI-Bench** — business-intelligence questions (descriptive, diagnostic, predictive and
  prescriptive analytics) over enterprise databases;
* **DSEval-Kaggle** — data-science analysis steps an agent carries out on a named Kaggle CSV
  (compute statistics, compare groups, correlations, trends, forecasts).

Only the prompt / question is kept (no chart spec, SQL, code or answer).
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

from promptsentry.training.context.public_sources import PublicSource, has_words, one_line
from promptsentry.training.mirrors import git_ls, git_show

__all__ = ["DATA_ANALYSIS_SOURCES"]

_MIN_WORDS = 5




# -- nvBench (TsinghuaDatabaseGroup/nvBench) ----------------------------------------------

_NV_QUERIES = re.compile(r"<h4>NL Queries: </h4><ol>(.*?)</ol>", re.S)
_NV_ITEM = re.compile(r"<li><p>(.*?)</p></li>", re.S)
_NV_DB = re.compile(r"<b>DB: </b>([^<]+)</p>")
_NV_EVERY = 5  # read every 5th (NL, VIS) page: ~1,450 pages, plenty for the cap


def _nvbench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """nvBench's natural-language visualisation requests ("Show a bar chart of the number of
    … for each …", "… return a pie"), read from the rendered Vega-Lite pages (the JSON file is
    too large for the snapshot); every 5th page by its number, all the NL queries of each
    page, one group per Spider database."""
    for path in git_ls(snap, src.commit, "nvBench_VegaLite"):
        m = re.fullmatch(r"nvBench_VegaLite/VIS_(\d+)\.html", path)
        if not m or int(m.group(1)) % _NV_EVERY:
            continue
        page = git_show(snap, src.commit, path).decode("utf-8", "replace")
        block, db = _NV_QUERIES.search(page), _NV_DB.search(page)
        if not block:
            continue
        group = db.group(1).strip() if db else "none"
        for item in _NV_ITEM.findall(block.group(1)):
            text = one_line(html.unescape(re.sub(r"<[^>]+>", " ", item)))
            if has_words(text, _MIN_WORDS):
                yield text, group


# -- BI-Bench (ankush31089/BI-Benchmark) --------------------------------------------------

_BI_FILES = ("Descriptive", "Diagnostic", "Predictive", "Prescriptive")


def _bi_bench(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """BI-Bench's business-intelligence questions (descriptive, diagnostic, predictive and
    prescriptive analytics: KPIs, sales/revenue drivers, churn, forecasts, recommendations)
    over named enterprise databases; one group per database (the prefix of the first table
    the question uses)."""
    for name in _BI_FILES:
        for item in json.loads(git_show(snap, src.commit, f"dataset/{name}.json")):
            text = one_line(item.get("Natural Language Query", ""))
            tables = item.get("Table(s) Used") or []
            group = tables[0].split("_")[0].lower() if tables else "none"
            if has_words(text, _MIN_WORDS):
                yield text, group


# -- DSEval (MetaCopilot/dseval), Kaggle problem set ---------------------------------------

_DS_CELL = re.compile(r'^"""\n(.*?)^"""', re.S | re.M)
_DS_QUESTION = re.compile(r"^question: \|\n((?:^(?:  .*)?\n)+)", re.M)


def _dseval_kaggle(src: PublicSource, snap: Path) -> Iterator[tuple[str, str]]:
    """DSEval's Kaggle problem set: the natural-language analysis steps of a data-science
    session on a named Kaggle CSV (statistics, group comparisons, correlations, trends,
    forecasts), one ``question`` per notebook cell. Kept: the cells whose benchmark validator
    checks a returned *result*; left out by the benchmark's own metadata: the first cell of each
    notebook (loading the file) and every cell validated by ``namespace_check`` (it mutates
    program state: cleaning in place, encoding, saving a model in a variable), and the
    LeetCode / StackOverflow / exercise sets (pandas programming drills). One group per
    dataset (notebook)."""
    for path in git_ls(snap, src.commit, "benchmarks/kaggle"):
        if not path.endswith(".py") or "/_" in path:
            continue
        notebook = git_show(snap, src.commit, path).decode("utf-8", "replace")
        group = path.rsplit("/", 1)[-1].removesuffix(".py")
        for i, cell in enumerate(_DS_CELL.findall(notebook)):
            m = _DS_QUESTION.search(cell)
            if i == 0 or not m or "namespace_check" in cell:
                continue
            text = one_line(m.group(1))
            if has_words(text, _MIN_WORDS):
                yield text, group


DATA_ANALYSIS_SOURCES: tuple[PublicSource, ...] = (
    PublicSource("nvbench", "TsinghuaDatabaseGroup/nvBench",
                 "544fbc218a2c2fd5dac7591371e3e01ccd6afb93", "MIT", "data_analysis", "train",
                 _nvbench, cap=400),
    PublicSource("bi-bench", "ankush31089/BI-Benchmark",
                 "48d902f389c0f5c84a197b1bf7faefc2077a0d1b", "Apache-2.0", "data_analysis",
                 "train", _bi_bench, cap=400),
    PublicSource("dseval-kaggle", "MetaCopilot/dseval",
                 "d813031dd8693023e9b9081bf4d74d0d9394a6ee", "MIT", "data_analysis", "train",
                 _dseval_kaggle, cap=400),
)
