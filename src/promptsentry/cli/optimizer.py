"""Optimizer commands: ``optimize``, ``templates list|search|export|delete|purge|backfill`` and
``mcp-bridge``.

Without ``--server`` (or ``PROMPTSENTRY_URL``) the commands work on this install's own store
(``data_dir`` SQLite or ``PROMPTSENTRY_DATABASE_URL``) as the default tenant: they call the
:class:`~promptsentry.optimizer.service.OptimizerService` of
:class:`~promptsentry.wiring.Services` directly
(:class:`~promptsentry.optimizer.local_client.LocalOptimizer`: the API's validation, error
codes and answers, no HTTP); with ``--server URL`` (and an API key from ``--api-key``,
``PROMPTSENTRY_OPTIMIZER_API_KEY`` or ``OPTIMIZER_API_KEY``) they call a remote PromptSentry.
``templates purge`` and ``templates backfill`` always work on this install's own store.

Exit codes: 0 success, 2 invalid input or an error answer from the API.
"""

from __future__ import annotations

import asyncio
import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.table import Table

from promptsentry.cli.options import ServerOpt, add_id_column, server_url

EXIT_INVALID = 2
_out = Console()
_err = Console(stderr=True)

templates_app = typer.Typer(help="Saved optimization templates.", no_args_is_help=True)

KeyOpt = Annotated[str | None, typer.Option(
    "--api-key", help="API key for --server (else PROMPTSENTRY_OPTIMIZER_API_KEY / "
    "OPTIMIZER_API_KEY).", envvar="PROMPTSENTRY_OPTIMIZER_API_KEY")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")]


def register(app: typer.Typer) -> None:
    """Add the optimizer commands to ``app``."""
    app.command("optimize")(optimize)
    app.add_typer(templates_app, name="templates")
    app.command("mcp-bridge")(mcp_bridge)


def _client(server: str | None, api_key: str | None) -> Any:
    """The optimizer API: a remote server's (``--server``), else this install's service."""
    if server := server_url(server):
        from promptsentry.mcp_server.optimizer_tools import load_bridge_key
        from promptsentry.optimizer.remote_client import ApiBackend, RemoteOptimizer

        return RemoteOptimizer(ApiBackend(server, api_key=api_key or load_bridge_key()))
    from promptsentry.optimizer.local_client import LocalOptimizer
    from promptsentry.wiring import Services

    return LocalOptimizer(Services())


def _call(server: str | None, api_key: str | None, op: str, *args: Any, **kw: Any) -> Any:
    """``op`` of the optimizer client with ``args``; an error answer ends the command."""
    from promptsentry.errors import ApiError

    client = _client(server, api_key)
    try:
        return asyncio.run(getattr(client, op)(*args, **kw))
    except ApiError as exc:
        _fail(exc)


def _fail(exc: Any) -> NoReturn:
    """Print an :class:`~promptsentry.errors.ApiError` as the API would name it; exit 2."""
    _err.print(f"[red]{exc.code}[/]: {exc.message}", highlight=False)
    if exc.details:
        _err.print(json.dumps(exc.details, ensure_ascii=False)[:2000], highlight=False)
    raise typer.Exit(EXIT_INVALID) from None


def optimize(
    text: Annotated[str | None, typer.Argument(help="The prompt (or use --file).")] = None,
    file: Annotated[Path | None, typer.Option("--file", "-f", help="Read the prompt from a "
                                              "file ('-' for stdin).")] = None,
    goal: Annotated[list[str] | None, typer.Option("--goal", "-g", help="A goal; repeat for "
                                                   "several (default: the context's).")] = None,
    engine: Annotated[str | None, typer.Option(help="rules | llm | hybrid")] = None,
    context: Annotated[str | None, typer.Option("--context", help="ai_context (detected "
                                                "when omitted).")] = None,
    no_save: Annotated[bool, typer.Option("--no-save", help="Do not save a template.")] = False,
    as_json: JsonOpt = False,
    server: ServerOpt = None,
    api_key: KeyOpt = None,
) -> None:
    """Optimize a prompt and print the result."""
    if (text is None) == (file is None):
        _err.print("[red]give the prompt as TEXT or with --file, not both.[/]")
        raise typer.Exit(EXIT_INVALID)
    if file is not None:
        try:
            text = sys.stdin.read() if str(file) == "-" else file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            _err.print(f"[red]cannot read {file}: {exc}[/]", highlight=False)
            raise typer.Exit(EXIT_INVALID) from None
    body: dict[str, Any] = {"prompt": text, "engine": engine, "ai_context": context}
    if goal:
        body["goals"] = goal
    if no_save:
        body["save_template"] = False
    body = {k: v for k, v in body.items() if v is not None}
    answer = _call(server, api_key, "optimize", body)
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    _out.rule(f"optimized · {answer['ai_context_detected']} · {answer['optimization_tier']}")
    _out.print(answer["optimized_prompt"], highlight=False, markup=False)
    _out.rule()
    qb, qa = answer["quality_before"]["total"], answer["quality_after"]["total"]
    _out.print(f"confidence {answer['confidence_score']:.2f} · quality {qb} → {qa} · tokens "
               f"{answer['tokens_before']} → {answer['tokens_after']} · similarity "
               f"{answer['similarity']:.2f} · scan {answer['scan']['verdict']}",
               highlight=False)
    for change in answer["changes"]:
        _out.print(f"  [bold]{change['goal']}[/]: {change['what']}", highlight=False)
    for q in answer["questions"]:
        _out.print(f"  [yellow]?[/] {q}", highlight=False)
    for w in answer["warnings"]:
        _err.print(f"[yellow]warning:[/] {w}", highlight=False)
    if answer.get("template_id"):
        _out.print(f"saved as template {answer['template_id']}", highlight=False)


def _table(templates: list[dict[str, Any]]) -> Table:
    table = Table()
    add_id_column(table)
    for header in ("saved", "context", "conf.", "used", "title"):
        table.add_column(header)
    for t in templates:
        table.add_row(t["id"], (t.get("saved_at_utc") or "")[:16], t["ai_context"],
                      f"{t['confidence_score']:.2f}", str(t.get("times_used", 0)),
                      t["title"][:60])
    return table


@templates_app.command("list")
def templates_list(
    limit: Annotated[int, typer.Option(min=1, max=100)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    sort: Annotated[str, typer.Option(help="newest | oldest | confidence | usage")] = "newest",
    as_json: JsonOpt = False, server: ServerOpt = None, api_key: KeyOpt = None,
) -> None:
    """List saved templates."""
    answer = _call(server, api_key, "list_templates", limit=limit, offset=offset, sort=sort)
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    _out.print(_table(answer["templates"]))
    _out.print(f"{answer['total_count']} template(s)", highlight=False)


@templates_app.command("search")
def templates_search(
    query: Annotated[str, typer.Argument(help="Words to look for.")],
    limit: Annotated[int, typer.Option(min=1, max=100)] = 10,
    min_confidence: Annotated[float | None, typer.Option(min=0.0, max=1.0)] = None,
    as_json: JsonOpt = False, server: ServerOpt = None, api_key: KeyOpt = None,
) -> None:
    """Search saved templates (full-text and semantic)."""
    answer = _call(server, api_key, "search_templates",
                   {"query": query, "limit": limit, "min_confidence": min_confidence})
    if as_json:
        typer.echo(json.dumps(answer, ensure_ascii=False, indent=2))
        return
    _out.print(_table(answer["templates"]))


@templates_app.command("export")
def templates_export(
    format: Annotated[str, typer.Option("--format", help="json | csv")] = "json",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="File to write "
                                                "(default: stdout).")] = None,
    server: ServerOpt = None, api_key: KeyOpt = None,
) -> None:
    """Export every template with every field."""
    text = _call(server, api_key, "export", format)
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        _err.print(f"wrote {output}", highlight=False)


