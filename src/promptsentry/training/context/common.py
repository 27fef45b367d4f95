"""What every builder of the context corpus shares: the length rows are cut at and the key
rows are de-duplicated on."""

from __future__ import annotations

import re

__all__ = ["MAX_CHARS", "dedupe_key"]

#: Rows are cut at this many characters.
MAX_CHARS = 2000


def dedupe_key(text: str) -> str:
    """Two rows with the same key are one prompt (case and whitespace folded, first 300
    characters)."""
    return re.sub(r"\s+", " ", text.lower())[:300]
