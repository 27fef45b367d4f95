"""structlog configuration: JSON lines (or console) with secrets redacted."""

from __future__ import annotations

import logging
import sys

import structlog

from promptsentry.observability.redaction import redaction_processor

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING,
           "error": logging.ERROR}


class _CurrentStderr:
    """Writes to whatever ``sys.stderr`` is at the time of the write, so a log call after
    ``sys.stderr`` was swapped (test capture, a CLI runner) and the old stream closed still
    lands somewhere instead of raising ``ValueError: I/O operation on closed file``."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "info", fmt: str = "json") -> None:
    """Configure structlog and route stdlib logging (uvicorn's) through the same sink."""
    numeric = _LEVELS.get(level, logging.INFO)
    renderer = (
        structlog.processors.JSONRenderer()
        if fmt == "json"
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            redaction_processor,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric),
        logger_factory=structlog.PrintLoggerFactory(file=_CurrentStderr()),
        cache_logger_on_first_use=False,
    )


def get_logger(name: str = "promptsentry") -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)
