"""The judge's state shared by workers (cache, quota, per-tenant usage on the hot store, real
Redis DB 15), what a hot-store outage does, and pooled connections that keep the SSRF
pinning."""

from __future__ import annotations

import asyncio
import ssl
from dataclasses import replace

import httpx
import pytest
from cryptography.fernet import Fernet

from fixtures_state import REDIS_TEST_TIMEOUT_SECONDS, REDIS_URL, free_port
from judge.conftest import GRAY, ScoredClassifier, settings_for
from judge.servers import FakeResolver, self_signed
from judge.tests_support import ADMIN, H, client_for
from promptsentry.api.app import create_app
from promptsentry.judge.runtime import JudgeRuntime
from promptsentry.pipeline.runner import Pipeline, policy_for
from promptsentry.pipeline.stages.judge import JudgeStage
from promptsentry.pipeline.stages.signatures import SignatureStage
from promptsentry.providers import ChatRequest, EgressPolicy, Endpoint, ProviderClient
from promptsentry.providers.pool import ClientPool
from promptsentry.schemas.request import ScanRequest
from promptsentry.stores.memory import MemoryHotStore
from promptsentry.stores.redis import RedisHotStore
from promptsentry.wiring import build_hot_store


def _redis(prefix: str, url: str = REDIS_URL, timeout: float = REDIS_TEST_TIMEOUT_SECONDS
           ) -> RedisHotStore:
    return RedisHotStore(url, prefix=prefix, timeout_seconds=timeout)


def _worker(settings, store) -> Pipeline:
    """One worker's pipeline: its own runtime (own connections) over ``store``."""
    runtime = JudgeRuntime(settings, store=store)
    return Pipeline([SignatureStage(), ScoredClassifier(), JudgeStage(runtime)],
                    audit_salt=b"judge-test-salt")


async def _scan(pipeline, settings, text: str, tenant: str = "default"):
    request = ScanRequest(prompt=text)
    policy = policy_for(settings, request, block_threshold=0.5)
    policy = replace(policy, judge=replace(policy.judge, tenant_id=tenant))
    response, _ = await pipeline.run(request, policy, tenant_id=tenant)
    return response


def _judge(fake, tmp_path, **extra):
    return settings_for(tmp_path, judge_url=fake.url, judge_api=fake.api,
                        judge_model="judge-model", **extra)


async def test_quota_holds_across_two_workers_on_redis(judges, tmp_path, redis_prefix):
    fake = judges("openai", default=("verdict", "clean", 0.9))
    settings = _judge(fake, tmp_path, judge_quota_per_hour=3, judge_cache_seconds=0)
    stores = [_redis(redis_prefix), _redis(redis_prefix)]
    workers = [_worker(settings, s) for s in stores]
    try:
        results = await asyncio.gather(*[_scan(workers[i % 2], settings, f"{GRAY} {i}")
                                         for i in range(8)])
        # Each worker alone would allow 3: together they allow exactly 3.
        assert [r.verdict for r in results].count("escalated_clean") == 3
        quota = [r for r in results if r.stages["judge"].details.get("reason") == "quota"]
        assert len(quota) == 5 and len(fake.requests) == 3
        # Another tenant has its own quota.
        other = await _scan(workers[0], settings, f"{GRAY} x", tenant="t2")
        assert other.verdict == "escalated_clean"
    finally:
        for s in stores:
            await s.close()


async def test_a_judgement_cached_by_one_worker_is_a_hit_on_the_other(judges, tmp_path,
                                                                      redis_prefix):
    fake = judges("anthropic", default=("verdict", "malicious", 0.88))
    settings = _judge(fake, tmp_path)
    stores = [_redis(redis_prefix), _redis(redis_prefix)]
    a, b = (_worker(settings, s) for s in stores)
    try:
        first = await _scan(a, settings, GRAY)
        second = await _scan(b, settings, GRAY)
        assert len(fake.requests) == 1
        assert not first.stages["judge"].details["cached"]
        assert second.stages["judge"].details["cached"]
        assert second.verdict == "escalated_malicious" and second.confidence == 88.0
        assert second.stages["judge"].details["categories"] == first.stages["judge"].details[
            "categories"]
        # Stored: a salted hash under the tenant, never the text nor the judge's reason.
        keys = [k async for k in stores[0].client.scan_iter(match=f"{redis_prefix}:*cache*")]
        assert len(keys) == 1 and GRAY not in keys[0]
        value = await stores[0].client.get(keys[0])
        assert GRAY not in value and first.stages["judge"].details["reason"] not in value
        assert 800 < await stores[0].client.ttl(keys[0]) <= 900
        # Another tenant never sees the tenant's judgement.
        await _scan(b, settings, GRAY, tenant="t2")
        assert len(fake.requests) == 2
    finally:
        for s in stores:
            await s.close()


