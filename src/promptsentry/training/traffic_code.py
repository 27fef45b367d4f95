"""Benign source code, as the detector sees it (detector 3.4).

3.3 blocked 8 % of 200 random slices of ordinary Python source: cut into line-sized units, a
line such as ``from ...configuration_utils import PreTrainedConfig`` or ``def __xor__(self,
other) -> Expr:  # type: ignore[override]`` scored 0.9+ in both stages — no training row was
code that is not an exercise (HumanEval and SWE-Lancer units are prose around small
functions). An agent reads code all day (repositories, diffs, pasted snippets), so code is
part of the traffic.

Source: the Python files of permissively licensed packages installed in the project's
environment (:data:`TRAIN_PACKAGES` for training, :data:`DEV_PACKAGES` — other projects — for
the dev set; licences below, versions recorded in each row's ``source``). Both files are
committed, so a rebuild with other package versions is not needed to reproduce a model;
``python -m promptsentry.training.traffic_code`` rebuilds them from the installed packages
(deterministic for the same versions).

* ``data/detector/traffic_code.jsonl`` — training rows: for each sampled slice (a run of
  whole lines, 300–3,000 characters; a quarter of them 300–512), the slice itself when it
  fits the encoder's 512 characters, else up to three of the units the runtime cuts it into
  (:func:`promptsentry.detector.segment_spans` with the shipped window), as the model sees
  them in a long text.
* ``data/dev/code.jsonl`` — dev rows: whole slices (300–2,500 characters) of the dev
  packages, scored as ``promptsentry eval`` scores any text.

Comments and docstrings come along with the code (they are part of it); an injection hidden
in a code comment is still an attack in training (``traffic_attacks.jsonl``, carrier
``code_comment``).
"""

from __future__ import annotations

import argparse
import hashlib
import random
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path

from promptsentry.detector import segment_spans
from promptsentry.training.data import Row, write_rows
from promptsentry.training.traffic import UNIT_WINDOW

__all__ = ["DEV_PACKAGES", "TRAIN_PACKAGES", "code_rows"]

ROOT = Path(__file__).resolve().parents[3]

# import name -> (distribution name, licence)
TRAIN_PACKAGES: dict[str, tuple[str, str]] = {
    "numpy": ("numpy", "BSD-3-Clause"),
    "sqlalchemy": ("SQLAlchemy", "MIT"),
    "pydantic": ("pydantic", "MIT"),
    "rich": ("rich", "MIT"),
    "click": ("click", "BSD-3-Clause"),
    "anyio": ("anyio", "MIT"),
    "starlette": ("starlette", "BSD-3-Clause"),
    "httpx": ("httpx", "BSD-3-Clause"),
    "jinja2": ("Jinja2", "BSD-3-Clause"),
    "alembic": ("alembic", "MIT"),
    "redis": ("redis", "MIT"),
    "networkx": ("networkx", "BSD-3-Clause"),
    "scipy": ("scipy", "BSD-3-Clause"),
    "sklearn": ("scikit-learn", "BSD-3-Clause"),
    "fastapi": ("fastapi", "MIT"),
    "sympy": ("sympy", "BSD-3-Clause"),
    "onnx": ("onnx", "Apache-2.0"),
    "torch": ("torch", "BSD-3-Clause"),
}
DEV_PACKAGES: dict[str, tuple[str, str]] = {
    "transformers": ("transformers", "Apache-2.0"),
    "pygments": ("Pygments", "BSD-2-Clause"),
    "schemathesis": ("schemathesis", "MIT"),
    "mcp": ("mcp", "MIT"),
    "structlog": ("structlog", "MIT OR Apache-2.0"),
    "typer": ("typer", "MIT"),
    "requests": ("requests", "Apache-2.0"),
    "attr": ("attrs", "MIT"),
    "jsonschema": ("jsonschema", "MIT"),
    "markdown_it": ("markdown-it-py", "MIT"),
}

WHOLE = 512  # the shipped model's ``window.whole``: a text this short is one unit


def _site_packages() -> Path:
    import numpy

    return Path(numpy.__file__).resolve().parents[1]


def _files(package: str) -> list[Path]:
    base = _site_packages() / package
    return sorted(p for p in base.rglob("*.py")
                  if "test" not in p.relative_to(base).as_posix().lower()
                  and p.stat().st_size >= 1_000)


def _slice(text: str, rng: random.Random, lo: int, hi: int) -> str:
    """A run of whole lines of ``text`` of about ``lo``–``hi`` characters."""
    lines = text.splitlines(keepends=True)
    start = rng.randrange(len(lines))
    want = rng.randint(lo, hi)
    out: list[str] = []
    for line in lines[start:]:
        if sum(map(len, out)) >= want:
            break
        out.append(line)
    return "".join(out).strip("\n")


def code_rows(packages: dict[str, tuple[str, str]], n: int, seed: int, *, units: bool,
              lo: int, hi: int) -> list[Row]:
    """``n`` slices spread over ``packages``; with ``units``, each long slice becomes the
    runtime's units of it (at most three), else the slice itself."""
    rng = random.Random(seed)
    out: list[Row] = []
    seen: set[str] = set()
    pools = []
    for package, (dist, licence) in packages.items():
        files = _files(package)
        if files:
            pools.append((package, f"{dist}=={metadata.version(dist)} ({licence})", files))
    if not pools:
        return out
    tries = 0
    while len(out) < n and tries < 50 * n:
        tries += 1
        package, source, files = pools[tries % len(pools)]
        path = rng.choice(files)
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, OSError):
            continue
        # a quarter of the training slices fit the encoder whole, as pasted snippets do
        piece = _slice(text, rng, lo, WHOLE if units and rng.random() < 0.25 else hi)
        if len(piece.strip()) < 40:
            continue
        rel = path.relative_to(_site_packages()).as_posix()
        if not units or len(piece) <= WHOLE:
            texts = [piece]
        else:
            spans = segment_spans(piece, *UNIT_WINDOW, whole=WHOLE)
            texts = [piece[s:e] for s, e in rng.sample(spans, min(3, len(spans)))]
        for t in texts:
            key = hashlib.sha1(t.encode()).hexdigest()
            if key in seen or len(t.strip()) < 20:
                continue
            seen.add(key)
            out.append(Row(t, 0, f"code:{source}:{rel}", "code",
                           "code:unit" if units and t != piece else "code:slice"))
    return out[:n]


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Build the benign code rows (train and dev).")
    ap.add_argument("--out-dir", type=Path, default=ROOT / "data")
    ap.add_argument("--train", type=int, default=3000)
    ap.add_argument("--dev", type=int, default=300)
    args = ap.parse_args(argv)
    train = code_rows(TRAIN_PACKAGES, args.train, seed=11, units=True, lo=300, hi=3000)
    dev = code_rows(DEV_PACKAGES, args.dev, seed=12, units=False, lo=300, hi=2500)
    write_rows(args.out_dir / "detector" / "traffic_code.jsonl", train)
    write_rows(args.out_dir / "dev" / "code.jsonl", dev)
    print(f"traffic_code {len(train)}, dev/code {len(dev)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
