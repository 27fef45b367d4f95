"""Does a text look like data — a tool's output or a pasted record — rather than a message?

The same imperative is normal in a user's prompt and suspicious inside an e-mail or a JSON
record an agent read. When a request does not say what its text is (no ``context``), the
pipeline reads it as a ``document`` if its *shape* is that of data (see
:func:`looks_like_data`): a JSON object or array, e-mail headers, a CSV or markdown table,
HTML/XML markup, or a block of ``key: value`` lines. Only the shape is read, never the
meaning, and only unambiguous shapes that start the text count: a message that opens with the
user's own sentence and then pastes data ("Write a cover letter from these facts: Name: …"),
a sentence with a colon, a list, or code in a fence is a message. Pure function, bounded work (the first :data:`HEAD_CHARS` characters).
"""

from __future__ import annotations

import csv
import json
import re
from typing import Literal

__all__ = ["DataShape", "HEAD_CHARS", "looks_like_data"]

DataShape = Literal["json", "email", "table", "csv", "markup", "records", "transcript"]

HEAD_CHARS = 4096
"""Characters read to decide (a JSON text must parse whole within :data:`MAX_JSON_CHARS`)."""
MAX_JSON_CHARS = 60_000
MIN_LINES = 3
MAX_FIELD_CHARS = 160
"""The median length of a record's ``key: value`` lines."""

_EMAIL_HEADER = re.compile(
    r"^(?:from|to|cc|bcc|subject|date|reply-to|sender|sent|received):[ \t]+\S", re.I | re.M)
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)+\|?\s*$", re.M)
_TAG = re.compile(r"<(/?)([a-zA-Z][\w:-]{0,30})(?:\s[^<>]{0,300})?/?>")
_KEY_VALUE = re.compile(
    r"^[ \t]*[-\"']?[A-Za-z_][\w .\"'#-]{0,40}[\"']?[ \t]*(?::(?!//)|=)[ \t]*\S")
_FENCE = re.compile(r"^\s*```", re.M)
# "[Nora] text" or "[10:42] Nora: text" lines of a chat log or meeting transcript
_SPEAKER = re.compile(r"^[ \t]*\[[^\]\n]{1,40}\][ \t]*(?:[\w .'-]{1,30}:[ \t]*)?\S")


def _json(text: str) -> bool:
    stripped = text.strip()
    if len(stripped) > MAX_JSON_CHARS or stripped[:1] not in "{[" or stripped[-1:] not in "}]":
        return False
    try:
        value = json.loads(stripped)
    except (ValueError, RecursionError):
        return False
    return isinstance(value, (dict, list)) and bool(value)


def _csv(lines: list[str]) -> bool:
    if len(lines) < MIN_LINES or "," not in lines[0]:
        return False
    try:
        rows = list(csv.reader(lines[:40]))
    except csv.Error:
        return False
    width = len(rows[0])
    # a header of short cells, not prose with commas
    return (width >= 2 and all(len(cell) <= 40 for cell in rows[0])
            and sum(len(r) == width for r in rows) >= 0.8 * len(rows))


def _markup(head: str) -> bool:
    tags = _TAG.findall(head)
    closing = sum(1 for slash, _ in tags if slash)
    return len(tags) >= 4 and closing >= 2


def looks_like_data(text: str) -> DataShape | None:
    """The data shape ``text`` has, or ``None`` when it reads as a message."""
    if _json(text):
        return "json"
    head = text[:HEAD_CHARS]
    if _FENCE.search(head):
        return None  # code or data *quoted* in a message
    if head.lstrip().startswith("<") and _markup(head):
        return "markup"
    lines = [line for line in head.splitlines() if line.strip()]
    if len(lines) < 2:
        return None
    first = lines[0]
    if _EMAIL_HEADER.match(first) and len(_EMAIL_HEADER.findall("\n".join(lines[:12]))) >= 2:
        return "email"
    if (first.lstrip().startswith("|") and _TABLE_SEPARATOR.search(head)
            and sum(line.count("|") >= 2 for line in lines) >= MIN_LINES):
        return "table"
    if _csv(lines):
        return "csv"
    window = lines[:40]
    if _KEY_VALUE.match(first):
        keyed = sorted(len(line) for line in window if _KEY_VALUE.match(line))
        # fields, not paragraphs: "Role and Goal: <a paragraph>" is a system prompt's heading
        if (len(keyed) >= 2 and len(keyed) >= 0.6 * len(window)
                and keyed[len(keyed) // 2] <= MAX_FIELD_CHARS):
            return "records"
    if _SPEAKER.match(first):
        spoken = sum(1 for line in window if _SPEAKER.match(line))
        if spoken >= MIN_LINES and spoken >= 0.6 * len(window):
            return "transcript"
    return None