async def test_redis_outage_is_a_cache_miss_and_a_per_worker_quota(judges, tmp_path):
    """Nothing listens on the Redis port: judgements are not cached (each scan asks the
    judge) and the quota is enforced in the worker's memory; the scans go on."""
    fake = judges("openai", default=("verdict", "clean", 0.9))
    settings = _judge(fake, tmp_path, judge_quota_per_hour=2)
    dead = _redis("psdead", url=f"redis://127.0.0.1:{free_port()}/15", timeout=0.2)
    worker = _worker(settings, dead)
    try:
        results = [await _scan(worker, settings, GRAY) for _ in range(3)]
        assert [r.verdict for r in results] == ["escalated_clean", "escalated_clean", "malicious"]
        assert not any(r.stages["judge"].details.get("cached") for r in results)
        assert results[2].stages["judge"].details["reason"] == "quota"
        assert len(fake.requests) == 2
    finally:
        await dead.close()


async def test_without_a_store_the_runtime_keeps_its_own(judges, tmp_path):
    fake = judges("gemini", default=("verdict", "malicious", 0.9))
    settings = _judge(fake, tmp_path)
    runtime = JudgeRuntime(settings)
    assert isinstance(runtime.shared.store, MemoryHotStore)
    assert runtime.shared.local is runtime.shared.store


# --- per-tenant usage in GET /api/stats -----------------------------------------------------

async def test_each_tenant_sees_its_own_judge_usage(judges, state_settings):
    fake = judges("openai", default=("verdict", "malicious", 0.9))
    values = {"admin_token": ADMIN, "byom_encryption_key": Fernet.generate_key().decode(),
              "egress_allowlist": ["127.0.0.1"], "judge_url": fake.url,
              "judge_model": "priced-model", "judge_scan_types": ["prompt"],
              "llm_prices": {"priced-model": (2.0, 8.0)}, "judge_cache_seconds": 0}
    settings = type(state_settings)(**{**dict(state_settings), **values})
    hot = build_hot_store(settings)
    runtime = JudgeRuntime(settings, store=hot)
    pipeline = Pipeline([SignatureStage(), ScoredClassifier(), JudgeStage(runtime)],
                        audit_salt=b"judge-test-salt")
    app = create_app(settings, pipeline=pipeline, hot_store=hot)
    async with app.router.lifespan_context(app), client_for(app) as c:
        keys = {}
        for name in ("alpha", "beta"):
            tid = (await c.post("/admin/tenants", json={"name": name}, headers=H)).json()["id"]
            created = (await c.post("/admin/keys", json={"tenant_id": tid, "name": "k"},
                                    headers=H)).json()
            keys[name] = (tid, {"Authorization": f"Bearer {created['key']}"})
        for name, n in (("alpha", 3), ("beta", 1)):
            for i in range(n):
                r = await c.post("/scan", json={"prompt": f"text {i}"}, headers=keys[name][1])
                assert r.json()["verdict"] == "escalated_malicious", r.text
        alpha = (await c.get("/api/stats", headers=keys["alpha"][1])).json()
        assert alpha["llm_usage"] == []  # the worker's totals are the operator's
        (row,) = alpha["tenant_llm_usage"]
        assert row == {"tenant_id": keys["alpha"][0], "purpose": "judge", "api": "openai",
                       "model": "priced-model", "calls": 3, "errors": 0,
                       "input_tokens": 360, "output_tokens": 90,
                       "cost_usd": pytest.approx(360 * 2e-6 + 90 * 8e-6)}
        beta = (await c.get("/api/stats", headers=keys["beta"][1])).json()
        assert [(u["tenant_id"], u["calls"]) for u in beta["tenant_llm_usage"]] == [
            (keys["beta"][0], 1)]
        every = (await c.get("/api/stats", headers=H)).json()
        assert {u["tenant_id"]: u["calls"] for u in every["tenant_llm_usage"]} == {
            keys["alpha"][0]: 3, keys["beta"][0]: 1}
        # A failed call counts as a call and an error.
        fake.default = ("status", 500, {})
        await c.post("/scan", json={"prompt": "one more"}, headers=keys["beta"][1])
        (row,) = (await c.get("/api/stats", headers=keys["beta"][1])).json()["tenant_llm_usage"]
        assert row["calls"] == 2 and row["errors"] == 1 and row["input_tokens"] == 120
        # Every call of the worker went through one pooled client (one origin).
        assert len(runtime.pool) == 1
    # The app's shutdown closed the judge's pooled connections.
    assert len(runtime.pool) == 0


