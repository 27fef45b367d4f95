"""The hot-store contract, run against the in-process store and the real Redis."""

from __future__ import annotations

import asyncio
import time

import pytest

from fixtures_state import REDIS_TEST_TIMEOUT_SECONDS, REDIS_URL
from promptsentry.stores.memory import MemoryHotStore
from promptsentry.stores.records import ScanRecord
from promptsentry.stores.redis import RedisHotStore, ip_key, tenant_ip_key, tenant_key


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(params=["memory", "redis"])
async def store(request):
    if request.param == "memory":
        yield MemoryHotStore()
        return
    prefix = request.getfixturevalue("redis_prefix")
    s = RedisHotStore(REDIS_URL, prefix=prefix, timeout_seconds=REDIS_TEST_TIMEOUT_SECONDS)
    yield s
    await s.close()


def record(tenant: str, scan_id: str) -> ScanRecord:
    return ScanRecord(scan_id=scan_id, request_id="r", timestamp="t", tenant_id=tenant,
                      verdict="clean", action_taken="allowed", confidence=90, risk_score=0.1,
                      scan_type="prompt", audit_hash="h", expires_at="e")


async def test_rate_limit_is_exact_under_concurrency(store):
    results = await asyncio.gather(*[store.hit_rate_limit("ip", "203.0.113.1", 10, 60)
                                     for _ in range(25)])
    allowed = [r for r in results if r.allowed]
    assert len(allowed) == 10
    assert sorted(r.remaining for r in allowed) == list(range(10))
    denied = [r for r in results if not r.allowed]
    assert all(r.remaining == 0 and 0 < r.reset_seconds <= 60 for r in denied)
    # Other subjects and scopes are independent.
    assert (await store.hit_rate_limit("tenant", "203.0.113.1", 10, 60)).allowed
    assert (await store.hit_rate_limit("ip", "203.0.113.2", 10, 60)).allowed


async def test_window_slides(store):
    for _ in range(2):
        assert (await store.hit_rate_limit("ip", "198.51.100.1", 2, 0.3)).allowed
    assert not (await store.hit_rate_limit("ip", "198.51.100.1", 2, 0.3)).allowed
    await asyncio.sleep(0.35)
    assert (await store.hit_rate_limit("ip", "198.51.100.1", 2, 0.3)).allowed


def test_memory_window_with_a_fake_clock():
    clock = FakeClock()
    s = MemoryHotStore(clock=clock)

    async def run():
        hits = [await s.hit_rate_limit("tenant", "t", 3, 60) for _ in range(3)]
        assert all(h.allowed for h in hits)
        clock.now += 30
        denied = await s.hit_rate_limit("tenant", "t", 3, 60)
        assert not denied.allowed and denied.reset_seconds == pytest.approx(30)
        clock.now += 30.001
        assert (await s.hit_rate_limit("tenant", "t", 3, 60)).allowed

    asyncio.run(run())


async def test_strike_then_block_is_atomic(store):
    results = await asyncio.gather(*[
        store.add_strike("t1", "203.0.113.7", threshold=5, window_seconds=3600,
                         block_seconds=60, reason="test") for _ in range(8)])
    assert sum(r.newly_blocked for r in results) == 1
    assert sorted(r.strikes for r in results) == list(range(1, 9))
    assert all(r.blocked for r in results if r.strikes >= 5)
    assert not any(r.blocked for r in results if r.strikes < 5)
    remaining = await store.auto_block_remaining("t1", "203.0.113.7")
    assert remaining is not None and 55 < remaining <= 60
    assert await store.get_strikes("t1", "203.0.113.7", 3600) == 8
    blocks = await store.list_auto_blocks()
    assert [(b.ip, b.reason, b.tenant_id) for b in blocks] == [("203.0.113.7", "test", "t1")]
    assert await store.clear_ip("203.0.113.7") is True
    assert await store.auto_block_remaining("t1", "203.0.113.7") is None
    assert await store.get_strikes("t1", "203.0.113.7", 3600) == 0
    assert await store.list_auto_blocks() == []
    assert await store.clear_ip("203.0.113.7") is False


