"""What the docs name exists: the endpoints of docs/API.md (and the optimizer's route table in
docs/OPTIMIZER.md) are routes of the app, every ``PROMPTSENTRY_*`` variable the docs mention
is a setting or a variable something reads, the per-tenant settings of docs/CONFIGURATION.md
are tenant settings, and every ``promptsentry …`` command line and every flag of docs/CLI.md
exists on its command. (The settings table itself: tests/test_config_docs.py.)"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer

from promptsentry.cli import app as cli_app
from promptsentry.config import Settings
from promptsentry.stores.tenants import TenantSettings

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}
PAGES = sorted(DOCS.glob("*.md")) + [ROOT / "README.md", ROOT / "CONTRIBUTING.md"]

# Variables that are not settings of the service, and who reads them.
NOT_SETTINGS = {
    "PROMPTSENTRY_URL": "the CLI's --server default and the SDK",
    "PROMPTSENTRY_API_KEY": "scan --server's --api-key default and the SDK",
    "PROMPTSENTRY_MCP_COMMAND": "the SDK's MCP transport",
    "PROMPTSENTRY_CONFIG_FILE": "the settings loader (the TOML file)",
    "PROMPTSENTRY_OPTIMIZER_API_KEY": "the optimizer CLI and the MCP bridge",
    "PROMPTSENTRY_TEST_REDIS_URL": "tests/fixtures_state.py",
    "PROMPTSENTRY_TEST_POSTGRES_URL": "tests/fixtures_state.py",
    "PROMPTSENTRY_DETECTOR_THREADS": "the detector (onnxruntime threads per call)",
    "PROMPTSENTRY_INT8_WEIGHTS": "the int8 graph loader (promptsentry.detector.int8)",
}


def _text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _shape(path: str) -> str:
    """``/admin/tenants/{tenant_id}`` and ``/admin/tenants/{id}`` are the same route."""
    return re.sub(r"\{[^}]*\}", "{}", path.split("?")[0].rstrip("/") or "/")


# --- endpoints ---------------------------------------------------------------------------------


def documented_endpoints() -> set[tuple[str, str]]:
    found: set[tuple[str, str]] = set()
    # API.md: `POST /scan`, `GET/PATCH/DELETE /admin/tenants/{id}`, `GET /scans?limit=50…`
    for methods, path in re.findall(r"`((?:[A-Z]+/)*[A-Z]+) (/[^`\s]*)`", _text(DOCS / "API.md")):
        for method in methods.split("/"):
            if method in METHODS:
                found.add((method, _shape(path)))
    # OPTIMIZER.md's route table: | GET / PATCH / DELETE | `/api/v1/templates/{id}` | …
    for methods, paths in re.findall(r"^\| ([A-Z /]+) \| ((?:`/[^`]+`(?:, )?)+) \|",
                                     _text(DOCS / "OPTIMIZER.md"), flags=re.M):
        for method in (m.strip() for m in methods.split("/")):
            for path in re.findall(r"`(/[^`]+)`", paths):
                found.add((method, _shape(path)))
    return found


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    from promptsentry.api.app import create_app

    settings = Settings(data_dir=tmp_path_factory.mktemp("docs-claims"), log_level="warning")
    return create_app(settings)


def routed(app, method: str, path: str) -> bool:
    """Whether a route of ``app`` fully matches ``method path`` (Starlette's own matching, so
    included routers and path parameters count as they do for a request)."""
    from starlette.routing import Match

    scope = {"type": "http", "method": method, "path": path.replace("{}", "x1"),
             "root_path": "", "headers": [], "query_string": b""}
    return any(route.matches(scope)[0] == Match.FULL for route in app.routes)


def test_the_docs_name_endpoints_and_the_parser_finds_them():
    endpoints = documented_endpoints()
    assert ("POST", "/scan") in endpoints and ("DELETE", "/admin/tenants/{}") in endpoints
    assert ("GET", "/api/v1/templates/{}/stats") in endpoints
    assert len(endpoints) >= 40


def test_every_documented_endpoint_is_a_route(app):
    assert not routed(app, "GET", "/no-such-route")
    assert not routed(app, "DELETE", "/scan")  # the method counts too
    missing = sorted(e for e in documented_endpoints() if not routed(app, *e))
    assert missing == [], f"documented but not routed: {missing}"


# --- settings ----------------------------------------------------------------------------------


def _env_names(model: type, prefix: str) -> set[str]:
    return {prefix + name.upper() for name in model.model_fields}


def test_every_documented_variable_is_read_by_something():
    known = _env_names(Settings, "PROMPTSENTRY_") | set(NOT_SETTINGS)
    wrong: list[str] = []
    for page in PAGES:
        for name in set(re.findall(r"PROMPTSENTRY_[A-Z0-9_]+", _text(page))):
            if name.endswith("_"):  # a family, e.g. PROMPTSENTRY_OPTIMIZER_LLM_*
                ok = any(k.startswith(name) and k != name for k in known)
            else:
                ok = name in known
            if not ok:
                wrong.append(f"{page.name}: {name}")
    assert wrong == []


def test_the_per_tenant_settings_named_in_configuration_md_exist():
    text = _text(DOCS / "CONFIGURATION.md")
    section = text[text.index("## Per-tenant settings"):text.index("## Optimizer settings")]
    names = set(re.findall(r"`([a-z_]+)`", section)) - {"null"}
    assert {"rate_limit_per_minute", "block_threshold", "plan"} <= names
    assert sorted(names - set(TenantSettings.model_fields)) == []


# --- CLI ---------------------------------------------------------------------------------------


ROOT_COMMAND = typer.main.get_command(cli_app)


def _root() -> Any:
    return ROOT_COMMAND


def _resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command a command line names, and the words after its name (Typer ships its own
    click: groups are recognised by their ``commands``)."""
    command = _root()
    rest = list(words)
    while rest and rest[0] in getattr(command, "commands", {}):
        command = command.commands[rest.pop(0)]
    return command, rest


