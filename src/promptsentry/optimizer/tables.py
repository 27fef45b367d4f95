"""The optimizer's durable tables: private prompt templates and usage counters.

Templates carry no foreign key to ``tenants`` on purpose: when a tenant is deleted its
templates must stay exportable for 90 days (``tenant_deleted_at`` records when the purge job
first saw the tenant gone) and are then purged.

``embedding`` is the search vector of the template (the sentence encoder's embedding of the
original prompt's head, 384 float32 little-endian = 1536 bytes; migration 0004). It is
deferred — only :meth:`~promptsentry.optimizer.templates.TemplateStore.search` loads it — and
never part of an API answer or an export. ``request_id`` is as wide as the longest
``X-Request-ID`` the API accepts (``MAX_REQUEST_ID_CHARS``; migration 0005).
:func:`pack_vector` and :func:`unpack_vector` are the ``embedding`` column's codec.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import numpy as np
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    Float,
    Index,
    LargeBinary,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from promptsentry.schemas.request import MAX_REQUEST_ID_CHARS
from promptsentry.stores.sql.base import Base
from promptsentry.stores.sql.tables import utcnow

#: Dimension of the stored search vectors (the bundled all-MiniLM-L6-v2).
EMBEDDING_DIM = 384


def pack_vector(vector: np.ndarray) -> bytes:
    """A search vector as stored: float32 little-endian bytes."""
    return np.ascontiguousarray(vector, dtype="<f4").tobytes()


def unpack_vector(blob: bytes | None, dim: int = EMBEDDING_DIM) -> np.ndarray | None:
    """The stored vector, or ``None`` when missing or not ``dim`` float32 values."""
    if not blob or len(blob) != 4 * dim:
        return None
    return np.frombuffer(blob, dtype="<f4").astype(np.float32)


class TemplateRow(Base):
    """One saved optimization. Prompt content is immutable once written."""

    __tablename__ = "optimizer_templates"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    tenant_id: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    is_public: Mapped[bool] = mapped_column(Boolean, default=False)
    optimization_tier: Mapped[str] = mapped_column(String(16), default="rules")
    confidence_score: Mapped[float] = mapped_column(Float, default=0.0)
    original_prompt: Mapped[str] = mapped_column(Text)
    optimized_prompt: Mapped[str] = mapped_column(Text)
    optimization_goals: Mapped[list[str]] = mapped_column(JSON, default=list)
    ai_context: Mapped[str] = mapped_column(String(40), default="human_communication")
    domain: Mapped[str | None] = mapped_column(String(100), nullable=True)
    target_audience: Mapped[str | None] = mapped_column(String(200), nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(MAX_REQUEST_ID_CHARS), nullable=True)
    request_metadata: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    model_used: Mapped[str] = mapped_column(String(100), default="rules-engine")
    times_used: Mapped[int] = mapped_column(BigInteger, default=0)
    last_used: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    tenant_deleted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True),
                                                               nullable=True)
    search_text: Mapped[str] = mapped_column(Text, default="")
    embedding: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True, deferred=True)

    __table_args__ = (
        Index("ix_optimizer_templates_tenant_created", "tenant_id", "created_at"),
        Index("ix_optimizer_templates_tenant_deleted_at", "tenant_deleted_at"),
    )


class UsageRow(Base):
    """A counter per tenant and bucket: ``YYYY-MM`` (monthly quota) or ``m:YYYY-MM-DDTHH:MM``
    (per-minute rate limit)."""

    __tablename__ = "optimizer_usage"

    tenant_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    bucket: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, default=0)
