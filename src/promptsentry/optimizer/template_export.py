"""Template export: a streamed JSON array or RFC 4180 CSV of every field in
:data:`TEMPLATE_FIELDS`, with CSV formula cells escaped (OWASP "CSV injection")."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from promptsentry.optimizer.templates import Template

__all__ = [
    "TEMPLATE_FIELDS",
    "escape_csv_formula",
    "export_csv_lines",
    "export_json_lines",
    "unescape_csv_formula",
]

#: Every exported field, in export column order.
TEMPLATE_FIELDS = (
    "id", "title", "description", "tags", "saved_at_utc", "updated_at_utc", "optimization_tier",
    "confidence_score", "original_prompt", "optimized_prompt", "optimization_goals",
    "ai_context", "domain", "target_audience", "request_id", "request_metadata",
    "model_optimized_with", "times_used", "last_used", "is_public",
)



def export_json_lines(templates: Iterator[Template]) -> Iterator[str]:
    """A JSON array, streamed template by template."""
    yield "["
    first = True
    for t in templates:
        yield ("" if first else ",") + json.dumps(
            {k: t.row[k] for k in TEMPLATE_FIELDS}, ensure_ascii=False)
        first = False
    yield "]"


#: A text cell a spreadsheet would evaluate as a formula (OWASP "CSV injection") starts with
#: one of ``= + - @ TAB CR``; prefixed apostrophes are counted so escaping can be undone.
_FORMULA_START = re.compile(r"'*[=+\-@\t\r]")


def escape_csv_formula(value: str) -> str:
    """``value`` with one ``'`` prepended when a spreadsheet could run it as a formula.

    Prompts are untrusted text — an attacker's ``=HYPERLINK(…)`` saved as a template must not
    execute when an analyst opens the export. Values already starting with apostrophes before
    such a character get one more, so :func:`unescape_csv_formula` restores every value exactly.
    """
    return "'" + value if _FORMULA_START.match(value) else value


def unescape_csv_formula(value: str) -> str:
    """Inverse of :func:`escape_csv_formula` (for programs reading an escaped export back)."""
    return value[1:] if value.startswith("'") and _FORMULA_START.match(value[1:]) else value


def export_csv_lines(templates: Iterator[Template], *,
                     escape_formulas: bool = True) -> Iterator[str]:
    """RFC 4180 CSV, header first; list and dict fields are JSON-encoded in their cell.

    Text cells that a spreadsheet would evaluate are escaped (:func:`escape_csv_formula`)
    unless ``escape_formulas`` is false.
    """
    import csv
    import io

    def cell(v: Any) -> Any:
        if isinstance(v, (list, dict)):
            v = json.dumps(v, ensure_ascii=False)
        if v is None:
            return ""
        return escape_csv_formula(v) if escape_formulas and isinstance(v, str) else v

    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(TEMPLATE_FIELDS)
    yield buf.getvalue()
    for t in templates:
        buf.seek(0)
        buf.truncate()
        writer.writerow([cell(t.row[k]) for k in TEMPLATE_FIELDS])
        yield buf.getvalue()
