"""Alembic environment for PromptSentry's SQL store.

Run programmatically by :func:`promptsentry.stores.sql.migrate.upgrade` at start-up (the
caller hands over an open connection in ``config.attributes["connection"]``), or by the
``alembic`` command with ``sqlalchemy.url`` set.
"""

from __future__ import annotations

import importlib

from alembic import context
from sqlalchemy import engine_from_config, pool

from promptsentry.stores.sql import tables  # noqa: F401  (registers the core tables)
from promptsentry.stores.sql.base import Base

for _module in ("promptsentry.optimizer.tables", "promptsentry.stores.sql.system_prompts"):
    try:
        importlib.import_module(_module)
    except ImportError:
        pass

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = engine_from_config(
        config.get_section(config.config_ini_section, {}),
        prefix="sqlalchemy.",
        poolclass=pool.NullPool,
    )
    with engine.connect() as conn:
        _run(conn)


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
