"""Redaction reaches the scan response when the tenant enables it (over HTTP, both backends)."""

from __future__ import annotations

import json

import httpx

from fixtures_state import KeywordStage
from promptsentry.pipeline.runner import Pipeline
from promptsentry.pipeline.stages.redaction import RedactionStage

ADMIN = "admin-token-for-tests-0123456789"
H = {"Authorization": f"Bearer {ADMIN}"}
PROMPT = "Mail jane@example.com about card 4111 1111 1111 1111, please."


async def test_tenant_setting_turns_redaction_on_and_off(app_factory) -> None:
    pipeline = Pipeline([KeywordStage(), RedactionStage()], audit_salt=b"salt")
    app = app_factory(pipeline=pipeline, admin_token=ADMIN)
    transport = httpx.ASGITransport(app=app, client=("198.51.100.8", 40000))
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=transport, base_url="http://test") as c:
        tenant = (await c.post("/admin/tenants", json={"name": "r"}, headers=H)).json()
        key = (await c.post("/admin/keys", json={"tenant_id": tenant["id"], "name": "k",
                                                 "scopes": ["scan"]}, headers=H)).json()["key"]
        hk = {"Authorization": f"Bearer {key}"}

        off = (await c.post("/scan", json={"prompt": PROMPT}, headers=hk)).json()
        assert off["redacted_prompt"] is None and off["redaction_stats"] is None

        r = await c.patch(f"/admin/tenants/{tenant['id']}", headers=H,
                          json={"settings": {"redaction_enabled": True}})
        assert r.status_code == 200, r.text
        on = (await c.post("/scan", json={"prompt": PROMPT}, headers=hk)).json()
        assert on["redacted_prompt"] == "Mail [EMAIL_1] about card [CREDIT_CARD_1], please."
        assert on["redaction_stats"] == {"EMAIL": 1, "CREDIT_CARD": 1}
        # The redacted text is answered once, never echoed again in the stage report.
        assert "redacted_prompt" not in json.dumps(on["stages"])
        # Another tenant (the default one, via the admin token) is unaffected.
        other = (await c.post("/scan", json={"prompt": PROMPT}, headers=H)).json()
        assert other["redacted_prompt"] is None

