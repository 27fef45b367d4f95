"""The durable SQL store: tenants, API keys (hashes only), manual IP blocks, the IP allow-list.

Embedded default: a SQLite file in the data directory; at scale: PostgreSQL
(``PROMPTSENTRY_DATABASE_URL``). The schema is managed by Alembic (``migrations/``), upgraded
to head at start-up.
"""

from promptsentry.stores.sql.base import Base
from promptsentry.stores.sql.store import SqlStore

__all__ = ["Base", "SqlStore"]