async def test_strikes_and_blocks_are_per_tenant(store):
    """Issue 17 point 1: one tenant's strikes never block an address for another tenant."""
    ip = "203.0.113.70"
    for _ in range(3):
        r = await store.add_strike("attacker", ip, threshold=3, window_seconds=3600,
                                   block_seconds=60, reason="3 malicious scans")
    assert r.newly_blocked
    assert await store.auto_block_remaining("attacker", ip) is not None
    assert await store.auto_block_remaining("victim", ip) is None
    assert await store.get_strikes("victim", ip, 3600) == 0
    r = await store.add_strike("victim", ip, threshold=3, window_seconds=3600,
                               block_seconds=60, reason="x")
    assert r.strikes == 1 and not r.blocked
    assert [b.tenant_id for b in await store.list_auto_blocks()] == ["attacker"]
    assert await store.list_auto_blocks("victim") == []
    # Lifting in one tenant leaves the other's strikes; lifting everywhere clears both.
    assert await store.clear_ip(ip, "victim") is False
    assert await store.auto_block_remaining("attacker", ip) is not None
    await store.add_strike("victim", ip, threshold=0, window_seconds=3600, block_seconds=60,
                           reason="x")
    assert await store.clear_ip(ip) is True
    assert await store.get_strikes("victim", ip, 3600) == 0
    assert await store.auto_block_remaining("attacker", ip) is None
    # Per-IP windows are per tenant too.
    from promptsentry.stores.base import tenant_ip

    assert (await store.hit_rate_limit("ip", tenant_ip("attacker", ip), 1, 60)).allowed
    assert not (await store.hit_rate_limit("ip", tenant_ip("attacker", ip), 1, 60)).allowed
    assert (await store.hit_rate_limit("ip", tenant_ip("victim", ip), 1, 60)).allowed


async def test_revoked_keys_are_shared_and_expire(store):
    assert await store.is_key_revoked("0123456789abcdef") is False
    await store.revoke_key("0123456789abcdef", 0.3)
    assert await store.is_key_revoked("0123456789abcdef") is True
    assert await store.is_key_revoked("fedcba9876543210") is False
    await asyncio.sleep(0.35)
    assert await store.is_key_revoked("0123456789abcdef") is False


async def test_threshold_zero_never_blocks(store):
    for _ in range(3):
        r = await store.add_strike("t1", "2001:db8::1", threshold=0, window_seconds=60,
                                   block_seconds=60, reason="x")
    assert r.strikes == 3 and not r.blocked
    assert await store.auto_block_remaining("t1", "2001:db8::1") is None


async def test_block_expires(store):
    await store.add_strike("t1", "203.0.113.8", threshold=1, window_seconds=60,
                           block_seconds=0.2, reason="x")
    assert await store.auto_block_remaining("t1", "203.0.113.8") is not None
    await asyncio.sleep(0.3)
    assert await store.auto_block_remaining("t1", "203.0.113.8") is None


async def test_scan_records_are_per_tenant_newest_first_and_expire(store):
    for i in range(3):
        await store.put_scan_record(record("a", f"scan_{i}"), 60)
        await asyncio.sleep(0.002)
    await store.put_scan_record(record("b", "scan_b"), 60)
    await store.put_scan_record(record("a", "scan_short"), 0.2)
    records, total = await store.list_scan_records("a", limit=2, offset=0)
    assert total == 4 and len(records) == 2
    assert await store.get_scan_record("b", "scan_0") is None
    assert (await store.get_scan_record("a", "scan_1")).scan_id == "scan_1"
    await asyncio.sleep(0.3)
    assert await store.get_scan_record("a", "scan_short") is None
    records, total = await store.list_scan_records("a", limit=10, offset=0)
    assert total == 3
    assert [r.scan_id for r in records] == ["scan_2", "scan_1", "scan_0"]


