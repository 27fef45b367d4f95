"""Small helpers of the judge API tests."""

from __future__ import annotations

import httpx

ADMIN = "admin-token-for-judge-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}


def client_for(app, ip: str = "198.51.100.7") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(ip, 40000))
    return httpx.AsyncClient(transport=transport, base_url="http://test")


def error_code(r: httpx.Response, status: int, code: str) -> dict:
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"error", "request_id", "timestamp"}
    assert body["error"]["code"] == code, body
    return body
