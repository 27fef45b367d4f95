"""``promptsentry serve`` (the real command: its uvicorn options and logging) over an app with
the keyword pipeline and two routes that fail on purpose, for ``test_http_server.py``.

Usage: ``python serve_with_faults.py PORT`` with ``tests/`` on ``PYTHONPATH``.
"""

from __future__ import annotations

import sys

from sqlalchemy import text

from fixtures_state import keyword_pipeline
from promptsentry.api import app as app_module
from promptsentry.cli.core import serve

SECRET = "SECRET-PROMPT-TEXT-7f3a"
_create_app = app_module.create_app


def create_app(*args, **kwargs):  # type: ignore[no-untyped-def]
    app = _create_app(*args, pipeline=keyword_pipeline(), **kwargs)

    @app.get("/test/boom")
    async def boom() -> dict:
        raise RuntimeError("an unexpected failure")

    @app.get("/test/sql-error")
    def sql_error() -> dict:
        # A failing statement whose parameter is user text: nothing of it may be logged.
        with app.state.services.sql_store.engine.connect() as conn:
            conn.execute(text("SELECT * FROM no_such_table WHERE x = :p"), {"p": SECRET})
        return {}

    return app


if __name__ == "__main__":
    app_module.create_app = create_app  # uvicorn imports promptsentry.api.app:create_app
    serve(host="127.0.0.1", port=int(sys.argv[1]), workers=1, reload=False)
