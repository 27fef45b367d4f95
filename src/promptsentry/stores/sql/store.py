"""Repository over the durable tables.

**Sync engine in a thread pool, by choice.** Every method is a short, indexed statement (a
key lookup by primary key, a tenant by id), a handful per request at most. A synchronous
engine keeps one code path for the server, the CLI and Alembic (which is synchronous), works
with the stable ``sqlite3`` and psycopg drivers, and costs one thread hop (~50 µs) per call,
which is small next to the statement itself. Async callers use
``await store.run(store.method, *args)``, which runs the method through
:func:`anyio.to_thread.run_sync`.

Driver failures (server down, connection reset, lock timeout) surface as
:class:`~promptsentry.stores.base.StoreUnavailable`, which callers treat as degraded mode.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, ParamSpec, TypeVar

import anyio.to_thread
from sqlalchemy import Engine, delete, exists, select, text, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from promptsentry.clock import aware, iso_z
from promptsentry.security.keys import KeyKind, generate_key
from promptsentry.stores.base import StoreUnavailable
from promptsentry.stores.sql.migrate import make_engine, upgrade
from promptsentry.stores.sql.tables import ApiKeyRow, IpAllowRow, IpBlockRow, TenantRow

P = ParamSpec("P")
R = TypeVar("R")


def _now() -> datetime:
    return datetime.now(UTC)


_aware = aware
_iso = iso_z


@dataclass(frozen=True, slots=True)
class Tenant:
    id: str
    name: str
    settings: dict[str, Any]
    created_at: str | None
    updated_at: str | None

    @classmethod
    def of(cls, row: TenantRow) -> Tenant:
        return cls(row.id, row.name, dict(row.settings or {}), _iso(row.created_at),
                   _iso(row.updated_at))


@dataclass(frozen=True, slots=True)
class ApiKey:
    """Key metadata: never the secret, and the hash only for verification."""

    key_id: str
    tenant_id: str
    name: str
    kind: str
    scopes: tuple[str, ...]
    secret_hash: str
    created_at: str | None
    last_used_at: str | None
    use_count: int
    revoked_at: str | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    def public(self) -> dict[str, Any]:
        return {
            "key_id": self.key_id, "tenant_id": self.tenant_id, "name": self.name,
            "kind": self.kind, "scopes": list(self.scopes), "created_at": self.created_at,
            "last_used_at": self.last_used_at, "use_count": self.use_count,
            "revoked": self.revoked, "revoked_at": self.revoked_at,
        }

    @classmethod
    def of(cls, row: ApiKeyRow) -> ApiKey:
        return cls(row.key_id, row.tenant_id, row.name, row.kind, tuple(row.scopes or ()),
                   row.secret_hash, _iso(row.created_at), _iso(row.last_used_at),
                   int(row.use_count or 0), _iso(row.revoked_at))


@dataclass(frozen=True, slots=True)
class IpEntry:
    ip: str
    reason: str
    created_at: str | None


def _guard(fn: Callable[P, R]) -> Callable[P, R]:
    """Map driver-level failures onto :class:`StoreUnavailable`."""

    @functools.wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except IntegrityError:
            raise
        except (OperationalError, PoolTimeout, DBAPIError) as exc:
            raise StoreUnavailable(f"sql: {type(exc.orig if hasattr(exc, 'orig') else exc).__name__}") from exc

    return wrapper


class SqlStore:
    """The durable store. Create with :meth:`from_url`, then :meth:`migrate` once."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False)

    @classmethod
    def from_url(cls, url: str) -> SqlStore:
        return cls(make_engine(url))

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @_guard
    def migrate(self) -> None:
        """Upgrade the schema to head (idempotent, safe across concurrent workers)."""
        upgrade(self.engine)

    def close(self) -> None:
        self.engine.dispose()

    async def run(self, fn: Callable[..., R], *args: Any) -> R:
        """Run a sync method in the thread pool."""
        return await anyio.to_thread.run_sync(functools.partial(fn, *args))

    # --- health -------------------------------------------------------------------------
    @_guard
    def ping(self) -> bool:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True

    # --- tenants ------------------------------------------------------------------------
    @_guard
    def create_tenant(self, name: str, settings: dict[str, Any] | None = None,
                      tenant_id: str | None = None) -> Tenant:
        now = _now()
        row = TenantRow(id=tenant_id or f"ten_{uuid.uuid4().hex[:16]}", name=name,
                        settings=dict(settings or {}), created_at=now, updated_at=now)
        with self._sessions.begin() as s:
            s.add(row)
        return Tenant.of(row)

    @_guard
    def ensure_tenant(self, tenant_id: str, name: str) -> Tenant:
        """The tenant ``tenant_id``, created when missing (the built-in ``default``)."""
        with self._sessions.begin() as s:
            row = s.get(TenantRow, tenant_id)
            if row is not None:
                return Tenant.of(row)
        try:
            return self.create_tenant(name, tenant_id=tenant_id)
        except IntegrityError:  # another worker created it first
            tenant = self.get_tenant(tenant_id)
            assert tenant is not None
            return tenant

    @_guard
    def get_tenant(self, tenant_id: str) -> Tenant | None:
        with self._sessions() as s:
            row = s.get(TenantRow, tenant_id)
            return None if row is None else Tenant.of(row)

    @_guard
    def list_tenants(self) -> list[Tenant]:
        with self._sessions() as s:
            rows = s.scalars(select(TenantRow).order_by(TenantRow.created_at, TenantRow.id))
            return [Tenant.of(r) for r in rows]

    @_guard
    def update_tenant_settings(self, tenant_id: str, patch: dict[str, Any],
                               name: str | None = None) -> Tenant | None:
        """Merge ``patch`` into the tenant's overrides (a ``None`` value removes an
        override) and rename it when ``name`` is given."""
        with self._sessions.begin() as s:
            row = s.get(TenantRow, tenant_id, with_for_update=True)
            if row is None:
                return None
            if name is not None:
                row.name = name
            merged = dict(row.settings or {})
            for key, value in patch.items():
                if value is None:
                    merged.pop(key, None)
                else:
                    merged[key] = value
            row.settings = merged
            row.updated_at = _now()
            return Tenant.of(row)

    @_guard
    def delete_tenant(self, tenant_id: str) -> bool:
        """Delete the tenant and its keys."""
        with self._sessions.begin() as s:
            s.execute(delete(ApiKeyRow).where(ApiKeyRow.tenant_id == tenant_id))
            result = s.execute(delete(TenantRow).where(TenantRow.id == tenant_id))
            return bool(result.rowcount)

    # --- API keys -----------------------------------------------------------------------
    @_guard
    def create_key(self, tenant_id: str, name: str, scopes: list[str],
                   kind: KeyKind) -> tuple[ApiKey, str]:
        """A new key for the tenant: its metadata and the plaintext key (shown once)."""
        key_id, plaintext, secret_hash = generate_key(kind)
        row = ApiKeyRow(key_id=key_id, tenant_id=tenant_id, name=name, kind=kind,
                        scopes=sorted(set(scopes)), secret_hash=secret_hash, created_at=_now(),
                        use_count=0)
        with self._sessions.begin() as s:
            s.add(row)
        return ApiKey.of(row), plaintext

    @_guard
    def get_key(self, key_id: str) -> ApiKey | None:
        with self._sessions() as s:
            row = s.get(ApiKeyRow, key_id)
            return None if row is None else ApiKey.of(row)

    @_guard
    def list_keys(self, tenant_id: str | None = None) -> list[ApiKey]:
        query = select(ApiKeyRow).order_by(ApiKeyRow.created_at, ApiKeyRow.key_id)
        if tenant_id is not None:
            query = query.where(ApiKeyRow.tenant_id == tenant_id)
        with self._sessions() as s:
            return [ApiKey.of(r) for r in s.scalars(query)]

    @_guard
    def revoke_key(self, key_id: str) -> ApiKey | None:
        """Mark the key revoked (idempotent); ``None`` when unknown."""
        with self._sessions.begin() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None:
                return None
            if row.revoked_at is None:
                row.revoked_at = _now()
            return ApiKey.of(row)

    @_guard
    def any_key_exists(self) -> bool:
        with self._sessions() as s:
            return bool(s.scalar(select(exists().where(ApiKeyRow.key_id.is_not(None)))))

    @_guard
    def record_key_usage(self, usage: dict[str, tuple[int, datetime]]) -> None:
        """Add use counts and set last-used times: ``{key_id: (count, last_used)}``.

        ``use_count = use_count + n`` is computed by the database, so concurrent workers
        never lose each other's counts.
        """
        if not usage:
            return
        with self._sessions.begin() as s:
            for key_id, (count, when) in usage.items():
                s.execute(
                    update(ApiKeyRow)
                    .where(ApiKeyRow.key_id == key_id)
                    .values(use_count=ApiKeyRow.use_count + count, last_used_at=when)
                )

    # --- manual blocks and allow-list ---------------------------------------------------
    @_guard
    def add_block(self, ip: str, reason: str) -> IpEntry:
        return self._put(IpBlockRow, ip, reason)

    @_guard
    def remove_block(self, ip: str) -> bool:
        return self._remove(IpBlockRow, ip)

    @_guard
    def list_blocks(self) -> list[IpEntry]:
        return self._list(IpBlockRow)

    @_guard
    def add_allow(self, ip: str, reason: str) -> IpEntry:
        return self._put(IpAllowRow, ip, reason)

    @_guard
    def remove_allow(self, ip: str) -> bool:
        return self._remove(IpAllowRow, ip)

    @_guard
    def list_allow(self) -> list[IpEntry]:
        return self._list(IpAllowRow)

    def _put(self, model: type[IpBlockRow | IpAllowRow], ip: str, reason: str) -> IpEntry:
        with self._sessions.begin() as s:
            row = s.get(model, ip)
            if row is None:
                row = model(ip=ip, reason=reason, created_at=_now())
                s.add(row)
            else:
                row.reason = reason
            return IpEntry(row.ip, row.reason, _iso(row.created_at))

    def _remove(self, model: type[IpBlockRow | IpAllowRow], ip: str) -> bool:
        with self._sessions.begin() as s:
            return bool(s.execute(delete(model).where(model.ip == ip)).rowcount)

    def _list(self, model: type[IpBlockRow | IpAllowRow]) -> list[IpEntry]:
        with self._sessions() as s:
            rows = s.scalars(select(model).order_by(model.created_at, model.ip))
            return [IpEntry(r.ip, r.reason, _iso(r.created_at)) for r in rows]


def session_of(store: SqlStore) -> Session:
    """A plain session on the store's engine (for other concerns' tables)."""
    return store._sessions()
