"""Issue 17 across two uvicorn workers on Redis + PostgreSQL: tenant-scoped blocks, the
tenant rate limit for loopback callers, revocation while the database is down, quota
reservation under concurrency.

One deployment serves the module (a start costs seconds); every test makes its own tenants.
PostgreSQL is reached through a :class:`TcpProxy` so a test can take the database away."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from fixtures_state import POSTGRES_URL, REDIS_URL, free_port, postgres_schema, redis_key_prefix
from live_servers import fire, pids, start_server, stop_server
from tcp_proxy import TcpProxy

pytestmark = pytest.mark.slow

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
VICTIM = "198.51.100.201"


class Cluster:
    def __init__(self, url: str, proxy: TcpProxy) -> None:
        self.url = url
        self.proxy = proxy


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("mw17")
    with postgres_schema() as pg_url, redis_key_prefix() as prefix:
        proxy = TcpProxy(("127.0.0.1", 5432))
        assert "127.0.0.1:5432" in POSTGRES_URL
        port = free_port()
        env = {
            "PROMPTSENTRY_DATA_DIR": str(tmp),
            "PROMPTSENTRY_DATABASE_URL": pg_url.replace("127.0.0.1:5432",
                                                        f"127.0.0.1:{proxy.port}"),
            "PROMPTSENTRY_REDIS_URL": REDIS_URL,
            "PROMPTSENTRY_REDIS_KEY_PREFIX": prefix,
            "PROMPTSENTRY_ADMIN_TOKEN": ADMIN,
            "PROMPTSENTRY_STRIKE_THRESHOLD": "3",
            "PROMPTSENTRY_KEY_USAGE_FLUSH_SECONDS": "0",
            "PROMPTSENTRY_LOG_LEVEL": "warning",
        }
        proc = start_server(env, port, 2, tmp / "server.log")
        try:
            yield Cluster(f"http://127.0.0.1:{port}", proxy)
        finally:
            stop_server(proc)
            proxy.close()


async def fire_on_both(url: str, n: int, headers: dict, body: dict) -> list[httpx.Response]:
    """Bursts of ``n`` until both workers have answered (bounded: ~20 s, so a worker that is
    still starting on a loaded machine gets time to join the accept queue)."""
    responses: list[httpx.Response] = []
    for _ in range(80):
        responses += await fire(url, n, headers, body)
        if len(pids(responses)) == 2:
            break
        await asyncio.sleep(0.25)
    assert len(pids(responses)) == 2, "both workers must have answered"
    return responses


async def tenant_with_key(url: str, name: str, settings: dict | None = None,
                          scopes=("scan",)) -> tuple[str, dict]:
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        tenant = (await c.post("/admin/tenants", json={"name": name, "settings": settings},
                               headers=H)).json()
        r = await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k",
                                             "scopes": list(scopes)}, headers=H)
        assert r.status_code == 201, r.text
    return tenant["id"], {"Authorization": f"Bearer {r.json()['key']}"}


async def test_one_tenants_strikes_block_an_address_for_that_tenant_only(cluster):
    """Point 1: three malicious scans of tenant A naming the victim's address block it for
    A on both workers, and for nobody else."""
    _, ha = await tenant_with_key(cluster.url, "attacker")
    _, hb = await tenant_with_key(cluster.url, "bystander")
    for _ in range(3):
        async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as c:
            r = await c.post("/scan", json={"prompt": "ATTACK", "source_ip": VICTIM}, headers=ha)
            assert r.json()["action_taken"] == "blocked"
    refused = await fire_on_both(cluster.url, 16, ha, {"prompt": "hi", "source_ip": VICTIM})
    assert {r.status_code for r in refused} == {403}
    assert {r.json()["error"]["details"]["type"] for r in refused} == {"automatic"}
    served = await fire_on_both(cluster.url, 16, hb, {"prompt": "hi", "source_ip": VICTIM})
    assert {r.status_code for r in served} == {200}
    served = await fire_on_both(cluster.url, 16, H, {"prompt": "hi", "source_ip": VICTIM})
    assert {r.status_code for r in served} == {200}


async def test_the_tenant_limit_holds_for_loopback_callers_across_workers(cluster):
    """Point 2: across two workers at 50/min, 130 of 130 loopback scans were allowed. A
    forwarded loopback ``source_ip`` and a loopback peer (a sidecar: this test's own
    connections) now get exactly the tenant's limit between both workers."""
    for source in ("127.0.0.1", None):
        body = {"prompt": "hi"} | ({"source_ip": source} if source else {})
        for _ in range(5):  # a round answered by one worker only proves nothing: repeat
            _, hk = await tenant_with_key(cluster.url, "sidecar",
                                          settings={"rate_limit_per_minute": 10})
            responses = await fire(cluster.url, 30, hk, body)
            codes = [r.status_code for r in responses]
            assert codes.count(200) == 10 and codes.count(429) == 20, (source, codes)
            if len(pids(responses)) == 2:
                break
        assert len(pids(responses)) == 2, "both workers must have answered"
        assert {r.json()["error"]["details"]["scope"] for r in responses
                if r.status_code == 429} == {"tenant"}


