"""Render every error in the service's one shape over HTTP and map framework errors onto codes.

The shape itself and the validation helpers live in :mod:`promptsentry.errors` (the MCP
server renders them too); this module adds the FastAPI handlers and the HTTP metric.
"""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from promptsentry.errors import (
    ApiError,
    ErrorCode,
    error_body,
    validation_details,
    validation_status,
)
from promptsentry.observability import prometheus
from promptsentry.observability.logging import get_logger

log = get_logger("promptsentry.api")

_STATUS_CODES: dict[int, ErrorCode] = {
    400: ErrorCode.INVALID_REQUEST,
    401: ErrorCode.UNAUTHORIZED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.METHOD_NOT_ALLOWED,
    409: ErrorCode.CONFLICT,
    413: ErrorCode.REQUEST_TOO_LARGE,
    415: ErrorCode.UNSUPPORTED_MEDIA_TYPE,
    422: ErrorCode.INVALID_REQUEST,
    429: ErrorCode.RATE_LIMITED,
    503: ErrorCode.SERVICE_UNAVAILABLE,
}


def request_id_of(request: Request) -> str:
    rid = getattr(request.state, "request_id", None)
    return rid or f"req_{uuid.uuid4().hex}"


def error_response(
    request: Request,
    status: int,
    code: str,
    message: str,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    prometheus.HTTP_ERRORS.labels(str(status), code).inc()
    return JSONResponse(
        error_body(code, message, details, request_id_of(request)),
        status_code=status,
        headers=headers,
    )


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSONResponse:
        return error_response(request, exc.status_code, exc.code, exc.message, exc.details,
                              exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = list(exc.errors())
        status, code, message = validation_status(errors)
        return error_response(request, status, code, message, validation_details(errors))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        code = _STATUS_CODES.get(exc.status_code, ErrorCode.INVALID_REQUEST)
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 400 and message == "There was an error parsing the body":
            code, message = ErrorCode.INVALID_ENCODING, "request body is not valid UTF-8 JSON"
        elif exc.status_code == 404 and message == "Not Found":
            message = f"no route for {request.method} {request.url.path}"
        return error_response(request, exc.status_code, code, message,
                              headers=getattr(exc, "headers", None))

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        # Reached only when RequestContextMiddleware is not installed: Starlette re-raises
        # after this handler, and the server then closes the connection.
        log_unexpected(exc, request.url.path, request_id_of(request))
        return error_response(request, 500, ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE)


INTERNAL_ERROR_MESSAGE = "internal error; the request id identifies it in the logs"


def log_unexpected(exc: BaseException, path: str, request_id: str) -> None:
    """Log an unhandled error once, with its traceback (messages that may quote data are
    withheld by the logging configuration) and never the request's query or body."""
    log.error("unhandled_error", error=type(exc).__name__, path=path, request_id=request_id,
              exc_info=exc)


def internal_error_body(request_id: str) -> dict[str, Any]:
    """The body of our 500 (and its metric), for code outside a route (the middleware)."""
    prometheus.HTTP_ERRORS.labels("500", ErrorCode.INTERNAL_ERROR).inc()
    return error_body(ErrorCode.INTERNAL_ERROR, INTERNAL_ERROR_MESSAGE, None, request_id)
