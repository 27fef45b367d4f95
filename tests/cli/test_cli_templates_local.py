"""``promptsentry templates …`` without ``--server``: this install's OptimizerService, called
directly (no HTTP, not even in process), with the API's answers and error codes. That the
local answers equal the HTTP routes' is tests/optimizer/test_local_client.py; this checks the
commands use that path and print its answers and refusals."""

from __future__ import annotations

import csv
import io
import json

import httpx
import pytest
from typer.testing import CliRunner

from promptsentry.cli import app


def invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.fixture
def no_http(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any HTTP request (ASGI in-process included) fails the test."""

    async def refuse(self, request, **kwargs):
        raise AssertionError(f"the local path sent an HTTP request: {request.method} "
                             f"{request.url.path}")

    monkeypatch.setattr(httpx.AsyncClient, "send", refuse)


def test_templates_commands_run_on_the_service_without_http(default_env, no_http):
    saved = invoke("optimize", "Write a short poem about the sea for children.", "--json")
    assert saved.exit_code == 0, saved.output
    tid = json.loads(saved.stdout)["template_id"]

    listed = invoke("templates", "list", "--json")
    assert listed.exit_code == 0, listed.output
    page = json.loads(listed.stdout)
    assert page["total_count"] == 1 and page["templates"][0]["id"] == tid
    assert page["filters_applied"] == {"sort": "newest", "goals": None, "search": None,
                                       "ai_context": None}

    found = json.loads(invoke("templates", "search", "poem sea", "--json").stdout)
    assert [t["id"] for t in found["templates"]] == [tid] and found["query"] == "poem sea"

    exported = invoke("templates", "export")
    assert [t["id"] for t in json.loads(exported.stdout)] == [tid]
    rows = list(csv.DictReader(io.StringIO(invoke("templates", "export", "--format",
                                                  "csv").stdout)))
    assert [r["id"] for r in rows] == [tid]

    assert invoke("templates", "delete", tid).exit_code == 0
    missing = invoke("templates", "delete", tid)
    assert missing.exit_code == 2 and "NOT_FOUND" in missing.stderr
    assert json.loads(invoke("templates", "list", "--json").stdout)["total_count"] == 0


def test_templates_commands_refuse_bad_input_with_the_api_codes(default_env, no_http):
    sort = invoke("templates", "list", "--sort", "bogus")
    assert sort.exit_code == 2 and "INVALID_REQUEST" in sort.stderr
    assert '"field": "query.sort"' in sort.stderr  # named as the HTTP route names it
    fmt = invoke("templates", "export", "--format", "xml")
    assert fmt.exit_code == 2 and "INVALID_REQUEST" in fmt.stderr and fmt.stdout == ""
    nul = invoke("templates", "search", "a\x00b")
    assert nul.exit_code == 2 and "INVALID_REQUEST" in nul.stderr


def test_one_shot_commands_keep_info_logs_off_the_terminal(default_env, monkeypatch):
    """``optimize`` on a fresh install runs the database migrations and logs an ``optimize``
    event; at the default level a one-shot command shows neither (a service, or an explicit
    PROMPTSENTRY_LOG_LEVEL, still does)."""
    from promptsentry.cli import command_log_level

    monkeypatch.delenv("PROMPTSENTRY_LOG_LEVEL", raising=False)
    result = invoke("optimize", "Write a short poem about the sea for children.", "--no-save")
    assert result.exit_code == 0, result.output
    assert "alembic" not in result.stderr and '"event": "optimize"' not in result.stderr
    assert "optimized" in result.stdout
    assert command_log_level("serve", "info") == "info"
    assert command_log_level("mcp-bridge", "debug") == "debug"
    assert command_log_level("optimize", "info") == "warning"
    assert command_log_level("scan", "error") == "error"
    monkeypatch.setenv("PROMPTSENTRY_LOG_LEVEL", "info")
    assert command_log_level("optimize", "info") == "info"
