"""Blocks, rate limits and strikes on /scan, on both state backends."""

from __future__ import annotations

import httpx

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}


def client_for(app, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def test_ip_rate_limit_allows_exactly_the_limit(app_factory):
    app = app_factory(admin_token=ADMIN, ip_rate_limit_per_minute=3)
    async with app.router.lifespan_context(app), client_for(app) as c:
        statuses, remaining = [], []
        for _ in range(5):
            r = await c.post("/scan", json={"prompt": "hi"}, headers=H)
            statuses.append(r.status_code)
            remaining.append(r.headers.get("x-ratelimit-remaining"))
        assert statuses == [200, 200, 200, 429, 429]
        assert remaining[:3] == ["2", "1", "0"]
        assert r.json()["error"]["code"] == "RATE_LIMITED"
        assert r.json()["error"]["details"]["scope"] == "ip"
        assert 1 <= int(r.headers["retry-after"]) <= 60
        assert r.headers["x-ratelimit-limit"] == "3"
        assert r.headers["x-ratelimit-remaining"] == "0"
        assert 1 <= int(r.headers["x-ratelimit-reset"]) <= 60
        # Another source IP (forwarded by the app) has its own window.
        r = await c.post("/scan", json={"prompt": "hi", "source_ip": "203.0.113.50"}, headers=H)
        assert r.status_code == 200


async def test_tenant_rate_limit_from_tenant_settings(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        tenant = (await c.post("/admin/tenants", json={"name": "t"}, headers=H)).json()
        key = (await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k"},
                            headers=H)).json()["key"]
        r = await c.patch(f"/admin/tenants/{tenant['id']}",
                          json={"settings": {"rate_limit_per_minute": 2}}, headers=H)
        assert r.status_code == 200
        hk = {"Authorization": f"Bearer {key}"}
        codes = []
        for i in range(4):  # distinct source IPs: only the tenant window applies
            r = await c.post("/scan", json={"prompt": "hi", "source_ip": f"203.0.113.{i + 1}"},
                             headers=hk)
            codes.append(r.status_code)
        assert codes == [200, 200, 429, 429]
        assert r.json()["error"]["details"]["scope"] == "tenant"
        # The default tenant is not affected.
        assert (await c.post("/scan", json={"prompt": "hi"}, headers=H)).status_code == 200


async def test_strikes_block_the_source_ip_at_the_threshold(app_factory):
    app = app_factory(admin_token=ADMIN, strike_threshold=3)
    async with app.router.lifespan_context(app), client_for(app) as c:
        body = {"prompt": "ATTACK", "source_ip": "203.0.113.66"}
        for _ in range(3):
            r = await c.post("/scan", json=body, headers=H)
            assert r.status_code == 200 and r.json()["verdict"] == "malicious"
        r = await c.get("/admin/strikes/203.0.113.66", headers=H)
        assert r.json()["strikes"] == 3 and r.json()["blocked"] is True
        # Blocked before any scanning: even a clean prompt from that address is refused.
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": "203.0.113.66"},
                         headers=H)
        assert r.status_code == 403
        assert r.json()["error"]["code"] == "IP_BLOCKED"
        assert r.json()["error"]["details"]["type"] == "automatic"
        assert int(r.headers["retry-after"]) > 3600
        # The peer itself (the calling app) is not blocked.
        assert (await c.post("/scan", json={"prompt": "hello"}, headers=H)).status_code == 200
        blocks = (await c.get("/admin/blocks", headers=H)).json()["blocks"]
        assert [(b["ip"], b["type"]) for b in blocks] == [("203.0.113.66", "automatic")]
        # Lifting it clears the strikes too.
        r = await c.delete("/admin/blocks/203.0.113.66", headers=H)
        assert r.status_code == 200 and r.json()["removed_automatic"] is True
        assert (await c.get("/admin/strikes/203.0.113.66", headers=H)).json()["strikes"] == 0
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": "203.0.113.66"},
                         headers=H)
        assert r.status_code == 200


