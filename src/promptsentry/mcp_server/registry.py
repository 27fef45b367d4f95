"""The MCP tool registry: tools collected before the server is built, and how their
arguments are validated.

Tools validate their own arguments with the same pydantic models as the HTTP API, so a bad
call answers an MCP tool error (``isError``) whose text is the service's one JSON error
shape — ``{"error": {"code", "message", "details"}, "request_id", "timestamp"}`` — rather
than the SDK's free-text message. The advertised input schema is the model's JSON schema.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any

from mcp.server.mcpserver.tools import Tool
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, ValidationError

from promptsentry.errors import (
    ApiError,
    ErrorCode,
    error_body,
    validation_details,
    validation_status,
)
from promptsentry.observability.logging import get_logger

if TYPE_CHECKING:
    from promptsentry.wiring import Services

__all__ = ["Handler", "ToolRegistry", "error_result"]

log = get_logger("promptsentry.mcp")


Handler = Callable[[Any, str], Awaitable[BaseModel | Mapping[str, Any]]]


class _ValidatingTool(Tool):
    """A tool that receives its arguments as sent and validates them itself.

    ``MCPServer`` would otherwise validate against the function signature first (and
    JSON-decode string arguments that look like JSON — fatal for a prompt that *is* JSON),
    answering free text on failure.
    """

    async def run(self, arguments: dict[str, Any], context: Any,
                  convert_result: bool = False) -> Any:
        result = await self.fn(arguments)
        return self.fn_metadata.convert_result(result) if convert_result else result


def _text_result(payload: Mapping[str, Any] | str, *, is_error: bool = False) -> CallToolResult:
    text = payload if isinstance(payload, str) else json.dumps(payload, ensure_ascii=False)
    return CallToolResult(content=[TextContent(type="text", text=text)], is_error=is_error)


def error_result(request_id: str, code: str, message: str, details: Mapping[str, Any] | None,
                 extra: Mapping[str, Any] | None = None) -> CallToolResult:
    """An ``isError`` tool result whose text is the service's JSON error shape."""
    body = error_body(code, message, dict(details or {}), request_id)
    if extra:
        body.update(extra)
    return _text_result(body, is_error=True)


def _invalid(exc: ValidationError, request_id: str,
             extra: Mapping[str, Any] | None) -> CallToolResult:
    """A validation failure, with the HTTP API's codes (PROMPT_TOO_LONG, INVALID_IP, …)."""
    errors = [dict(e) for e in exc.errors(include_url=False, include_input=False)]
    _, code, message = validation_status(errors)
    return error_result(request_id, code, message, validation_details(errors), extra)


class ToolRegistry:
    """Collects the server's tools before the server is built.

    ``add`` registers a plain ``MCPServer`` tool (arguments from the function signature);
    ``add_validated`` registers a tool whose arguments are a pydantic model, validated with
    the service's error codes and answered as JSON.
    """

    def __init__(self, services: Services | None) -> None:
        self.services = services
        self.tools: list[Tool] = []

    def add(self, fn: Callable[..., Any], *, name: str | None = None,
            description: str | None = None, title: str | None = None,
            annotations: ToolAnnotations | None = None,
            structured_output: bool | None = None) -> Tool:
        tool = Tool.from_function(fn, name=name, title=title, description=description,
                                  annotations=annotations, structured_output=structured_output)
        self._append(tool)
        return tool

    def add_validated(
        self,
        handler: Handler,
        *,
        name: str,
        description: str,
        input_model: type[BaseModel],
        title: str | None = None,
        annotations: ToolAnnotations | None = None,
        error_fields: Mapping[str, Any] | None = None,
    ) -> Tool:
        """Register ``handler(arguments: input_model, request_id) -> model | mapping``.

        Invalid arguments answer the JSON error shape (with ``error_fields`` merged in);
        an :class:`~promptsentry.errors.ApiError` raised by the handler likewise.
        """

        async def call(arguments: dict[str, Any]) -> CallToolResult:
            request_id = f"req_{uuid.uuid4().hex}"
            try:
                parsed = input_model.model_validate(arguments)
            except ValidationError as exc:
                return _invalid(exc, request_id, error_fields)
            try:
                result = await handler(parsed, request_id)
            except ApiError as exc:
                return error_result(request_id, exc.code, exc.message, exc.details, error_fields)
            except ValidationError as exc:  # a handler building a second model from the first
                return _invalid(exc, request_id, error_fields)
            except Exception as exc:  # noqa: BLE001 - never a crash, nor internals in the answer
                log.error("mcp_tool_error", tool=name, error=type(exc).__name__,
                          request_id=request_id)
                return error_result(request_id, ErrorCode.INTERNAL_ERROR.value,
                                    "internal error; the request id identifies it in the logs",
                                    {}, error_fields)
            if isinstance(result, BaseModel):
                return _text_result(result.model_dump_json())
            return _text_result(result)

        call.__name__ = name
        tool = _ValidatingTool.from_function(call, name=name, title=title,
                                             description=description, annotations=annotations,
                                             structured_output=False)
        tool = tool.model_copy(update={"parameters": _input_schema(input_model)})
        self._append(tool)
        return tool

    def _append(self, tool: Tool) -> None:
        if any(t.name == tool.name for t in self.tools):
            raise ValueError(f"duplicate MCP tool name: {tool.name}")
        self.tools.append(tool)


def _input_schema(model: type[BaseModel]) -> dict[str, Any]:
    schema = model.model_json_schema()
    schema.pop("title", None)
    return schema