# --- pooled connections ---------------------------------------------------------------------

async def test_pooled_calls_reuse_a_connection_and_new_ones_are_checked_again(judges, tmp_path):
    """Kept-alive: two calls, one resolution, one connection. After the connection expired,
    the next connection resolves again — and a rebound answer (metadata) is refused."""
    cert, key = self_signed(tmp_path, "judge.example")
    fake = judges("openai", tls=(cert, key))
    fake.default = ("prose", "hello")
    ctx = ssl.create_default_context(cafile=str(cert))
    resolver = FakeResolver({"judge.example": [["127.0.0.1"], ["169.254.169.254"]]})
    pool = ClientPool(max_clients=4, max_connections=4, keepalive_expiry=0.3)
    client = ProviderClient(Endpoint("openai", fake.base_for("judge.example"), "m"),
                            purpose="judge", policy=EgressPolicy.from_entries(["127.0.0.1"]),
                            resolver=resolver, verify=ctx, retries=0, timeout_s=3, pool=pool)
    for _ in range(2):
        assert (await client.complete(ChatRequest("s", "u"))).text == "hello"
    assert resolver.asked == ["judge.example"]
    assert client.last_transport.backend.connected == ["127.0.0.1"]
    assert len(fake.requests) == 2 and len(pool) == 1
    await asyncio.sleep(0.5)  # the kept-alive connection expires
    with pytest.raises(Exception, match=r"unsafe endpoint \(metadata\)"):
        await client.complete(ChatRequest("s", "u"))
    assert resolver.asked == ["judge.example", "judge.example"]
    assert client.last_transport.backend.connected == ["127.0.0.1"]  # never the metadata
    assert len(fake.requests) == 2
    await pool.aclose()
    assert len(pool) == 0


async def test_the_pool_is_bounded_and_closes_what_it_drops() -> None:
    pool = ClientPool(max_clients=2)
    made: list[httpx.AsyncClient] = []

    def factory() -> httpx.AsyncClient:
        made.append(httpx.AsyncClient())
        return made[-1]

    async with pool.lease("a", factory) as first:
        async with pool.lease("b", factory), pool.lease("c", factory):
            assert len(pool) == 2
            assert not first.is_closed  # evicted while in use: closed when the call ends
        assert not made[1].is_closed and not made[2].is_closed
    assert first.is_closed
    async with pool.lease("b", factory) as again:
        assert again is made[1]  # reused, not rebuilt
    await pool.aclose()
    assert all(c.is_closed for c in made) and len(pool) == 0


class SlowWrites(MemoryHotStore):
    """A hot store whose writes hang (a Redis that accepts the connection but stalls)."""

    async def put_cached(self, *args, **kwargs) -> None:
        await asyncio.sleep(30)

    async def add_usage(self, *args, **kwargs) -> None:
        await asyncio.sleep(30)


async def test_a_stalled_hot_store_write_never_costs_the_judgement(judges, tmp_path):
    fake = judges("openai", default=("verdict", "malicious", 0.9))
    settings = _judge(fake, tmp_path, judge_deadline_seconds=0.8)
    worker = _worker(settings, SlowWrites())
    started = asyncio.get_running_loop().time()
    response = await _scan(worker, settings, GRAY)
    assert response.verdict == "escalated_malicious"
    assert asyncio.get_running_loop().time() - started < 5


async def test_a_pooled_client_keeps_no_cookies_between_callers(judges) -> None:
    """Two tenants' keys on one origin share a pooled client: a cookie one endpoint set for
    one caller is never sent with another's call."""
    fake = judges("openai")
    fake.script = [("status", 400, {"set-cookie": "session=tenant-a; Path=/"})]
    fake.default = ("prose", "hello")
    pool = ClientPool()
    policy, resolver = EgressPolicy.from_entries(["127.0.0.1"]), FakeResolver({})
    a, b = (ProviderClient(Endpoint("openai", fake.url, "m", key), purpose="judge",
                           policy=policy, resolver=resolver, retries=0, timeout_s=3,
                           pool=pool) for key in ("sk-tenant-a", "sk-tenant-b"))
    with pytest.raises(Exception, match="HTTP 400"):
        await a.complete(ChatRequest("s", "u"))
    assert (await b.complete(ChatRequest("s", "u"))).text == "hello"
    assert len(pool) == 1  # one shared client ...
    assert "cookie" not in fake.requests[1]["headers"]  # ... that kept nothing
    assert fake.requests[1]["headers"]["authorization"] == "Bearer sk-tenant-b"
    await pool.aclose()
