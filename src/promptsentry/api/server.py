"""How ``promptsentry serve`` runs uvicorn: HTTP limits and timeouts, logging.

uvicorn's defaults leave a worker open to slow or oversized clients: with ``httptools`` no
header-size cap at all (a 64 MB header was accepted), and with either parser no read timeout
(a half-sent request, or a connection that sends nothing, is held open forever; uvicorn's
keep-alive timer only runs *between* requests). ``serve`` therefore runs the h11 parser
through :class:`HardenedH11Protocol`:

* ``http_max_header_bytes`` — h11's ``max_incomplete_event_size``: a request line plus headers
  larger than this is answered ``431 HEADERS_TOO_LARGE`` and the connection closed;
* ``http_max_headers`` — enforced by :class:`~promptsentry.api.middleware.RequestContextMiddleware`
  (431 as well);
* ``http_read_timeout_seconds`` — the whole request (line, headers, body) must arrive within
  this many seconds of the connection opening or of its first byte, else the connection is
  closed; time the application spends answering does not count;
* ``http_keep_alive_seconds`` — uvicorn's ``timeout_keep_alive``.

Protocol errors are answered in the service's one error shape (JSON), not uvicorn's plain text.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from promptsentry.config import Settings, get_settings
from promptsentry.errors import ErrorCode, error_body

#: The ``http`` protocol ``serve`` gives uvicorn (an import string, so spawned workers load it).
PROTOCOL = "promptsentry.api.server:HardenedH11Protocol"


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ``uvicorn.run`` / ``uvicorn.Config`` from the settings."""
    return {
        "http": PROTOCOL,
        "h11_max_incomplete_event_size": settings.http_max_header_bytes,
        "timeout_keep_alive": settings.http_keep_alive_seconds,
        # Logging is ours (structlog JSON, observability/logging.py): uvicorn's dictConfig
        # would install plain-text handlers on its loggers.
        "log_config": None,
        "log_level": settings.log_level,
        "server_header": False,
    }


class HardenedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a request read timeout and JSON protocol errors."""

    def __init__(self, config: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(config, *args, **kwargs)
        self._read_timeout = get_settings().http_read_timeout_seconds
        self._max_header_bytes = config.h11_max_incomplete_event_size
        self._read_timer: asyncio.TimerHandle | None = None

    # --- read timeout ---------------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._track()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        # Between requests the keep-alive timer rules; a pipelined request already partly
        # read is on the clock again.
        self._disarm()
        self._track(only_if_started=True)

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _track(self, *, only_if_started: bool = False) -> None:
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        reading = state is h11.SEND_BODY or (
            state is h11.IDLE and (not only_if_started or bool(self.conn.trailing_data[0])))
        if reading:
            self._arm()
        else:
            self._disarm()

    def _arm(self) -> None:
        if self._read_timer is None:
            self._read_timer = self.loop.call_later(self._read_timeout, self._timed_out)

    def _disarm(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.logger.info("request read timeout: closing the connection")
            self.transport.close()

    # --- protocol errors ------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        too_large = len(self.conn.trailing_data[0]) > self._max_header_bytes
        if too_large:
            status, body = 431, error_body(
                ErrorCode.HEADERS_TOO_LARGE,
                f"request line and headers exceed {self._max_header_bytes} bytes",
                {"limit": self._max_header_bytes}, f"req_{uuid.uuid4().hex}")
        else:
            status, body = 400, error_body(ErrorCode.INVALID_REQUEST, "malformed HTTP request",
                                           None, f"req_{uuid.uuid4().hex}")
        raw = json.dumps(body).encode()
        event = h11.Response(status_code=status, headers=[
            (b"content-type", b"application/json"), (b"content-length", str(len(raw)).encode()),
            (b"connection", b"close")])
        try:
            self.transport.write(self.conn.send(event))
            self.transport.write(self.conn.send(h11.Data(data=raw)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # a response was already under way: just close
            pass
        self._disarm()
        self.transport.close()
