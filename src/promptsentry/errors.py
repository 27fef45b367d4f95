"""Error codes and the one exception type every layer raises for a client error.

Every HTTP error leaves the service in one shape::

    {"error": {"code": "PROMPT_TOO_LONG", "message": "...", "details": {...}},
     "request_id": "...", "timestamp": "..."}

Codes are stable, upper-case identifiers: clients may branch on them.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any


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
