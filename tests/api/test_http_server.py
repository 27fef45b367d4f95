"""The HTTP server as `promptsentry serve` runs it (issue 17, points 6 and 8): a real uvicorn on
a free loopback port, with its header limits, read timeout, connection reuse after our 500,
and logs (JSON for every logger, no query strings, no SQL parameters)."""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

TESTS = Path(__file__).resolve().parents[1]
SECRET = "SECRET-PROMPT-TEXT-7f3a"
READ_TIMEOUT = 1.0
MAX_HEADER_BYTES = 8192
MAX_HEADERS = 20


class Server:
    def __init__(self, port: int, log: Path) -> None:
        self.port, self.log = port, log

    def connect(self) -> socket.socket:
        sock = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        return sock

    def log_lines(self) -> list[str]:
        time.sleep(0.2)
        return [line for line in self.log.read_text().splitlines() if line.strip()]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    base = tmp_path_factory.mktemp("http-server")
    port = _free_port()
    log = base / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSENTRY_")}
    env.update({
        "PYTHONPATH": os.pathsep.join([str(TESTS / "api"), str(TESTS),
                                       env.get("PYTHONPATH", "")]),
        "PROMPTSENTRY_DATA_DIR": str(base / "data"),
        "PROMPTSENTRY_AUDIT_SALT": "test-audit-salt-not-a-secret",
        "PROMPTSENTRY_LOG_LEVEL": "info",
        "PROMPTSENTRY_HTTP_READ_TIMEOUT_SECONDS": str(READ_TIMEOUT),
        "PROMPTSENTRY_HTTP_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
        "PROMPTSENTRY_HTTP_MAX_HEADERS": str(MAX_HEADERS),
    })
    with log.open("wb") as sink:
        proc = subprocess.Popen([sys.executable, str(TESTS / "api" / "serve_with_faults.py"),
                                 str(port)], env=env, stdout=sink, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while True:
            assert proc.poll() is None, log.read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.1)
        yield Server(port, log)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _read_response(sock: socket.socket) -> tuple[int, bytes]:
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            break
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = next((int(line.split(b":", 1)[1]) for line in head.split(b"\r\n")
                   if line.lower().startswith(b"content-length:")), 0)
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, body


def _closed_within(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes ``sock`` within ``seconds`` (EOF or reset)."""
    sock.settimeout(seconds)
    try:
        while True:
            if not sock.recv(65536):
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except TimeoutError:
        return False


def _assert_error_shape(body: bytes, code: str) -> dict:
    payload = json.loads(body)
    assert set(payload) == {"error", "request_id", "timestamp"}
    assert payload["error"]["code"] == code
    return payload


def test_the_connection_survives_our_500(server: Server) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    try:
        conn.request("GET", "/test/boom")
        r = conn.getresponse()
        body = r.read()
        assert r.status == 500
        _assert_error_shape(body, "INTERNAL_ERROR")
        assert (r.getheader("connection") or "").lower() != "close"
        sock = conn.sock
        assert sock is not None  # http.client keeps it: the server did not ask to close
        conn.request("GET", "/health")
        r = conn.getresponse()
        assert r.status == 200 and json.loads(r.read())["status"] == "ok"
        assert conn.sock is sock  # the same connection, not a silent reconnect
    finally:
        conn.close()


def test_a_pooled_client_reuses_the_connection_after_a_500(server: Server) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as c:
        for _ in range(3):
            assert c.get("/test/boom").status_code == 500
            assert c.get("/health").status_code == 200


def test_oversized_headers_are_refused_with_431(server: Server) -> None:
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * 1024)
                     + b"\r\n\r\n")
        status, body = _read_response(sock)
        assert status == 431
        assert _assert_error_shape(body, "HEADERS_TOO_LARGE")["error"]["details"] == {
            "limit": MAX_HEADER_BYTES}
        assert _closed_within(sock, 2)


def test_an_endless_header_is_cut_off_at_the_cap(server: Server) -> None:
    """A client streaming a huge header never gets the server to buffer more than the cap:
    the connection is refused and closed while the client is still sending."""
    with server.connect() as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent, refused = 0, False
        try:
            while sent < 64 * 1024 * 1024:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (ConnectionResetError, BrokenPipeError):
            refused = True
        assert refused and sent < 8 * 1024 * 1024


def test_too_many_headers_are_refused_with_431(server: Server) -> None:
    with server.connect() as sock:
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS + 5))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
        status, body = _read_response(sock)
        assert status == 431
        _assert_error_shape(body, "HEADERS_TOO_LARGE")
    with server.connect() as sock:  # at the limit: fine
        extra = b"".join(b"X-H%d: v\r\n" % i for i in range(MAX_HEADERS - 1))
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n" + extra + b"\r\n")
        assert _read_response(sock)[0] == 200


def test_a_half_sent_request_is_dropped_after_the_read_timeout(server: Server) -> None:
    started = time.monotonic()
    with server.connect() as headers_only, server.connect() as body_missing, \
            server.connect() as silent:
        headers_only.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        body_missing.sendall(b"POST /scan HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                             b"\r\nContent-Length: 100\r\n\r\n{\"prompt\": \"hel")
        for sock in (headers_only, body_missing, silent):
            assert _closed_within(sock, READ_TIMEOUT + 3)
    assert time.monotonic() - started < READ_TIMEOUT + 3


def test_a_slow_but_complete_client_and_keep_alive_still_work(server: Server) -> None:
    with server.connect() as sock:
        for part in (b"GET /health HTTP/1.1\r\n", b"Host: x\r\n", b"\r\n"):
            sock.sendall(part)
            time.sleep(READ_TIMEOUT / 4)
        assert _read_response(sock)[0] == 200
        time.sleep(READ_TIMEOUT * 1.5)  # idle between requests: keep-alive (5 s) rules
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert _read_response(sock)[0] == 200


def test_logs_are_json_without_query_strings_or_sql_parameters(server: Server) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{server.port}", timeout=5) as c:
        r = c.get("/api/v1/templates", params={"search": SECRET})
        assert r.status_code == 200, r.text
        assert c.get("/test/sql-error").status_code == 500
        assert c.get("/health", params={"q": SECRET}).status_code == 200
    lines = server.log_lines()
    # The CLI's console output (banner, a no-credentials warning) precedes the server;
    # from uvicorn's first line on, every line is a JSON log record.
    first = next(i for i, line in enumerate(lines) if line.startswith("{"))
    assert all("uvicorn" not in line.lower() for line in lines[:first]), lines[:first]
    records = [json.loads(line) for line in lines[first:]]
    assert SECRET not in server.log.read_text()
    loggers = {r.get("logger") for r in records}
    assert {"uvicorn.error", "uvicorn.access"} <= loggers, loggers
    access = [r["event"] for r in records if r.get("logger") == "uvicorn.access"]
    assert any('"GET /api/v1/templates HTTP/1.1" 200' in e for e in access), access
    assert not any("?" in e for e in access)
    failure = next(r for r in records if r.get("event") == "unhandled_error"
                   and r.get("path") == "/test/sql-error")
    assert "OperationalError" in failure["exception"]
    assert "message withheld" in failure["exception"]
    # Our 500 is logged once, by us: no second copy from uvicorn ("Exception in ASGI ...").
    assert not any("Exception in ASGI application" in r.get("event", "") for r in records)
