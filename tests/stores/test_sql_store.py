"""The durable SQL store on SQLite and on the real PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import inspect

from promptsentry.security.keys import hash_secret, parse_key
from promptsentry.stores.sql.store import SqlStore


def test_migrations_create_the_schema_and_are_idempotent(sql_url):
    store = SqlStore.from_url(sql_url)
    store.migrate()
    store.migrate()
    tables = set(inspect(store.engine).get_table_names())
    assert {"tenants", "api_keys", "ip_blocks", "ip_allowlist", "alembic_version"} <= tables
    store.close()


def test_concurrent_migrations_from_several_processes_do_not_collide(sql_url):
    errors: list[BaseException] = []

    def migrate() -> None:
        try:
            s = SqlStore.from_url(sql_url)
            s.migrate()
            s.ensure_tenant("default", "Default")
            s.close()
        except Exception as exc:  # noqa: BLE001  (reported by the assertion below)
            errors.append(exc)

    threads = [threading.Thread(target=migrate) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    store = SqlStore.from_url(sql_url)
    assert [t.id for t in store.list_tenants()] == ["default"]
    store.close()


def test_keys_are_stored_as_hashes_only(sql_url):
    store = SqlStore.from_url(sql_url)
    store.migrate()
    tenant = store.create_tenant("acme")
    meta, plaintext = store.create_key(tenant.id, "ci", ["scan", "scan", "admin"], "firewall")
    parsed = parse_key(plaintext)
    assert parsed is not None and parsed.key_id == meta.key_id
    assert meta.scopes == ("admin", "scan")
    with store.engine.connect() as conn:
        rows = [tuple(map(str, r)) for r in conn.exec_driver_sql("SELECT * FROM api_keys")]
    assert not any(parsed.secret in cell or plaintext in cell for row in rows for cell in row)
    assert store.get_key(meta.key_id).secret_hash == hash_secret(parsed.secret)
    assert store.any_key_exists()
    assert store.revoke_key(meta.key_id).revoked
    assert store.revoke_key("nope") is None
    store.close()


def test_usage_counters_add_up_across_writers(sql_url):
    store = SqlStore.from_url(sql_url)
    store.migrate()
    tenant = store.create_tenant("acme")
    meta, _ = store.create_key(tenant.id, "ci", ["scan"], "firewall")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    other = SqlStore.from_url(sql_url)
    store.record_key_usage({meta.key_id: (3, when)})
    other.record_key_usage({meta.key_id: (4, when)})
    key = store.get_key(meta.key_id)
    assert key.use_count == 7 and key.last_used_at == "2026-01-02T03:04:05Z"
    other.close()
    store.close()


def test_state_survives_a_new_engine(sql_url):
    store = SqlStore.from_url(sql_url)
    store.migrate()
    tenant = store.create_tenant("acme", {"monitor_mode": True})
    meta, _ = store.create_key(tenant.id, "ci", ["scan"], "firewall")
    store.add_block("192.0.2.0/24", "abuse")
    store.add_allow("198.51.100.1", "office")
    store.close()

    again = SqlStore.from_url(sql_url)
    again.migrate()
    assert again.get_tenant(tenant.id).settings == {"monitor_mode": True}
    assert again.get_key(meta.key_id).tenant_id == tenant.id
    assert [(b.ip, b.reason) for b in again.list_blocks()] == [("192.0.2.0/24", "abuse")]
    assert [a.ip for a in again.list_allow()] == ["198.51.100.1"]
    # Settings patches merge, and None removes an override.
    t = again.update_tenant_settings(tenant.id, {"strike_threshold": 2, "monitor_mode": None})
    assert t.settings == {"strike_threshold": 2}
    assert again.delete_tenant(tenant.id) is True
    assert again.get_key(meta.key_id) is None
    assert again.remove_block("192.0.2.0/24") is True and again.list_blocks() == []
    again.close()
