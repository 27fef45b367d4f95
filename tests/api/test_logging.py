"""Logs never carry SQL parameters, prompt or search text (issue 17, point 6): every stdlib
logger (uvicorn's, SQLAlchemy's) goes through structlog's JSON renderer, access-log lines
lose their query string, and tracebacks withhold the messages of database and validation
errors. The real server is checked in test_http_server.py."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import BaseModel
from sqlalchemy import text

from promptsentry.observability.logging import configure_logging, render_exception
from promptsentry.stores.sql.migrate import make_engine

SECRET = "SECRET-PROMPT-TEXT-91c2"


def _records(err: str) -> list[dict]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_stdlib_loggers_are_json_and_access_lines_lose_the_query(capsys) -> None:
    configure_logging("info", "json")
    logging.getLogger("uvicorn.error").info("Started server process [%d]", 42)
    logging.getLogger("uvicorn.access").info('%s - "%s %s HTTP/%s" %d', "127.0.0.1:5000", "GET",
                                             f"/api/v1/templates?search={SECRET}", "1.1", 200)
    records = _records(capsys.readouterr().err)
    assert [r["logger"] for r in records] == ["uvicorn.error", "uvicorn.access"]
    assert records[0]["event"] == "Started server process [42]"
    assert records[1]["event"] == '127.0.0.1:5000 - "GET /api/v1/templates HTTP/1.1" 200'
    assert all(r["level"] == "info" and r["timestamp"] for r in records)


def test_a_failed_statement_logs_no_parameter(tmp_path, capsys) -> None:
    configure_logging("info", "json")
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        with pytest.raises(Exception) as caught, engine.connect() as conn:
            conn.execute(text("INSERT INTO missing (x) VALUES (:p)"), {"p": SECRET})
    finally:
        engine.dispose()
    assert SECRET not in str(caught.value)  # hide_parameters
    logging.getLogger("uvicorn.error").error("Exception in ASGI application",
                                             exc_info=caught.value)
    (record,) = _records(capsys.readouterr().err)
    assert "OperationalError" in record["exception"] and "withheld" in record["exception"]
    assert SECRET not in json.dumps(record)


def test_validation_errors_in_tracebacks_withhold_the_input() -> None:
    class Body(BaseModel):
        n: int

    try:
        Body(n=SECRET)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001
        rendered = render_exception(exc)
    assert "ValidationError" in rendered and "int_parsing" in rendered
    assert SECRET not in rendered
    assert "ValueError: plain message" in render_exception(ValueError("plain message"))


def test_alembic_plugin_setup_lines_stay_out_but_migrations_are_logged(capsys) -> None:
    configure_logging("info")
    logging.getLogger("alembic.runtime.plugins").info("setup plugin alembic.autogenerate.types")
    logging.getLogger("alembic.runtime.migration").info("Running upgrade 0004 -> 0005")
    err = capsys.readouterr().err
    assert "setup plugin" not in err
    assert "Running upgrade 0004 -> 0005" in err
