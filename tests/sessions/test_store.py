"""Session stores: sliding TTL, hard cap, erasure and atomic appends, in process and Redis."""

from __future__ import annotations

import asyncio
import uuid

import pytest
import redis.asyncio as aioredis

from promptsentry.sessions.graph import Node, SessionGraph, append, label_node, new_node_id
from promptsentry.sessions.store import (
    MemorySessionStore,
    RedisSessionStore,
    session_key,
    tenant_index_key,
)

REDIS_URL = "redis://127.0.0.1:6379/15"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


def adder(clock: Clock):
    """A mutation appending one prompt node whose parent is the newest node."""
    def add(current: SessionGraph | None):
        graph = current or SessionGraph.new("t", "s", clock.now)
        parents = [graph.nodes[-1].id] if graph.nodes else []
        d = label_node(graph, node_type="prompt", parents=parents, malicious=False)
        seq = graph.seq + 1
        node = Node(id=new_node_id(seq), seq=seq, type="prompt", label=d.label, trust=d.trust,
                    parents=tuple(parents), verdict="clean", action="allowed", time=0.0)
        return append(graph, node, now=0.0, max_nodes=10_000), node
    return add


@pytest.fixture
async def redis_client():
    client = aioredis.Redis.from_url(REDIS_URL, decode_responses=True)
    tenant = f"test-{uuid.uuid4().hex[:8]}"
    yield client, tenant
    keys = [k async for k in client.scan_iter(match=f"ps:{{s:{tenant}:*")]
    if keys:
        await client.delete(*keys)
    await client.aclose()


@pytest.fixture(params=["memory", "redis"])
async def store_and_clock(request, redis_client):
    clock = Clock()
    client, tenant = redis_client
    if request.param == "memory":
        store = MemorySessionStore(ttl_seconds=3600, max_age_seconds=86400, clock=clock)
        return store, clock, tenant
    return RedisSessionStore(client, ttl_seconds=3600, max_age_seconds=86400,
                             clock=clock), clock, tenant


async def test_update_get_delete(store_and_clock) -> None:
    store, clock, tenant = store_and_clock
    assert await store.get(tenant, "s1") is None
    node = await store.update(tenant, "s1", adder(clock))
    graph = await store.get(tenant, "s1")
    assert graph is not None and graph.nodes[0].id == node.id
    assert await store.get("another-tenant", "s1") is None
    assert await store.delete(tenant, "s1") is True
    assert await store.get(tenant, "s1") is None
    assert await store.delete(tenant, "s1") is False


async def test_concurrent_appends_lose_nothing(store_and_clock) -> None:
    store, clock, tenant = store_and_clock
    nodes = await asyncio.gather(*(store.update(tenant, "busy", adder(clock))
                                   for _ in range(40)))
    graph = await store.get(tenant, "busy")
    assert graph.node_count == 40 and len(graph.nodes) == 40
    assert sorted(n.seq for n in graph.nodes) == list(range(1, 41))
    assert {n.id for n in graph.nodes} == {n.id for n in nodes}
    # Each node's parent is the node before it: appends were serialised, none interleaved.
    for prev, node in zip(graph.nodes, graph.nodes[1:]):
        assert node.parents == (prev.id,)


async def test_memory_sliding_ttl_and_hard_cap() -> None:
    clock = Clock()
    store = MemorySessionStore(ttl_seconds=3600, max_age_seconds=86400, clock=clock)

    def add(current):
        graph = current or SessionGraph.new("t", "s", clock.now)
        return graph, None

    await store.update("t", "s", add)
    clock.now += 3000
    await store.update("t", "s", add)        # activity slides the TTL
    clock.now += 3000
    assert await store.get("t", "s") is not None
    clock.now += 3601
    assert await store.get("t", "s") is None  # idle for more than an hour

    start = clock.now
    await store.update("t", "h", add)
    alive_until = start
    while clock.now - start < 2 * 86400:       # active every 50 minutes
        clock.now += 3000
        if await store.get("t", "h") is None:
            break
        alive_until = clock.now
        await store.update("t", "h", add)
    # Gone at the first check past 24 h, never before.
    assert 86400 - 3000 <= alive_until - start < 86400 <= clock.now - start


async def test_redis_ttl_is_set_and_capped(redis_client) -> None:
    client, tenant = redis_client
    clock = Clock()
    store = RedisSessionStore(client, ttl_seconds=3600, max_age_seconds=86400, clock=clock)

    def add(current):
        return current or SessionGraph.new(tenant, "s", clock.now), None

    await store.update(tenant, "s", add)
    ttl = await client.pttl(session_key(tenant, "s"))
    assert 3_590_000 < ttl <= 3_600_000
    clock.now += 86400 - 600                 # ten minutes before the hard cap
    await store.update(tenant, "s", add)
    ttl = await client.pttl(session_key(tenant, "s"))
    assert 590_000 < ttl <= 600_000


def test_session_key_hash_tag() -> None:
    assert session_key("acme", "abc-1") == "ps:{s:acme:abc-1}:graph"
    odd = session_key("acme", "we{ird}")
    assert odd.count("{") == 1 and odd.count("}") == 1


async def test_redis_down_is_store_unavailable() -> None:
    from promptsentry.stores.base import StoreUnavailable

    client = aioredis.Redis.from_url("redis://127.0.0.1:1/15", socket_connect_timeout=0.2)
    store = RedisSessionStore(client)
    try:
        with pytest.raises(StoreUnavailable):
            await store.get("t", "s")
        with pytest.raises(StoreUnavailable):
            await store.update("t", "s", adder(Clock()))
        with pytest.raises(StoreUnavailable):
            await store.delete("t", "s")
    finally:
        await client.aclose()


async def test_tenants_of_finds_every_live_holder(store_and_clock) -> None:
    store, clock, tenant = store_and_clock
    sid, other = f"shared-{tenant}", f"{tenant}-b"
    try:
        assert await store.tenants_of(sid) == []
        await store.update(tenant, sid, adder(clock))
        assert await store.tenants_of(sid) == [tenant]
        await store.update(other, sid, adder(clock))
        assert await store.tenants_of(sid) == sorted([tenant, other])
        assert await store.tenants_of(f"{sid}-x") == []
        assert await store.delete(other, sid) is True
        assert await store.tenants_of(sid) == [tenant]
        if isinstance(store, RedisSessionStore):
            # A graph gone by expiry leaves its tenant in the index: readers skip and drop it.
            await store.client.delete(session_key(tenant, sid))
            assert await store.tenants_of(sid) == []
            assert await store.client.smembers(tenant_index_key(sid)) == set()
        else:
            clock.now += 3601  # past the sliding TTL
            assert await store.tenants_of(sid) == []
    finally:
        if isinstance(store, RedisSessionStore):
            await store.client.delete(tenant_index_key(sid), session_key(other, sid),
                                      session_key(tenant, sid))
