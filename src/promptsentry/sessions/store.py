"""Where session graphs live: in process, or in Redis for several workers.

A session expires one hour after its last scan (sliding TTL) and 24 hours after it began
(hard cap), whichever comes first. Every change is an atomic read-modify-write through
:meth:`SessionStore.update`, so concurrent scans of one session — in one process or across
workers — never lose a node::

    def add(graph: SessionGraph | None) -> tuple[SessionGraph, Node]:
        ...  # pure: build the new graph from the current one
    node = await store.update(tenant_id, session_id, add)

The in-process store serialises updates with a per-session lock. The Redis store keeps each
session as one JSON value under ``ps:{s:<tenant>:<session>}:graph`` and applies ``fn`` inside
``WATCH``/``MULTI``, retrying when another worker changed the session in between, and notes
the tenant in ``ps:{si:<session>}:tenants`` so that :meth:`SessionStore.tenants_of` (the admin
token's lookup without ``X-Tenant-ID``) finds a session id in whichever tenant holds it.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections.abc import Callable
from typing import Protocol, TypeVar

import orjson

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.sessions.graph import SessionGraph
from promptsentry.stores.base import StoreUnavailable

T = TypeVar("T")
Clock = Callable[[], float]
Mutation = Callable[[SessionGraph | None], tuple[SessionGraph, T]]

DEFAULT_TTL_SECONDS = 3600.0
DEFAULT_MAX_AGE_SECONDS = 24 * 3600.0


class SessionStore(Protocol):
    """Keeps session graphs with a sliding TTL and a hard cap."""

    async def get(self, tenant_id: str, session_id: str) -> SessionGraph | None:
        """The live session, or ``None`` (unknown, expired, or another tenant's)."""

    async def update(self, tenant_id: str, session_id: str, fn: Mutation[T]) -> T:
        """Apply ``fn`` to the current graph (``None`` when new) atomically and keep the
        graph it returns, resetting the sliding TTL. Returns ``fn``'s second value."""

    async def delete(self, tenant_id: str, session_id: str) -> bool:
        """Erase the session; whether there was one."""

    async def tenants_of(self, session_id: str) -> list[str]:
        """The tenants holding a live session with this id, sorted (session ids are chosen
        by callers, so two tenants may use the same one)."""

    async def close(self) -> None:
        """Release connections."""


def expires_at(graph: SessionGraph, now: float, ttl: float, max_age: float) -> float:
    """When ``graph`` expires if it is written at ``now``."""
    return min(now + ttl, graph.created_at + max_age)


class MemorySessionStore:
    """In-process sessions: one worker only. Expiry is checked on read and swept on write."""

    def __init__(self, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
                 clock: Clock = time.time) -> None:
        self.ttl = ttl_seconds
        self.max_age = max_age_seconds
        self._clock = clock
        self._data: dict[tuple[str, str], tuple[float, SessionGraph]] = {}
        self._locks: dict[tuple[str, str], asyncio.Lock] = {}
        self._writes = 0

    async def get(self, tenant_id: str, session_id: str) -> SessionGraph | None:
        entry = self._data.get((tenant_id, session_id))
        if entry is None or entry[0] <= self._clock():
            return None
        return entry[1]

    async def update(self, tenant_id: str, session_id: str, fn: Mutation[T]) -> T:
        key = (tenant_id, session_id)
        lock = self._locks.setdefault(key, asyncio.Lock())
        async with lock:
            now = self._clock()
            entry = self._data.get(key)
            current = entry[1] if entry is not None and entry[0] > now else None
            graph, result = fn(current)
            self._data[key] = (expires_at(graph, now, self.ttl, self.max_age), graph)
        self._writes += 1
        if self._writes % 256 == 0:
            self._sweep(now)
        return result

    async def delete(self, tenant_id: str, session_id: str) -> bool:
        key = (tenant_id, session_id)
        entry = self._data.pop(key, None)
        self._locks.pop(key, None)
        return entry is not None and entry[0] > self._clock()

    async def tenants_of(self, session_id: str) -> list[str]:
        now = self._clock()  # one pass over this worker's sessions: an admin-only lookup
        return sorted(t for (t, s), (exp, _) in self._data.items() if s == session_id
                      and exp > now)

    async def close(self) -> None:
        return None

    def _sweep(self, now: float) -> None:
        for key in [k for k, (exp, _) in self._data.items() if exp <= now]:
            lock = self._locks.get(key)
            if lock is None or not lock.locked():
                self._data.pop(key, None)
                self._locks.pop(key, None)


_SAFE = re.compile(r"^[A-Za-z0-9_.:-]{1,100}$")


def _tag(value: str) -> str:
    if _SAFE.match(value) and "}" not in value:
        return value
    return "h" + hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]


def session_key(tenant_id: str, session_id: str, prefix: str = "ps") -> str:
    """``ps:{s:<tenant>:<session>}:graph`` — one hash tag per tenant and session."""
    return f"{prefix}:{{s:{_tag(tenant_id)}:{_tag(session_id)}}}:graph"


