"""What shared state adds to a scan, and HTTP throughput with 2 workers on Redis.

Part 1 (in process, no HTTP, no model): the state work the service does around one scan —
``admit`` (IP block checks + per-IP and per-tenant sliding windows) + ``put_scan_record`` +
``after_verdict`` (a strike on a blocked malicious verdict, otherwise the hourly counter) —
timed per scan for the embedded in-process store and for Redis on loopback. Target: ≤ 1 ms
p50 on Redis.

Part 2 (HTTP, optional ``--http``): ``python -m promptsentry serve --workers 2`` with Redis
+ PostgreSQL (a throwaway schema), a managed key and rate limits switched on (high enough
not to trigger), loaded by ``wrk`` on loopback for ``--duration`` seconds; the same for the
embedded default with 1 worker for comparison. The scans run the real pipeline (model
included), so this is end-to-end throughput, not state alone.

    .venv/bin/python bench/state.py                       # part 1
    .venv/bin/python bench/state.py --http --duration 10  # parts 1 and 2 (needs wrk)

Environment: ``BENCH_REDIS_URL`` (default redis://127.0.0.1:6379/15),
``BENCH_POSTGRES_URL`` (default postgresql://postgres@127.0.0.1:5432/test). Keys are written
under a unique prefix and deleted afterwards; the PostgreSQL schema is dropped.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from http_load import run_wrk, start_server, stop_server

REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")
POSTGRES_URL = os.environ.get("BENCH_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


async def _state_latency(store_kind: str, iterations: int, malicious_every: int) -> dict:
    from promptsentry.config import Settings
    from promptsentry.observability.incidents import Incidents
    from promptsentry.security.guard import Guard, IpLists
    from promptsentry.stores.memory import MemoryHotStore
    from promptsentry.stores.records import ScanRecord
    from promptsentry.stores.redis import RedisHotStore
    from promptsentry.stores.tenants import effective_settings

    prefix = f"psbench{uuid.uuid4().hex[:8]}"
    settings = Settings(data_dir=Path(tempfile.mkdtemp()), rate_limit_per_minute=10**9,
                        ip_rate_limit_per_minute=10**9, strike_threshold=10**6)
    store = (MemoryHotStore() if store_kind == "memory"
             else RedisHotStore(REDIS_URL, prefix=prefix))
    incidents = Incidents()
    guard = Guard(settings, store, IpLists(None, incidents, 60), incidents)
    eff = effective_settings(settings, None)
    samples: list[float] = []
    try:
        for i in range(iterations + 200):
            ip = f"10.{(i >> 8) & 255}.{i & 255}.1"
            malicious = malicious_every and i % malicious_every == 0
            record = ScanRecord(
                scan_id=f"scan_{uuid.uuid4().hex}", request_id="r", timestamp="t",
                tenant_id="bench", verdict="malicious" if malicious else "clean",
                action_taken="blocked" if malicious else "allowed", confidence=90.0,
                risk_score=0.1, scan_type="prompt", audit_hash="0" * 64, source_ip=ip,
                expires_at="e")
            t0 = time.perf_counter()
            admission = await guard.admit("bench", ip, eff)
            await store.put_scan_record(record, 3600)
            await guard.after_verdict("bench", admission, record.verdict, record.action_taken,
                                      eff)
            elapsed = (time.perf_counter() - t0) * 1000
            if i >= 200:  # warm-up excluded
                samples.append(elapsed)
    finally:
        if isinstance(store, RedisHotStore):
            keys = [k async for k in store.client.scan_iter(match=f"{prefix}:*", count=1000)]
            for start in range(0, len(keys), 500):
                await store.client.delete(*keys[start:start + 500])
        await store.close()
    return {"store": store_kind, "iterations": iterations,
            "p50_ms": round(statistics.median(samples), 4),
            "p99_ms": round(_pct(samples, 99), 4), "mean_ms": round(statistics.mean(samples), 4)}


def _http_run(label: str, env: dict[str, str], workers: int, duration: int,
              connections: int) -> dict:
    import httpx

    proc, url = start_server(workers, env)
    try:
        admin = {"Authorization": f"Bearer {env['PROMPTSENTRY_ADMIN_TOKEN']}"}
        tenant = httpx.post(f"{url}/admin/tenants", json={"name": "bench"}, headers=admin).json()
        httpx.patch(f"{url}/admin/tenants/{tenant['id']}", headers=admin, json={"settings": {
            "rate_limit_per_minute": 10**8, "ip_rate_limit_per_minute": 10**8}})
        key = httpx.post(f"{url}/admin/keys", json={"tenant_id": tenant["id"], "name": "b"},
                         headers=admin).json()["key"]
        for _ in range(20):  # warm-up
            httpx.post(f"{url}/scan", json={"prompt": "warm up"},
                       headers={"Authorization": f"Bearer {key}"})
        with tempfile.TemporaryDirectory(prefix="ps-state-bench-") as tmp:
            result = run_wrk(url, {"prompt": "What is the capital of France, and what is it "
                                   "famous for?", "source_ip": "198.51.100.10"},
                             duration=duration, connections=connections, threads=2,
                             script_dir=Path(tmp), headers={"Authorization": f"Bearer {key}"})
    finally:
        stop_server(proc)
    return {"setup": label, "workers": workers, **result}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--iterations", type=int, default=3000)
    parser.add_argument("--malicious-every", type=int, default=10,
                        help="every Nth scan is a blocked malicious verdict (strike path)")
    parser.add_argument("--http", action="store_true", help="also run the wrk HTTP runs")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    args = parser.parse_args()

    print(f"# machine: {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, "
          f"Python {platform.python_version()}")
    print("## state added per scan (admit + record + strike/counter), in process")
    for kind in ("memory", "redis"):
        print(json.dumps(asyncio.run(_state_latency(kind, args.iterations,
                                                    args.malicious_every))))
    if not args.http:
        return 0
    if shutil.which("wrk") is None:
        print("wrk is not installed (apt-get install -y wrk); skipping HTTP runs")
        return 1
    import psycopg

    schema = f"ps_bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    prefix = f"psbench{uuid.uuid4().hex[:8]}"
    token = uuid.uuid4().hex
    try:
        with tempfile.TemporaryDirectory() as tmp:
            base = {"PROMPTSENTRY_ADMIN_TOKEN": token, "PROMPTSENTRY_LOG_LEVEL": "warning",
                    "PROMPTSENTRY_KEY_USAGE_FLUSH_SECONDS": "30"}
            print(f"## HTTP POST /scan, wrk -t2 -c{args.connections} -d{args.duration}s, "
                  "real pipeline, managed key, rate limits on")
            runs = [
                ("embedded (memory + SQLite)", {**base, "PROMPTSENTRY_DATA_DIR": f"{tmp}/e"}, 1),
                ("Redis + PostgreSQL", {
                    **base, "PROMPTSENTRY_DATA_DIR": f"{tmp}/r",
                    "PROMPTSENTRY_REDIS_URL": REDIS_URL, "PROMPTSENTRY_REDIS_KEY_PREFIX": prefix,
                    "PROMPTSENTRY_DATABASE_URL":
                        f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"}, 2),
            ]
            for label, env, workers in runs:
                print(json.dumps(_http_run(label, env, workers, args.duration,
                                           args.connections)))
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        import redis

        client = redis.Redis.from_url(REDIS_URL)
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            client.delete(*keys)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
