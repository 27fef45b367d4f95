"""Fixtures of the optimizer tests.

* the state-backend fixtures of ``tests/fixtures_state.py`` (a plugin of the root conftest;
  ``backend`` runs a test on SQLite and on PostgreSQL);
* ``opt_app`` — the app on that backend with an admin token, and ``make_key(tenant)`` to
  issue a managed ``sk-opt-…`` key with the ``optimize`` scope for a new tenant;
* ``bridge_client(key)`` — an ``httpx.AsyncClient`` sending exactly the headers the reference
  bridge sends.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

BRIDGE_HEADERS = {"Content-Type": "application/json", "Accept": "application/json",
                  "User-Agent": "mcp-prompt-optimizer/3.7.1"}
ADMIN_TOKEN = "test-admin-token-0123456789abcdef"


@pytest.fixture
def opt_app(app_factory: Callable[..., Any]) -> Any:
    return app_factory(admin_token=ADMIN_TOKEN)


@pytest.fixture
def make_key(opt_app: Any) -> Callable[..., tuple[str, str]]:
    """``make_key(settings=None) -> (tenant_id, plaintext sk-opt key)``."""
    sql = opt_app.state.services.sql_store
    counter = {"n": 0}

    def make(settings: dict[str, Any] | None = None) -> tuple[str, str]:
        counter["n"] += 1
        tenant = sql.create_tenant(f"opt-tenant-{counter['n']}", settings or {})
        _, plaintext = sql.create_key(tenant.id, "bridge", ["optimize"], "optimizer")
        return tenant.id, plaintext

    return make


@pytest.fixture
async def asgi(opt_app: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=opt_app),
                                 base_url="http://testserver") as client:
        yield client
