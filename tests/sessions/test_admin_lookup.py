"""The admin token reads any tenant's session graph with the official SDK (issue 17, point 10).

``client.get_session(id, admin_token=...)`` sends no ``X-Tenant-ID``: the server finds the
session in whichever tenant holds the id, and answers 409 naming the tenants when several do.
Run on the embedded store (memory + SQLite) and on Redis + PostgreSQL (sessions in Redis, the
tenants' keys in PostgreSQL), each behind a real uvicorn.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from promptsentry_sdk import PromptSentryClient, Session

from .support import ADMIN, LiveServer, agent_pipeline

ADMIN_H = {"Authorization": f"Bearer {ADMIN}"}


@pytest.fixture
def server(state_settings) -> Iterator[LiveServer]:
    from promptsentry.api.app import create_app

    settings = type(state_settings)(**{**dict(state_settings), "admin_token": ADMIN})
    live = LiveServer(create_app(settings, pipeline=agent_pipeline())).start()
    try:
        yield live
    finally:
        live.stop()


async def _tenant_key(http: httpx.AsyncClient, name: str, scopes: list[str]
                      ) -> tuple[str, str]:
    """A new tenant's id and a key for it."""
    resp = await http.post("/admin/tenants", json={"name": name}, headers=ADMIN_H)
    assert resp.status_code == 201, resp.text
    tenant_id = resp.json()["id"]
    resp = await http.post("/admin/keys", json={"tenant_id": tenant_id, "name": "agent",
                                                "scopes": scopes}, headers=ADMIN_H)
    assert resp.status_code == 201, resp.text
    return tenant_id, resp.json()["key"]


async def _session(url: str, key: str, session_id: str, prompts: list[str]) -> list[str]:
    async with PromptSentryClient(url, api_key=key) as client:
        async with Session(client, session_id=session_id) as session:
            for prompt in prompts:
                await session.scan_prompt(prompt)
            return session.node_chain


async def test_admin_token_reads_a_tenant_keys_session(server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=server.url) as http:
        acme_id, acme = await _tenant_key(http, "acme", ["scan"])
        globex_id, globex = await _tenant_key(http, "globex", ["scan", "admin"])
    acme_nodes = await _session(server.url, acme, "sess-acme-1", ["Hello", "Summarise this"])
    shared_acme = await _session(server.url, acme, "sess-shared", ["one"])
    shared_globex = await _session(server.url, globex, "sess-shared", ["two", "three"])

    async with PromptSentryClient(server.url) as sdk:
        graph = await sdk.get_session("sess-acme-1", admin_token=ADMIN)
        assert graph.node_count == 2
        assert [n["id"] for n in graph.nodes] == acme_nodes
        assert graph.tenant_id == acme_id

        with pytest.raises(httpx.HTTPStatusError) as info:
            await sdk.get_session("sess-shared", admin_token=ADMIN)
        resp = info.value.response
        assert resp.status_code == 409
        body = resp.json()
        assert set(body) == {"error", "request_id", "timestamp"}
        assert body["error"]["code"] == "CONFLICT"
        assert body["error"]["details"] == {"session_id": "sess-shared",
                                            "tenant_ids": sorted([acme_id, globex_id])}

        with pytest.raises(httpx.HTTPStatusError) as info:
            await sdk.get_session("sess-nobody", admin_token=ADMIN)
        assert info.value.response.status_code == 404
        assert info.value.response.json()["error"]["code"] == "SESSION_NOT_FOUND"

    # X-Tenant-ID picks one of the tenants holding a shared id (the SDK sends the client's).
    async with PromptSentryClient(server.url, tenant_id=globex_id) as sdk:
        graph = await sdk.get_session("sess-shared", admin_token=ADMIN)
        assert [n["id"] for n in graph.nodes] == shared_globex
    async with httpx.AsyncClient(base_url=server.url) as http:
        resp = await http.get("/session/sess-shared", headers={**ADMIN_H, "X-Tenant-ID": acme_id})
        assert resp.status_code == 200 and resp.json()["tenant_id"] == acme_id
        assert [n["id"] for n in resp.json()["nodes"]] == shared_acme
        # A tenant's own admin key never looks into another tenant.
        resp = await http.get("/session/sess-acme-1", headers={"Authorization": f"Bearer {globex}"})
        assert resp.status_code == 404 and resp.json()["error"]["code"] == "SESSION_NOT_FOUND"
        resp = await http.get("/session/sess-shared", headers={"Authorization": f"Bearer {globex}"})
        assert resp.status_code == 200 and resp.json()["tenant_id"] == globex_id

    # Erased in one tenant, the id is no longer ambiguous.
    async with PromptSentryClient(server.url, api_key=acme) as sdk:
        await sdk.delete_session("sess-shared")
    async with PromptSentryClient(server.url) as sdk:
        graph = await sdk.get_session("sess-shared", admin_token=ADMIN)
        assert [n["id"] for n in graph.nodes] == shared_globex
