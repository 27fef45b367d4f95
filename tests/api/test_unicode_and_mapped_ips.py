"""Issue 17, point 8: lone UTF-16 surrogates and IPv4-mapped IPv6 addresses (both backends).

Before: a lone surrogate (``"\\ud800"``, valid JSON syntax but not Unicode text) in a scan's
``user_identity`` made its record fail to serialise and vanish silently (an audit gap), and
500 on the optimizer routes; ``::ffff:192.0.2.7`` was keyed apart from ``192.0.2.7``, so it
walked past a manual block of the address and got a second per-IP window.
"""

from __future__ import annotations

import ipaddress

import httpx
import pytest

from promptsentry.netaddr import canonical_ip, canonical_ip_or_network, ip_network
from promptsentry.schemas.request import ScanRequest
from promptsentry.service import ScanContext

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
JSON = {**H, "Content-Type": "application/json"}


def client_for(app, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


# --- lone surrogates -------------------------------------------------------------------------

LONE = [b'{"prompt": "hi \\ud800 there"}', b'{"prompt": "hi", "user_identity": "u\\udfff"}',
        b'{"prompt": "hi", "metadata": {"\\udc00": 1}}']


@pytest.mark.parametrize("raw", LONE)
async def test_a_lone_surrogate_in_a_scan_body_is_400_invalid_encoding(app_factory, raw) -> None:
    app = app_factory(admin_token=ADMIN)
    async with client_for(app) as c:
        r = await c.post("/scan", content=raw, headers=JSON)
        assert r.status_code == 400, r.text
        assert r.json()["error"]["code"] == "INVALID_ENCODING"
        # A valid pair (an emoji, escaped) is text: scanned and recorded.
        r = await c.post("/scan", content=b'{"prompt": "hi \\ud83d\\ude00", "user_identity": '
                         b'"u\\ud83d\\ude00"}', headers=JSON)
        assert r.status_code == 200, r.text
        scan_id = r.json()["scan_id"]
        record = await c.get(f"/scans/{scan_id}", headers=H)
        assert record.status_code == 200 and record.json()["user_identity"] == "u\U0001f600"


async def test_optimizer_routes_refuse_lone_surrogates_with_400_not_500(
        app_factory, backend) -> None:
    app = app_factory(admin_token=ADMIN)
    sql = app.state.services.sql_store
    tenant = sql.create_tenant("opt", {})
    _, key = sql.create_key(tenant.id, "k", ["optimize"], "optimizer")
    h = {"X-API-Key": key, "Content-Type": "application/json"}
    async with client_for(app) as c:
        for path, raw in [
            ("/api/v1/optimize", b'{"prompt": "Write a poem \\ud800 about the sea"}'),
            ("/api/v1/detect-context", b'{"prompt": "Write \\udbff code"}'),
            ("/api/v1/templates/search", b'{"query": "sea \\ud800"}'),
            ("/api/v1/mcp/templates", b'{"title": "t\\ud800", "original_prompt": "a", '
                                      b'"optimized_prompt": "b"}'),
        ]:
            r = await c.post(path, content=raw, headers=h)
            assert r.status_code == 400, (path, r.text)
            assert r.json()["error"]["code"] == "INVALID_ENCODING"


async def test_in_process_scans_with_lone_surrogates_keep_their_record(app_factory, backend):
    """The in-process API and MCP have no JSON layer to refuse them: the record is kept,
    the surrogate replaced by U+FFFD."""
    app = app_factory(store_prompt_in_scan_record=True)
    service = app.state.services.scan_service
    response = await service.scan(ScanRequest(prompt="hello \ud800", user_identity="u\udc00"),
                                  ScanContext(peer_ip="::ffff:198.51.100.9"))
    record = await app.state.services.hot_store.get_scan_record(DEFAULT, response.scan_id)
    assert record is not None, "the scan record was lost"
    assert record.user_identity == "u\ufffd" and record.prompt == "hello \ufffd"
    assert record.source_ip == "198.51.100.9"


DEFAULT = "default"


# --- IPv4-mapped IPv6 ------------------------------------------------------------------------

@pytest.mark.parametrize(("raw", "canonical"), [
    ("::ffff:192.0.2.7", "192.0.2.7"), ("::FFFF:c000:0207", "192.0.2.7"),
    ("192.0.2.7", "192.0.2.7"), ("2001:db8::1", "2001:db8::1"), (" ::1 ", "::1"),
])
def test_canonical_ip(raw: str, canonical: str) -> None:
    assert canonical_ip(raw) == canonical


def test_canonical_networks() -> None:
    assert canonical_ip_or_network("::ffff:10.0.0.0/104") == "10.0.0.0/8"
    assert canonical_ip_or_network("::ffff:192.0.2.9/128") == "192.0.2.9/32"
    assert canonical_ip_or_network("192.0.2.0/24") == "192.0.2.0/24"
    assert ip_network("::/0") == ipaddress.IPv6Network("::/0")  # not narrowed to IPv4
    assert canonical_ip_or_network("::ffff:0:0/95") == "::fffe:0:0/95"


async def test_a_mapped_address_does_not_bypass_a_manual_block(app_factory) -> None:
    app = app_factory(admin_token=ADMIN)
    async with client_for(app) as c:
        assert (await c.post("/admin/blocks", json={"ip": "192.0.2.7", "reason": "abuse"},
                             headers=H)).status_code == 201
        r = await c.post("/admin/blocks", json={"ip": "::ffff:192.0.2.0/120", "reason": "x"},
                         headers=H)
        assert r.status_code == 201 and r.json()["ip"] == "192.0.2.0/24"
        for ip in ("192.0.2.7", "::ffff:192.0.2.7", "::ffff:c000:207", "::ffff:192.0.2.80"):
            r = await c.post("/scan", json={"prompt": "hello", "source_ip": ip}, headers=H)
            assert r.status_code == 403, (ip, r.text)
            assert r.json()["error"]["code"] == "IP_BLOCKED"
    # The socket peer, as a dual-stack listener reports it, is the same address.
    async with client_for(app, "::ffff:192.0.2.7") as c:
        assert (await c.post("/scan", json={"prompt": "hello"}, headers=H)).status_code == 403


async def test_a_mapped_address_shares_the_per_ip_window(app_factory) -> None:
    app = app_factory(admin_token=ADMIN, ip_rate_limit_per_minute=2)
    async with client_for(app) as c:
        statuses = []
        for ip in ("203.0.113.5", "::ffff:203.0.113.5", "::ffff:cb00:7105", "203.0.113.5"):
            r = await c.post("/scan", json={"prompt": "hi", "source_ip": ip}, headers=H)
            statuses.append(r.status_code)
        assert statuses == [200, 200, 429, 429]


async def test_scan_records_and_tenant_allowlists_use_the_ipv4_form(app_factory) -> None:
    app = app_factory(admin_token=ADMIN)
    async with client_for(app) as c:
        r = await c.post("/scan", json={"prompt": "hi", "source_ip": "::ffff:198.51.100.20"},
                         headers=H)
        assert r.status_code == 200
        record = (await c.get(f"/scans/{r.json()['scan_id']}", headers=H)).json()
        assert record["source_ip"] == "198.51.100.20"
        tenant = (await c.post("/admin/tenants", json={"name": "t"}, headers=H)).json()["id"]
        r = await c.patch(f"/admin/tenants/{tenant}", headers=H, json={
            "settings": {"allowlist_ips": ["::ffff:198.51.100.0/120"]}})
        assert r.status_code == 200, r.text
        r = await c.post("/scan", headers={**H, "X-Tenant-ID": tenant},
                         json={"prompt": "ATTACK", "source_ip": "198.51.100.20"})
        assert r.status_code == 200 and r.json()["action_taken"] == "allowed_bypass", r.text
