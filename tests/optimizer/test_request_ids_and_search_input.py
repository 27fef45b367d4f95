"""Issue 17, point 6: one request-id limit from the middleware to the column, and search text
with NUL / control characters answered 422 (both backends: PostgreSQL is where they failed).

Before: the middleware accepted 128 characters, ``optimizer_templates.request_id`` held 80,
so on PostgreSQL an id of 81-128 characters made ``/optimize`` and template saves fail after
the work was done; a NUL in ``?search=`` reached PostgreSQL, which refused it, and the client
got a false "database unavailable" 503.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, text

from promptsentry.optimizer.tables import TemplateRow
from promptsentry.schemas.request import MAX_REQUEST_ID_CHARS
from promptsentry.stores.sql.migrate import make_engine, upgrade

from .conftest import BRIDGE_HEADERS

LONGEST_ID = "trace-" + "a1" * ((MAX_REQUEST_ID_CHARS - 6) // 2)


def _stored_request_id(app, template_id: str) -> str | None:
    with app.state.services.sql_store.engine.connect() as conn:
        return conn.execute(text("SELECT request_id FROM optimizer_templates WHERE id = :i"),
                            {"i": template_id}).scalar()


async def test_the_longest_accepted_request_id_is_saved_with_the_template(
        asgi, make_key, opt_app, backend) -> None:
    assert len(LONGEST_ID) == MAX_REQUEST_ID_CHARS == 128
    _, key = make_key()
    h = {**BRIDGE_HEADERS, "X-API-Key": key, "X-Request-ID": LONGEST_ID}
    r = await asgi.post("/api/v1/optimize", headers=h,
                        json={"prompt": "Write a lullaby about the moon and the stars"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"] == LONGEST_ID
    assert _stored_request_id(opt_app, r.json()["template_id"]) == LONGEST_ID
    r = await asgi.post("/api/v1/mcp/templates", headers=h, json={
        "title": "t", "original_prompt": "Say hi politely", "optimized_prompt": "Say hi."})
    assert r.status_code == 201, r.text
    saved = r.json().get("id") or r.json().get("template", {}).get("id")
    assert _stored_request_id(opt_app, saved) == LONGEST_ID


async def test_a_longer_request_id_is_replaced_not_a_failure(asgi, make_key, backend) -> None:
    _, key = make_key()
    h = {**BRIDGE_HEADERS, "X-API-Key": key, "X-Request-ID": LONGEST_ID + "b"}
    r = await asgi.post("/api/v1/optimize", headers=h, json={"prompt": "Write a short poem"})
    assert r.status_code == 200, r.text
    assert r.headers["x-request-id"].startswith("req_")


def test_the_column_is_as_wide_as_the_accepted_id(sql_url) -> None:
    assert TemplateRow.__table__.c.request_id.type.length == MAX_REQUEST_ID_CHARS
    eng = make_engine(sql_url)
    try:
        assert eng.hide_parameters  # no statement parameter in any error message or log
        upgrade(eng)
        if eng.dialect.name == "postgresql":  # SQLite does not enforce VARCHAR lengths
            column = next(c for c in inspect(eng).get_columns("optimizer_templates")
                          if c["name"] == "request_id")
            assert column["type"].length == MAX_REQUEST_ID_CHARS
    finally:
        eng.dispose()


@pytest.mark.parametrize("bad", ["moon\x00", "\x00", "moon\x07light", "a\x1bb"])
async def test_search_text_with_nul_or_control_characters_is_a_422(
        asgi, make_key, backend, bad: str) -> None:
    _, key = make_key()
    h = {**BRIDGE_HEADERS, "X-API-Key": key}
    answers = [
        await asgi.get("/api/v1/templates", headers=h, params={"search": bad}),
        await asgi.get("/api/v1/mcp/templates", headers=h, params={"query": bad}),
        await asgi.post("/api/v1/templates/search", headers=h, json={"query": bad}),
    ]
    for r in answers:
        assert r.status_code == 422, (r.request.url, r.text)
        body = r.json()
        assert body["error"]["code"] == "INVALID_REQUEST"
        assert "\x00" not in r.text and "moon" not in r.text
    # Ordinary search text, tabs included, still works.
    r = await asgi.get("/api/v1/templates", headers=h, params={"search": "moon\tlight"})
    assert r.status_code == 200, r.text


@pytest.mark.parametrize("url", [
    "/admin/tenants/a%00b", "/admin/keys?tenant_id=a%00b", "/admin/strikes/192.0.2.1%00",
    "/scans?user_identity=%00", "/api/v1/templates/tpl_%00", "/api/v1/templates?goals=a%00",
])
async def test_a_nul_anywhere_in_the_url_is_a_422_not_a_false_503(asgi, backend, url) -> None:
    from .conftest import ADMIN_TOKEN

    r = await asgi.get(url, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert r.status_code == 422, r.text
    assert r.json()["error"]["code"] == "INVALID_REQUEST"
    assert (await asgi.get("/admin/tenants/nope", headers={
        "Authorization": f"Bearer {ADMIN_TOKEN}"})).status_code == 404
