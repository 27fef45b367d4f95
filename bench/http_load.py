"""HTTP throughput of ``POST /scan`` on loopback, for 1 and 2 uvicorn workers, with wrk.

For each worker count it starts ``python -m promptsentry serve --workers N`` on a free
loopback port (temporary data dir, logging at warning), warms it up, then runs wrk for a
bounded time against ``POST /scan`` with a ~100 B and a ~2 KB body (benign text: the common
case), and reports requests per second and wrk's latency percentiles. Everything stays on
127.0.0.1.

    apt-get install -y wrk                                     # once
    .venv/bin/python bench/http_load.py                             # 1 and 2 workers, 10 s each
    .venv/bin/python bench/http_load.py --workers 1 --duration 5 --connections 32

wrk shares the machine's cores with the server, so on a 2-core box the 2-worker figure is
a lower bound of what two dedicated cores would serve.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

BODIES = {
    "100B": {"prompt": "What is the capital of France, and what is it famous for?"},
    "2KB": {"prompt": (
        "Hi team, following up on the ticket about the billing dashboard. Since Tuesday's "
        "deploy the monthly totals for EU customers show twice the expected amount, while the "
        "invoice PDFs are correct. I checked the exchange-rate job and it ran as usual. ") * 8},
}

_LUA = """\
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
{headers}wrk.body = {body}
done = function(summary, latency, requests)
  io.write(string.format("JSON {{\\"requests\\": %d, \\"duration_us\\": %d, \\"errors\\": %d, "
    .. "\\"non2xx\\": %d, \\"p50_us\\": %d, \\"p90_us\\": %d, \\"p99_us\\": %d, "
    .. "\\"max_us\\": %d}}\\n",
    summary.requests, summary.duration,
    summary.errors.connect + summary.errors.read + summary.errors.write
      + summary.errors.timeout, summary.errors.status,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def start_server(workers: int, env: dict[str, str], *,
                 timeout: float = 120.0) -> tuple[subprocess.Popen, str]:
    """``promptsentry serve --workers N`` on a free loopback port with ``env`` as its only
    ``PROMPTSENTRY_*`` settings, in its own process group; returns once ``/ready`` is 200."""
    port = _free_port()
    full = {k: v for k, v in os.environ.items() if not k.startswith("PROMPTSENTRY_")}
    full.update(env)
    proc = subprocess.Popen(
        [sys.executable, "-m", "promptsentry", "serve", "--host", "127.0.0.1", "--port",
         str(port), "--workers", str(workers)],
        env=full, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            if httpx.get(f"{url}/ready", timeout=1).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stop_server(proc, signal.SIGKILL)
    raise RuntimeError(f"server did not become ready in {timeout:.0f} s")


def stop_server(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    """Signal the server's whole process group (the uvicorn supervisor and its workers)."""
    os.killpg(proc.pid, sig)
    proc.wait(timeout=30)


def run_wrk(url: str, body: dict, *, duration: int, connections: int, threads: int,
            script_dir: Path, headers: dict[str, str] | None = None) -> dict:
    """Run wrk against ``POST {url}/scan`` with ``body``; requests/s and latency figures."""
    script = script_dir / "scan.lua"
    header_lines = "".join(f"wrk.headers[ {_lua_string(k)} ] = {_lua_string(v)}\n"
                           for k, v in (headers or {}).items())
    script.write_text(_LUA.format(headers=header_lines, body=_lua_string(json.dumps(body))))
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--timeout", "10s",
           "-s", str(script), f"{url}/scan"]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True,
                         timeout=duration + 30).stdout
    match = re.search(r"^JSON (\{.*\})$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"unexpected wrk output:\n{out}")
    stats = json.loads(match.group(1))
    seconds = stats["duration_us"] / 1e6
    return {
        "rps": round(stats["requests"] / seconds, 1),
        "requests": stats["requests"],
        "errors": stats["errors"],
        "non2xx": stats["non2xx"],
        "p50_ms": round(stats["p50_us"] / 1000, 2),
        "p90_ms": round(stats["p90_us"] / 1000, 2),
        "p99_ms": round(stats["p99_us"] / 1000, 2),
        "max_ms": round(stats["max_us"] / 1000, 2),
        "command": " ".join(cmd[:-3] + ["-s", "scan.lua", cmd[-1]]),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--duration", type=int, default=10, help="seconds per run (≤ 60)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        print("wrk not found: apt-get install -y wrk", file=sys.stderr)
        return 2
    duration = max(1, min(args.duration, 60))
    results: list[dict] = []
    with tempfile.TemporaryDirectory(prefix="ps-http-bench-") as tmp:
        for workers in args.workers:
            proc, url = start_server(workers, {
                "PROMPTSENTRY_DATA_DIR": str(Path(tmp) / f"data-{workers}"),
                "PROMPTSENTRY_LOG_LEVEL": "warning"})
            try:
                with httpx.Client(base_url=url) as client:  # warm every worker
                    for _ in range(50 * workers):
                        client.post("/scan", json=BODIES["2KB"]).raise_for_status()
                for label, body in BODIES.items():
                    r = run_wrk(url, body, duration=duration, connections=args.connections,
                                threads=args.threads, script_dir=Path(tmp))
                    r.update(workers=workers, body=label)
                    results.append(r)
                    print(f"workers={workers} body={label:>4}: {r['rps']:>8.1f} req/s  "
                          f"p50 {r['p50_ms']:.2f} ms  p99 {r['p99_ms']:.2f} ms  "
                          f"errors {r['errors']}  non-2xx {r['non2xx']}", flush=True)
            finally:
                stop_server(proc)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
