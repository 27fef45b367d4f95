"""The ``promptsentry`` command line (Typer + Rich).

Each concern registers its commands from its own module: a module in ``_COMMAND_MODULES``
exposes ``register(app: typer.Typer) -> None``. The root callback handles ``--version`` and
sends every command's logs to standard error — for the long-running services (``serve``,
``mcp``, ``mcp-bridge``) at the configured level, for one-shot commands (``scan``,
``optimize``, ``eval``, …) at ``warning`` unless ``PROMPTSENTRY_LOG_LEVEL`` asks for more, so
a terminal shows results, not database-migration and request events.
"""

from __future__ import annotations

import importlib
import os
from typing import Annotated

import typer

app = typer.Typer(
    name="promptsentry",
    help="PromptSentry: a self-hosted prompt firewall and prompt optimizer.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

_COMMAND_MODULES = (
    "promptsentry.cli.core",
    "promptsentry.cli.admin",
    "promptsentry.cli.training",
    "promptsentry.cli.optimizer",
)


def _print_version(value: bool) -> None:
    if value:
        from promptsentry import __version__

        typer.echo(f"promptsentry {__version__}")
        raise typer.Exit()


SERVICES = frozenset({"serve", "mcp", "mcp-bridge"})


def command_log_level(command: str | None, configured: str) -> str:
    """The level a command logs at: the configured one for a service or when
    ``PROMPTSENTRY_LOG_LEVEL`` is set, else at least ``warning``."""
    if command in SERVICES or "PROMPTSENTRY_LOG_LEVEL" in os.environ:
        return configured
    return configured if configured in ("warning", "error") else "warning"


def _logs_to_stderr(command: str | None) -> None:
    """Every command logs to standard error (its standard output carries only results), at
    :func:`command_log_level`; an invalid configuration is left for the command to report."""
    from promptsentry.config import get_settings
    from promptsentry.observability.logging import configure_logging

    try:
        settings = get_settings()
    except Exception:  # noqa: BLE001 - an invalid configuration: the command reports it
        configure_logging(command_log_level(command, "info"))
        return
    configure_logging(command_log_level(command, settings.log_level), settings.log_format)


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option(
        "--version", is_eager=True, callback=_print_version,
        help="Print the version and exit.")] = False,
) -> None:
    """PromptSentry: a self-hosted prompt firewall and prompt optimizer."""
    _logs_to_stderr(ctx.invoked_subcommand)


for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of ``promptsentry`` and ``python -m promptsentry``."""
    app()
