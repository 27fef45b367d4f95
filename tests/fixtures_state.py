"""Shared state-backend fixtures (a pytest plugin module; see tests/conftest.py).

* ``backend`` — ``"memory+sqlite"`` (embedded default) or ``"redis+postgres"`` (the real
  servers on this machine: Redis DB 15 with a per-test key prefix, PostgreSQL database
  ``test`` with a per-test schema; both cleaned up). A test that takes ``backend`` runs on
  both; ``redis+postgres`` is skipped with a reason when a server is not reachable.
* ``state_settings`` — ``Settings`` for that backend (data_dir in ``tmp_path``).
* ``app_factory(pipeline=None, **overrides)`` — ``create_app`` on that backend; the default
  pipeline is :class:`KeywordStage` only (deterministic, no model): a prompt containing
  ``ATTACK`` is malicious.

* ``sql_url`` — an empty database URL, once SQLite and once a fresh PostgreSQL schema
  (``pg_schema_url``), for migration tests.

Other test folders reuse them: ``def test_x(app_factory): app = app_factory(...)``.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from promptsentry.pipeline.base import Finding, ScanState, Severity, StageResult
from promptsentry.pipeline.runner import Pipeline

REDIS_URL = os.environ.get("PROMPTSENTRY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("PROMPTSENTRY_TEST_POSTGRES_URL",
                              "postgresql://postgres@127.0.0.1:5432/test")
BACKENDS = ("memory+sqlite", "redis+postgres")
# Per-operation Redis timeout for tests that check behaviour, not latency. The service's
# default (0.5 s, ``redis_timeout_seconds``) is tuned for degraded mode; on a loaded 2-core CI
# machine a burst of fresh connections can take longer to open, which made a contract test
# fail with StoreUnavailable (CI, stop 13). Degraded-mode tests start their own servers and
# set their own timeouts.
REDIS_TEST_TIMEOUT_SECONDS = 5.0


class KeywordStage:
    """Test stage: ``ATTACK`` anywhere in the prompt is a decisive finding."""

    name = "keyword"
    failure_mode = "fail_open"

    async def run(self, state: ScanState) -> StageResult:
        if "ATTACK" in state.request.prompt:
            return StageResult(self.name, findings=(
                Finding("test_attack", "test", Severity.CRITICAL, decisive=True),))
        return StageResult(self.name)


def keyword_pipeline() -> Pipeline:
    return Pipeline([KeywordStage()], audit_salt=b"test-salt")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


def _unreachable(reason: str) -> None:
    """Skip on a developer machine without the server; fail in CI, where .ci/run starts it
    (a backend silently skipped there would hide a broken half of the suite)."""
    if os.environ.get("CI"):
        pytest.fail(reason + " (CI is set: .ci/run should have started it)")
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema (dropped afterwards) and a URL whose search_path is it."""
    if not _reachable("127.0.0.1", 5432):
        _unreachable("PostgreSQL is not reachable on 127.0.0.1:5432")
    import psycopg

    schema = f"ps_test_{uuid.uuid4().hex[:12]}"
    base = POSTGRES_URL.replace("postgresql://", "", 1)
    conninfo = "postgresql://" + base
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    sep = "&" if "?" in POSTGRES_URL else "?"
    try:
        yield f"{POSTGRES_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@contextlib.contextmanager
def redis_key_prefix() -> Iterator[str]:
    """A unique Redis key prefix on DB 15; its keys are deleted afterwards."""
    if not _reachable("127.0.0.1", 6379):
        _unreachable("Redis is not reachable on 127.0.0.1:6379")
    import redis

    prefix = f"pstest{uuid.uuid4().hex[:10]}"
    try:
        yield prefix
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


def redis_settings(prefix: str) -> dict[str, Any]:
    """Setting values that put the hot store on the test Redis under ``prefix``."""
    return {"redis_url": REDIS_URL, "redis_key_prefix": prefix,
            "redis_timeout_seconds": REDIS_TEST_TIMEOUT_SECONDS}


@contextlib.contextmanager
def backend_settings(backend: str) -> Iterator[dict[str, Any]]:
    """Setting values that put the stores on ``backend`` (cleaned up on exit)."""
    if backend == "memory+sqlite":
        yield {"database_url": None, "redis_url": None}
        return
    with postgres_schema() as url, redis_key_prefix() as prefix:
        yield {"database_url": url, **redis_settings(prefix)}


@pytest.fixture
def pg_schema_url() -> Iterator[str]:
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["sqlite", "postgres"])
def sql_url(request: pytest.FixtureRequest, tmp_path: Any) -> str:
    """A SQLAlchemy URL of an empty database: a SQLite file, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'ps.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    with redis_key_prefix() as prefix:
        yield prefix


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def state_settings(backend: str, tmp_path: Any, request: pytest.FixtureRequest) -> Any:
    from promptsentry.config import Settings

    values: dict[str, Any] = {"data_dir": tmp_path, "log_level": "warning",
                              "key_usage_flush_seconds": 0, "block_list_refresh_seconds": 0,
                              "database_url": None, "redis_url": None, "admin_token": None,
                              "api_keys": [], "jwt_secret": None}
    if backend == "redis+postgres":
        values["database_url"] = request.getfixturevalue("pg_schema_url")
        values.update(redis_settings(request.getfixturevalue("redis_prefix")))
    return Settings(**values)


@pytest.fixture
def app_factory(state_settings: Any) -> Any:
    """``app_factory(pipeline=None, **setting_overrides)`` → a FastAPI app on ``backend``."""
    from promptsentry.api.app import create_app

    def make(pipeline: Pipeline | None = None, **overrides: Any) -> Any:
        settings = (type(state_settings)(**{**dict(state_settings), **overrides}) if overrides
                    else state_settings)
        return create_app(settings, pipeline=pipeline or keyword_pipeline())

    return make
