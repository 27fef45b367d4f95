"""Pure ASGI middleware: request ids, security headers, header limits, and our 500.

Pure ASGI (not ``BaseHTTPMiddleware``) so streaming responses pass through untouched and
the cost per request stays a few microseconds. The body-size limit is FastAPI's own
(``max_body_size``), rendered in the one error shape by the exception handlers.

An exception no handler took is answered here, in the one error shape, and *not* re-raised:
Starlette's ``ServerErrorMiddleware`` re-raises after its handler runs, and uvicorn then
closes the connection, so a client's next request on that pooled connection failed with a
reset.
"""

from __future__ import annotations

import json
import re
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from promptsentry.api.errors import internal_error_body, log_unexpected
from promptsentry.errors import NUL_IN_URL, error_body
from promptsentry.schemas.request import REQUEST_ID_PATTERN

_REQUEST_ID_OK = re.compile(REQUEST_ID_PATTERN)


class RequestContextMiddleware:
    """Assigns a request id (honouring a well-formed ``X-Request-ID``) and adds it and the
    security headers to every response."""

    def __init__(self, app: ASGIApp, *, security_headers: bool, hsts_max_age: int,
                 max_body_bytes: int | None = None, max_headers: int | None = None,
                 max_header_bytes: int | None = None) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_headers = max_headers
        self.max_header_bytes = max_header_bytes
        extra: list[tuple[bytes, bytes]] = []
        if security_headers:
            extra = [
                (b"strict-transport-security",
                 f"max-age={hsts_max_age}; includeSubDomains".encode()),
                (b"x-content-type-options", b"nosniff"),
                (b"x-frame-options", b"DENY"),
                (b"referrer-policy", b"no-referrer"),
            ]
        self._extra_headers = extra

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        incoming = None
        for name, value in scope.get("headers", ()):
            if name == b"x-request-id":
                incoming = value.decode("latin-1")
                break
        request_id = (incoming if incoming and _REQUEST_ID_OK.match(incoming)
                      else f"req_{uuid.uuid4().hex}")
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        state["received_at"] = time.perf_counter()
        headers_to_add = [(b"x-request-id", request_id.encode()), *self._extra_headers]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", ()))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in headers_to_add if h[0] not in present)
                message = {**message, "headers": headers}
            await send(message)

        async def refuse(status: int, body: dict) -> None:
            # Refuse before reading: answer in the service's error shape (Starlette's own
            # limiter would answer plain text for a declared Content-Length).
            raw = json.dumps(body).encode()
            await send_with_headers({"type": "http.response.start", "status": status,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(raw)).encode()),
                                                 (b"connection", b"close")]})
            await send_with_headers({"type": "http.response.body", "body": raw})

        # The server caps what it buffers (h11's max_incomplete_event_size), but a complete
        # head read in one piece passes it: the limits on the head are enforced here.
        headers = scope.get("headers", ())
        if self.max_headers is not None and len(headers) > self.max_headers:
            await refuse(431, error_body(
                "HEADERS_TOO_LARGE", f"a request may carry at most {self.max_headers} headers",
                {"limit": self.max_headers}, request_id))
            return
        if self.max_header_bytes is not None and sum(
                len(name) + len(value) + 4 for name, value in headers) > self.max_header_bytes:
            await refuse(431, error_body(
                "HEADERS_TOO_LARGE",
                f"request line and headers exceed {self.max_header_bytes} bytes",
                {"limit": self.max_header_bytes}, request_id))
            return
        if _has_nul(scope):
            # No path segment or query parameter of this API may hold a NUL; PostgreSQL
            # refuses one as a parameter, which answered a false "database unavailable" 503.
            await refuse(422, error_body(
                "INVALID_REQUEST", NUL_IN_URL, {}, request_id))
            return
        if self.max_body_bytes is not None and _declared_length(scope) > self.max_body_bytes:
            await refuse(413, error_body(
                "REQUEST_TOO_LARGE", f"request body exceeds {self.max_body_bytes} bytes",
                {"limit": self.max_body_bytes}, request_id))
            return

        started = False

        async def send_tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send_with_headers(message)

        try:
            await self.app(scope, receive, send_tracked)
        except Exception as exc:
            if started:  # part of a response is out: nothing to do but let the server close
                raise
            log_unexpected(exc, scope.get("path", ""), request_id)
            raw = json.dumps(internal_error_body(request_id)).encode()
            await send_with_headers({"type": "http.response.start", "status": 500,
                                     "headers": [(b"content-type", b"application/json"),
                                                 (b"content-length", str(len(raw)).encode())]})
            await send_with_headers({"type": "http.response.body", "body": raw})


def _has_nul(scope: Scope) -> bool:
    query = scope.get("query_string") or b""
    return "\x00" in scope.get("path", "") or b"\x00" in query or b"%00" in query


def _declared_length(scope: Scope) -> int:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return 0
    return 0
