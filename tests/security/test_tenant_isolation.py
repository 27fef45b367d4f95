"""Issue 17: what one tenant can do to another's traffic, on both state backends.

Tests run inside :func:`app_running.running`, which re-raises a failed assertion after the
app's shutdown (the app's lifespan would swallow it)."""

from __future__ import annotations

import httpx

from app_running import running

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
VICTIM = "198.51.100.200"


async def tenant_with_key(c: httpx.AsyncClient, name: str, scopes=("scan",)) -> tuple[str, dict]:
    tenant = (await c.post("/admin/tenants", json={"name": name}, headers=H)).json()
    r = await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k",
                                         "scopes": list(scopes)}, headers=H)
    assert r.status_code == 201, r.text
    return tenant["id"], {"Authorization": f"Bearer {r.json()['key']}"}


async def test_strikes_block_an_address_only_in_the_tenant_that_struck_it(app_factory):
    """Point 1: five malicious scans of tenant A naming a victim's address used to block it
    for every tenant for 24 h."""
    app = app_factory(admin_token=ADMIN, strike_threshold=3)
    async with running(app) as c:
        ta, ha = await tenant_with_key(c, "attacker", scopes=("scan", "admin"))
        tb, hb = await tenant_with_key(c, "victim-app", scopes=("scan", "admin"))
        for _ in range(3):
            r = await c.post("/scan", json={"prompt": "ATTACK", "source_ip": VICTIM}, headers=ha)
            assert r.json()["action_taken"] == "blocked"
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": VICTIM}, headers=ha)
        assert r.status_code == 403 and r.json()["error"]["details"]["type"] == "automatic"
        # Tenant B (and the admin token's default tenant) still serve that address.
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": VICTIM}, headers=hb)
        assert r.status_code == 200, r.text
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": VICTIM}, headers=H)
        assert r.status_code == 200, r.text

        # The operator sees the block and whose it is; each tenant admin sees only its own.
        blocks = (await c.get("/admin/blocks", headers=H)).json()["blocks"]
        assert [(b["ip"], b["type"], b["tenant_id"]) for b in blocks] == [
            (VICTIM, "automatic", ta)]
        assert (await c.get("/admin/blocks", headers=hb)).json()["blocks"] == []
        assert [b["ip"] for b in (await c.get("/admin/blocks", headers=ha)).json()
                ["blocks"]] == [VICTIM]
        r = await c.get(f"/admin/strikes/{VICTIM}", params={"tenant_id": ta}, headers=H)
        assert r.json()["strikes"] == 3 and r.json()["blocked"] is True
        r = await c.get(f"/admin/strikes/{VICTIM}", headers=hb)
        assert r.json()["tenant_id"] == tb and r.json()["strikes"] == 0
        assert r.json()["blocked"] is False
        # A tenant admin cannot look into, or lift, another tenant's blocks...
        r = await c.get(f"/admin/strikes/{VICTIM}", params={"tenant_id": ta}, headers=hb)
        assert r.status_code == 404
        r = await c.delete(f"/admin/blocks/{VICTIM}", params={"tenant_id": ta}, headers=hb)
        assert r.status_code == 404
        # ...nor block an address install-wide, nor touch the global allow-list.
        for path in ("/admin/blocks", "/admin/allowlist"):
            r = await c.post(path, json={"ip": VICTIM}, headers=ha)
            assert r.status_code == 403 and r.json()["error"]["code"] == "FORBIDDEN"
        assert (await c.get("/admin/allowlist", headers=ha)).status_code == 403
        # It may lift its own tenant's automatic block.
        r = await c.delete(f"/admin/blocks/{VICTIM}", headers=ha)
        assert r.status_code == 200 and r.json()["removed_automatic"] is True
        assert r.json()["removed_manual"] is False and r.json()["tenant_id"] == ta
        r = await c.post("/scan", json={"prompt": "hello", "source_ip": VICTIM}, headers=ha)
        assert r.status_code == 200


async def test_per_ip_windows_are_per_tenant(app_factory):
    """One tenant filling an address's window does not limit that address elsewhere."""
    app = app_factory(admin_token=ADMIN, ip_rate_limit_per_minute=2)
    async with running(app) as c:
        _, ha = await tenant_with_key(c, "noisy")
        _, hb = await tenant_with_key(c, "quiet")
        codes = [(await c.post("/scan", json={"prompt": "hi", "source_ip": VICTIM},
                               headers=ha)).status_code for _ in range(3)]
        assert codes == [200, 200, 429]
        r = await c.post("/scan", json={"prompt": "hi", "source_ip": VICTIM}, headers=hb)
        assert r.status_code == 200, r.text


