"""JSON request bodies are UTF-8, strictly (RFC 8259 §8.1).

Starlette's ``Request.json`` hands the raw bytes to ``json.loads``, which guesses UTF-16 and
UTF-32 from the byte pattern — so a UTF-16 body would be accepted. Routes built with
:class:`StrictJsonRoute` decode the body as UTF-8 (an optional BOM allowed) first: anything
else is ``400 INVALID_ENCODING``, and NUL-padded text is ``400 INVALID_JSON``. A string with a
lone UTF-16 surrogate (``"\\ud800"`` without its pair: valid JSON syntax, but not Unicode text,
RFC 8259 §8.2 / I-JSON) is ``400 INVALID_ENCODING`` too: it cannot be written as UTF-8, so it
would fail later, wherever the text is stored or serialised (a scan record lost, a 500).

Use it per router: ``APIRouter(route_class=StrictJsonRoute)``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute

# An escape that may start a surrogate; only bodies with one are walked.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def has_lone_surrogate(value: Any) -> bool:
    """Whether any string in a parsed JSON value (keys included) holds a lone surrogate
    (a valid pair decodes to one code point above U+FFFF, so any surrogate left is lone)."""
    if isinstance(value, str):
        return _LONE_SURROGATE.search(value) is not None
    if isinstance(value, dict):
        return any(has_lone_surrogate(k) or has_lone_surrogate(v) for k, v in value.items())
    if isinstance(value, list):
        return any(has_lone_surrogate(v) for v in value)
    return False


class StrictJsonRequest(Request):
    """A request whose JSON body must be UTF-8."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            # A UnicodeDecodeError here reaches FastAPI's body parser as a non-JSON failure,
            # which it answers 400 "There was an error parsing the body" → INVALID_ENCODING.
            parsed = json.loads(body.decode("utf-8-sig"))
            if _SURROGATE_ESCAPE.search(body) and has_lone_surrogate(parsed):
                # Any non-HTTP exception here is FastAPI's 400 → INVALID_ENCODING.
                raise ValueError("a string holds a lone UTF-16 surrogate")
            self._json = parsed
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` that parses JSON bodies with :class:`StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
