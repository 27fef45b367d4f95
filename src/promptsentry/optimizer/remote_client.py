"""The optimizer API of a remote PromptSentry over HTTP (``--server`` / ``PROMPTSENTRY_URL``
and ``promptsentry mcp-bridge``): :class:`RemoteOptimizer` has the methods of
:class:`~promptsentry.optimizer.local_client.LocalOptimizer`, each one request to the route
its docstring there names; an error answer becomes the
:class:`~promptsentry.errors.ApiError` it carries."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import httpx

from promptsentry import __version__
from promptsentry.errors import ApiError, ErrorCode

__all__ = ["ApiBackend", "RemoteOptimizer"]


class ApiBackend:
    """Calls the optimizer API over an ``httpx`` transport."""

    def __init__(self, base_url: str, *, api_key: str | None = None,
                 transport: httpx.AsyncBaseTransport | None = None,
                 timeout_s: float = 60.0) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = api_key
        self._transport = transport
        self._timeout = timeout_s

    async def call(self, method: str, path: str, *, json_body: Any = None,
                   params: dict[str, Any] | None = None, raw: bool = False) -> Any:
        headers = {"Accept": "application/json",
                   "User-Agent": f"promptsentry-mcp/{__version__}"}
        if self._key:
            headers["X-API-Key"] = self._key
        params = {k: v for k, v in (params or {}).items() if v is not None}
        try:
            async with httpx.AsyncClient(base_url=self.base_url, transport=self._transport,
                                         timeout=self._timeout) as client:
                resp = await client.request(method, path, json=json_body, params=params,
                                            headers=headers)
        except httpx.HTTPError as exc:
            raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                           f"the optimizer server is unreachable ({type(exc).__name__})",
                           {"server": self.base_url}) from None
        if resp.status_code >= 400:
            try:
                err = resp.json()["error"]
                raise ApiError(resp.status_code, err["code"], err["message"],
                               err.get("details") or {})
            except (ValueError, KeyError, TypeError):
                raise ApiError(resp.status_code, ErrorCode.SERVICE_UNAVAILABLE,
                               f"the optimizer server answered HTTP {resp.status_code}") from None
        if raw:
            return resp.text
        return resp.json()


def _seg(value: str) -> str:
    return quote(value, safe="")


class RemoteOptimizer:
    """The optimizer API of the server behind ``backend`` (the key's tenant).

    ``templates_path`` is where one template's routes are: the public ``/api/v1/templates``
    (the CLI) or the bridge's ``/api/v1/mcp/templates`` (the MCP tools); both answer alike.
    """

    def __init__(self, backend: ApiBackend, *,
                 templates_path: str = "/api/v1/templates") -> None:
        self.backend = backend
        self.templates_path = templates_path

    async def optimize(self, body: dict[str, Any], *, request_id: str | None = None,
                       bridge: bool = False) -> dict[str, Any]:
        path = "/api/v1/mcp/optimize" if bridge else "/api/v1/optimize"
        return await self.backend.call("POST", path, json_body=body)

    async def detect(self, prompt: Any, *, bridge: bool = False) -> dict[str, Any]:
        path = "/api/v1/mcp/detect-context" if bridge else "/api/v1/detect-context"
        return await self.backend.call("POST", path, json_body={"prompt": prompt})

    async def list_templates(self, **params: Any) -> dict[str, Any]:
        return await self.backend.call("GET", "/api/v1/templates", params=params)

    async def search_templates(self, body: dict[str, Any]) -> dict[str, Any]:
        return await self.backend.call("POST", "/api/v1/templates/search", json_body=body)

    async def bridge_templates(self, **params: Any) -> dict[str, Any]:
        return await self.backend.call("GET", "/api/v1/mcp/templates", params=params)

    async def get_template(self, template_id: str) -> dict[str, Any]:
        return await self.backend.call("GET", f"{self.templates_path}/{_seg(template_id)}")

    async def create_template(self, body: dict[str, Any], *,
                              request_id: str | None = None) -> dict[str, Any]:
        return await self.backend.call("POST", "/api/v1/mcp/templates", json_body=body)

    async def update_template(self, template_id: str, patch: Any) -> dict[str, Any]:
        return await self.backend.call("PATCH", f"{self.templates_path}/{_seg(template_id)}",
                                       json_body=patch)

    async def delete_template(self, template_id: str) -> dict[str, Any]:
        return await self.backend.call("DELETE", f"{self.templates_path}/{_seg(template_id)}")

    async def export(self, format: Any = "json", csv_formulas: Any = "escape") -> str:
        return await self.backend.call("GET", "/api/v1/templates/export", raw=True,
                                       params={"format": format, "csv_formulas": csv_formulas})

    async def bridge_quota(self) -> dict[str, Any]:
        return await self.backend.call("GET", "/api/v1/mcp/quota-status")