async def test_monitor_mode_and_clean_verdicts_do_not_strike(app_factory):
    app = app_factory(admin_token=ADMIN, strike_threshold=1, monitor_mode=True)
    async with app.router.lifespan_context(app), client_for(app) as c:
        for _ in range(3):
            r = await c.post("/scan", json={"prompt": "ATTACK", "source_ip": "203.0.113.9"},
                             headers=H)
            assert r.json()["action_taken"] == "allowed_monitor"
        assert (await c.get("/admin/strikes/203.0.113.9", headers=H)).json()["strikes"] == 0


async def test_manual_blocks_and_allowlist(app_factory):
    app = app_factory(admin_token=ADMIN, strike_threshold=1)
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.post("/admin/blocks", json={"ip": "192.0.2.0/24", "reason": "abuse"},
                         headers=H)
        assert r.status_code == 201 and r.json()["ip"] == "192.0.2.0/24"
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": "192.0.2.77"}, headers=H)
        assert r.status_code == 403 and r.json()["error"]["details"]["type"] == "manual"
        assert (await c.post("/scan", json={"prompt": "hi", "source_ip": "192.0.3.1"},
                             headers=H)).status_code == 200
        r = await c.get("/admin/strikes/192.0.2.77", headers=H)
        assert r.json()["block_type"] == "manual"
        assert (await c.delete("/admin/blocks/192.0.2.0/24", headers=H)).status_code == 200
        assert (await c.post("/scan", json={"prompt": "hello", "source_ip": "192.0.2.77"},
                             headers=H)).status_code == 200

        # An allow-listed address is never struck or blocked.
        r = await c.post("/admin/allowlist", json={"ip": "198.18.0.1"}, headers=H)
        assert r.status_code == 201
        for _ in range(3):
            r = await c.post("/scan", json={"prompt": "ATTACK", "source_ip": "198.18.0.1"},
                             headers=H)
            assert r.status_code == 200
        assert (await c.get("/admin/strikes/198.18.0.1", headers=H)).json()["strikes"] == 0
        assert [e["ip"] for e in (await c.get("/admin/allowlist", headers=H)).json()
                ["allowlist"]] == ["198.18.0.1"]


async def test_tenant_allowlist_identity_bypasses(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.patch("/admin/tenants/default",
                          json={"settings": {"allowlist_identities": ["qa-bot"]}}, headers=H)
        assert r.status_code == 200
        r = await c.post("/scan", json={"prompt": "ATTACK", "user_identity": "qa-bot"}, headers=H)
        assert r.json()["action_taken"] == "allowed_bypass"
        r = await c.post("/scan", json={"prompt": "ATTACK", "user_identity": "other"}, headers=H)
        assert r.json()["action_taken"] == "blocked"


async def test_store_prompt_follows_the_tenant_setting(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        sid = (await c.post("/scan", json={"prompt": "secret\x07 text"}, headers=H)).json()["scan_id"]
        assert (await c.get(f"/scans/{sid}", headers=H)).json()["prompt"] is None
        await c.patch("/admin/tenants/default",
                      json={"settings": {"store_prompt_in_scan_record": True}}, headers=H)
        sid = (await c.post("/scan", json={"prompt": "secret\x07 text"}, headers=H)).json()["scan_id"]
        assert (await c.get(f"/scans/{sid}", headers=H)).json()["prompt"] == "secret text"


async def test_loopback_peer_is_exempt_unless_configured(app_factory):
    app = app_factory(admin_token=ADMIN, strike_threshold=2)
    async with app.router.lifespan_context(app), client_for(app, ip="127.0.0.1") as c:
        for _ in range(4):
            assert (await c.post("/scan", json={"prompt": "ATTACK"}, headers=H)).status_code == 200
        assert (await c.get("/admin/strikes/127.0.0.1", headers=H)).json()["strikes"] == 0
    app = app_factory(admin_token=ADMIN, strike_threshold=2, exempt_loopback_ips=False)
    async with app.router.lifespan_context(app), client_for(app, ip="127.0.0.1") as c:
        codes = [(await c.post("/scan", json={"prompt": "ATTACK"}, headers=H)).status_code
                 for _ in range(3)]
        assert codes == [200, 200, 403]
