"""Core commands: ``serve``, ``scan``, ``mcp`` and ``version``.

Exit codes of ``scan`` (one text): 0 clean, 1 malicious, 2 the input could not be scanned
(unreadable file, invalid request). ``scan --jsonl`` exits 0 once every line is answered —
invalid lines answer an error object in place — and 2 only when its input cannot be opened.
``serve`` and ``mcp`` exit 2 when refusing to start.
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from promptsentry import __version__
from promptsentry.cli.options import ServerOpt, server_url
from promptsentry.cli.remote import RemoteScanner, error_object
from promptsentry.config import LOOPBACK_HOSTS, Settings, get_settings

EXIT_CLEAN = 0
EXIT_MALICIOUS = 1
EXIT_INVALID = 2

_err = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add the core commands to ``app``."""
    app.command("serve")(serve)
    app.command("scan")(scan)
    app.command("mcp")(mcp)
    app.command("version")(version)


def load_settings() -> Settings:
    """The process settings; an invalid configuration exits 2 with the reason, not a trace."""
    from pydantic import ValidationError

    try:
        return get_settings()
    except (ValidationError, ValueError) as exc:
        _err.print(f"[bold red]invalid configuration:[/] {exc}", highlight=False)
        raise typer.Exit(EXIT_INVALID) from None


# --- serve ---------------------------------------------------------------------------------


def is_loopback_host(host: str) -> bool:
    """Whether binding ``host`` keeps the server reachable from this machine only."""
    host = host.strip().strip("[]")
    if host in LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def has_credentials(settings: Settings) -> bool:
    """Whether the server would demand credentials: static API keys, an admin token, JWT
    verification, or managed API keys already in the durable store."""
    if settings.admin_token is not None or settings.api_keys:
        return True
    if any(getattr(settings, name, None) for name in
           ("jwt_secret", "jwt_public_key_file", "jwt_jwks_file")):
        return True
    return _managed_keys_exist(settings)


def _managed_keys_exist(settings: Settings) -> bool:
    """Best effort: an unreachable or not yet created database has no keys (never created
    here — an embedded SQLite file that does not exist is not opened)."""
    database_url = getattr(settings, "database_url", None)
    if not database_url and not (settings.data_dir / "promptsentry.db").exists():
        return False
    try:
        from promptsentry.wiring import build_sql_store

        sql = build_sql_store(settings)
        try:
            return bool(sql.any_key_exists())
        finally:
            sql.close()
    except Exception:  # noqa: BLE001 - no schema, no server: no managed keys to rely on
        return False


def check_bind(host: str, settings: Settings, *, what: str = "the API",
               authenticated: bool | None = None,
               can_authenticate: bool = True) -> str | None:
    """Refuse an unauthenticated bind beyond loopback; return a start-up notice, if any.

    ``authenticated`` says whether the endpoint demands credentials (default: whether the
    settings configure any, :func:`has_credentials`). ``can_authenticate=False`` is an
    endpoint with no credential check of its own (MCP over HTTP): its messages do not tell
    the operator to configure credentials that would change nothing. Raises
    :class:`typer.Exit` (code 2) after printing why.
    """
    if authenticated is None:
        authenticated = has_credentials(settings) if can_authenticate else False
    if authenticated:
        return None
    if is_loopback_host(host):
        advice = ("configure PROMPTSENTRY_API_KEYS or PROMPTSENTRY_ADMIN_TOKEN before exposing "
                  "it" if can_authenticate else
                  "it has no credential check of its own: keep it on loopback")
        return f"serving {what} WITHOUT authentication on loopback ({host}); {advice}"
    if settings.allow_unauthenticated:
        return (f"serving {what} WITHOUT authentication on {host} because "
                "PROMPTSENTRY_ALLOW_UNAUTHENTICATED=true: anyone who can reach it can use it")
    if can_authenticate:
        why = ("Bound beyond loopback, PromptSentry needs credentials: set PROMPTSENTRY_API_KEYS "
               "(comma-separated keys), PROMPTSENTRY_ADMIN_TOKEN or JWT verification "
               "(PROMPTSENTRY_JWT_*), bind 127.0.0.1, or — on a network you fully trust — set "
               "PROMPTSENTRY_ALLOW_UNAUTHENTICATED=true.")
    else:
        why = (f"{what[0].upper()}{what[1:]} has no credential check of its own (API keys and "
               "the admin token guard the HTTP API only): bind 127.0.0.1, or — on a network "
               "you fully trust — set PROMPTSENTRY_ALLOW_UNAUTHENTICATED=true.")
    _err.print(f"[bold red]refusing to serve {what} on {host} without authentication.[/]\n"
               + why, highlight=False)
    raise typer.Exit(EXIT_INVALID)