@templates_app.command("delete")
def templates_delete(
    template_id: Annotated[str, typer.Argument()],
    server: ServerOpt = None, api_key: KeyOpt = None,
) -> None:
    """Delete a template."""
    _call(server, api_key, "delete_template", template_id)
    _out.print(f"deleted {template_id}", highlight=False)


def _local_template_store() -> Any:
    """This install's template store (its configured database, migrated to head)."""
    from promptsentry.wiring import Services

    services = Services()
    services.sql_store.migrate()
    return services.template_store


@templates_app.command("purge")
def templates_purge() -> None:
    """Run the retention job once: templates of tenants deleted more than 90 days ago are
    removed (run it daily from cron or a systemd timer)."""
    result = _local_template_store().purge_deleted_tenants()
    _out.print(json.dumps(result), highlight=False)


@templates_app.command("backfill")
def templates_backfill() -> None:
    """Compute the search vectors of templates saved before migration 0004 (searches do it
    lazily, 256 per search; this does all of them now). Prints progress per 256."""
    store = _local_template_store()
    total = 0
    while done := store.backfill_embeddings(limit=256):
        total += done
        _err.print(f"embedded {total} templates…", highlight=False)
    _out.print(json.dumps({"embedded": total}), highlight=False)


def mcp_bridge(
    server: ServerOpt = None,
    remote: Annotated[str | None, typer.Option(
        "--remote", hidden=True, help="Former name of --server.")] = None,
    config: Annotated[Path | None, typer.Option(help="Config file with api_key (default "
                                                "~/.config/promptsentry/bridge.toml).")] = None,
) -> None:
    """Serve the optimizer MCP tools on stdio, forwarding each call to a remote server.

    Keeps nothing but the API key (from the environment or the config file): no cache, no
    files, no prompt text in logs."""
    from promptsentry.mcp_server.optimizer_tools import build_bridge_server, load_bridge_key

    remote = server_url(server, remote)
    if remote is None:
        _err.print("[red]no server: pass --server URL or set PROMPTSENTRY_URL.[/]")
        raise typer.Exit(EXIT_INVALID)
    key = load_bridge_key(config)
    if not key:
        _err.print("[red]no API key: set PROMPTSENTRY_OPTIMIZER_API_KEY (or OPTIMIZER_API_KEY) "
                   "or api_key in the config file.[/]")
        raise typer.Exit(EXIT_INVALID)
    try:
        bridge = build_bridge_server(remote, key)
    except ValueError as exc:
        _err.print(f"[red]{exc}[/]", highlight=False)
        raise typer.Exit(EXIT_INVALID) from None
    print(f"promptsentry optimizer bridge → {remote}", file=sys.stderr)
    bridge.run("stdio")
