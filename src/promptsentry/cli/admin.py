"""Admin commands: ``keys``, ``tenants``, ``blocks`` and ``stats``.

They call the admin API of a running server over HTTP with the admin token (one code path
with the API, so every rule — validation, tenant scoping, cache invalidation, automatic
blocks in the hot store — applies), at ``--server`` (``PROMPTSENTRY_URL``, default
``http://<host>:<port>`` from the settings; ``--url`` is its former, hidden name) with
``--admin-token`` (``PROMPTSENTRY_ADMIN_TOKEN``).

Exit codes: 0 success, 1 the API refused (its error code and message are printed), 2 the
server could not be reached or the arguments are unusable.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

import httpx
import typer
from rich.console import Console
from rich.table import Table

from promptsentry.cli.options import LegacyUrlOpt, ServerOpt, add_id_column, server_url
from promptsentry.config import get_settings

_out = Console()
_err = Console(stderr=True)

keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
tenants_app = typer.Typer(help="Create, list, show, configure and delete tenants.",
                          no_args_is_help=True)
blocks_app = typer.Typer(help="Manual IP blocks, automatic blocks and strikes.",
                         no_args_is_help=True)

TokenOpt = Annotated[str | None, typer.Option("--admin-token", envvar="PROMPTSENTRY_ADMIN_TOKEN",
                                              help="Admin token (bearer).", show_default=False)]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the raw JSON answer.")]


def register(app: typer.Typer) -> None:
    """Add the admin command groups to ``app``."""
    app.add_typer(keys_app, name="keys")
    app.add_typer(tenants_app, name="tenants")
    app.add_typer(blocks_app, name="blocks")
    app.command("stats")(stats)


def _call(method: str, path: str, url: str | None, token: str | None, *,
          json_body: Any = None, params: dict[str, Any] | None = None) -> httpx.Response:
    settings = get_settings()
    if url is None:
        host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        url = f"http://{host}:{settings.port}"
    if token is None and settings.admin_token is not None:
        token = settings.admin_token.get_secret_value()
    if not token:
        _err.print("[red]no admin token: pass --admin-token or set PROMPTSENTRY_ADMIN_TOKEN[/]")
        raise typer.Exit(2)
    try:
        with httpx.Client(base_url=url, timeout=30,
                          headers={"Authorization": f"Bearer {token}"}) as client:
            response = client.request(method, path, json=json_body, params=params)
    except httpx.HTTPError as exc:
        _err.print(f"[red]cannot reach {url}: {type(exc).__name__}[/]")
        raise typer.Exit(2) from None
    if response.status_code >= 400:
        try:
            error = response.json()["error"]
            _err.print(f"[red]{response.status_code} {error['code']}[/]: {error['message']}")
            if error.get("details"):
                _err.print(json.dumps(error["details"]))
        except (ValueError, KeyError, TypeError):
            _err.print(f"[red]{response.status_code}[/]: {response.text[:500]}")
        raise typer.Exit(1)
    return response


def _print_json(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2))


def _table(title: str, columns: list[str], rows: list[list[Any]]) -> None:
    """A table whose first column holds ids (never cut: they are pasted into commands)."""
    table = Table(title=title)
    add_id_column(table, columns[0])
    for col in columns[1:]:
        table.add_column(col)
    for row in rows:
        table.add_row(*["" if v is None else str(v) for v in row])
    _out.print(table)


# --- keys -------------------------------------------------------------------------------------

@keys_app.command("create")
def keys_create(
    name: Annotated[str, typer.Option(help="A label for the key.")],
    tenant: Annotated[str, typer.Option(help="Tenant id.")] = "default",
    scope: Annotated[list[str] | None, typer.Option(
        help="scan, optimize or admin (repeat for several). Default: scan.")] = None,
    server: ServerOpt = None, url: LegacyUrlOpt = None,
    admin_token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """Create a key. The key is printed once: store it now."""
    body = {"tenant_id": tenant, "name": name, "scopes": scope or ["scan"]}
    data = _call("POST", "/admin/keys", server_url(server, url), admin_token, json_body=body).json()
    if as_json:
        _print_json(data)
        return
    _err.print(f"created key {data['key_id']} for tenant {data['tenant_id']} "
               f"(scopes: {', '.join(data['scopes'])}); it is shown only now:")
    typer.echo(data["key"])


@keys_app.command("list")
def keys_list(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's keys.")] = None,
    server: ServerOpt = None, url: LegacyUrlOpt = None,
    admin_token: TokenOpt = None, as_json: JsonOpt = False,
) -> None:
    """List keys (metadata only; secrets are never shown again)."""
    params = {"tenant_id": tenant} if tenant else None
    data = _call("GET", "/admin/keys", server_url(server, url), admin_token, params=params).json()
    if as_json:
        _print_json(data)
        return
    _table("API keys", ["key_id", "tenant", "name", "scopes", "created", "last used", "uses",
                        "revoked"],
           [[k["key_id"], k["tenant_id"], k["name"], ",".join(k["scopes"]), k["created_at"],
             k["last_used_at"], k["use_count"], k["revoked_at"] or ""] for k in data["keys"]])


@keys_app.command("revoke")
def keys_revoke(key_id: str,
                server: ServerOpt = None, url: LegacyUrlOpt = None,
                admin_token: TokenOpt = None) -> None:
    """Revoke a key; every worker refuses it from its next request."""
    data = _call("DELETE", f"/admin/keys/{key_id}", server_url(server, url), admin_token).json()
    typer.echo(f"revoked {data['key_id']}")


# --- tenants ----------------------------------------------------------------------------------

@tenants_app.command("create")
def tenants_create(name: str,
                   server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
                   as_json: JsonOpt = False) -> None:
    """Create a tenant; prints its id."""
    data = _call("POST", "/admin/tenants",
                 server_url(server, url), admin_token, json_body={"name": name}).json()
    if as_json:
        _print_json(data)
    else:
        typer.echo(data["id"])


@tenants_app.command("list")
def tenants_list(server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
                 as_json: JsonOpt = False) -> None:
    """List tenants and their setting overrides."""
    data = _call("GET", "/admin/tenants", server_url(server, url), admin_token).json()
    if as_json:
        _print_json(data)
        return
    _table("Tenants", ["id", "name", "overrides", "created"],
           [[t["id"], t["name"], json.dumps(t["settings"]), t["created_at"]]
            for t in data["tenants"]])


@tenants_app.command("show")
def tenants_show(tenant_id: str,
                 server: ServerOpt = None, url: LegacyUrlOpt = None,
                 admin_token: TokenOpt = None) -> None:
    """A tenant with its overrides and effective settings (JSON)."""
    _print_json(_call("GET", f"/admin/tenants/{tenant_id}",
                      server_url(server, url), admin_token).json())


@tenants_app.command("set")
def tenants_set(
    tenant_id: str,
    assignments: Annotated[list[str], typer.Argument(
        help="setting=value pairs; values are JSON (true, 60, [\"10.0.0.0/8\"]) or text; "
        "setting=null removes an override.")],
    server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
) -> None:
    """Change a tenant's settings, e.g. ``tenants set ten_1 rate_limit_per_minute=600``."""
    patch: dict[str, Any] = {}
    for item in assignments:
        name, sep, raw = item.partition("=")
        if not sep or not name:
            _err.print(f"[red]expected setting=value, got {item!r}[/]")
            raise typer.Exit(2)
        try:
            patch[name.strip()] = json.loads(raw)
        except ValueError:
            patch[name.strip()] = raw
    data = _call("PATCH", f"/admin/tenants/{tenant_id}", server_url(server, url), admin_token,
                 json_body={"settings": patch}).json()
    _print_json(data["settings"])


