"""BYOM over the HTTP API, on both state backends: ``PATCH /admin/tenants/{id}`` with
``settings.judge``, SSRF refusals (422 ``UNSAFE_ENDPOINT``), keys encrypted at rest and never
returned, and the official SDK receiving ``escalated_*`` verdicts from judges speaking the
three wire formats."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from promptsentry_sdk import PromptSentryClient

from judge.conftest import CLEAR, ScoredClassifier
from judge.tests_support import ADMIN, H, client_for, error_code
from promptsentry.judge.runtime import JudgeRuntime
from promptsentry.pipeline.runner import Pipeline
from promptsentry.pipeline.stages.judge import JudgeStage
from promptsentry.pipeline.stages.signatures import SignatureStage

FERNET = Fernet.generate_key().decode()


def _app(app_factory, state_settings, **values):
    values = {"admin_token": ADMIN, "byom_encryption_key": FERNET,
              "egress_allowlist": ["127.0.0.1"], **values}
    settings = type(state_settings)(**{**dict(state_settings), **values})
    pipeline = Pipeline([SignatureStage(), ScoredClassifier(), JudgeStage(JudgeRuntime(settings))],
                        audit_salt=b"judge-test-salt")
    return app_factory(pipeline=pipeline, **values)


async def _tenant(c, name: str, settings: dict) -> str:
    r = await c.post("/admin/tenants", json={"name": name}, headers=H)
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    r = await c.patch(f"/admin/tenants/{tid}", json={"settings": settings}, headers=H)
    assert r.status_code == 200, r.text
    return tid


async def test_sdk_receives_escalated_verdicts_from_each_wire_format(app_factory, state_settings,
                                                                      judges):
    openai = judges("openai", default=("verdict", "malicious", 0.92))
    anthropic = judges("anthropic", default=("verdict", "malicious", 0.93))
    gemini = judges("gemini", default=("verdict", "malicious", 0.94))
    app = _app(app_factory, state_settings, judge_url=openai.url, judge_api="openai",
               judge_model="gpt-judge", judge_scan_types=["prompt"])
    async with app.router.lifespan_context(app), client_for(app) as c:
        tenants = {"openai": "default"}
        for fake in (anthropic, gemini):
            tenants[fake.api] = await _tenant(c, f"byom-{fake.api}", {
                "judge": {"url": fake.url, "api": fake.api, "model": f"{fake.api}-judge",
                          "api_key": f"sk-{fake.api}-tenant-secret"},
                "judge_scan_types": ["prompt"]})
        for fake in (openai, anthropic, gemini):
            async with PromptSentryClient("http://test", api_key=ADMIN, http_client=c,
                                          tenant_id=tenants[fake.api]) as sdk:
                bad = await sdk.scan(CLEAR)
                fake.default = ("verdict", "clean", 0.9)
                good = await sdk.scan(CLEAR + " Merci.")
            assert bad.verdict == "escalated_malicious" and bad.action_taken == "blocked"
            assert good.verdict == "escalated_clean" and good.action_taken == "allowed"
            assert f"{fake.api}:" in bad.reasoning and "judge" in bad.stages
            assert len(fake.requests) == 2
    # the tenants' keys were decrypted for their own endpoints only
    assert anthropic.requests[0]["headers"]["x-api-key"] == "sk-anthropic-tenant-secret"
    assert gemini.requests[0]["headers"]["x-goog-api-key"] == "sk-gemini-tenant-secret"
    assert "authorization" not in openai.requests[0]["headers"]


@pytest.mark.parametrize(("url", "reason"), [
    ("http://models.example.com/v1", "http"),
    ("https://169.254.169.254/v1", "metadata"),
    ("https://[fd00:ec2::254]/v1", "metadata"),
    ("https://10.0.0.8/v1", "private"),
    ("https://[::ffff:192.168.0.1]/v1", "private"),
    ("https://100.64.3.4/v1", "shared_address_space"),
    ("https://127.0.0.1:8443/v1", "loopback"),
    ("https://localhost/v1", "loopback"),
    ("https://[::1]/v1", "loopback"),
    ("https://0.0.0.0/v1", "unspecified"),
])
async def test_unsafe_endpoints_are_refused_on_save(app_factory, state_settings, url, reason):
    app = _app(app_factory, state_settings, egress_allowlist=[])
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": url, "api": "openai", "model": "m", "api_key": "sk-x-12345678"}}})
        body = error_code(r, 422, "UNSAFE_ENDPOINT")
        assert body["error"]["details"] == {"field": "judge.url", "reason": reason}
        r = await c.get("/admin/tenants/default", headers=H)
        assert "judge" not in r.json()["settings"]


async def test_keys_are_encrypted_at_rest_and_never_returned(app_factory, state_settings):
    app = _app(app_factory, state_settings)
    secret = "sk-live-very-secret-key-9876"
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "http://127.0.0.1:9/v1", "api": "openai", "model": "m",
                      "api_key": secret}}})
        assert r.status_code == 200, r.text
        assert secret not in r.text and "api_key_encrypted" not in r.text
        judge = r.json()["settings"]["judge"]
        assert judge == {"url": "http://127.0.0.1:9/v1", "api": "openai", "model": "m",
                         "api_key_hint": "…9876", "api_key_set": True}
        assert r.json()["effective_settings"]["judge"]["api_key_set"] is True
        stored = await app.state.services.sql_store.run(
            app.state.services.sql_store.get_tenant, "default")
        token = stored.settings["judge"]["api_key_encrypted"]
        assert secret not in repr(stored.settings)
        assert Fernet(FERNET.encode()).decrypt(token.encode()).decode() == secret
        # same origin, no api_key: the stored key stays; another host: it is dropped
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "http://127.0.0.1:9/v2", "api": "openai", "model": "m2"}}})
        assert r.json()["settings"]["judge"]["api_key_set"] is True
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "https://api.openai.com/v1", "api": "openai", "model": "m2"}}})
        assert r.status_code in (200, 422), r.text  # 422 where DNS is unavailable
        if r.status_code == 200:
            assert r.json()["settings"]["judge"]["api_key_set"] is False
        # the stored form cannot be written directly
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "http://127.0.0.1:9/v1", "model": "m",
                      "api_key_encrypted": token}}})
        error_code(r, 422, "INVALID_REQUEST")


async def test_no_encryption_key_no_stored_api_key(app_factory, state_settings):
    app = _app(app_factory, state_settings, byom_encryption_key=None)
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "http://127.0.0.1:9/v1", "model": "m", "api_key": "sk-123456789"}}})
        error_code(r, 422, "ENCRYPTION_NOT_CONFIGURED")
        assert "sk-123456789" not in r.text
        r = await c.patch("/admin/tenants/default", headers=H, json={"settings": {
            "judge": {"url": "http://127.0.0.1:9/v1", "model": "m"}}})  # keyless local model
        assert r.status_code == 200 and r.json()["settings"]["judge"]["api_key_set"] is False


async def test_bad_judge_settings_are_a_clear_422(app_factory, state_settings):
    app = _app(app_factory, state_settings)
    async with app.router.lifespan_context(app), client_for(app) as c:
        for bad in ({"judge": {"url": "http://127.0.0.1:9/v1", "model": "m", "api": "cohere"}},
                    {"judge": {"url": "http://127.0.0.1:9/v1"}},
                    {"judge_scan_types": ["email"]}, {"judge_failure_mode": "maybe"},
                    {"judge_deadline_seconds": 0}):
            r = await c.patch("/admin/tenants/default", headers=H, json={"settings": bad})
            error_code(r, 422, "INVALID_REQUEST")


async def test_usage_in_stats_and_metrics(app_factory, state_settings, judges):
    fake = judges("openai", default=("verdict", "malicious", 0.9))
    app = _app(app_factory, state_settings, judge_url=fake.url, judge_model="priced-model",
               judge_scan_types=["prompt"], llm_prices={"priced-model": (2.0, 8.0)})
    async with app.router.lifespan_context(app), client_for(app) as c:
        r = await c.post("/scan", json={"prompt": CLEAR}, headers=H)
        assert r.json()["verdict"] == "escalated_malicious"
        stats = (await c.get("/api/stats", headers=H)).json()
        row = next(u for u in stats["llm_usage"] if u["model"] == "priced-model")
        assert row["purpose"] == "judge" and row["calls"] >= 1
        assert row["input_tokens"] >= 120 and row["output_tokens"] >= 30
        assert row["cost_usd"] == pytest.approx(row["input_tokens"] * 2e-6
                                                + row["output_tokens"] * 8e-6)
        text = (await c.get("/metrics", headers=H)).text
        assert 'promptsentry_llm_tokens_total{api="openai",direction="input",model="priced-model"' \
               ',purpose="judge"}' in text
        assert "promptsentry_llm_cost_usd_total" in text
