"""Start and stop real uvicorn servers (``tests/multiworker/server_app.py``) for tests."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

TESTS = Path(__file__).resolve().parent


def start_server(env: dict[str, str], port: int, workers: int, log_path: Path,
                 factory: str = "server_app:make_app") -> subprocess.Popen:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSENTRY_")}
    full_env.update(env)
    full_env["PYTHONPATH"] = os.pathsep.join([str(TESTS / "multiworker"), str(TESTS),
                                             full_env.get("PYTHONPATH", "")])
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--factory", factory,
             "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
             "--log-level", "warning", "--no-access-log"],
            env=full_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    deadline = time.monotonic() + 60
    seen: set[str] = set()  # worker pids that answered (apps that tag x-worker-pid)
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {log_path.read_text()[-3000:]}")
        try:
            r = httpx.get(f"http://127.0.0.1:{port}/health", timeout=0.5)
        except httpx.HTTPError:
            time.sleep(0.1)
            continue
        pid = r.headers.get("x-worker-pid")
        if r.status_code == 200 and (pid is None or workers == 1):
            return proc
        if r.status_code == 200:
            seen.add(pid)
            if len(seen) >= workers:  # every worker is up, not only the first
                return proc
        time.sleep(0.05)
    stop_server(proc)
    raise RuntimeError(f"server did not start: {log_path.read_text()[-3000:]}")


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


async def fire(url: str, n: int, headers: dict, body: dict,
               path: str = "/scan") -> list[httpx.Response]:
    """``n`` concurrent POSTs, each on its own connection (so every worker accepts some)."""
    async def one() -> httpx.Response:
        async with httpx.AsyncClient(base_url=url, timeout=30) as c:
            return await c.post(path, json=body, headers=headers)

    return list(await asyncio.gather(*[one() for _ in range(n)]))


def pids(responses: list[httpx.Response]) -> set[str]:
    """The worker processes that answered (the test app's ``x-worker-pid`` header)."""
    return {r.headers["x-worker-pid"] for r in responses}
