"""The ``promptsentry`` command line (Typer + Rich).

Each concern registers its commands from its own module: a module in ``_COMMAND_MODULES``
exposes ``register(app: typer.Typer) -> None``.
"""

from __future__ import annotations

import importlib

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

for _name in _COMMAND_MODULES:
    importlib.import_module(_name).register(app)


def main() -> None:
    """Entry point of ``promptsentry`` and ``python -m promptsentry``."""
    app()