def _options(command: Any) -> set[str]:
    names = {"--help"}
    for param in command.params:
        names.update(o for o in (*param.opts, *param.secondary_opts) if o.startswith("--"))
    return names


def documented_command_lines() -> list[tuple[str, str]]:
    """``(page, command line)`` for every ``promptsentry …`` line in code blocks and spans."""
    lines: list[tuple[str, str]] = []
    for page in PAGES:
        text = _text(page)
        spans = re.findall(r"`([^`\n]+)`", text)
        fenced = [ln for block in re.findall(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S)
                  for ln in block.splitlines()]
        for candidate in (*spans, *fenced):
            match = re.search(r"(?:^|[\s|;(])(?:\.venv/bin/)?promptsentry ([a-z-].*)$",
                              candidate.strip())
            if match and not candidate.strip().startswith(("python -m promptsentry.",)):
                lines.append((page.name, match.group(1).split("#")[0].strip()))
    return lines


def test_every_documented_command_line_names_a_command_and_its_flags():
    lines = documented_command_lines()
    assert len(lines) >= 30
    scan, rest = _resolve(["scan", "--json"])
    assert rest == ["--json"] and {"--json", "--server"} <= _options(scan)
    assert "--bogus" not in _options(scan)
    wrong: list[str] = []
    for page, line in lines:
        words = [w.strip("\"'") for w in line.replace("[", " ").replace("]", " ").split()]
        if words and words[0] == "--version":
            continue
        command, rest = _resolve(words)
        if command is _root():
            wrong.append(f"{page}: `promptsentry {line}` names no command")
            continue
        for flag in {w.split("=")[0] for w in rest if w.startswith("--")}:
            if flag not in _options(command):
                wrong.append(f"{page}: `promptsentry {line}`: no {flag}")
    assert wrong == []


def test_every_flag_in_a_command_section_of_cli_md_exists_on_that_command():
    """In docs/CLI.md a section headed by a command (## `scan` — …) names only its flags."""
    text = _text(DOCS / "CLI.md")
    checked = 0
    wrong: list[str] = []
    for heading, body in re.findall(r"^##+ `([a-z -]+)`[^\n]*\n(.*?)(?=^## |\Z)", text,
                                    flags=re.M | re.S):
        command, rest = _resolve(heading.split())
        assert not rest and command is not _root(), heading
        for flag in set(re.findall(r"(?<![\w-])(--[a-z][a-z-]*)", body)):
            checked += 1
            if flag not in _options(command) | _options(_root()):
                wrong.append(f"{heading}: {flag}")
    assert checked >= 20
    assert wrong == []
