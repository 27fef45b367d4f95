"""JSON request bodies are UTF-8, strictly (RFC 8259 §8.1).

Starlette's ``Request.json`` hands the raw bytes to ``json.loads``, which guesses UTF-16 and
UTF-32 from the byte pattern — so a UTF-16 body would be accepted. Routes built with
:class:`StrictJsonRoute` decode the body as UTF-8 (an optional BOM allowed) first: anything
else is ``400 INVALID_ENCODING``, and NUL-padded text is ``400 INVALID_JSON``.

Use it per router: ``APIRouter(route_class=StrictJsonRoute)``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request, Response
from fastapi.routing import APIRoute


class StrictJsonRequest(Request):
    """A request whose JSON body must be UTF-8."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            body = await self.body()
            # A UnicodeDecodeError here reaches FastAPI's body parser as a non-JSON failure,
            # which it answers 400 "There was an error parsing the body" → INVALID_ENCODING.
            self._json = json.loads(body.decode("utf-8-sig"))
        return self._json


class StrictJsonRoute(APIRoute):
    """An ``APIRoute`` that parses JSON bodies with :class:`StrictJsonRequest`."""

    def get_route_handler(self) -> Callable[[Request], Awaitable[Response]]:
        handler = super().get_route_handler()

        async def strict_handler(request: Request) -> Response:
            return await handler(StrictJsonRequest(request.scope, request.receive))

        return strict_handler
