"""Error codes and the one exception type every layer raises for a client error.

Every HTTP error leaves the service in one shape::

    {"error": {"code": "PROMPT_TOO_LONG", "message": "...", "details": {...}},
     "request_id": "...", "timestamp": "..."}

Codes are stable, upper-case identifiers: clients may branch on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from promptsentry.clock import now_iso


class ErrorCode(StrEnum):
    """Stable error codes. Add, never rename."""

    INVALID_REQUEST = "INVALID_REQUEST"
    INVALID_JSON = "INVALID_JSON"
    INVALID_ENCODING = "INVALID_ENCODING"
    PROMPT_EMPTY = "PROMPT_EMPTY"
    PROMPT_TOO_LONG = "PROMPT_TOO_LONG"
    OUTPUT_TOO_LONG = "OUTPUT_TOO_LONG"
    IDENTITY_TOO_LONG = "IDENTITY_TOO_LONG"
    INVALID_IP = "INVALID_IP"
    REQUEST_TOO_LARGE = "REQUEST_TOO_LARGE"
    UNSUPPORTED_MEDIA_TYPE = "UNSUPPORTED_MEDIA_TYPE"
    NOT_FOUND = "NOT_FOUND"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    SCAN_NOT_FOUND = "SCAN_NOT_FOUND"
    SESSION_NOT_FOUND = "SESSION_NOT_FOUND"
    UNAUTHORIZED = "UNAUTHORIZED"
    INVALID_API_KEY = "INVALID_API_KEY"
    FORBIDDEN = "FORBIDDEN"
    FORBIDDEN_SETTING = "FORBIDDEN_SETTING"
    IP_BLOCKED = "IP_BLOCKED"
    RATE_LIMITED = "RATE_LIMITED"
    QUOTA_EXCEEDED = "QUOTA_EXCEEDED"
    CONFLICT = "CONFLICT"
    INVALID_GOALS = "INVALID_GOALS"
    SERVICE_UNAVAILABLE = "SERVICE_UNAVAILABLE"
    INTERNAL_ERROR = "INTERNAL_ERROR"
    HEADERS_TOO_LARGE = "HEADERS_TOO_LARGE"
    UNSAFE_ENDPOINT = "UNSAFE_ENDPOINT"
    ENCRYPTION_NOT_CONFIGURED = "ENCRYPTION_NOT_CONFIGURED"


class PromptSentryError(Exception):
    """Base class of every exception PromptSentry raises on purpose."""


class ApiError(PromptSentryError):
    """A client-visible error: HTTP status, stable code, message and details.

    Raise it anywhere below the API layer; the exception handler renders it in
    the service's one error shape.
    """

    def __init__(
        self,
        status_code: int,
        code: ErrorCode | str,
        message: str,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.code = str(code)
        self.message = message
        self.details = details or {}
        self.headers = headers or {}


def error_body(code: str, message: str, details: dict[str, Any] | None, request_id: str) -> dict:
    """The one error shape, as a JSON-ready dict (HTTP answers and MCP tool errors)."""
    return {
        "error": {"code": code, "message": message, "details": details or {}},
        "request_id": request_id,
        "timestamp": now_iso(),
    }


# pydantic error type → (HTTP status, code). Size limits are 413, the rest 422.
_VALIDATION_CODES: dict[str, tuple[int, ErrorCode]] = {
    "prompt_too_long": (413, ErrorCode.PROMPT_TOO_LONG),
    "output_too_long": (413, ErrorCode.OUTPUT_TOO_LONG),
    "identity_too_long": (413, ErrorCode.IDENTITY_TOO_LONG),
    "prompt_empty": (422, ErrorCode.PROMPT_EMPTY),
    "invalid_ip": (422, ErrorCode.INVALID_IP),
    "json_invalid": (400, ErrorCode.INVALID_JSON),
}


def _public_error(err: dict[str, Any]) -> dict[str, Any]:
    """A validation error without the offending input (it may be prompt text)."""
    loc = [str(part) for part in err.get("loc", ()) if part != "body"]
    out: dict[str, Any] = {"field": ".".join(loc) or "body", "type": err.get("type"),
                           "message": err.get("msg")}
    ctx = err.get("ctx") or {}
    for key in ("limit", "size", "le", "ge", "max_length", "min_length", "expected"):
        if key in ctx and isinstance(ctx[key], (int, float, str)):
            out[key] = ctx[key]
    return out


#: The refusal of a URL (path or query string) holding a NUL, which no parameter may hold.
NUL_IN_URL = "the URL holds a NUL character (%00)"


def validation_details(errors: list[dict[str, Any]]) -> dict[str, Any]:
    """The ``details`` of a validation error: each failed field, never the offending input."""
    return {"errors": [_public_error(e) for e in errors][:20]}


def validation_status(errors: list[dict[str, Any]]) -> tuple[int, ErrorCode, str]:
    """Pick the status and code for a list of pydantic errors (size limits win)."""
    mapped = [_VALIDATION_CODES.get(e.get("type", "")) for e in errors]
    for status, code in (m for m in mapped if m is not None):
        if status == 413:
            return status, code, _first_message(errors, code)
    for m in mapped:
        if m is not None:
            return m[0], m[1], _first_message(errors, m[1])
    if any(e.get("type") == "missing" and tuple(e.get("loc", ()))[-1:] == ("prompt",)
           for e in errors):
        return 422, ErrorCode.INVALID_REQUEST, "field 'prompt' is required"
    return 422, ErrorCode.INVALID_REQUEST, "request body failed validation"


def _first_message(errors: list[dict[str, Any]], code: ErrorCode) -> str:
    for e in errors:
        if _VALIDATION_CODES.get(e.get("type", ""), (0, None))[1] == code:
            if code is ErrorCode.INVALID_JSON:
                return f"request body is not valid JSON: {(e.get('ctx') or {}).get('error', '')}"
            return str(e.get("msg"))
    return "request body failed validation"
