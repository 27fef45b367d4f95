"""Registered system-prompt fingerprints in the durable SQL store.

One row per tenant holds the keyed hashes of the tenant's system-prompt shingles (see
:func:`promptsentry.pipeline.analysis.leakage.fingerprint`), the leak threshold, the id of the
key the hashes were made with, and when it was registered. The prompt text itself is never
written: it is hashed in memory by the API route and dropped.

Synchronous functions over a :class:`~promptsentry.stores.sql.store.SqlStore`; async callers
use ``await store.run(put_fingerprint, store, ...)``. Rows go away with their tenant
(``ON DELETE CASCADE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, delete
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from promptsentry.clock import iso_z
from promptsentry.stores.sql.base import Base
from promptsentry.stores.sql.store import SqlStore, _guard, session_of
from promptsentry.stores.sql.tables import TenantRow, utcnow

__all__ = [
    "StoredFingerprint",
    "SystemPromptRow",
    "delete_fingerprint",
    "get_fingerprint",
    "put_fingerprint",
]


class SystemPromptRow(Base):
    """A tenant's system-prompt fingerprint: hashes only, never text."""

    __tablename__ = "system_prompt_fingerprints"

    tenant_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("tenants.id", ondelete="CASCADE"), primary_key=True
    )
    hashes: Mapped[list[str]] = mapped_column(JSON, default=list)
    shingle_count: Mapped[int] = mapped_column(Integer)
    shingle_words: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    key_id: Mapped[str] = mapped_column(String(32))
    registered_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


@dataclass(frozen=True, slots=True)
class StoredFingerprint:
    """A fingerprint as read back: the hash set plus its metadata."""

    tenant_id: str
    hashes: frozenset[str]
    shingle_words: int
    threshold: float
    key_id: str
    registered_at: str | None

    def public(self) -> dict[str, Any]:
        """Metadata safe to answer: counts and times, never the hashes."""
        return {"tenant_id": self.tenant_id, "shingles": len(self.hashes),
                "shingle_words": self.shingle_words, "threshold": self.threshold,
                "registered_at": self.registered_at}

    @classmethod
    def of(cls, row: SystemPromptRow) -> StoredFingerprint:
        return cls(row.tenant_id, frozenset(row.hashes or ()), int(row.shingle_words),
                   float(row.threshold), row.key_id, iso_z(row.registered_at))


@_guard
def put_fingerprint(store: SqlStore, tenant_id: str, hashes: Iterable[str], *, threshold: float,
                    key_id: str, shingle_words: int) -> StoredFingerprint | None:
    """Register (or replace) the tenant's fingerprint; ``None`` when the tenant does not exist."""
    values = sorted(set(hashes))
    for attempt in range(2):
        try:
            with session_of(store) as s, s.begin():
                if s.get(TenantRow, tenant_id) is None:
                    return None
                row = s.get(SystemPromptRow, tenant_id, with_for_update=True)
                if row is None:
                    row = SystemPromptRow(tenant_id=tenant_id)
                    s.add(row)
                row.hashes = values
                row.shingle_count = len(values)
                row.shingle_words = shingle_words
                row.threshold = threshold
                row.key_id = key_id
                row.registered_at = utcnow()
                s.flush()
                return StoredFingerprint.of(row)
        except IntegrityError:  # a concurrent first registration won the insert: update it
            if attempt:
                raise
    raise AssertionError("unreachable")


@_guard
def get_fingerprint(store: SqlStore, tenant_id: str) -> StoredFingerprint | None:
    with session_of(store) as s:
        row = s.get(SystemPromptRow, tenant_id)
        return None if row is None else StoredFingerprint.of(row)


@_guard
def delete_fingerprint(store: SqlStore, tenant_id: str) -> bool:
    """Remove the tenant's fingerprint; whether there was one."""
    with session_of(store) as s, s.begin():
        result = s.execute(delete(SystemPromptRow).where(SystemPromptRow.tenant_id == tenant_id))
        return bool(result.rowcount)
