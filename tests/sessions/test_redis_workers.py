"""Two workers sharing Redis scan one session concurrently; the graph stays consistent."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import redis.asyncio as aioredis

from promptsentry.sessions.store import RedisSessionStore

from .support import ADMIN, LiveServer

REDIS_URL = "redis://127.0.0.1:6379/15"


async def test_two_workers_one_session(make_app) -> None:
    tenant = f"sess-{uuid.uuid4().hex[:10]}"
    headers = {"Authorization": f"Bearer {ADMIN}", "X-Tenant-ID": tenant}
    workers = [LiveServer(make_app(redis_url=REDIS_URL)).start() for _ in range(2)]
    try:
        async with httpx.AsyncClient(timeout=30) as http:
            first = await http.post(f"{workers[0].url}/session/shared/scan", headers=headers,
                                    json={"prompt": "start"})
            root = first.json()["node_id"]

            async def one(i: int) -> dict:
                body = {"prompt": f"step {i}", "node_type": "tool_call", "tool_name": "calc",
                        "source_node_ids": [root]}
                if i % 5 == 0:
                    body = {"prompt": "4", "node_type": "tool_return", "tool_name": "calc",
                            "source_node_ids": [root]}
                resp = await http.post(f"{workers[i % 2].url}/session/shared/scan",
                                       headers=headers, json=body)
                assert resp.status_code == 200, resp.text
                return resp.json()

            results = await asyncio.gather(*(one(i) for i in range(30)))
            graph = (await http.get(f"{workers[1].url}/session/shared", headers=headers)).json()
        # Each worker has its own store object; only Redis is shared.
        stores = [w.app.state.services.session_store for w in workers]
        assert all(isinstance(s, RedisSessionStore) for s in stores)
        assert stores[0] is not stores[1]
    finally:
        for w in workers:
            w.stop()
        client = aioredis.Redis.from_url(REDIS_URL)
        keys = [k async for k in client.scan_iter(match=f"ps:{{*{tenant}*")]
        if keys:
            await client.delete(*keys)
        await client.aclose()

    ids = [root] + [r["node_id"] for r in results]
    assert graph["node_count"] == 31 and len(graph["nodes"]) == 31
    assert sorted(n["id"] for n in graph["nodes"]) == sorted(ids)
    assert len(set(ids)) == 31
    # Sequence numbers are dense: no two workers assigned the same slot.
    seqs = sorted(int(n["id"].split("-")[0][1:]) for n in graph["nodes"])
    assert seqs == list(range(1, 32))
    by_id = {n["id"]: n for n in graph["nodes"]}
    for r in results:
        node = by_id[r["node_id"]]
        assert node["parents"] == [root] and node["label"] == r["provenance_label"]
    assert {n["label"] for n in graph["nodes"]} == {"USER", "TOOL_RETURN"}
