"""``running(app)``: an ``httpx.AsyncClient`` over the app with its lifespan around it, which
re-raises what the block raised after shutdown, so a failed assertion inside can never be
swallowed by the app's lifespan (issue 17, point 5)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

import httpx


def client_for(app: Any, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


@contextlib.asynccontextmanager
async def running(app: Any, ip: str = "198.51.100.7") -> AsyncIterator[httpx.AsyncClient]:
    failure: BaseException | None = None
    async with app.router.lifespan_context(app):
        try:
            async with client_for(app, ip) as client:
                yield client
        except BaseException as exc:  # noqa: BLE001 - re-raised below, after shutdown
            failure = exc
    if failure is not None:
        raise failure
