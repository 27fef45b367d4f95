"""The app's lifespan: start-up and shutdown run fully, errors inside it propagate (issue 17,
point 5).

Before the fix the shutdown work ran after the lifespan cancelled its own task group, so the
first ``await`` of it (the key-usage flush) was cancelled, the cancellation swallowed whatever
the code inside ``app.router.lifespan_context(app)`` raised, and counters were lost at every
graceful stop.
"""

from __future__ import annotations

import signal

import httpx
import pytest

from promptsentry.stores.sql.migrate import sqlite_url
from promptsentry.stores.sql.store import SqlStore


async def test_an_assertion_inside_the_lifespan_is_not_swallowed(app_factory) -> None:
    app = app_factory()
    with pytest.raises(AssertionError, match="must surface"):
        async with app.router.lifespan_context(app):
            raise AssertionError("must surface")


async def test_other_errors_surface_unchanged_too(app_factory) -> None:
    app = app_factory()
    with pytest.raises(KeyError):
        async with app.router.lifespan_context(app):
            raise KeyError("x")


async def test_stop_flushes_key_usage_counts(app_factory, backend) -> None:
    # A flush interval longer than the test: only the stop can write the counts.
    app = app_factory(key_usage_flush_seconds=3600)
    sql = app.state.services.sql_store
    key, plaintext = await sql.run(sql.create_key, "default", "usage", ["scan"], "firewall")
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app),
                                     base_url="http://test") as c:
            for _ in range(7):
                r = await c.post("/scan", json={"prompt": "hello"},
                                 headers={"Authorization": f"Bearer {plaintext}"})
                assert r.status_code == 200, r.text
        before = await sql.run(sql.get_key, key.key_id)
        assert before.use_count == 0
    # The stop closed this store; a fresh one reads what was written.
    reader = SqlStore.from_url(str(sql.engine.url.render_as_string(hide_password=False)))
    try:
        after = reader.get_key(key.key_id)
    finally:
        reader.close()
    assert after is not None and after.use_count == 7


def test_sigterm_on_a_real_server_flushes_key_usage(spawn_server, tmp_path) -> None:
    db = sqlite_url(tmp_path / "db")
    sql = SqlStore.from_url(db)
    sql.migrate()
    sql.ensure_tenant("default", "Default tenant")
    key, plaintext = sql.create_key("default", "usage", ["scan"], "firewall")
    sql.close()
    url, port = spawn_server(["serve", "--host", "127.0.0.1", "--port", "{port}"],
                             PROMPTSENTRY_DATABASE_URL=db,
                             PROMPTSENTRY_KEY_USAGE_FLUSH_SECONDS="3600")
    with httpx.Client(base_url=url, timeout=30) as c:
        for _ in range(5):
            assert c.post("/scan", json={"prompt": "hello"},
                          headers={"Authorization": f"Bearer {plaintext}"}).status_code == 200
    proc = spawn_server.processes[port]
    proc.send_signal(signal.SIGTERM)
    # uvicorn re-raises the signal once its graceful shutdown is done (exit status -15).
    assert proc.wait(timeout=20) in (0, -signal.SIGTERM)
    reader = SqlStore.from_url(db)
    try:
        assert reader.get_key(key.key_id).use_count == 5
    finally:
        reader.close()

