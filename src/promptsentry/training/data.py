"""Reading and writing labelled rows: ``{"text", "label", "source", "category"}`` JSONL."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

__all__ = ["DataError", "Row", "in_share", "read_rows", "sha256_file", "thin_rows", "write_rows"]


class DataError(ValueError):
    """A data file that is not in the row format (with file and line)."""


@dataclass(frozen=True, slots=True)
class Row:
    """One labelled example. ``label`` is 1 for an attack, 0 for benign."""

    text: str
    label: int
    source: str = "unknown"
    category: str = "unknown"
    origin: str = ""  # how an augmented row was built; "" for rows read from a file

    def to_json(self) -> dict[str, object]:
        data = asdict(self)
        if not data["origin"]:
            del data["origin"]
        return data


def _parse(line: str, where: str) -> Row:
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not JSON ({exc.msg})") from exc
    if not isinstance(obj, dict):
        raise DataError(f"{where}: a row must be a JSON object")
    text, label = obj.get("text"), obj.get("label")
    if not isinstance(text, str):
        raise DataError(f"{where}: `text` must be a string")
    if isinstance(label, bool) or label not in (0, 1):
        raise DataError(f"{where}: `label` must be 0 (benign) or 1 (attack)")
    source = obj.get("source", "unknown")
    category = obj.get("category", "attack" if label else "benign")
    return Row(
        text=text,
        label=int(label),
        source=str(source) if source is not None else "unknown",
        category=str(category) if category is not None else "unknown",
        origin=str(obj.get("origin", "") or ""),
    )


def read_rows(path: str | Path) -> list[Row]:
    """All rows of a JSONL file; blank lines are skipped, anything else malformed raises."""
    path = Path(path)
    rows: list[Row] = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if line.strip():
                rows.append(_parse(line, f"{path}:{lineno}"))
    return rows


def write_rows(path: str | Path, rows: Iterable[Row]) -> int:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row.to_json(), ensure_ascii=False) + "\n")
            n += 1
    return n


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def in_share(text: str, percent: int) -> bool:
    """Whether ``text`` hashes into the lowest ``percent`` of 100 buckets (stable per text)."""
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < percent


def thin_rows(rows: Iterable[Row], percent: int, keep_categories: Iterable[str] = ()) -> list[Row]:
    """The rows whose text falls in a stable ``percent`` share, plus every row of
    ``keep_categories`` (a training-data weight that the model card can record and a rerun
    reproduces exactly)."""
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    keep = set(keep_categories)
    return [r for r in rows if r.category in keep or in_share(r.text, percent)]
