"""Two uvicorn workers on Redis + PostgreSQL behave as one deployment; an embedded-default
server keeps its durable state across a restart."""

from __future__ import annotations

import httpx
import pytest

from fixtures_state import REDIS_URL, free_port
from live_servers import fire, pids, start_server, stop_server

pytestmark = pytest.mark.slow

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
ATTACKER = "203.0.113.99"


@pytest.fixture
def cluster(tmp_path, pg_schema_url, redis_prefix):
    port = free_port()
    env = {
        "PROMPTSENTRY_DATA_DIR": str(tmp_path),
        "PROMPTSENTRY_DATABASE_URL": pg_schema_url,
        "PROMPTSENTRY_REDIS_URL": REDIS_URL,
        "PROMPTSENTRY_REDIS_KEY_PREFIX": redis_prefix,
        "PROMPTSENTRY_ADMIN_TOKEN": ADMIN,
        "PROMPTSENTRY_STRIKE_THRESHOLD": "5",
        "PROMPTSENTRY_KEY_USAGE_FLUSH_SECONDS": "0",
        "PROMPTSENTRY_LOG_LEVEL": "warning",
    }
    proc = start_server(env, port, 2, tmp_path / "server.log")
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_server(proc)


async def new_tenant_key(cluster: str) -> tuple[dict, dict]:
    """A tenant limited to 25 scans/min per IP and 40/min in all, and one key of it."""
    async with httpx.AsyncClient(base_url=cluster, timeout=30) as admin:
        tenant = (await admin.post("/admin/tenants", json={"name": "mw"}, headers=H)).json()
        created = (await admin.post("/admin/keys", json={"tenant_id": tenant["id"],
                                                         "name": "k"}, headers=H)).json()
        r = await admin.patch(f"/admin/tenants/{tenant['id']}", headers=H, json={
            "settings": {"ip_rate_limit_per_minute": 25, "rate_limit_per_minute": 40}})
        assert r.status_code == 200
    return tenant, created


async def test_limits_blocks_and_revocation_hold_across_two_workers(cluster):
    # 1. Exactly the configured limits per window, across both workers. Which worker accepts
    # a connection is the kernel's choice; on a loaded machine one may take a whole burst, so
    # a round where only one worker answered proves nothing across workers and is repeated
    # with a fresh tenant and fresh IPs (the counts must be exact in every round).
    for attempt in range(5):
        _, created = await new_tenant_key(cluster)
        hk = {"Authorization": f"Bearer {created['key']}"}
        # 25 per source IP...
        first = await fire(cluster, 80, hk, {"prompt": "hello",
                                             "source_ip": f"198.51.100.{2 * attempt + 1}"})
        codes = [r.status_code for r in first]
        assert codes.count(200) == 25 and codes.count(429) == 55, codes
        assert all(r.headers["retry-after"] for r in first if r.status_code == 429)
        assert {r.json()["error"]["details"]["scope"] for r in first
                if r.status_code == 429} == {"ip"}
        # ...and 40 per tenant: another IP gets only the 15 the tenant window has left.
        second = await fire(cluster, 40, hk, {"prompt": "hello",
                                              "source_ip": f"198.51.100.{2 * attempt + 2}"})
        codes = [r.status_code for r in second]
        assert codes.count(200) == 15 and codes.count(429) == 25, codes
        if len(pids(first)) == 2 and len(pids(second)) == 2:
            break
    assert len(pids(first)) == 2 and len(pids(second)) == 2, "both workers must have answered"

    # 2. The 5th malicious scan blocks the IP on both workers (default tenant, no limit).
    for i in range(5):
        async with httpx.AsyncClient(base_url=cluster, timeout=30) as c:
            r = await c.post("/scan", json={"prompt": "ATTACK", "source_ip": ATTACKER}, headers=H)
            assert r.status_code == 200 and r.json()["verdict"] == "malicious"
    responses: list[httpx.Response] = []
    for _ in range(10):
        responses += await fire(cluster, 30, H, {"prompt": "hello", "source_ip": ATTACKER})
        if len(pids(responses)) == 2:
            break
    assert {r.status_code for r in responses} == {403}
    assert {r.json()["error"]["code"] for r in responses} == {"IP_BLOCKED"}
    assert len(pids(responses)) == 2

    # 3. A key revoked through one worker is refused by the other on the next request.
    async with httpx.AsyncClient(base_url=cluster, timeout=30) as c:
        r = await c.delete(f"/admin/keys/{created['key_id']}", headers=H)
        assert r.status_code == 200
        revoker = r.headers["x-worker-pid"]
    # Which worker accepts a connection is the kernel's choice: fire until the other worker
    # has answered too (bounded), and every answer must be a refusal.
    responses = []
    for _ in range(10):
        responses += await fire(cluster, 30, hk, {"prompt": "hi", "source_ip": "198.51.100.3"})
        if any(r.headers["x-worker-pid"] != revoker for r in responses):
            break
    assert {r.status_code for r in responses} == {401}
    assert any(r.headers["x-worker-pid"] != revoker for r in responses)


def test_embedded_default_keeps_tenants_keys_and_blocks_across_restart(tmp_path):
    port = free_port()
    env = {"PROMPTSENTRY_DATA_DIR": str(tmp_path), "PROMPTSENTRY_ADMIN_TOKEN": ADMIN,
           "PROMPTSENTRY_LOG_LEVEL": "warning"}
    url = f"http://127.0.0.1:{port}"
    proc = start_server(env, port, 1, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=30) as c:
            tenant = c.post("/admin/tenants", json={"name": "keep"}, headers=H).json()
            key = c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k"},
                         headers=H).json()["key"]
            assert c.post("/admin/blocks", json={"ip": "192.0.2.5", "reason": "r"},
                          headers=H).status_code == 201
    finally:
        stop_server(proc)
    assert (tmp_path / "promptsentry.db").exists()

    proc = start_server(env, port, 1, tmp_path / "server.log")
    try:
        with httpx.Client(base_url=url, timeout=30) as c:
            assert tenant["id"] in [t["id"] for t in
                                    c.get("/admin/tenants", headers=H).json()["tenants"]]
            r = c.post("/scan", json={"prompt": "hi"}, headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 200 and r.json()["tenant_id"] == tenant["id"]
            r = c.post("/scan", json={"prompt": "hi", "source_ip": "192.0.2.5"},
                       headers={"Authorization": f"Bearer {key}"})
            assert r.status_code == 403 and r.json()["error"]["code"] == "IP_BLOCKED"
    finally:
        stop_server(proc)
