"""``promptsentry keys|tenants|blocks|stats`` against a real server (HTTP admin API)."""

from __future__ import annotations

import json

import httpx
import pytest
from typer.testing import CliRunner

from fixtures_state import free_port
from live_servers import start_server, stop_server
from promptsentry.cli import app as cli

ADMIN = "admin-token-for-tests-0123456789"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("cli-server")
    port = free_port()
    proc = start_server({"PROMPTSENTRY_DATA_DIR": str(tmp), "PROMPTSENTRY_ADMIN_TOKEN": ADMIN,
                         "PROMPTSENTRY_LOG_LEVEL": "warning"}, port, 1, tmp / "server.log")
    yield f"http://127.0.0.1:{port}"
    stop_server(proc)


def run(server: str, *args: str, token: str | None = ADMIN):
    env = {"PROMPTSENTRY_URL": server}
    if token is not None:
        env["PROMPTSENTRY_ADMIN_TOKEN"] = token
    return CliRunner().invoke(cli, list(args), env=env)


def test_tenant_key_and_block_commands(server):
    r = run(server, "tenants", "create", "cli-co")
    assert r.exit_code == 0, r.output
    tenant_id = r.stdout.strip()
    assert tenant_id.startswith("ten_")

    r = run(server, "tenants", "set", tenant_id, "rate_limit_per_minute=600",
            "monitor_mode=true")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout) == {"rate_limit_per_minute": 600, "monitor_mode": True}
    r = run(server, "tenants", "set", tenant_id, "strike_threshold=-1")
    assert r.exit_code == 1 and "INVALID_REQUEST" in r.stderr

    r = run(server, "keys", "create", "--tenant", tenant_id, "--name", "ci", "--scope", "scan")
    assert r.exit_code == 0, r.output
    key = r.stdout.strip()
    assert key.startswith("ps_")
    scan = httpx.post(f"{server}/scan", json={"prompt": "hi"},
                      headers={"Authorization": f"Bearer {key}"})
    assert scan.status_code == 200 and scan.json()["tenant_id"] == tenant_id

    r = run(server, "keys", "list", "--tenant", tenant_id, "--json")
    keys = json.loads(r.stdout)["keys"]
    assert len(keys) == 1 and key not in r.stdout
    r = run(server, "keys", "revoke", keys[0]["key_id"])
    assert r.exit_code == 0
    scan = httpx.post(f"{server}/scan", json={"prompt": "hi"},
                      headers={"Authorization": f"Bearer {key}"})
    assert scan.status_code == 401

    assert run(server, "blocks", "add", "192.0.2.0/24", "--reason", "abuse").exit_code == 0
    r = run(server, "blocks", "list", "--json")
    assert [b["ip"] for b in json.loads(r.stdout)["blocks"]] == ["192.0.2.0/24"]
    r = run(server, "blocks", "strikes", "192.0.2.10")
    assert json.loads(r.stdout)["block_type"] == "manual"
    assert run(server, "blocks", "remove", "192.0.2.0/24").exit_code == 0
    r = run(server, "blocks", "remove", "192.0.2.0/24")
    assert r.exit_code == 1 and "NOT_FOUND" in r.stderr

    r = run(server, "stats", "--csv")
    assert r.exit_code == 0 and r.stdout.startswith("hour,tenant_id,verdict,action,count")

    assert run(server, "tenants", "delete", tenant_id).exit_code == 0


def test_cli_errors_are_clear(server):
    r = run(server, "tenants", "list", token="wrong-token")
    assert r.exit_code == 1 and "INVALID_API_KEY" in r.stderr
    r = run(f"http://127.0.0.1:{free_port()}", "tenants", "list")
    assert r.exit_code == 2 and "cannot reach" in r.stderr


def test_server_flag_the_hidden_url_alias_and_full_ids(server):
    """``--server`` and the former ``--url`` both reach the server (an explicit flag wins over
    PROMPTSENTRY_URL); --help names only --server; the key table shows whole key ids."""
    unreachable = f"http://127.0.0.1:{free_port()}"
    r = run(unreachable, "tenants", "create", "flag-co", "--server", server)
    assert r.exit_code == 0, r.output
    tenant_id = r.stdout.strip()
    r = run(unreachable, "keys", "create", "--tenant", tenant_id, "--name", "a-rather-long-name",
            "--scope", "scan", "--scope", "optimize", "--url", server, "--json")
    assert r.exit_code == 0, r.output
    key_id = json.loads(r.stdout)["key_id"]
    r = CliRunner().invoke(cli, ["keys", "list", "--tenant", tenant_id, "--server", server],
                           env={"PROMPTSENTRY_ADMIN_TOKEN": ADMIN, "COLUMNS": "80"})
    assert r.exit_code == 0, r.output
    assert key_id in r.stdout  # whole, on one line: it can be pasted into `keys revoke`
    assert run(unreachable, "keys", "revoke", key_id, "--server", server).exit_code == 0
    assert run(server, "tenants", "delete", tenant_id).exit_code == 0
    usage = CliRunner().invoke(cli, ["keys", "list", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--server" in usage and "PROMPTSENTRY_URL" in usage and "--url" not in usage