def serve(
    host: Annotated[str | None, typer.Option(help="Address to bind (default: settings' host, "
                                             "127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(min=1, max=65535,
                                             help="Port to bind (default 8000).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, max=64,
                                                help="Worker processes (default 1).")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
) -> None:
    """Start the HTTP API (uvicorn)."""
    settings = load_settings()
    host = (host or settings.host).strip().strip("[]")
    port = port or settings.port
    workers = workers or settings.workers
    notice = check_bind(host, settings)
    if notice:
        _err.print(f"[yellow]warning:[/] {notice}", highlight=False)
    if workers > 1 and not getattr(settings, "redis_url", None):
        _err.print("[yellow]warning:[/] several workers without PROMPTSENTRY_REDIS_URL: each "
                   "keeps its own scan records and limits", highlight=False)
    if reload and workers > 1:
        _err.print("[red]--reload runs one process; drop --workers or --reload.[/]")
        raise typer.Exit(EXIT_INVALID)

    import uvicorn

    created_metrics_dir: str | None = None
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        # Each worker writes its metrics here; /metrics aggregates them. Fresh per start, so
        # counters of a previous run never leak in.
        created_metrics_dir = tempfile.mkdtemp(prefix="promptsentry-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = created_metrics_dir
    _err.print(f"promptsentry {__version__}: http://{_url_host(host)}:{port} "
               f"({workers} worker{'s' if workers > 1 else ''})", highlight=False)
    _err.print(data_dir_notice(settings), highlight=False, markup=False, soft_wrap=True)
    from promptsentry.api.server import uvicorn_options
    from promptsentry.observability.logging import configure_logging

    # Before uvicorn starts: its own start-up lines are JSON too (it gets log_config=None).
    configure_logging(settings.log_level, settings.log_format)
    try:
        uvicorn.run(
            "promptsentry.api.app:create_app",
            factory=True,
            host=host,
            port=port,
            workers=workers if not reload else None,
            reload=reload,
            **uvicorn_options(settings),
        )
    finally:
        if created_metrics_dir:
            shutil.rmtree(created_metrics_dir, ignore_errors=True)


def data_dir_notice(settings: Settings) -> str:
    """Where this install keeps its data (shown at start-up: ``make clean`` leaves it)."""
    durable = ("tenants, keys and templates in PROMPTSENTRY_DATABASE_URL"
               if getattr(settings, "database_url", None)
               else "SQLite database promptsentry.db")
    return f"data directory: {settings.data_dir} ({durable}; audit salt)"


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


# --- scan ----------------------------------------------------------------------------------


def _validation_error_object(exc: Exception, **extra: Any) -> dict[str, Any]:
    from promptsentry.errors import validation_details, validation_status

    errors = [dict(e) for e in exc.errors(include_url=False, include_input=False)]  # type: ignore[attr-defined]
    _, code, message = validation_status(errors)
    return error_object(code, message, validation_details(errors), **extra)


def _write_line(stream: IO[str], obj: dict[str, Any]) -> None:
    stream.write(json.dumps(obj, ensure_ascii=False) + "\n")
    stream.flush()


def scan(
    text: Annotated[str | None, typer.Argument(
        help="Text to scan; '-' reads standard input.", show_default=False)] = None,
    file: Annotated[Path | None, typer.Option(
        "--file", "-f", help="Scan this file's contents (UTF-8).", dir_okay=False)] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the response as JSON.")] = False,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl",
        help="Batch mode: one JSON object per input line ({\"text\": …} or {\"prompt\": …} plus "
        "any request field) → one response object per output line, streamed. Input: TEXT "
        "('-' for standard input, the default) or --file.")] = False,
    scan_type: Annotated[str, typer.Option(
        help="prompt | response | tool_call.")] = "prompt",
    context: Annotated[str | None, typer.Option(help="Context hint, e.g. customer_chat.")] = None,
    output: Annotated[str | None, typer.Option(
        help="Model output to check for leaks.")] = None,
    canary: Annotated[list[str] | None, typer.Option(
        "--canary", help="A canary token (repeatable).")] = None,
    source_ip: Annotated[str | None, typer.Option(help="End user's IP address.")] = None,
    user_identity: Annotated[str | None, typer.Option(help="End user's identity.")] = None,
    server: ServerOpt = None,
    api_key: Annotated[str | None, typer.Option(
        "--api-key", envvar="PROMPTSENTRY_API_KEY", show_default=False,
        help="API key for --server (environment: PROMPTSENTRY_API_KEY).")] = None,
) -> None:
    """Scan one text (pretty or --json; exit 0 clean, 1 malicious, 2 invalid) or a JSONL batch.

    In-process by default; with --server (or PROMPTSENTRY_URL) over HTTP, same output."""
    _quiet_logging()
    remote = RemoteScanner(url, api_key) if (url := server_url(server)) else None
    if jsonl:
        _scan_jsonl(text, file, remote)
        return
    if (text is None) == (file is None):
        _err.print("[red]give exactly one of TEXT, '-' (standard input) or --file.[/]")
        raise typer.Exit(EXIT_INVALID)
    if file is not None:
        try:
            prompt = file.read_bytes().decode("utf-8")
        except OSError as exc:
            _err.print(f"[red]cannot read {file}: {exc.strerror or exc}[/]", highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        except UnicodeDecodeError:
            _fail(as_json, error_object("INVALID_ENCODING", f"{file} is not valid UTF-8"))
    elif text == "-":
        try:
            prompt = sys.stdin.buffer.read().decode("utf-8")
        except UnicodeDecodeError:
            _fail(as_json, error_object("INVALID_ENCODING", "standard input is not valid UTF-8"))
    else:
        prompt = text  # type: ignore[assignment]

    payload = {"prompt": prompt, "scan_type": scan_type, "context": context, "output": output,
               "canary_tokens": canary or [], "source_ip": source_ip,
               "user_identity": user_identity}
    response = asyncio.run(_answer_once(payload, remote))
    if "error" in response:
        _fail(as_json, response)
    if as_json:
        _write_line(sys.stdout, response)
    else:
        _print_pretty(response)
    raise typer.Exit(EXIT_MALICIOUS if response["verdict"] in {"malicious", "escalated_malicious"}
                     else EXIT_CLEAN)


def _fail(as_json: bool, error: dict[str, Any]) -> None:
    if as_json:
        _write_line(sys.stdout, error)
    else:
        _err.print(f"[red]{error['error']['code']}:[/] {error['error']['message']}",
                   highlight=False)
    raise typer.Exit(EXIT_INVALID)


def _quiet_logging() -> None:
    """Logs go to standard error, so standard output carries only results (a one-shot
    command's level: :func:`promptsentry.cli.command_log_level`)."""
    from promptsentry.cli import command_log_level
    from promptsentry.observability.logging import configure_logging

    settings = load_settings()
    configure_logging(command_log_level(None, settings.log_level), settings.log_format)


async def _judge(request: Any) -> Any:
    from promptsentry.pipeline.runner import run_pipeline

    return await run_pipeline(request)


async def _answer_once(payload: dict[str, Any], remote: RemoteScanner | None
                       ) -> dict[str, Any]:
    try:
        return await _answer(payload, remote)
    finally:
        if remote is not None:
            await remote.aclose()


async def _answer(payload: dict[str, Any], remote: RemoteScanner | None) -> dict[str, Any]:
    """The scan response for ``payload`` as JSON data, or an error object: judged in-process,
    or by ``remote`` when given."""
    if remote is not None:
        return await remote.scan(payload)
    from pydantic import ValidationError

    from promptsentry.schemas.request import ScanRequest

    try:
        request = ScanRequest.model_validate(payload)
    except ValidationError as exc:
        return _validation_error_object(exc)
    return (await _judge(request)).model_dump(mode="json")


def _print_pretty(r: dict[str, Any]) -> None:
    out = Console()
    malicious = r["verdict"] in {"malicious", "escalated_malicious"}
    colour = "red" if malicious else "green"
    out.print(f"[bold {colour}]{r['verdict'].upper()}[/]  action: [bold]{r['action_taken']}[/]  "
              f"confidence {r['confidence']:.1f}%  risk {r['risk_score']:.3f}", highlight=False)
    out.print(f"[dim]reasoning:[/] {r['reasoning']}", highlight=False)
    if r["patterns_matched"]:
        out.print(f"[dim]patterns:[/] {', '.join(r['patterns_matched'])}", highlight=False)
    table = Table(show_header=True, header_style="dim", box=None, pad_edge=False)
    table.add_column("stage")
    table.add_column("status")
    table.add_column("ms", justify="right")
    table.add_column("found")
    for name, stage in r["stages"].items():
        found = ", ".join(stage["patterns"])
        if stage.get("score") is not None:
            found = (f"score {stage['score']:.3f}" + (f"; {found}" if found else ""))
        if stage.get("error"):
            found = stage["error"]
        table.add_row(name, stage["status"], f"{stage['ms']:.2f}", found)
    out.print(table)
    out.print(f"[dim]scan {r['scan_id']} · {r['pipeline_ms']:.2f} ms in the pipeline[/]",
              highlight=False)


def _jsonl_lines(text: str | None, file: Path | None) -> Iterator[bytes]:
    if file is not None and text not in (None, "-"):
        _err.print("[red]give the JSONL input as TEXT ('-') or --file, not both.[/]")
        raise typer.Exit(EXIT_INVALID)
    if file is not None or (text not in (None, "-")):
        path = file if file is not None else Path(text)  # type: ignore[arg-type]
        try:
            fh = path.open("rb")
        except OSError as exc:
            _err.print(f"[red]cannot read {path}: {exc.strerror or exc}[/]", highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
        with fh:
            yield from fh
    else:
        yield from sys.stdin.buffer


def _scan_jsonl(text: str | None, file: Path | None, remote: RemoteScanner | None = None) -> None:
    asyncio.run(_scan_jsonl_async(_jsonl_lines(text, file), sys.stdout, remote))


async def _scan_jsonl_async(lines: Iterator[bytes], out: IO[str],
                            remote: RemoteScanner | None = None) -> None:
    """Answer each non-blank input line with one output line, in order, flushed as it goes."""
    try:
        await _answer_lines(lines, out, remote)
    finally:
        if remote is not None:
            await remote.aclose()


async def _answer_lines(lines: Iterator[bytes], out: IO[str],
                        remote: RemoteScanner | None) -> None:
    for number, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError:
            _write_line(out, error_object("INVALID_ENCODING", "line is not valid UTF-8",
                                          line=number))
            continue
        try:
            obj = json.loads(line)
        except ValueError as exc:
            _write_line(out, error_object("INVALID_JSON", f"line is not valid JSON: {exc}",
                                          line=number))
            continue
        if not isinstance(obj, dict):
            _write_line(out, error_object("INVALID_REQUEST", "each line must be a JSON object",
                                          line=number))
            continue
        extra = {"id": obj["id"]} if "id" in obj else {}
        payload = dict(obj)
        if "prompt" not in payload and "text" in payload:
            payload["prompt"] = payload.pop("text")
        answer = await _answer(payload, remote)
        _write_line(out, {**answer, "line": number, **extra} if "error" in answer
                    else {**answer, **extra})


# --- mcp and version -----------------------------------------------------------------------


def mcp(
    transport: Annotated[str, typer.Option(
        help="stdio (for a client that spawns the server) or http (streamable HTTP).")] = "stdio",
    host: Annotated[str, typer.Option(help="Address to bind with --transport http.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535,
                                      help="Port with --transport http.")] = 8765,
    server: Annotated[str | None, typer.Option(
        "--server", help="Bridge mode: serve the optimizer tools on stdio and forward them to "
        "this PromptSentry server (API key from the environment or the bridge config). Not "
        "read from PROMPTSENTRY_URL: without it this is the local MCP server.")] = None,
    remote: Annotated[str | None, typer.Option(
        "--remote", hidden=True, help="Former name of --server.")] = None,
) -> None:
    """Run the MCP server (scan, session and optimizer tools); --server: optimizer bridge.

    With --server URL it serves the optimizer tools on stdio and forwards them to a remote
    PromptSentry server, keeping nothing but the API key."""
    if (url := server_url(server, remote)) is not None:
        from promptsentry.cli.optimizer import mcp_bridge

        mcp_bridge(server=url, remote=None, config=None)
        return
    if transport not in {"stdio", "http"}:
        _err.print(f"[red]unknown transport {transport!r}: use stdio or http.[/]")
        raise typer.Exit(EXIT_INVALID)
    settings = load_settings()
    if transport == "http":
        # The MCP endpoint has no credential check of its own: beyond loopback it needs the
        # explicit opt-in, whatever keys the HTTP API has.
        notice = check_bind(host, settings, what="the MCP endpoint", can_authenticate=False)
        if notice:
            _err.print(f"[yellow]warning:[/] {notice}", highlight=False)
    from promptsentry.mcp_server import run

    run("http" if transport == "http" else "stdio", host=host, port=port, settings=settings)


def version() -> None:
    """Print the version."""
    typer.echo(f"promptsentry {__version__}")