async def test_a_revoked_key_is_refused_on_both_workers_while_the_database_is_down(cluster):
    """Point 3: each worker trusted keys it verified in the last 5 minutes while PostgreSQL
    was down, and revocation did not clear that (10 of 10 accepted). The revocation is now
    in Redis' revoked set, checked before the cache: refused on both workers at once."""
    tenant_id, revoked = await tenant_with_key(cluster.url, "revocation")
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as c:
        r = await c.post("/admin/keys", json={"tenant_id": tenant_id, "name": "kept"},
                         headers=H)
        kept = {"Authorization": f"Bearer {r.json()['key']}"}
        revoked_id = (await c.get("/admin/keys", params={"tenant_id": tenant_id},
                                  headers=H)).json()["keys"][0]["key_id"]
    for key in (revoked, kept):  # both workers verify (and cache) both keys
        assert {r.status_code for r in await fire_on_both(
            cluster.url, 8, key, {"prompt": "hi"})} == {200}
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as c:
        r = await c.delete(f"/admin/keys/{revoked_id}", headers=H)
        assert r.status_code == 200 and r.json()["revocation_published"] is True
    cluster.proxy.cut()
    try:
        refused = await fire_on_both(cluster.url, 10, revoked, {"prompt": "hi"})
        assert {r.status_code for r in refused} == {401}, [r.text for r in refused][:3]
        served = await fire_on_both(cluster.url, 10, kept, {"prompt": "hi"})
        assert {r.status_code for r in served} == {200}  # degraded mode still serves
    finally:
        cluster.proxy.restore()
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as c:
        for _ in range(50):  # the pools reconnect on their own
            if (await c.get("/admin/tenants", headers=H)).status_code == 200:
                break
            await asyncio.sleep(0.1)
        refused = await fire(cluster.url, 4, revoked, {"prompt": "hi"})
        assert {r.status_code for r in refused} == {401}


async def test_the_monthly_quota_is_never_overshot_across_workers(cluster):
    """Point 7: the quota was checked before the work and counted after (limit 10: 39 of 40
    concurrent calls served). Reserved atomically in PostgreSQL before the work: exactly 10
    between both workers."""
    for _ in range(5):  # a round answered by one worker only proves nothing: repeat
        _, hk = await tenant_with_key(cluster.url, "quota", scopes=("optimize",),
                                      settings={"optimize_quota_per_month": 10})
        responses = await fire(cluster.url, 40, hk, {"prompt": "Write a poem about the sea.",
                                                     "save_template": False},
                               path="/api/v1/optimize")
        codes = [r.status_code for r in responses]
        assert codes.count(200) == 10 and codes.count(403) == 30, codes
        if len(pids(responses)) == 2 and len(pids([r for r in responses
                                                   if r.status_code == 200])) == 2:
            break
    assert len(pids([r for r in responses if r.status_code == 200])) == 2
    assert {r.json()["error"]["code"] for r in responses if r.status_code == 403} == {
        "QUOTA_EXCEEDED"}
    async with httpx.AsyncClient(base_url=cluster.url, timeout=30) as c:
        assert (await c.get("/api/v1/quota", headers=hk)).json()["quota_used"] == 10
