"""structlog configuration: JSON lines (or console) with secrets redacted, for every logger.

Our own loggers are structlog's; every standard-library logger (uvicorn's server and access
logs, SQLAlchemy, asyncio, anything else) is routed through the same processors by one
handler on the root logger, so the whole process writes one format. What is never written:

* statement parameters: engines are built with ``hide_parameters=True``
  (:func:`promptsentry.stores.sql.migrate.make_engine`), and the message of a database or
  validation error in a traceback is replaced by its type (and SQLSTATE) — a driver's message
  can quote a value (``Key (id)=(…) already exists``), a pydantic one the input;
* query strings: uvicorn's access-log lines carry the path only (``?search=…`` is user text).
"""

from __future__ import annotations

import logging
import sys
import traceback
from typing import Any

import structlog
from structlog.typing import EventDict, WrappedLogger

from promptsentry.observability.scrub import redaction_processor

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}
#: uvicorn's loggers: their own handlers (plain text) are removed so they reach ours.
_UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_MAX_MESSAGE_CHARS = 300
# HTTP client libraries log every request at info, URL and query string included (a template
# search's query is prompt text); the CLI's in-process calls made ``optimize`` end with such a
# line. Their warnings and errors still show.
# Below WARNING these only repeat what every run does: httpx/httpcore request lines (URLs
# may carry keys) and alembic's plugin set-up (nine lines per migration check, on every CLI
# command that opens the database). Alembic's "Running upgrade" lines stay.
_QUIET_CLIENT_LOGGERS = ("httpx", "httpcore", "alembic.runtime.plugins")


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of the write, so a log call after
    ``sys.stderr`` was swapped (test capture, a CLI runner) and the old stream closed still
    lands somewhere instead of raising ``ValueError: I/O operation on closed file``."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


class _StripQueryString(logging.Filter):
    """Cut the query string from uvicorn's access-log line (its third argument is the path
    with the query: ``'%s - "%s %s HTTP/%s" %d'``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True


class _OurHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The root handler this module installs (found again and replaced on reconfiguration)."""


def _withheld(exc: BaseException) -> str | None:
    """A safe stand-in for the message of an exception that may quote data, else ``None``."""
    module = type(exc).__module__
    if module.startswith(("sqlalchemy", "psycopg", "sqlite3", "asyncpg")):
        orig = getattr(exc, "orig", None) or exc
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        name = type(orig).__name__
        return f"database error {name}" + (f" (SQLSTATE {state})" if state else "") + \
            " [message withheld: it may quote statement parameters]"
    if module.startswith(("pydantic", "pydantic_core")):
        errors = getattr(exc, "errors", None)
        try:
            types = sorted({str(e.get("type")) for e in errors(include_input=False)})  # type: ignore[misc]
        except Exception:  # noqa: BLE001 - best effort: keep the type only
            types = []
        return f"validation failed ({', '.join(types) or 'details withheld'}) [input withheld]"
    return None


def render_exception(exc: BaseException) -> str:
    """The traceback of ``exc`` and its causes: frames and exception types as usual, each
    message cut to 300 characters and withheld for database and validation errors."""
    chain: list[BaseException] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append(current)
        current = current.__cause__ or (None if current.__suppress_context__
                                         else current.__context__)
    parts = []
    for item in reversed(chain):
        frames = "".join(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        message = _withheld(item)
        if message is None:
            message = str(item)[:_MAX_MESSAGE_CHARS]
        kind = f"{type(item).__module__}.{type(item).__qualname__}"
        parts.append(f"Traceback (most recent call last):\n{frames}{kind}: {message}\n")
    return "\nThe above exception led to the following:\n\n".join(parts)


def safe_exc_info(_logger: WrappedLogger, _method: str, event_dict: EventDict) -> EventDict:
    """Like structlog's ``format_exc_info``, through :func:`render_exception`."""
    exc_info: Any = event_dict.pop("exc_info", None)
    if not exc_info:
        return event_dict
    if isinstance(exc_info, BaseException):
        exc = exc_info
    elif isinstance(exc_info, tuple):
        exc = exc_info[1]
    else:
        exc = sys.exc_info()[1]
    if exc is not None:
        event_dict["exception"] = render_exception(exc)
    return event_dict


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    """Configure structlog and route every stdlib logger (uvicorn's included) through the
    same processors and sink."""
    numeric = _LEVELS.get(level, logging.INFO)
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    timestamper = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            timestamper,
            safe_exc_info,
            redaction_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=False,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            timestamper,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            safe_exc_info,
            redaction_processor,
            renderer,
        ],
    )
    handler = _OurHandler(_CurrentStderr())
    handler.setFormatter(formatter)
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _OurHandler)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(numeric)
    for name in _UVICORN_LOGGERS:
        logger = logging.getLogger(name)
        for old in list(logger.handlers):
            logger.removeHandler(old)
        logger.propagate = True
        logger.setLevel(numeric)
    for name in _QUIET_CLIENT_LOGGERS:
        logging.getLogger(name).setLevel(max(numeric, logging.WARNING))
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, _StripQueryString) for f in access.filters):
        access.addFilter(_StripQueryString())


def get_logger(name: str = "promptsentry") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