async def test_operator_lifts_an_address_in_every_tenant(app_factory):
    app = app_factory(admin_token=ADMIN, strike_threshold=1)
    async with running(app) as c:
        _, ha = await tenant_with_key(c, "a")
        _, hb = await tenant_with_key(c, "b")
        for h in (ha, hb):
            await c.post("/scan", json={"prompt": "ATTACK", "source_ip": VICTIM}, headers=h)
        assert len((await c.get("/admin/blocks", headers=H)).json()["blocks"]) == 2
        r = await c.delete(f"/admin/blocks/{VICTIM}", headers=H)
        assert r.status_code == 200 and r.json()["removed_automatic"] is True
        assert (await c.get("/admin/blocks", headers=H)).json()["blocks"] == []
        for h in (ha, hb):
            r = await c.post("/scan", json={"prompt": "hi", "source_ip": VICTIM}, headers=h)
            assert r.status_code == 200


async def test_loopback_and_allowlisted_callers_get_the_tenant_rate_limit(app_factory):
    """Point 2: ``"source_ip": "127.0.0.1"`` (or a sidecar on this host) escaped the tenant's
    limit (limit 5/min: 12 of 12 allowed). Loopback is exempt from the per-IP limit only."""
    app = app_factory(admin_token=ADMIN, ip_rate_limit_per_minute=1)
    async with running(app, ip="127.0.0.1") as c:
        r = await c.post("/admin/allowlist", json={"ip": "192.0.2.10"}, headers=H)
        assert r.status_code == 201
        for source in ("127.0.0.1", None, "192.0.2.10"):  # forwarded, the peer, allow-listed
            tid, hk = await tenant_with_key(c, f"t-{source}")
            r = await c.patch(f"/admin/tenants/{tid}", headers=H,
                              json={"settings": {"rate_limit_per_minute": 3}})
            assert r.status_code == 200
            body = {"prompt": "hi"} | ({"source_ip": source} if source else {})
            codes = [(await c.post("/scan", json=body, headers=hk)).status_code
                     for _ in range(5)]
            assert codes == [200, 200, 200, 429, 429], (source, codes)
            r = await c.post("/scan", json=body, headers=hk)
            assert r.json()["error"]["details"]["scope"] == "tenant"
            assert r.headers["x-ratelimit-limit"] == "3"


async def test_a_tenant_admin_cannot_change_its_plan_quota_limits_or_lists(app_factory):
    """Point 7 (and 1): a tenant-admin key could switch its own tenant to an unlimited plan,
    and set strike_threshold 1 so one scan blocked an address."""
    app = app_factory(admin_token=ADMIN, strike_threshold=5)
    async with running(app) as c:
        tid, ha = await tenant_with_key(c, "self-service", scopes=("scan", "admin", "optimize"))
        r = await c.patch(f"/admin/tenants/{tid}", headers=H, json={"settings": {
            "plan": "free", "optimize_quota_per_month": 3}})
        assert r.status_code == 200
        refused = {
            "plan": "enterprise", "optimize_quota_per_month": None,
            "rate_limit_per_minute": 0, "ip_rate_limit_per_minute": 100_000,
            "allowlist_ips": ["198.51.100.0/24"], "allowlist_identities": ["me"],
            "scan_retention_hours": 8760, "strike_threshold": 1,
        }
        for name, value in refused.items():
            r = await c.patch(f"/admin/tenants/{tid}", headers=ha,
                              json={"settings": {name: value, "monitor_mode": False}})
            assert r.status_code == 403, (name, r.text)
            body = r.json()
            assert set(body) == {"error", "request_id", "timestamp"}
            assert body["error"]["code"] == "FORBIDDEN_SETTING"
            assert body["error"]["details"]["fields"] == [name]
        r = await c.patch(f"/admin/tenants/{tid}", headers=ha, json={"settings": {
            "plan": "enterprise", "strike_threshold": 2, "block_threshold": 0.5}})
        assert r.json()["error"]["details"]["fields"] == ["plan", "strike_threshold"]
        # Nothing was written, and the quota still binds.
        r = await c.get(f"/admin/tenants/{tid}", headers=ha)
        assert r.json()["settings"] == {"plan": "free", "optimize_quota_per_month": 3}
        q = (await c.get("/api/v1/quota", headers=ha)).json()
        assert q["subscription_tier"] == "free" and q["quota_limit"] == 3

        # How its own traffic is judged is its own choice; an unchanged value is no change.
        r = await c.patch(f"/admin/tenants/{tid}", headers=ha, json={"settings": {
            "monitor_mode": True, "block_threshold": 0.7, "gray_zone_low": 0.3,
            "redaction_enabled": True, "strike_threshold": 8, "plan": "free"}})
        assert r.status_code == 200, r.text
        for value in (0, None, 5):  # never, the install's value, the floor itself
            r = await c.patch(f"/admin/tenants/{tid}", headers=ha,
                              json={"settings": {"strike_threshold": value}})
            assert r.status_code == 200, (value, r.text)
        # The operator may set anything.
        r = await c.patch(f"/admin/tenants/{tid}", headers=H, json={"settings": {
            "plan": "enterprise", "strike_threshold": 1, "allowlist_ips": ["192.0.2.1"]}})
        assert r.status_code == 200, r.text
