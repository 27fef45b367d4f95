"""Text builders shared by the pipeline tests."""

from __future__ import annotations

MAX_PROMPT_BYTES = 50 * 1024


def repeated_to_size(fragments: list[str], size: int) -> str:
    """``fragments`` joined and repeated to ``size`` characters, trimmed (1,000 characters at a
    time) to at most the 50 KB prompt limit, never blank."""
    unit = "".join(fragments)
    text = (unit * (size // len(unit) + 1))[:size]
    while len(text.encode("utf-8")) > MAX_PROMPT_BYTES:
        text = text[:-1000]
    if not text.strip():
        text = "x" + text
    return text
