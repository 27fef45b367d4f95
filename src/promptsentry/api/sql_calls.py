"""One SQL call from a route: run on the SQL store's thread pool, an outage answered 503."""

from __future__ import annotations

import functools
from typing import Any

from promptsentry.errors import ApiError, ErrorCode
from promptsentry.stores.base import StoreUnavailable
from promptsentry.wiring import Services

__all__ = ["run_sql"]


async def run_sql(services: Services, fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run ``fn(*args, **kwargs)`` on the SQL store's thread pool; an outage is a 503 (and
    recorded in the incidents, as a success clears it)."""
    try:
        result = await services.sql_store.run(functools.partial(fn, *args, **kwargs))
    except StoreUnavailable as exc:
        services.incidents.failed("sql", exc)
        raise ApiError(503, ErrorCode.SERVICE_UNAVAILABLE,
                       "the database is unavailable; retry shortly",
                       headers={"Retry-After": "2"}) from None
    services.incidents.ok("sql")
    return result
