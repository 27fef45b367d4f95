"""Root fixtures.

State-backend fixtures (``backend``, ``state_settings``, ``app_factory``, ``pg_schema_url``,
``redis_prefix``) live in ``tests/fixtures_state.py`` and are registered here as a plugin.

The fixtures defined here:

* ``pipeline`` — the real default pipeline, built once per session (the model loads once).
* ``settings`` — :class:`Settings` with a fresh temporary ``data_dir`` and a known audit salt
  (``audit_salt`` gives it as bytes).
* ``app`` / ``client`` — the FastAPI app over the shared pipeline, once per state backend
  (embedded and Redis + PostgreSQL), and an ``httpx.AsyncClient`` over ``ASGITransport``.
* ``default_env`` — ``PROMPTSENTRY_*`` environment pointing at a temporary data dir, with the
  process-wide settings and default-pipeline caches cleared before and after (for code that
  reads :func:`get_settings`: the CLI, ``run_pipeline``, the SDK's in-process transport).
* ``live_server`` — a real uvicorn (``python -m promptsentry serve``) on a free loopback port
  in a subprocess, started once per session; yields its base URL.
* ``spawn_server(args, path="/health", **env)`` — run ``python -m promptsentry <args>`` on a
  free port for one test; returns ``(url, port)``.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpx
import pytest

from promptsentry.config import Settings, get_settings
from promptsentry.pipeline import runner
from promptsentry.pipeline.runner import Pipeline, build_pipeline

pytest_plugins = ("fixtures_state",)
pytest.register_assert_rewrite("fixtures_state")

from fixtures_state import BACKENDS, backend_settings

TEST_AUDIT_SALT = "test-audit-salt-not-a-secret"


@pytest.fixture(scope="session")
def audit_salt() -> bytes:
    """The audit salt every fixture here configures (``live_server`` included)."""
    return TEST_AUDIT_SALT.encode()


@pytest.fixture(scope="session")
def pipeline(tmp_path_factory: pytest.TempPathFactory) -> Pipeline:
    """The real default pipeline (normalise → signatures → classifier → leak), built once."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("pipeline-data"),
                        audit_salt=TEST_AUDIT_SALT)
    built = build_pipeline(settings)
    for stage in built.stages:  # load models now, not inside the first request
        getattr(stage, "detector", None)
    return built


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", audit_salt=TEST_AUDIT_SALT, log_level="warning")


@pytest.fixture(params=BACKENDS)
def app(request: pytest.FixtureRequest, settings: Settings, pipeline: Pipeline):
    """The app on each state backend: embedded (in-process + SQLite) and Redis + PostgreSQL."""
    from promptsentry.api.app import create_app

    with backend_settings(request.param) as values:
        yield create_app(settings.model_copy(update=values), pipeline=pipeline)


@pytest.fixture
async def client(app) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        yield c


def _clear_process_caches() -> None:
    get_settings.cache_clear()
    runner.default_pipeline.cache_clear()


@pytest.fixture
def default_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Process-wide settings from a clean ``PROMPTSENTRY_*`` environment; yields data_dir."""
    for key in list(os.environ):
        if key.startswith("PROMPTSENTRY_"):
            monkeypatch.delenv(key)
    data_dir = tmp_path / "default-data"
    monkeypatch.setenv("PROMPTSENTRY_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PROMPTSENTRY_AUDIT_SALT", TEST_AUDIT_SALT)
    monkeypatch.setenv("PROMPTSENTRY_LOG_LEVEL", "warning")
    _clear_process_caches()
    yield data_dir
    _clear_process_caches()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without ``PROMPTSENTRY_*``, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSENTRY_")}
    env.update(overrides)
    return env


def _wait_for_http(url: str, proc: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}:\n{log.read_text()[-4000:]}")
        try:
            if httpx.get(url, timeout=1.0).status_code < 500:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server did not answer {url} in {timeout}s:\n{log.read_text()[-4000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _start(args: list[str], base: Path, path: str, env: dict[str, str]
           ) -> tuple[subprocess.Popen, str, int]:
    port = _free_port()
    log = base / f"server-{port}.log"
    full_env = _clean_env(PROMPTSENTRY_DATA_DIR=str(base / f"data-{port}"),
                          PROMPTSENTRY_AUDIT_SALT=TEST_AUDIT_SALT,
                          PROMPTSENTRY_LOG_LEVEL="warning", **env)
    with log.open("wb") as sink:
        proc = subprocess.Popen(
            [sys.executable, "-m", "promptsentry", *[a.replace("{port}", str(port)) for a in args]],
            env=full_env, stdout=sink, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_for_http(url + path, proc, log)
    except BaseException:
        _stop(proc)
        raise
    return proc, url, port


@pytest.fixture(scope="session", params=BACKENDS)
def live_server(request: pytest.FixtureRequest,
                tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real uvicorn serving the app on loopback (own process, own temporary data dir), once
    per state backend: embedded, and Redis + PostgreSQL."""
    base = tmp_path_factory.mktemp("live-server")
    with backend_settings(request.param) as values:
        env = {f"PROMPTSENTRY_{k.upper()}": str(v) for k, v in values.items() if v is not None}
        proc, url, _ = _start(["serve", "--host", "127.0.0.1", "--port", "{port}"], base,
                              "/health", env)
        try:
            yield url
        finally:
            _stop(proc)


@pytest.fixture
def spawn_server(tmp_path: Path) -> Iterator[Callable[..., tuple[str, int]]]:
    """``spawn_server(args, path="/health", **env) -> (url, port)``: run ``python -m
    promptsentry <args>`` with ``{port}`` replaced by a free loopback port, wait until ``path``
    answers below 500, and stop it after the test. Its output is in
    ``tmp_path / f"server-{port}.log"``. ``spawn_server.processes[port]`` is the server's
    ``Popen`` (to signal it)."""
    procs: list[subprocess.Popen] = []
    by_port: dict[int, subprocess.Popen] = {}

    def start(args: list[str], path: str = "/health", **env: str) -> tuple[str, int]:
        proc, url, port = _start(args, tmp_path, path, env)
        procs.append(proc)
        by_port[port] = proc
        return url, port

    start.processes = by_port  # type: ignore[attr-defined]
    yield start
    for proc in procs:
        _stop(proc)
