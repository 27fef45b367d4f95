"""Options and table columns shared by the command modules.

One way to point a command at a server: ``--server URL``, defaulting to ``PROMPTSENTRY_URL``
(the variable the official SDK reads too). ``--url`` — the admin commands' former name — stays
accepted, hidden, so scripts keep working.
"""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

SERVER_ENV = "PROMPTSENTRY_URL"

ServerOpt = Annotated[str | None, typer.Option(
    "--server", envvar=SERVER_ENV, show_default=False,
    help="Base URL of a PromptSentry server, e.g. http://127.0.0.1:8000 (environment: "
    "PROMPTSENTRY_URL).")]
LegacyUrlOpt = Annotated[str | None, typer.Option(
    "--url", hidden=True, help="Former name of --server.")]


def server_url(server: str | None, legacy_url: str | None = None) -> str | None:
    """The server a command talks to: an explicit ``--url`` (the former name, given on the
    command line only) wins over ``--server``/``PROMPTSENTRY_URL``; ``None`` when neither."""
    chosen = legacy_url or server
    if not chosen:
        return None
    return chosen.strip().rstrip("/") or None


def add_id_column(table: Table, header: str = "id") -> None:
    """An id column that is never cut or wrapped at a normal terminal width (the other
    columns shrink first), so an id can be copied from the table and pasted into a command."""
    table.add_column(header, no_wrap=True, overflow="fold")
