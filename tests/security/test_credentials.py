"""Key format, JWT verification and log redaction."""

from __future__ import annotations

import json
import time

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from promptsentry.config import Settings
from promptsentry.observability.scrub import redact_text, redact_value
from promptsentry.security.jwt import JwtError, JwtVerifier
from promptsentry.security.keys import generate_key, kind_for_scopes, parse_key, secret_matches


def test_key_shapes_round_trip():
    key_id, plaintext, digest = generate_key("firewall")
    parsed = parse_key(plaintext)
    assert plaintext.startswith(f"ps_{key_id}_") and parsed.kind == "firewall"
    assert secret_matches(parsed.secret, digest)
    assert not secret_matches(parsed.secret + "x", digest)
    key_id, plaintext, _ = generate_key("optimizer")
    assert plaintext.startswith(f"sk-opt-{key_id}-") and parse_key(plaintext).key_id == key_id
    assert parse_key("ps_short_x") is None
    assert parse_key("Bearer nonsense") is None
    assert kind_for_scopes(["optimize"]) == "optimizer"
    assert kind_for_scopes(["optimize", "scan"]) == "firewall"


def _hs(secret: str, **claims) -> str:
    base = {"sub": "svc-a", "exp": int(time.time()) + 60}
    return jwt.encode({**base, **claims}, secret, algorithm="HS256")


def test_hs256_checks_signature_issuer_audience_and_expiry(tmp_path):
    v = JwtVerifier(Settings(data_dir=tmp_path, jwt_secret="s3cret-s3cret-s3cret-s3cret-32by",
                             jwt_issuer="issuer-a", jwt_audience="promptsentry"))
    good = _hs("s3cret-s3cret-s3cret-s3cret-32by", iss="issuer-a", aud="promptsentry",
               tenant_id=["t1", "t2"], scope="scan optimize admin", email="a@example.com")
    identity = v.verify(good)
    assert identity.subject == "svc-a" and identity.email == "a@example.com"
    assert identity.tenants == ("t1", "t2")
    assert identity.scopes == frozenset({"scan", "optimize"})  # never admin via JWT
    bad = {
        "signature": _hs("another-secret-another-secret-32", iss="issuer-a", aud="promptsentry"),
        "issuer": _hs("s3cret-s3cret-s3cret-s3cret-32by", iss="evil", aud="promptsentry"),
        "audience": _hs("s3cret-s3cret-s3cret-s3cret-32by", iss="issuer-a", aud="other"),
        "expired": _hs("s3cret-s3cret-s3cret-s3cret-32by", iss="issuer-a", aud="promptsentry",
                       exp=int(time.time()) - 3600),
        "no_exp": jwt.encode({"sub": "x", "iss": "issuer-a", "aud": "promptsentry"},
                             "s3cret-s3cret-s3cret-s3cret-32by", algorithm="HS256"),
    }
    for name, token in bad.items():
        with pytest.raises(JwtError):
            v.verify(token)
        assert name


def test_rs256_with_a_public_key_and_es256_with_jwks(tmp_path):
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "pub.pem").write_bytes(pem)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key()))
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": [{**jwk, "kid": "k1",
                                                              "alg": "ES256"}]}))
    v = JwtVerifier(Settings(data_dir=tmp_path, jwt_public_key_file=tmp_path / "pub.pem",
                             jwt_jwks_file=tmp_path / "jwks.json"))
    exp = int(time.time()) + 60
    rs = jwt.encode({"sub": "rs", "exp": exp}, rsa_key, algorithm="RS256")
    es = jwt.encode({"sub": "es", "exp": exp}, ec_key, algorithm="ES256", headers={"kid": "k1"})
    assert v.verify(rs).subject == "rs"
    assert v.verify(es).subject == "es"
    assert v.verify(es).scopes == frozenset({"scan"})
    # HS256 is refused when no shared secret is configured (no key confusion with the PEM).
    with pytest.raises(JwtError):
        v.verify(jwt.encode({"sub": "x", "exp": exp}, "k" * 32, algorithm="HS256"))
    other = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(JwtError):
        v.verify(jwt.encode({"sub": "x", "exp": exp}, other, algorithm="ES256",
                            headers={"kid": "k1"}))


def test_redaction_of_keys_tokens_passwords_and_control_chars():
    _, ps_key, _ = generate_key("firewall")
    _, opt_key, _ = generate_key("optimizer")
    token = jwt.encode({"sub": "x", "exp": 1}, "k" * 32, algorithm="HS256")
    text = (f"key {ps_key} opt {opt_key} jwt {token} password=hunter2 "
            f"Authorization: Bearer abcdefghijklmnop\x1b[31m")
    out = redact_text(text)
    for secret in (ps_key, opt_key, token, "hunter2", "abcdefghijklmnop", "\x1b"):
        assert secret not in out
    assert redact_value({"headers": {"x-api-key": ps_key}})["headers"]["x-api-key"] == "[REDACTED]"
    url = redact_text("postgresql://ps:db-pass-1@db.internal:5432/ps redis://:r-pass@r:6379/0")
    assert "db-pass-1" not in url and "r-pass" not in url
    assert url.startswith("postgresql://ps:[REDACTED]@db.internal:5432/ps")


async def test_jwt_over_http_narrows_with_x_tenant_id(app_factory, capsys):
    import httpx

    secret = "jwt-shared-secret-for-tests-0123456789"
    app = app_factory(jwt_secret=secret, log_level="debug")
    token = _hs(secret, tenant_id=["t1", "t2"], email="svc@example.com")
    async with app.router.lifespan_context(app), httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://test") as c:
        h = {"Authorization": f"Bearer {token}"}
        r = await c.post("/scan", json={"prompt": "hi"}, headers=h)
        assert r.status_code == 200 and r.json()["tenant_id"] == "t1"
        r = await c.post("/scan", json={"prompt": "hi"}, headers={**h, "X-Tenant-ID": "t2"})
        assert r.json()["tenant_id"] == "t2"
        r = await c.post("/scan", json={"prompt": "hi"}, headers={**h, "X-Tenant-ID": "t3"})
        assert r.status_code == 403
        expired = _hs(secret, exp=int(time.time()) - 3600)
        r = await c.post("/scan", json={"prompt": "hi"},
                         headers={"Authorization": f"Bearer {expired}"})
        assert r.status_code == 401 and r.json()["error"]["code"] == "INVALID_API_KEY"
        # Without credentials: 401 (a JWT key is configured).
        assert (await c.post("/scan", json={"prompt": "hi"})).status_code == 401
    logged = capsys.readouterr().err
    assert token not in logged and expired not in logged
    assert "svc@example.com" in logged  # sub and email are what gets logged
