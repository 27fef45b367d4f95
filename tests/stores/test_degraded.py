"""Degraded mode: Redis or the database unreachable → scans still answered, never a 500,
``/ready`` says so, one log line per incident, and service resumes without a restart."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
import time

import httpx
import pytest

from fixtures_state import free_port, keyword_pipeline
from promptsentry.api.app import create_app
from promptsentry.config import Settings

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}


def client_for(app, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app, client=(ip, 40000)),
                             base_url="http://test")


def start_redis(port: int, tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    import redis

    while time.monotonic() < deadline:
        try:
            if redis.Redis(port=port, socket_timeout=0.2).ping():
                return proc
        except redis.exceptions.RedisError:
            time.sleep(0.05)
    proc.kill()
    raise RuntimeError("redis-server did not start")


needs_redis_server = pytest.mark.skipif(shutil.which("redis-server") is None,
                                        reason="redis-server is not installed")


async def test_unreachable_redis_fails_open_and_ready_says_so(tmp_path, capsys):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = Settings(data_dir=tmp_path, redis_url=dead, admin_token=ADMIN,
                        ip_rate_limit_per_minute=1, strike_threshold=1, log_level="info")
    app = create_app(settings, pipeline=keyword_pipeline())
    async with app.router.lifespan_context(app), client_for(app) as c:
        for prompt in ("hello", "ATTACK", "hello", "ATTACK"):
            r = await c.post("/scan", json={"prompt": prompt}, headers=H)
            assert r.status_code == 200, r.text  # limits and blocks skipped: fail_open
        r = await c.get("/ready")
        assert r.status_code == 503  # degraded (docs/OPERATIONS.md), though still scanning
        assert r.json()["status"] == "degraded"
        assert r.json()["checks"]["hot_store"]["ok"] is False
        assert r.json()["checks"]["sql"]["ok"] is True
        for path in ("/scans", "/scans/scan_x", "/api/stats", "/admin/strikes/203.0.113.1"):
            r = await c.get(path, headers=H)
            assert r.status_code == 503, path
            assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
    logged = capsys.readouterr().err
    assert logged.count('"store_unavailable"') == 1
    assert '"component": "hot_store"' in logged


async def test_unreachable_redis_fail_closed_answers_503(tmp_path):
    dead = f"redis://127.0.0.1:{free_port()}/0"
    settings = Settings(data_dir=tmp_path, redis_url=dead, admin_token=ADMIN,
                        state_failure_mode="fail_closed", log_level="error")
    app = create_app(settings, pipeline=keyword_pipeline())
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.post("/scan", json={"prompt": "hello"}, headers=H)
        assert r.status_code == 503
        assert r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        assert r.headers["retry-after"] == "1"
        assert (await c.get("/ready")).status_code == 503  # fail_closed: out of rotation


async def test_unreachable_database_keeps_scanning(tmp_path):
    dead = f"postgresql://postgres@127.0.0.1:{free_port()}/test"
    settings = Settings(data_dir=tmp_path, database_url=dead, admin_token=ADMIN,
                        log_level="error")
    app = create_app(settings, pipeline=keyword_pipeline())  # starts although SQL is down
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.post("/scan", json={"prompt": "ATTACK"}, headers=H)
        assert r.status_code == 200 and r.json()["verdict"] == "malicious"
        r = await c.get("/ready")
        assert r.status_code == 503 and r.json()["checks"]["sql"]["ok"] is False
        r = await c.get("/admin/tenants", headers=H)
        assert r.status_code == 503 and r.json()["error"]["code"] == "SERVICE_UNAVAILABLE"
        r = await c.post("/scan", json={"prompt": "hi"},
                         headers={"Authorization": "Bearer ps_0123456789abcdef_"
                                  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})
        assert r.status_code == 503  # a key cannot be verified: refused, never a 500


@needs_redis_server
async def test_killing_redis_mid_load_loses_nothing_and_resumes(tmp_path, pg_schema_url):
    port = free_port()
    proc = start_redis(port, tmp_path)
    settings = Settings(data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{port}/0",
                        database_url=pg_schema_url, admin_token=ADMIN, strike_threshold=2,
                        ip_rate_limit_per_minute=100_000, log_level="error",
                        key_usage_flush_seconds=0, block_list_refresh_seconds=0)
    app = create_app(settings, pipeline=keyword_pipeline())
    statuses: list[int] = []
    try:
        async with app.router.lifespan_context(app), client_for(app) as c:
            tenant = (await c.post("/admin/tenants", json={"name": "durable"}, headers=H)).json()
            key = (await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k"},
                                headers=H)).json()
            hk = {"Authorization": f"Bearer {key['key']}"}
            assert (await c.post("/admin/blocks", json={"ip": "192.0.2.1"},
                                 headers=H)).status_code == 201

            stop = asyncio.Event()

            async def load(worker: int) -> None:
                i = 0
                while not stop.is_set():
                    i += 1
                    r = await c.post("/scan", headers=hk, json={
                        "prompt": "hello", "source_ip": f"203.0.113.{worker}"})
                    statuses.append(r.status_code)
                    await asyncio.sleep(0)

            tasks = [asyncio.create_task(load(w + 1)) for w in range(4)]
            await asyncio.sleep(0.3)
            proc.kill()
            proc.wait()
            await asyncio.sleep(0.6)
            down = (await c.get("/ready")).json()
            assert down["checks"]["hot_store"]["ok"] is False
            proc = start_redis(port, tmp_path)
            await asyncio.sleep(1.5)  # past the store's fail-fast cooldown
            stop.set()
            await asyncio.gather(*tasks)

            assert statuses and 500 not in statuses and set(statuses) == {200}
            assert (await c.get("/ready")).status_code == 200
            # Nothing in SQL was lost.
            tenants = [t["id"] for t in (await c.get("/admin/tenants", headers=H)).json()
                       ["tenants"]]
            assert tenant["id"] in tenants
            keys = (await c.get("/admin/keys", params={"tenant_id": tenant["id"]},
                                headers=H)).json()["keys"]
            assert keys[0]["use_count"] == sum(1 for s in statuses if s == 200)
            r = await c.post("/scan", json={"prompt": "hi", "source_ip": "192.0.2.1"}, headers=hk)
            assert r.status_code == 403
            # The fresh Redis works again: strikes and automatic blocks resume.
            for _ in range(2):
                await c.post("/scan", json={"prompt": "ATTACK", "source_ip": "203.0.113.200"},
                             headers=hk)
            r = await c.post("/scan", json={"prompt": "hi", "source_ip": "203.0.113.200"},
                             headers=hk)
            assert r.status_code == 403 and r.json()["error"]["details"]["type"] == "automatic"
    finally:
        proc.kill()
        proc.wait()