async def test_stats_counters(store):
    hour = int(time.time() // 3600)
    for verdict, action in [("clean", "allowed"), ("clean", "allowed"),
                            ("malicious", "blocked")]:
        await store.count_verdict("t1", hour, verdict, action, 3600)
    await store.count_verdict("t2", hour - 1, "clean", "allowed", 3600)
    assert await store.get_stats("t1", [hour - 1, hour]) == {
        hour: {"clean|allowed": 2, "malicious|blocked": 1}}
    assert await store.get_stats("t2", [hour - 1, hour]) == {hour - 1: {"clean|allowed": 1}}


def test_redis_keys_share_a_hash_tag_per_subject():
    assert tenant_key("ten_1", "rl") == "ps:{t:ten_1}:rl"
    assert ip_key("2001:db8::1", "tenants") == "ps:{ip:2001:db8::1}:tenants"
    assert tenant_ip_key("ten_1", "2001:db8::1", "block") == "ps:{ti:ten_1|2001:db8::1}:block"
    odd = tenant_key("a}b{c", "rl")
    assert "}b{" not in odd and odd.startswith("ps:{t:h")


async def test_redis_store_raises_no_warning_from_our_code(redis_prefix):
    """Creating, using and closing the Redis store warns nothing (a sync ``Retry`` handed to
    the asyncio client made redis-py warn once per client; ``close()`` is ``aclose()``)."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = RedisHotStore(REDIS_URL, prefix=redis_prefix,
                          timeout_seconds=REDIS_TEST_TIMEOUT_SECONDS)
        assert await s.ping()
        await s.put_scan_record(record("t1", "scan_w"), 60)
        await s.close()


# --- the judge's shared state: cache, quotas, usage ------------------------------------------

async def test_cache_is_per_tenant_and_expires(store):
    assert await store.get_cached("t1", "k" * 64) is None
    await store.put_cached("t1", "k" * 64, '{"v": 1}', 0.3)
    assert await store.get_cached("t1", "k" * 64) == '{"v": 1}'
    assert await store.get_cached("t2", "k" * 64) is None  # another tenant never sees it
    await asyncio.sleep(0.35)
    assert await store.get_cached("t1", "k" * 64) is None


async def test_quota_is_exact_under_concurrency_and_per_period(store):
    taken = await asyncio.gather(*[store.take_quota("t1", "judge", 7, 10, 60)
                                   for _ in range(25)])
    assert taken.count(True) == 10
    assert not await store.take_quota("t1", "judge", 7, 10, 60)
    # Another period, tenant or quota name starts afresh.
    assert await store.take_quota("t1", "judge", 8, 10, 60)
    assert await store.take_quota("t2", "judge", 7, 10, 60)
    assert await store.take_quota("t1", "other", 7, 10, 60)


async def test_redis_quota_key_expires(redis_prefix):
    s = RedisHotStore(REDIS_URL, prefix=redis_prefix, timeout_seconds=REDIS_TEST_TIMEOUT_SECONDS)
    try:
        assert await s.take_quota("t1", "judge", 5, 1, 120)
        ttl = await s.client.ttl(tenant_key("t1", "quota:judge:5", redis_prefix))
        assert 0 < ttl <= 120
    finally:
        await s.close()


async def test_usage_adds_up_per_tenant_and_hour(store):
    await store.add_usage("t1", 10, {"judge|openai|m|calls": 1, "judge|openai|m|cost_usd": 0.25},
                          3600)
    await asyncio.gather(*[store.add_usage("t1", 10, {"judge|openai|m|calls": 1,
                                                      "judge|openai|m|cost_usd": 0.5}, 3600)
                           for _ in range(4)])
    await store.add_usage("t2", 10, {"judge|openai|m|calls": 9}, 3600)
    got = await store.get_usage("t1", [9, 10])
    assert set(got) == {10}
    assert got[10]["judge|openai|m|calls"] == 5
    assert got[10]["judge|openai|m|cost_usd"] == pytest.approx(2.25)
    assert (await store.get_usage("t2", [10]))[10] == {"judge|openai|m|calls": 9}


def test_memory_cache_is_bounded(monkeypatch):
    from promptsentry.stores import memory

    monkeypatch.setattr(memory, "CACHE_MAX_ENTRIES", 3)
    s = MemoryHotStore()

    async def run():
        for i in range(5):
            await s.put_cached("t", f"k{i}", str(i), 60)
        assert [await s.get_cached("t", f"k{i}") for i in range(5)] == [None, None, "2", "3", "4"]

    asyncio.run(run())
