"""What the OpenAPI document says beyond FastAPI's defaults: our errors, and links.

* :class:`ErrorBody` — the one error shape (:mod:`promptsentry.errors`) as a schema;
* :func:`error_responses` — a route's (or router's) ``responses=``: our error shape for each
  status named, e.g. ``@router.get(..., responses=error_responses(409, 429))``;
* :func:`describe_errors` — run once by the app factory: the document it serves adds to every
  operation the statuses that the layers around its handler send for it (read from the
  operation's own entry), so a route names only what its own code raises:

  ============================  ================================================
  the operation has …           it may answer
  ============================  ================================================
  a credential dependency       400 (bad ``X-Tenant-ID``), 401, 403, 503 (a store is down)
  parameters or a body          422 (FastAPI's validation, in our shape)
  a JSON body                   400 (not JSON / not UTF-8), 413 (a field or the body too big)
  path parameters               404 (unknown object, or a value no route matches)
  ============================  ================================================

:data:`LINKS` adds OpenAPI links from the operations that create something to those that read,
change or delete it. The credentials themselves are documented by the security schemes of
:mod:`promptsentry.api.auth` (``BearerAuth``, ``ApiKeyAuth``), which ``/docs`` can authorise.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from pydantic import BaseModel, ConfigDict, Field

ERROR_DESCRIPTIONS: dict[int, str] = {
    400: "Bad request: the body is not JSON (`INVALID_JSON`) or not UTF-8 "
         "(`INVALID_ENCODING`), or a header is malformed (`INVALID_REQUEST`)",
    401: "Credentials missing (`UNAUTHORIZED`) or not valid (`INVALID_API_KEY`)",
    403: "The credential lacks the scope or tenant (`FORBIDDEN`), or the caller's address is "
         "blocked (`IP_BLOCKED`)",
    404: "No such object (`NOT_FOUND`, `SCAN_NOT_FOUND`, `SESSION_NOT_FOUND`), or no route "
         "for the path",
    409: "Conflict with the current state (`CONFLICT`)",
    413: "A field over its limit (`PROMPT_TOO_LONG`, `OUTPUT_TOO_LONG`, `IDENTITY_TOO_LONG`) "
         "or the body over `max_body_bytes` (`REQUEST_TOO_LARGE`)",
    422: "Validation failed (`INVALID_REQUEST`, `PROMPT_EMPTY`, `INVALID_IP`, "
         "`INVALID_GOALS`); `details.errors` names each field, never its value",
    429: "Over a rate limit (`RATE_LIMITED`, with `Retry-After`) or quota "
         "(`QUOTA_EXCEEDED`)",
    503: "A store (or the optimizer's LLM provider) is unavailable (`SERVICE_UNAVAILABLE`); "
         "retry after `Retry-After`",
}


class ErrorInfo(BaseModel):
    code: str = Field(description="A stable upper-case code clients may branch on.",
                      examples=["PROMPT_TOO_LONG"])
    message: str = Field(description="What went wrong, for people.")
    details: dict[str, Any] = Field(description="Structured context (the failed fields of a "
                                    "validation error, a limit, the tenant ids of a conflict)")


class ErrorBody(BaseModel):
    """Every error, on every route (the optimizer bridge's routes add a `detail` string)."""

    model_config = ConfigDict(extra="allow")

    error: ErrorInfo
    request_id: str = Field(description="Also the `X-Request-ID` header.")
    timestamp: str = Field(description="ISO 8601, UTC.")


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """``responses=`` for ``statuses``: each documented with :class:`ErrorBody`."""
    return {status: {"model": ErrorBody, "description": ERROR_DESCRIPTIONS[status]}
            for status in sorted(set(statuses))}


def inferred_statuses(operation: dict[str, Any]) -> set[int]:
    """The error statuses the layers around an operation's handler may send for it, read
    from its OpenAPI entry (security, parameters, request body)."""
    params = operation.get("parameters", [])
    statuses: set[int] = set()
    if operation.get("security"):
        statuses |= {400, 401, 403, 503}
    # X-Tenant-ID is any string to FastAPI (we check it, answering 400): no 422 from it alone.
    if any(p.get("in") != "header" for p in params) or "requestBody" in operation:
        statuses.add(422)
    if "requestBody" in operation:
        statuses |= {400, 413}
    # a path id, or an X-Tenant-ID naming no tenant (the admin token acting for a tenant)
    if any(p.get("in") == "path" or p.get("name", "").lower() == "x-tenant-id"
           for p in params):
        statuses.add(404)
    return statuses


#: OpenAPI links: where an answer's id leads (clients and stateful fuzzers follow them).
#: (method, path, status) of the source → {link name: (method, path, {parameter: expression})}.
LINKS: dict[tuple[str, str, str], dict[str, tuple[str, str, dict[str, str]]]] = {
    ("post", "/scan", "200"): {
        "GetScan": ("get", "/scans/{scan_id}", {"scan_id": "$response.body#/scan_id"})},
    ("post", "/session/{session_id}/scan", "200"): {
        "GetSession": ("get", "/session/{session_id}",
                       {"session_id": "$response.body#/session_id"}),
        "DeleteSession": ("delete", "/session/{session_id}",
                          {"session_id": "$response.body#/session_id"})},
    ("post", "/admin/tenants", "201"): {
        f"{verb.title()}Tenant{suffix}": (verb, path, {"tenant_id": "$response.body#/id"})
        for path, suffix, verbs in (
            ("/admin/tenants/{tenant_id}", "", ("get", "patch", "delete")),
            ("/admin/tenants/{tenant_id}/system-prompt", "SystemPrompt", ("put", "get")))
        for verb in verbs},
    ("post", "/admin/keys", "201"): {
        "RevokeKey": ("delete", "/admin/keys/{key_id}", {"key_id": "$response.body#/key_id"})},
    ("post", "/admin/blocks", "201"): {
        "RemoveBlock": ("delete", "/admin/blocks/{ip}", {"ip": "$response.body#/ip"}),
        "GetStrikes": ("get", "/admin/strikes/{ip}", {"ip": "$response.body#/ip"})},
    ("post", "/admin/allowlist", "201"): {
        "RemoveAllow": ("delete", "/admin/allowlist/{ip}", {"ip": "$response.body#/ip"})},
    ("post", "/api/v1/mcp/templates", "201"): {
        f"{name}Template": (verb, path, {"template_id": "$response.body#/id"})
        for name, verb, path in (
            ("Get", "get", "/api/v1/templates/{template_id}"),
            ("Stats", "get", "/api/v1/templates/{template_id}/stats"),
            ("Patch", "patch", "/api/v1/mcp/templates/{template_id}"),
            ("Delete", "delete", "/api/v1/mcp/templates/{template_id}"))},
}


def _operation_ref(method: str, path: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _error_ref() -> dict[str, Any]:
    return {"content": {"application/json": {"schema": {
        "$ref": f"#/components/schemas/{ErrorBody.__name__}"}}}}


def document_errors(schema: dict[str, Any]) -> dict[str, Any]:
    """Give every operation of ``schema`` (an OpenAPI document) our error shape for each
    status its layers send (see the module docstring), in place of FastAPI's default 422
    (``HTTPValidationError``, which the service never sends)."""
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorBody.model_json_schema(ref_template="#/components/schemas/{model}")
    components.update(error_schema.pop("$defs", {}))
    components[ErrorBody.__name__] = error_schema
    for path_item in schema.get("paths", {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            default_422 = responses.get("422", {}).get("content", {}).get(
                "application/json", {}).get("schema", {}).get("$ref", "")
            if default_422.endswith("/HTTPValidationError"):
                del responses["422"]
            for status in inferred_statuses(operation):
                responses.setdefault(str(status), {
                    "description": ERROR_DESCRIPTIONS[status], **_error_ref()})
            operation["responses"] = dict(sorted(responses.items()))
    for (method, path, status), links in LINKS.items():
        response = schema["paths"][path][method]["responses"][status]
        response["links"] = {
            name: {"operationRef": _operation_ref(target_method, target_path),
                   "parameters": parameters}
            for name, (target_method, target_path, parameters) in links.items()}
    for unused in ("HTTPValidationError", "ValidationError"):
        components.pop(unused, None)
    return schema


def describe_errors(app: FastAPI) -> None:
    """Make ``app.openapi()`` serve FastAPI's document with :func:`document_errors` applied
    (once per document: FastAPI rebuilds it only when the routes change)."""
    build = app.openapi
    documented: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        document = build()
        if not documented or documented[0] is not document:
            documented[:] = [document_errors(document)]
        return document

    app.openapi = openapi  # type: ignore[method-assign]
