"""The admin API and credentials end to end, on both state backends."""

from __future__ import annotations

import httpx
import pytest

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}


def client_for(app, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


async def make_tenant_and_key(c: httpx.AsyncClient, scopes=("scan",), name="acme"):
    r = await c.post("/admin/tenants", json={"name": name}, headers=H)
    assert r.status_code == 201, r.text
    tenant = r.json()
    r = await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k1",
                                         "scopes": list(scopes)}, headers=H)
    assert r.status_code == 201, r.text
    return tenant, r.json()


def assert_error_shape(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "request_id", "timestamp"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    return body


async def test_tenant_crud_and_key_lifecycle(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        tenant, created = await make_tenant_and_key(c)
        assert tenant["name"] == "acme" and tenant["settings"] == {}
        key = created["key"]
        assert key.startswith(f"ps_{created['key_id']}_")

        # The key works for its tenant, and is never shown again.
        r = await c.post("/scan", json={"prompt": "hello"}, headers={"Authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        assert r.json()["tenant_id"] == tenant["id"]
        r = await c.get("/admin/keys", params={"tenant_id": tenant["id"]}, headers=H)
        listed = r.json()["keys"]
        assert [k["key_id"] for k in listed] == [created["key_id"]]
        assert "key" not in listed[0] and key not in r.text
        assert listed[0]["use_count"] == 1 and listed[0]["last_used_at"] is not None

        # PATCH settings, then GET shows them.
        r = await c.patch(f"/admin/tenants/{tenant['id']}",
                          json={"settings": {"monitor_mode": True, "strike_threshold": 3}},
                          headers=H)
        assert r.status_code == 200, r.text
        assert r.json()["settings"] == {"monitor_mode": True, "strike_threshold": 3}
        r = await c.get(f"/admin/tenants/{tenant['id']}", headers=H)
        assert r.json()["effective_settings"]["monitor_mode"] is True
        r = await c.patch(f"/admin/tenants/{tenant['id']}",
                          json={"name": "acme\x00 corp", "settings": {"strike_threshold": None}},
                          headers=H)
        assert r.json()["name"] == "acme corp"
        assert r.json()["settings"] == {"monitor_mode": True}
        assert r.json()["effective_settings"]["strike_threshold"] == 5

        # Monitor mode now applies to this tenant's scans.
        r = await c.post("/scan", json={"prompt": "ATTACK now"},
                         headers={"Authorization": f"Bearer {key}"})
        assert r.json()["action_taken"] == "allowed_monitor"

        # Revocation holds on the next request.
        r = await c.delete(f"/admin/keys/{created['key_id']}", headers=H)
        assert r.status_code == 200 and r.json()["revoked"] is True
        r = await c.post("/scan", json={"prompt": "hello"}, headers={"Authorization": f"Bearer {key}"})
        assert_error_shape(r, 401, "INVALID_API_KEY")

        # Delete the tenant.
        r = await c.delete(f"/admin/tenants/{tenant['id']}", headers=H)
        assert r.status_code == 200
        r = await c.get(f"/admin/tenants/{tenant['id']}", headers=H)
        assert_error_shape(r, 404, "NOT_FOUND")


async def test_bad_admin_input_is_a_clear_4xx(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        assert_error_shape(await c.post("/admin/tenants", json={}, headers=H), 422,
                           "INVALID_REQUEST")
        assert_error_shape(await c.post("/admin/keys", json={"tenant_id": "default",
                                                             "name": "x", "scopes": ["root"]},
                                        headers=H), 422, "INVALID_REQUEST")
        assert_error_shape(await c.post("/admin/keys", json={"tenant_id": "nope", "name": "x"},
                                        headers=H), 404, "NOT_FOUND")
        r = await c.patch("/admin/tenants/default", json={"settings": {"colour": "red"}},
                          headers=H)
        assert_error_shape(r, 422, "INVALID_REQUEST")
        r = await c.patch("/admin/tenants/default",
                          json={"settings": {"gray_zone_low": 0.9, "gray_zone_high": 0.1}},
                          headers=H)
        assert_error_shape(r, 422, "INVALID_REQUEST")
        r = await c.patch("/admin/tenants/default",
                          json={"settings": {"allowlist_ips": ["not-an-ip"]}}, headers=H)
        assert_error_shape(r, 422, "INVALID_REQUEST")
        assert_error_shape(await c.post("/admin/blocks", json={"ip": "300.1.1.1"}, headers=H),
                           422, "INVALID_IP")
        assert_error_shape(await c.delete("/admin/blocks/203.0.113.9", headers=H), 404,
                           "NOT_FOUND")
        assert_error_shape(await c.get("/admin/strikes/xyz", headers=H), 422, "INVALID_IP")
        assert_error_shape(await c.delete("/admin/tenants/default", headers=H), 409, "CONFLICT")
        assert_error_shape(await c.get("/admin/tenants"), 401, "UNAUTHORIZED")
        assert_error_shape(await c.get("/admin/tenants", headers={"Authorization": "Bearer x"}),
                           401, "INVALID_API_KEY")


async def test_scan_needs_credentials_once_a_key_exists(app_factory):
    app = app_factory()  # no admin token, no static keys
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.post("/scan", json={"prompt": "hello"})
        assert r.status_code == 200  # anonymous while nothing is configured
        store = app.state.services.sql_store
        await store.run(store.create_key, "default", "first", ["scan"], "firewall")
        r = await c.post("/scan", json={"prompt": "hello"})
        assert_error_shape(r, 401, "UNAUTHORIZED")


async def test_key_sees_only_its_tenant(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        ta, ka = await make_tenant_and_key(c, name="a")
        _, kb = await make_tenant_and_key(c, name="b")
        ha = {"Authorization": f"Bearer {ka['key']}"}
        hb = {"Authorization": f"Bearer {kb['key']}"}
        scan_a = (await c.post("/scan", json={"prompt": "hi"}, headers=ha)).json()["scan_id"]
        assert (await c.get(f"/scans/{scan_a}", headers=ha)).status_code == 200
        assert_error_shape(await c.get(f"/scans/{scan_a}", headers=hb), 404, "SCAN_NOT_FOUND")
        assert (await c.get("/scans", headers=hb)).json()["total"] == 0
        # X-Tenant-ID may not widen...
        r = await c.get(f"/scans/{scan_a}", headers={**hb, "X-Tenant-ID": ta["id"]})
        assert_error_shape(r, 403, "FORBIDDEN")
        # ...but naming its own tenant is fine, and the admin token may pick any tenant.
        r = await c.get("/scans", headers={**ha, "X-Tenant-ID": ta["id"]})
        assert r.json()["total"] == 1
        r = await c.get(f"/scans/{scan_a}", headers={**H, "X-Tenant-ID": ta["id"]})
        assert r.status_code == 200
        # A key without the admin scope cannot use the admin API.
        assert_error_shape(await c.get("/admin/keys", headers=ha), 403, "FORBIDDEN")


async def test_tenant_admin_key_is_limited_to_its_tenant(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        ta, ka = await make_tenant_and_key(c, scopes=("admin", "scan"), name="a")
        tb, _ = await make_tenant_and_key(c, name="b")
        ha = {"Authorization": f"Bearer {ka['key']}"}
        r = await c.get("/admin/tenants", headers=ha)
        assert [t["id"] for t in r.json()["tenants"]] == [ta["id"]]
        assert_error_shape(await c.get(f"/admin/tenants/{tb['id']}", headers=ha), 404,
                           "NOT_FOUND")
        assert_error_shape(await c.post("/admin/keys", json={"tenant_id": tb["id"],
                                                             "name": "x"}, headers=ha),
                           404, "NOT_FOUND")
        r = await c.post("/admin/keys", json={"tenant_id": ta["id"], "name": "own"}, headers=ha)
        assert r.status_code == 201
        assert_error_shape(await c.post("/admin/blocks", json={"ip": "203.0.113.1"},
                                        headers=ha), 403, "FORBIDDEN")
        assert_error_shape(await c.post("/admin/tenants", json={"name": "z"}, headers=ha),
                           403, "FORBIDDEN")


async def test_optimizer_only_keys_have_their_own_shape(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        _, created = await make_tenant_and_key(c, scopes=("optimize",))
        assert created["key"].startswith(f"sk-opt-{created['key_id']}-")
        assert created["kind"] == "optimizer"
        # Accepted from X-API-Key too, but it lacks the scan scope.
        r = await c.post("/scan", json={"prompt": "hi"}, headers={"X-API-Key": created["key"]})
        assert_error_shape(r, 403, "FORBIDDEN")
        principal = await app.state.authenticator.authenticate(
            _FakeRequest({"x-api-key": created["key"]}))
        assert principal.scopes == frozenset({"optimize"})


class _FakeRequest:
    """The two attributes the authenticator reads."""

    def __init__(self, headers: dict[str, str]) -> None:
        self.headers = httpx.Headers(headers)


async def test_stats_json_and_csv(app_factory):
    app = app_factory(admin_token=ADMIN)
    async with app.router.lifespan_context(app), client_for(app) as c:
        tenant, created = await make_tenant_and_key(c)
        hk = {"Authorization": f"Bearer {created['key']}"}
        for prompt in ("hi", "hello", "ATTACK"):
            assert (await c.post("/scan", json={"prompt": prompt}, headers=hk)).status_code == 200
        r = await c.get("/api/stats", headers=hk)
        assert r.status_code == 200
        body = r.json()
        assert body["tenants"] == [tenant["id"]]
        assert body["totals"] == {"clean|allowed": 2, "malicious|blocked": 1}
        r = await c.get("/api/stats", params={"format": "csv"}, headers=H)
        assert r.headers["content-type"].startswith("text/csv")
        lines = r.text.strip().splitlines()
        assert lines[0] == "hour,tenant_id,verdict,action,count"
        assert any(line.endswith(f",{tenant['id']},malicious,blocked,1") for line in lines)
        r = await c.get("/api/stats", params={"tenant_id": "default"}, headers=hk)
        assert_error_shape(r, 403, "FORBIDDEN")
        assert_error_shape(await c.get("/api/stats", params={"format": "xml"}, headers=hk),
                           422, "INVALID_REQUEST")


@pytest.mark.parametrize("path", ["/admin/tenants", "/admin/keys", "/admin/blocks"])
async def test_admin_routes_need_the_admin_token(app_factory, path):
    app = app_factory(admin_token=ADMIN, api_keys="static-key-123456")
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.get(path, headers={"Authorization": "Bearer static-key-123456"})
        assert_error_shape(r, 403, "FORBIDDEN")
        assert (await c.get(path, headers=H)).status_code == 200
