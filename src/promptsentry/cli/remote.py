"""``scan --server``: the scan request sent to a running server's ``POST /scan`` (httpx).

The answer is the same JSON data the in-process path produces — a scan response or an error
object in the service's one error shape — so ``scan`` prints both paths the same way.
"""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import typer
from rich.console import Console

from promptsentry.clock import now_iso

EXIT_INVALID = 2
_err = Console(stderr=True)


def error_object(code: str, message: str, details: dict[str, Any] | None = None,
                 **extra: Any) -> dict[str, Any]:
    """The service's one error shape, for errors the CLI reports as data."""
    return {"error": {"code": code, "message": message, "details": details or {}},
            "request_id": f"req_{uuid.uuid4().hex}", "timestamp": now_iso(), **extra}


class RemoteScanner:
    """Scans over HTTP; one connection pool for a whole batch. Use inside one event loop and
    :meth:`aclose` it there."""

    def __init__(self, base_url: str, api_key: str | None = None, timeout: float = 30.0) -> None:
        self.base_url = base_url
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._timeout = timeout
        self._client: httpx.AsyncClient | None = None

    async def scan(self, payload: dict[str, Any]) -> dict[str, Any]:
        """The server's answer to ``payload``: a scan response or an error object. A server
        that cannot be reached ends the command (exit 2, the reason on standard error)."""
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.base_url, timeout=self._timeout,
                                             headers=self._headers)
        body = {k: v for k, v in payload.items() if v is not None}
        try:
            response = await self._client.post("/scan", json=body)
        except httpx.HTTPError as exc:
            _err.print(f"[red]cannot reach {self.base_url}: {type(exc).__name__}[/]",
                       highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        try:
            data = response.json()
        except ValueError:
            data = None
        if isinstance(data, dict):
            if response.status_code < 400 and "verdict" in data:
                return data
            if isinstance(data.get("error"), dict):
                return data
        return error_object(
            "UNEXPECTED_RESPONSE",
            f"{self.base_url}/scan answered HTTP {response.status_code} without a scan "
            "response or an error object (is this a PromptSentry server?)")

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None
