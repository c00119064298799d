"""Start and stop a real Celery worker process against Redis and the test database."""

import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent


def _database_url_for_test_db() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        raise RuntimeError("the real worker needs PostgreSQL")
    user = db.get("USER") or ""
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    auth = f"{user}{password}@" if user else ""
    return f"postgres://{auth}{db.get('HOST') or '127.0.0.1'}:{db.get('PORT') or 5432}/{db['NAME']}"


@contextmanager
def celery_worker(*, pool: str = "solo", concurrency: int = 1, extra_env: dict | None = None):
    """Yield (queue_name, process). Tasks sent to `queue_name` are run by the worker.

    The worker gets its own queue so stale messages from another run cannot reach it.
    """
    from returns_portal.celery import app

    queue = f"test-{uuid.uuid4().hex[:10]}"
    env = {
        **os.environ,
        "DATABASE_URL": _database_url_for_test_db(),
        "DATABASE_POOL": "false",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CELERY_RESULT_BACKEND": settings.CELERY_RESULT_BACKEND or settings.CELERY_BROKER_URL,
        "PYTHONUNBUFFERED": "1",
        **(extra_env or {}),
    }
    log = open(ROOT / f".worker-{queue}.log", "w+b")  # noqa: SIM115 — closed below
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "returns_portal",
            "worker",
            f"--pool={pool}",
            f"--concurrency={concurrency}",
            "-Q",
            queue,
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=INFO",
            "-n",
            f"{queue}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    previous = (app.conf.task_always_eager, app.conf.task_default_queue)
    app.conf.task_always_eager = False
    app.conf.task_default_queue = queue
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            replies = app.control.ping(destination=[f"{queue}@{os.uname().nodename}"], timeout=0.5)
            if replies:
                break
            if proc.poll() is not None:
                raise RuntimeError("worker exited at start:\n" + _tail(log))
        else:
            raise RuntimeError("worker did not answer within 30 s:\n" + _tail(log))
        yield queue, proc
    finally:
        app.conf.task_always_eager, app.conf.task_default_queue = previous
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(5)
        log.close()
        (ROOT / f".worker-{queue}.log").unlink(missing_ok=True)


def _tail(log) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]
