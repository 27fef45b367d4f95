"""PromptSentry over the Model Context Protocol.

An MCP server (official ``mcp`` SDK, ``MCPServer``) named ``promptsentry`` whose tools judge
text with the same :class:`~promptsentry.service.ScanService` as ``POST /scan``::

    scan_prompt      the request fields as arguments; ``scan_type`` routes prompt/response/tool_call
    scan_response    a model response, checked for injected instructions and leaked canaries
    scan_tool_call   an agent's tool call (tool name + arguments) before it runs

Each answers with the scan response as JSON text in one text content block. Start it with
``promptsentry mcp`` (stdio) or ``promptsentry mcp --transport http``.

Importing this package is cheap on purpose: the official SDK imports it to detect the
in-process transport, so nothing here loads the model or even the ``mcp`` SDK until
:func:`build_server` or :func:`run` is called.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from promptsentry.mcp_server.server import ToolRegistry, build_server, run

SERVER_NAME = "promptsentry"

__all__ = ["SERVER_NAME", "ToolRegistry", "build_server", "run"]

_LAZY = frozenset({"ToolRegistry", "build_server", "run"})


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from promptsentry.mcp_server import server

        return getattr(server, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
