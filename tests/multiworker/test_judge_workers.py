"""The judge's per-tenant quota and cache across two uvicorn workers on Redis + PostgreSQL:
each worker has its own process memory, so only the shared hot store can make them hold."""

from __future__ import annotations

import httpx
import pytest

from fixtures_state import REDIS_URL, free_port
from judge.servers import FakeJudge
from live_servers import fire, pids, start_server, stop_server

pytestmark = pytest.mark.slow

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
QUOTA = 4


@pytest.fixture
def judge_cluster(tmp_path, pg_schema_url, redis_prefix):
    fake = FakeJudge("openai", default=("verdict", "clean", 0.9))
    port = free_port()
    env = {
        "PROMPTSENTRY_DATA_DIR": str(tmp_path),
        "PROMPTSENTRY_DATABASE_URL": pg_schema_url,
        "PROMPTSENTRY_REDIS_URL": REDIS_URL,
        "PROMPTSENTRY_REDIS_KEY_PREFIX": redis_prefix,
        "PROMPTSENTRY_ADMIN_TOKEN": ADMIN,
        "PROMPTSENTRY_KEY_USAGE_FLUSH_SECONDS": "0",
        "PROMPTSENTRY_LOG_LEVEL": "warning",
        "PROMPTSENTRY_JUDGE_URL": fake.url,
        "PROMPTSENTRY_JUDGE_MODEL": "judge-model",
        "PROMPTSENTRY_JUDGE_SCAN_TYPES": "prompt",
        "PROMPTSENTRY_JUDGE_QUOTA_PER_HOUR": str(QUOTA),
        "PROMPTSENTRY_EGRESS_ALLOWLIST": "127.0.0.1",
    }
    proc = start_server(env, port, 2, tmp_path / "server.log",
                        factory="server_app:make_judge_app")
    try:
        yield f"http://127.0.0.1:{port}", fake
    finally:
        stop_server(proc)
        fake.close()


async def _tenant_key(url: str, name: str) -> dict:
    async with httpx.AsyncClient(base_url=url, timeout=30) as admin:
        tenant = (await admin.post("/admin/tenants", json={"name": name}, headers=H)).json()
        created = (await admin.post("/admin/keys", json={"tenant_id": tenant["id"],
                                                         "name": "k"}, headers=H)).json()
    return {"Authorization": f"Bearer {created['key']}"}


async def test_judge_quota_and_cache_hold_across_two_workers(judge_cluster):
    url, fake = judge_cluster
    # Which worker accepts a connection is the kernel's choice: a round where one worker
    # answered everything proves nothing across workers and is repeated with a new tenant.
    for attempt in range(5):
        hk = await _tenant_key(url, f"judged-{attempt}")
        before = len(fake.requests)
        # The same text 24 times, then distinct texts: with one shared cache and quota the
        # tenant's judge is called at most QUOTA times in all, whichever worker answers.
        same = await fire(url, 12, hk, {"prompt": "the same text"})
        assert all(r.status_code == 200 for r in same), [r.text for r in same]
        distinct = []
        for i in range(3):
            distinct += await fire(url, 8, hk, {"prompt": f"text {attempt}-{i}"})
        responses = same + distinct
        verdicts = [r.json()["verdict"] for r in responses]
        judged = [r.json()["stages"]["judge"] for r in responses]
        quota = [s for s in judged if s["details"].get("reason") == "quota"]
        calls = len(fake.requests) - before
        # Exactly QUOTA calls went out for the tenant (N workers do not get N x QUOTA) ...
        assert calls == QUOTA, (calls, verdicts)
        # ... and every other scan was either a cache hit or refused by the quota.
        cached = [s for s in judged if s["details"].get("cached")]
        assert verdicts.count("escalated_clean") == len(responses) - len(quota)
        assert len(cached) + len(quota) + calls == len(responses), (len(cached), len(quota))
        if len(pids(responses)) == 2 and len(pids(same)) == 2:
            break
    assert len(pids(responses)) == 2 and len(pids(same)) == 2, "both workers must answer"
    # The tenant's key sees its own judge usage, summed over both workers.
    async with httpx.AsyncClient(base_url=url, timeout=30) as c:
        (row,) = (await c.get("/api/stats", headers=hk)).json()["tenant_llm_usage"]
    assert row["calls"] == QUOTA and row["errors"] == 0
