"""Issue 17, point 3: a revoked key works again while PostgreSQL is down — each worker
trusted keys it verified in the last 5 minutes. Revocations now go through the hot store's
shared revoked set, which a worker checks before trusting its cache."""

from __future__ import annotations

import contextlib

import pytest

from app_running import running
from promptsentry.stores.base import StoreUnavailable

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}


def database_down(monkeypatch: pytest.MonkeyPatch, *apps) -> None:
    async def down(*_args, **_kwargs):
        raise StoreUnavailable("sql: OperationalError")

    for app in apps:
        monkeypatch.setattr(app.state.services.sql_store, "run", down)


async def new_key(c, tenant_id: str, name: str = "k") -> dict:
    r = await c.post("/admin/keys", json={"tenant_id": tenant_id, "name": name}, headers=H)
    assert r.status_code == 201, r.text
    return {"Authorization": f"Bearer {r.json()['key']}", "id": r.json()["key_id"]}


def auth(key: dict) -> dict:
    return {"Authorization": key["Authorization"]}


async def test_revocation_holds_on_every_worker_while_the_database_is_down(
        app_factory, backend, monkeypatch):
    # Two workers share Redis + PostgreSQL; the embedded install is one process.
    worker_a = app_factory(admin_token=ADMIN)
    worker_b = app_factory(admin_token=ADMIN) if backend == "redis+postgres" else None
    async with contextlib.AsyncExitStack() as stack:
        a = await stack.enter_async_context(running(worker_a))
        b = await stack.enter_async_context(running(worker_b)) if worker_b else a
        tenant = (await a.post("/admin/tenants", json={"name": "t"}, headers=H)).json()
        revoked, kept = await new_key(a, tenant["id"]), await new_key(a, tenant["id"], "kept")
        for c in (a, b):  # each worker verifies (and caches) both keys
            for key in (revoked, kept):
                assert (await c.post("/scan", json={"prompt": "hi"},
                                     headers=auth(key))).status_code == 200
        r = await a.delete(f"/admin/keys/{revoked['id']}", headers=H)
        assert r.status_code == 200 and r.json()["revocation_published"] is True

        database_down(monkeypatch, worker_a, *([worker_b] if worker_b else []))
        for c in (a, b):
            for _ in range(3):
                r = await c.post("/scan", json={"prompt": "hi"}, headers=auth(revoked))
                assert r.status_code == 401, r.text
                assert r.json()["error"]["code"] == "INVALID_API_KEY"
            # Degraded mode still serves keys that were not revoked.
            r = await c.post("/scan", json={"prompt": "hi"}, headers=auth(kept))
            assert r.status_code == 200, r.text


async def test_a_cached_key_is_refused_when_the_revoked_set_cannot_be_read(
        app_factory, monkeypatch):
    app = app_factory(admin_token=ADMIN)
    async with running(app) as c:
        key = await new_key(c, "default")
        assert (await c.post("/scan", json={"prompt": "hi"}, headers=auth(key))).status_code == 200
        database_down(monkeypatch, app)

        async def hot_down(*_args):
            raise StoreUnavailable("redis: ConnectionError")

        monkeypatch.setattr(app.state.services.hot_store, "is_key_revoked", hot_down)
        r = await c.post("/scan", json={"prompt": "hi"}, headers=auth(key))
        assert r.status_code == 503 and r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"


async def test_deleting_a_tenant_revokes_its_keys_in_the_hot_store(app_factory, monkeypatch):
    app = app_factory(admin_token=ADMIN)
    async with running(app) as c:
        tenant = (await c.post("/admin/tenants", json={"name": "gone"}, headers=H)).json()
        key = await new_key(c, tenant["id"])
        assert (await c.post("/scan", json={"prompt": "hi"}, headers=auth(key))).status_code == 200
        assert (await c.delete(f"/admin/tenants/{tenant['id']}", headers=H)).status_code == 200
        assert await app.state.services.hot_store.is_key_revoked(key["id"]) is True
        database_down(monkeypatch, app)
        r = await c.post("/scan", json={"prompt": "hi"}, headers=auth(key))
        assert r.status_code == 401


async def test_a_hot_store_that_lost_a_revocation_relearns_it(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with running(app) as c:
        key = await new_key(c, "default")
        store = app.state.services.sql_store
        await store.run(store.revoke_key, key["id"])  # written to SQL only, as if Redis was
        assert await app.state.services.hot_store.is_key_revoked(key["id"]) is False  # wiped since
        r = await c.post("/scan", json={"prompt": "hi"}, headers=auth(key))
        assert r.status_code == 401
        assert await app.state.services.hot_store.is_key_revoked(key["id"]) is True
