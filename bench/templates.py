"""Template search speed: semantic search over stored vectors, the lazy backfill after an
upgrade, and the lexical ranking it replaced.

One tenant with ``--templates`` synthetic prompts of 60 words in a fresh SQLite database
(a temporary directory), the bundled sentence encoder on one onnxruntime thread.

Usage::

    .venv/bin/python bench/templates.py [--templates 2000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time

from sqlalchemy import text

from promptsentry.optimizer import templates as templates_module
from promptsentry.optimizer.templates import TemplateStore
from promptsentry.stores.sql.migrate import make_engine, upgrade

WORDS = ("summarise revenue region table poem sea moon code python bug stack trace image lake "
         "sunrise email meeting decline translate spanish paragraph report quarterly data "
         "analysis research citation story character plot dialogue").split()
QUERIES = ["financial results per area, tabulated", "bedtime song", "debug crashing code",
           "picture of alpine scenery"]


def median_search_ms(store: TemplateStore, rounds: int = 3) -> float:
    times = []
    for query in QUERIES * rounds:
        t0 = time.perf_counter()
        store.search("t", query)
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--templates", type=int, default=2000)
    n = ap.parse_args().templates
    rng = random.Random(0)
    engine = make_engine(f"sqlite:///{tempfile.mkdtemp()}/bench.db")
    upgrade(engine)
    store = TemplateStore(engine)
    if store.embedder is None:
        raise SystemExit("the bundled sentence encoder is not available")
    prompts = [" ".join(rng.choice(WORDS) for _ in range(60)) for _ in range(n)]
    t0 = time.perf_counter()
    for p in prompts:
        store.create("t", title="x", original_prompt=p, optimized_prompt=p + " (optimized)")
    print(f"save with the vector computed at save time: "
          f"{(time.perf_counter() - t0) / n * 1000:.2f} ms per template")
    print(f"search, {n} templates with vectors: {median_search_ms(store):.1f} ms median")

    with engine.begin() as conn:  # as after migration 0004: no vector anywhere
        conn.execute(text("UPDATE optimizer_templates SET embedding = NULL"))
    for k in range(3):
        t0 = time.perf_counter()
        store.search("t", QUERIES[0])
        print(f"search {k + 1} after the upgrade (fills up to "
              f"{templates_module.BACKFILL_PER_SEARCH} vectors): "
              f"{(time.perf_counter() - t0) * 1000:.0f} ms")
    t0 = time.perf_counter()
    filled = store.backfill_embeddings()
    print(f"backfill_embeddings: {filled} templates in {(time.perf_counter() - t0):.1f} s "
          f"({(time.perf_counter() - t0) / max(filled, 1) * 1000:.1f} ms each)")
    print(f"search afterwards: {median_search_ms(store):.1f} ms median")

    lexical = TemplateStore(engine)
    lexical._embedder = None
    templates_module.default_embedder = lambda: None  # what a stripped install has
    print(f"search with the lexical ranking (no encoder): {median_search_ms(lexical):.1f} ms "
          "median")


if __name__ == "__main__":
    main()
