"""Issue 17, point 7: the monthly quota was checked before the work and counted after, so
concurrent calls overshot it (limit 10 -> 39 of 40 served). It is now reserved atomically
before the work and released when the work fails — on SQLite and on PostgreSQL."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy.exc import OperationalError

from promptsentry.optimizer.quota import UsageCounters
from promptsentry.stores.sql.migrate import make_engine, sqlite_url, upgrade

from .conftest import BRIDGE_HEADERS


@pytest.fixture
def counters(state_settings):
    eng = make_engine(state_settings.database_url or sqlite_url(state_settings.data_dir))
    upgrade(eng)
    yield UsageCounters(eng)
    eng.dispose()


def test_reservations_never_pass_the_limit_under_thread_concurrency(counters):
    with ThreadPoolExecutor(max_workers=8) as pool:
        got = list(pool.map(lambda _: counters.reserve("t1", "2026-01", 10), range(40)))
    assert sorted(g for g in got if g is not None) == list(range(1, 11))
    assert got.count(None) == 30
    assert counters.usage("t1", "2026-01") == 10
    counters.release("t1", "2026-01")
    assert counters.usage("t1", "2026-01") == 9
    assert counters.reserve("t1", "2026-01", 10) == 10
    assert counters.reserve("t1", "2026-01", None) == 11  # unlimited: counted, never refused
    assert counters.reserve("t2", "2026-01", 0) is None and counters.usage("t2", "2026-01") == 0
    for _ in range(3):
        counters.release("t3", "2026-01")  # never below zero
    assert counters.usage("t3", "2026-01") == 0


async def test_concurrent_optimizations_get_exactly_the_quota(asgi, make_key):
    _, key = make_key({"optimize_quota_per_month": 5})
    h = {**BRIDGE_HEADERS, "X-API-Key": key}
    responses = await asyncio.gather(*[
        asgi.post("/api/v1/optimize", headers=h,
                  json={"prompt": "Write a poem about the sea.", "save_template": False})
        for _ in range(20)])
    codes = [r.status_code for r in responses]
    assert codes.count(200) == 5 and codes.count(403) == 15, codes
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 403} == {
        "QUOTA_EXCEEDED"}
    assert sorted(r.json()["quota_used"] for r in responses if r.status_code == 200) == [
        1, 2, 3, 4, 5]
    q = (await asgi.get("/api/v1/quota", headers=h)).json()
    assert q["quota_used"] == 5 and q["quota_remaining"] == 0


async def test_a_failed_optimization_gives_its_reservation_back(asgi, make_key, monkeypatch):
    _, key = make_key({"optimize_quota_per_month": 3})
    h = {**BRIDGE_HEADERS, "X-API-Key": key}
    body = {"prompt": "Write a poem about the sea.", "save_template": True}
    assert (await asgi.post("/api/v1/optimize", headers=h, json=body)).status_code == 200
    svc = asgi._transport.app.state.services.optimizer

    def broken(*_args, **_kwargs):
        raise OperationalError("INSERT", {}, Exception("value too long"))

    monkeypatch.setattr(svc.store, "create", broken)  # the template save fails after the work
    for _ in range(4):
        r = await asgi.post("/api/v1/optimize", headers=h, json=body)
        assert r.status_code == 503 and r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    q = (await asgi.get("/api/v1/quota", headers=h)).json()
    assert q["quota_used"] == 1 and q["quota_remaining"] == 2
