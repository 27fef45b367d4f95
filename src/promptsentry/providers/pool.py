"""Pooled HTTP clients for outbound LLM calls: one ``httpx.AsyncClient`` per (endpoint origin,
transport), so consecutive calls to one endpoint reuse a kept-alive connection instead of
paying a TCP and TLS handshake each.

Reuse does not weaken the SSRF pinning (:mod:`promptsentry.providers.egress`): a kept-alive
connection goes to the address that was checked when it was opened, and every *new*
connection — the pool grows, a connection expired after ``keepalive_expiry`` or the server
closed it — resolves and checks the name again in :class:`~promptsentry.providers.egress.PinnedBackend`.

Bounded: at most ``max_clients`` clients (least recently used evicted; an evicted client is
closed once no call is using it), each with at most ``max_connections`` connections.
Clients belong to one event loop (anyio/httpcore state); on another loop the pool starts
afresh. :meth:`ClientPool.aclose` (the app's shutdown) closes every client; the pool stays
usable afterwards (a later call opens a new client).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Hashable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import httpx


@dataclass
class _Entry:
    client: httpx.AsyncClient
    in_use: int = 0
    evicted: bool = False


@dataclass
class ClientPool:
    max_clients: int = 64
    max_connections: int = 16
    keepalive_expiry: float = 30.0
    _clients: OrderedDict[Hashable, _Entry] = field(default_factory=OrderedDict)
    _loop: object | None = None

    @property
    def limits(self) -> httpx.Limits:
        return httpx.Limits(max_connections=self.max_connections,
                            max_keepalive_connections=self.max_connections,
                            keepalive_expiry=self.keepalive_expiry)

    def __len__(self) -> int:
        return len(self._clients)

    @asynccontextmanager
    async def lease(self, key: Hashable,
                    factory: Callable[[], httpx.AsyncClient]) -> AsyncIterator[httpx.AsyncClient]:
        """The client for ``key`` (built by ``factory`` the first time), held for one call."""
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # another event loop: its clients cannot be used here
            self._clients = OrderedDict()
            self._loop = loop
        entry = self._clients.get(key)
        if entry is None:
            entry = self._clients[key] = _Entry(factory())
            while len(self._clients) > self.max_clients:
                _, old = self._clients.popitem(last=False)
                old.evicted = True
                if old.in_use == 0:
                    await old.client.aclose()
        self._clients.move_to_end(key)
        entry.in_use += 1
        try:
            yield entry.client
        finally:
            entry.in_use -= 1
            if entry.evicted and entry.in_use == 0:
                await entry.client.aclose()

    async def aclose(self) -> None:
        """Close every client (one still in a call is closed when the call ends)."""
        entries, self._clients = list(self._clients.values()), OrderedDict()
        for entry in entries:
            entry.evicted = True
            if entry.in_use == 0:
                await entry.client.aclose()
