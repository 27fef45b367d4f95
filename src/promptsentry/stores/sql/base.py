"""The declarative base every SQL table of PromptSentry derives from.

One ``Base`` (and so one ``MetaData``) for the whole service: the core tables live in
:mod:`promptsentry.stores.sql.tables`, other concerns (the optimizer) add theirs in their own
modules and their own Alembic revisions chained after ``0001_core``. The naming convention
gives every constraint a deterministic name, so migrations can drop or alter them on both
SQLite and PostgreSQL.
"""

from __future__ import annotations

from sqlalchemy import MetaData
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with the service-wide naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
