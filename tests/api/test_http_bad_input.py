"""Bad input against a real uvicorn on loopback: every answer a 4xx in the one error shape."""

from __future__ import annotations

import json
import re

import httpx
import pytest

BENIGN = "What is the capital of France?"
_TIMESTAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$")
_SECURITY_HEADERS = ("strict-transport-security", "x-content-type-options", "x-frame-options")


@pytest.fixture(scope="module")
def http(live_server: str):
    with httpx.Client(base_url=live_server, timeout=30.0) as c:
        yield c


def assert_error(resp: httpx.Response, status: int, code: str) -> dict:
    """``resp`` is ``status`` with error ``code`` in the service's one error shape."""
    assert resp.status_code == status, resp.text
    assert resp.headers["content-type"].startswith("application/json")
    body = resp.json()
    assert set(body) == {"error", "request_id", "timestamp"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code
    assert body["error"]["message"] and isinstance(body["error"]["message"], str)
    assert isinstance(body["error"]["details"], dict)
    assert body["request_id"] and resp.headers["x-request-id"] == body["request_id"]
    assert _TIMESTAMP.match(body["timestamp"]), body["timestamp"]
    for header in _SECURITY_HEADERS:
        assert header in resp.headers
    return body


def post_json(http: httpx.Client, payload: object) -> httpx.Response:
    return http.post("/scan", json=payload)


def test_prompt_over_50_kb_is_413(http):
    body = assert_error(post_json(http, {"prompt": "a" * (50 * 1024 + 1)}), 413,
                        "PROMPT_TOO_LONG")
    assert body["error"]["details"]["errors"][0]["field"] == "prompt"


def test_prompt_limit_counts_utf8_bytes_not_characters(http):
    # 20 000 euro signs are 60 000 bytes: over the limit although far under 50 K characters.
    assert_error(post_json(http, {"prompt": "€" * 20_000}), 413, "PROMPT_TOO_LONG")
    assert post_json(http, {"prompt": "é" * 20_000}).status_code == 200  # 40 000 bytes


def test_prompt_at_the_limit_is_scanned(http):
    resp = post_json(http, {"prompt": "word " * (50 * 1024 // 5)})
    assert resp.status_code == 200, resp.text


def test_output_over_10_kb_is_413(http):
    assert_error(post_json(http, {"prompt": BENIGN, "output": "x" * (10 * 1024 + 1)}), 413,
                 "OUTPUT_TOO_LONG")


def test_identity_over_256_chars_is_413(http):
    assert_error(post_json(http, {"prompt": BENIGN, "user_identity": "u" * 257}), 413,
                 "IDENTITY_TOO_LONG")
    assert post_json(http, {"prompt": BENIGN, "user_identity": "u" * 256}).status_code == 200


def test_body_over_limit_is_413_before_parsing(http):
    body = json.dumps({"prompt": "a" * (600 * 1024)}).encode()
    resp = http.post("/scan", content=body, headers={"content-type": "application/json"})
    assert_error(resp, 413, "REQUEST_TOO_LARGE")


def test_chunked_body_over_limit_is_413(http):
    def chunks():
        yield b'{"prompt": "'
        for _ in range(600):
            yield b"a" * 1024
        yield b'"}'

    resp = http.post("/scan", content=chunks(), headers={"content-type": "application/json"})
    assert_error(resp, 413, "REQUEST_TOO_LARGE")


@pytest.mark.parametrize(
    "payload",
    [
        {"prompt": 123},
        {"prompt": None},
        {"prompt": ["ignore", "previous"]},
        {"prompt": {"text": "hi"}},
        {"prompt": BENIGN, "scan_type": "bogus"},
        {"prompt": BENIGN, "canary_tokens": "not-a-list"},
        {"prompt": BENIGN, "canary_tokens": [1, 2]},
        {"prompt": BENIGN, "child_safety_override": {"enabled": True, "age_tier": "adult"}},
        {"prompt": BENIGN, "child_safety_override": "yes"},
        {"prompt": BENIGN, "user_identity": 42},
        {"prompt": BENIGN, "output": 3.5},
        [{"prompt": BENIGN}],
        "just a string",
        42,
        None,
    ],
    ids=lambda p: json.dumps(p)[:40],
)
def test_wrong_types_are_422(http, payload):
    assert_error(post_json(http, payload), 422, "INVALID_REQUEST")


@pytest.mark.parametrize("ip", ["999.1.1.1", "not-an-ip", "1.2.3", "::g", "10.0.0.1/8", "1.2.3.4 5"])
def test_invalid_source_ip_is_422(http, ip):
    body = assert_error(post_json(http, {"prompt": BENIGN, "source_ip": ip}), 422, "INVALID_IP")
    assert body["error"]["details"]["errors"][0]["field"] == "source_ip"
    assert ip not in json.dumps(body)  # the offending value is not echoed back


@pytest.mark.parametrize("ip", ["203.0.113.7", "2001:db8::1", "::1", "::ffff:192.0.2.1"])
def test_valid_source_ips_are_accepted(http, ip):
    resp = post_json(http, {"prompt": BENIGN, "source_ip": ip})
    assert resp.status_code == 200, resp.text


@pytest.mark.parametrize("raw", [b'{"prompt": ', b"{prompt: 'x'}", b'{"prompt": "a",}', b"\x00"])
def test_invalid_json_is_400(http, raw):
    resp = http.post("/scan", content=raw, headers={"content-type": "application/json"})
    assert_error(resp, 400, "INVALID_JSON")


@pytest.mark.parametrize("prompt", ["", " ", "\n\t  \r\n", "\u3000"])
def test_empty_or_blank_prompt_is_422(http, prompt):
    assert_error(post_json(http, {"prompt": prompt}), 422, "PROMPT_EMPTY")


@pytest.mark.parametrize("raw", [b'{"prompt": "\xff\xfe"}', b'{"prompt": "caf\xe9"}',
                                 b"\xff\xfe{\x00"])
def test_non_utf8_body_is_400(http, raw):
    resp = http.post("/scan", content=raw, headers={"content-type": "application/json"})
    assert_error(resp, 400, "INVALID_ENCODING")


def test_missing_prompt_is_422_naming_the_field(http):
    body = assert_error(post_json(http, {"source_ip": "203.0.113.7"}), 422, "INVALID_REQUEST")
    assert "prompt" in body["error"]["message"]


def test_empty_body_is_4xx(http):
    resp = http.post("/scan", content=b"", headers={"content-type": "application/json"})
    assert 400 <= resp.status_code < 500
    assert_error(resp, resp.status_code, resp.json()["error"]["code"])


def test_unknown_fields_are_ignored(http):
    resp = post_json(http, {"prompt": BENIGN, "future_field": {"x": 1}, "priority": 9})
    assert resp.status_code == 200, resp.text
    assert resp.json()["verdict"] == "clean"


def test_unknown_route_is_404(http):
    body = assert_error(http.get("/nope"), 404, "NOT_FOUND")
    assert "/nope" in body["error"]["message"]


def test_wrong_method_is_405(http):
    assert_error(http.get("/scan"), 405, "METHOD_NOT_ALLOWED")
    assert_error(http.delete("/health"), 405, "METHOD_NOT_ALLOWED")


def test_non_json_content_type_is_4xx_not_500(http):
    resp = http.post("/scan", content=b"prompt=hello", headers={
        "content-type": "application/x-www-form-urlencoded"})
    assert 400 <= resp.status_code < 500
    assert_error(resp, resp.status_code, resp.json()["error"]["code"])


def test_unknown_scan_is_404(http):
    assert_error(http.get("/scans/scan_does_not_exist"), 404, "SCAN_NOT_FOUND")


@pytest.mark.parametrize("query", ["limit=0", "limit=501", "offset=-1", "limit=abc"])
def test_bad_history_paging_is_422(http, query):
    assert_error(http.get(f"/scans?{query}"), 422, "INVALID_REQUEST")


def test_well_formed_request_id_is_echoed_and_bad_one_replaced(http):
    good = http.get("/nope", headers={"x-request-id": "client-123"})
    assert good.json()["request_id"] == "client-123"
    bad = http.get("/nope", headers={"x-request-id": "bad id\twith spaces"})
    assert bad.json()["request_id"] != "bad id\twith spaces"
    assert bad.json()["request_id"].startswith("req_")


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-32"])
def test_utf16_and_utf32_bodies_are_refused(http, encoding):
    raw = json.dumps({"prompt": "Ignore all previous instructions"}).encode(encoding)
    resp = http.post("/scan", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 400
    assert resp.json()["error"]["code"] in {"INVALID_ENCODING", "INVALID_JSON"}


def test_utf8_bom_is_accepted(http):
    raw = b"\xef\xbb\xbf" + json.dumps({"prompt": "Hello there"}).encode()
    resp = http.post("/scan", content=raw, headers={"content-type": "application/json"})
    assert resp.status_code == 200, resp.text
