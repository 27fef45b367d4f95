"""UTC time in the one form the service writes it: ISO 8601 with a ``Z``."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

Precision = Literal["seconds", "milliseconds"]


def aware(value: datetime | None) -> datetime | None:
    """``value`` as an aware UTC datetime (SQLite hands back naive ones; all times are UTC)."""
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


def iso_z(value: datetime | None, timespec: Precision = "seconds") -> str | None:
    """``2026-11-25T11:21:19Z`` (or with milliseconds); ``None`` stays ``None``."""
    value = aware(value)
    return None if value is None else value.isoformat(timespec=timespec).replace("+00:00", "Z")


def now_iso(timespec: Precision = "milliseconds") -> str:
    """The current UTC time, ISO 8601 with ``Z``."""
    return datetime.now(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")
