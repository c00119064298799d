"""Shared benchmark plumbing: a scratch PostgreSQL database, gunicorn, an HTTP load loop."""

import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from http.client import HTTPConnection
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")


def bench_env(db_name: str, *, broker: str = "") -> dict:
    """The environment of the benchmark's Django: `broker` empty runs Celery tasks eagerly."""
    return {
        **os.environ,
        "DATABASE_URL": f"{PG}/{db_name}",
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "CELERY_BROKER_URL": broker,
        "DEBUG": "false",
        "SECRET_KEY": "bench-only-secret-key-not-for-production-0123456789",
        "LOG_LEVEL": "ERROR",
    }


def database_fresh(db_name: str, *, broker: str = "") -> dict:
    """Drop and create `db_name`, migrate it, and point this process's Django at it."""
    admin = f"{PG}/postgres"
    for sql in (f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)", f"CREATE DATABASE {db_name}"):
        subprocess.run(["psql", admin, "-qc", sql], check=True, capture_output=True)
    env = bench_env(db_name, broker=broker)
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
    )
    os.environ.update(
        {
            k: env[k]
            for k in (
                "DATABASE_URL",
                "DJANGO_SETTINGS_MODULE",
                "DEBUG",
                "SECRET_KEY",
                "CELERY_BROKER_URL",
            )
        }
    )
    import django

    django.setup()
    return env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def gunicorn(env: dict, *, workers: int = 2):
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "returns_portal.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env={**env, "DATABASE_POOL": "true"},
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                conn = HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/healthz")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not come up")
        yield port
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def _run_requests(args) -> list[float]:
    port, requests = args
    latencies = []
    for method, path, body, headers in requests:
        conn = HTTPConnection("127.0.0.1", port, timeout=30)
        start = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        resp = conn.getresponse()
        payload = resp.read()
        latencies.append(time.perf_counter() - start)
        if resp.status >= 400:
            raise RuntimeError(f"{method} {path} → {resp.status}: {payload[:300]!r}")
        conn.close()
    return latencies


def load(port: int, requests: list, *, clients: int = 1) -> dict:
    """Send `requests` (method, path, body, headers) split over `clients` processes.

    The client processes are started before the clock starts: only the requests are timed.
    """
    if clients == 1:
        start = time.perf_counter()
        latencies = _run_requests((port, requests))
        return summary(latencies, time.perf_counter() - start)
    chunks = [requests[i::clients] for i in range(clients)]
    with ProcessPoolExecutor(clients) as pool:
        list(pool.map(_run_requests, [(port, [])] * clients))  # fork the workers now
        start = time.perf_counter()
        latencies = [
            lat for part in pool.map(_run_requests, [(port, c) for c in chunks]) for lat in part
        ]
        wall = time.perf_counter() - start
    return summary(latencies, wall)


def compare(port: int, reference: list, measured: list, *, clients: int, rounds: int) -> dict:
    """Alternate `reference` and `measured` runs `rounds` times; the median run of each and
    the median of the per-round ratios (alternating keeps a noisy neighbour fair to both).

    `measured` may be a list of request lists, one per round (requests that cannot repeat).
    """
    per_round = measured if measured and isinstance(measured[0], list) else [measured] * rounds
    refs, reals, ratios = [], [], []
    for i in range(rounds):
        ref = load(port, reference, clients=clients)
        real = load(port, per_round[i], clients=clients)
        refs.append(ref)
        reals.append(real)
        ratios.append(real["per_second"] / ref["per_second"])

    def median_run(runs):
        return sorted(runs, key=lambda r: r["per_second"])[len(runs) // 2]

    return {
        "reference": median_run(refs),
        "measured": median_run(reals),
        "ratio": round(statistics.median(ratios), 2),
        "ratios": [round(r, 2) for r in ratios],
    }


def summary(latencies: list[float], wall: float) -> dict:
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    return {
        "n": len(ordered),
        "per_second": round(len(ordered) / wall, 1),
        "p50_ms": round(statistics.median(ordered) * 1000, 2),
        "p95_ms": round(pct(0.95), 2),
    }


def report(title: str, rows: dict) -> None:
    print(f"\n== {title}")
    for name, value in rows.items():
        print(f"  {name:<44} {json.dumps(value)}")