def tenant_index_key(session_id: str, prefix: str = "ps") -> str:
    """``ps:{si:<session>}:tenants`` — the set of tenants that used this session id."""
    return f"{prefix}:{{si:{_tag(session_id)}}}:tenants"


class RedisSessionStore:
    """Sessions in Redis, shared by every worker. ``client`` is a ``redis.asyncio.Redis``
    (the hot store's, when it is Redis). Updates use optimistic locking (``WATCH``), so a
    session has one consistent history whatever the number of concurrent writers."""

    def __init__(self, client, *, ttl_seconds: float = DEFAULT_TTL_SECONDS,
                 max_age_seconds: float = DEFAULT_MAX_AGE_SECONDS,
                 clock: Clock = time.time, max_retries: int = 64, prefix: str = "ps") -> None:
        self.client = client
        self.prefix = prefix
        self.ttl = ttl_seconds
        self.max_age = max_age_seconds
        self._clock = clock
        self._max_retries = max_retries

    async def get(self, tenant_id: str, session_id: str) -> SessionGraph | None:
        key = session_key(tenant_id, session_id, self.prefix)
        raw = await self._guard(self.client.get(key))
        return _decode(raw)

    async def update(self, tenant_id: str, session_id: str, fn: Mutation[T]) -> T:
        from redis.exceptions import WatchError

        key = session_key(tenant_id, session_id, self.prefix)
        await self._index(tenant_id, session_id)
        for attempt in range(self._max_retries):
            try:
                async with self.client.pipeline(transaction=True) as pipe:
                    await self._guard(pipe.watch(key))
                    current = _decode(await self._guard(pipe.get(key)))
                    graph, result = fn(current)
                    now = self._clock()
                    ttl_ms = max(1, int((expires_at(graph, now, self.ttl, self.max_age) - now)
                                        * 1000))
                    pipe.multi()
                    pipe.set(key, orjson.dumps(graph.to_dict()), px=ttl_ms)
                    await self._guard(pipe.execute())
                    return result
            except WatchError:
                await asyncio.sleep(min(0.001 * (attempt + 1), 0.02))
        raise ApiError(409, ErrorCode.CONFLICT, "the session is being changed by too many "
                       "concurrent scans; retry", {"session_id": session_id[:128]})

    async def delete(self, tenant_id: str, session_id: str) -> bool:
        key = session_key(tenant_id, session_id, self.prefix)
        deleted = bool(await self._guard(self.client.delete(key)))
        await self._guard(self.client.srem(tenant_index_key(session_id, self.prefix), tenant_id))
        return deleted

    async def tenants_of(self, session_id: str) -> list[str]:
        index = tenant_index_key(session_id, self.prefix)
        members = sorted(m.decode() if isinstance(m, bytes) else m
                         for m in await self._guard(self.client.smembers(index)))
        live = []
        for tenant_id in members:  # the index may name sessions that expired since
            if await self._guard(self.client.exists(session_key(tenant_id, session_id,
                                                                self.prefix))):
                live.append(tenant_id)
            else:
                await self._guard(self.client.srem(index, tenant_id))
        return live

    async def _index(self, tenant_id: str, session_id: str) -> None:
        """Note the tenant under the session id before the graph is written: the index may
        name a session that is gone (readers check), never miss one that exists. It lives
        in its own hash slot (Redis Cluster), so it is not part of the graph's MULTI."""
        index = tenant_index_key(session_id, self.prefix)
        async with self.client.pipeline(transaction=False) as pipe:
            pipe.sadd(index, tenant_id)
            pipe.expire(index, max(1, int(self.max_age)) + 60)
            await self._guard(pipe.execute())

    async def close(self) -> None:
        return None  # the client belongs to whoever created it

    @staticmethod
    async def _guard(awaitable):
        """Await a Redis call; anything but a lost ``WATCH`` race means the store is down."""
        from redis.exceptions import RedisError, WatchError

        try:
            return await awaitable
        except WatchError:
            raise
        except (RedisError, OSError) as exc:
            raise StoreUnavailable(f"redis: {type(exc).__name__}") from exc


def _decode(raw: str | bytes | None) -> SessionGraph | None:
    if raw is None:
        return None
    return SessionGraph.from_dict(orjson.loads(raw))


def store_for(settings, hot_store) -> SessionStore:
    """Redis sessions when the hot store is Redis (shared by all workers), else in process."""
    ttl, max_age = settings.session_ttl_seconds, settings.session_max_age_seconds
    client = getattr(hot_store, "client", None)
    if client is not None and type(client).__module__.startswith("redis"):
        return RedisSessionStore(client, ttl_seconds=ttl, max_age_seconds=max_age,
                                 prefix=getattr(hot_store, "prefix", "ps"))
    return MemorySessionStore(ttl_seconds=ttl, max_age_seconds=max_age)