@tenants_app.command("delete")
def tenants_delete(tenant_id: str,
                   server: ServerOpt = None, url: LegacyUrlOpt = None,
                   admin_token: TokenOpt = None) -> None:
    """Delete a tenant and its keys."""
    _call("DELETE", f"/admin/tenants/{tenant_id}", server_url(server, url), admin_token)
    typer.echo(f"deleted {tenant_id}")


# --- blocks -----------------------------------------------------------------------------------

@blocks_app.command("add")
def blocks_add(ip: str, reason: Annotated[str, typer.Option(help="Why.")] = "",
               server: ServerOpt = None, url: LegacyUrlOpt = None,
               admin_token: TokenOpt = None) -> None:
    """Block an address or CIDR network until removed."""
    data = _call("POST", "/admin/blocks", server_url(server, url), admin_token,
                 json_body={"ip": ip, "reason": reason}).json()
    typer.echo(f"blocked {data['ip']}")


TenantOpt = Annotated[str | None, typer.Option(
    "--tenant", help="Only this tenant's automatic blocks and strikes (they are per tenant).")]


def _tenant_params(tenant: str | None) -> dict[str, Any] | None:
    return {"tenant_id": tenant} if tenant else None


@blocks_app.command("list")
def blocks_list(server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
                as_json: JsonOpt = False, tenant: TenantOpt = None) -> None:
    """Manual (install-wide) and automatic (per-tenant) blocks."""
    data = _call("GET", "/admin/blocks",
                 server_url(server, url), admin_token, params=_tenant_params(tenant)).json()
    if as_json:
        _print_json(data)
        return
    _table("Blocks", ["ip", "type", "tenant", "reason", "created", "expires in (s)"],
           [[b["ip"], b["type"], b.get("tenant_id") or "(all)", b["reason"], b["created_at"],
             b["expires_in_seconds"]] for b in data["blocks"]])


@blocks_app.command("remove")
def blocks_remove(ip: str,
                  server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
                  tenant: TenantOpt = None) -> None:
    """Lift a manual block and the automatic blocks of every tenant (and forget the address's
    strikes); with --tenant only that tenant's automatic block and strikes."""
    _call("DELETE", f"/admin/blocks/{ip}",
          server_url(server, url), admin_token, params=_tenant_params(tenant))
    typer.echo(f"unblocked {ip}")


@blocks_app.command("strikes")
def blocks_strikes(ip: str,
                   server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
                   tenant: TenantOpt = None) -> None:
    """Strikes and block state of an address in one tenant (JSON; default tenant
    ``default``)."""
    _print_json(_call("GET", f"/admin/strikes/{ip}", server_url(server, url), admin_token,
                      params=_tenant_params(tenant)).json())


# --- stats ------------------------------------------------------------------------------------

def stats(
    hours: Annotated[int, typer.Option(min=1, max=744, help="How many hours back.")] = 24,
    tenant: Annotated[str | None, typer.Option(help="Only this tenant.")] = None,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV.")] = False,
    server: ServerOpt = None, url: LegacyUrlOpt = None, admin_token: TokenOpt = None,
) -> None:
    """Scan counts by verdict and action per hour, per tenant."""
    params: dict[str, Any] = {"hours": hours, "format": "csv" if csv else "json"}
    if tenant:
        params["tenant_id"] = tenant
    response = _call("GET", "/api/stats", server_url(server, url), admin_token, params=params)
    if csv:
        typer.echo(response.text, nl=False)
        return
    data = response.json()
    _table(f"Scans, last {hours} h", ["hour", "tenant", "verdict", "action", "count"],
           [[r["hour"], r["tenant_id"], r["verdict"], r["action"], r["count"]]
            for r in data["rows"]])


__all__ = ["register"]
