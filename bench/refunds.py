"""Refunds per second through the real exactly-once path, against bare Celery round trips.

- refunds: BENCH_REFUNDS_N refunds requested through `refund_request` (the service every
  outcome and goodwill payment uses: a pending MoneyMovement under its unique idempotency
  key, the task enqueued on commit), in transactions of BENCH_REFUNDS_BATCH requests (as a
  bulk resolution would), paid by a real Celery worker process (Redis broker, PostgreSQL,
  `acks_late`) through the ledger gateway. Timed from the first request until the last
  movement is marked succeeded in the database.
- reference: the same number of no-op tasks (`returns_portal.ping`) sent to the same worker
  and waited for through the result backend: the floor any Celery task pays here. It runs
  before and after the refunds; the ratio uses their mean (a noisy neighbour then moves both
  sides of it).
- worker side: the worker's consumer is paused while N more refunds are requested, then
  resumed; refunds paid per second from then on is what the workers sustain.
- exactly once: afterwards every refund is re-enqueued once more (a duplicate delivery, as
  the sweeper or a broker redelivery would cause) and the sweeper runs; then the gateway's
  ledger, the movements and the keys must all count N, with no key twice, each movement
  carrying its own ledger entry's reference and amount.

Run: `python -m bench refunds` (PostgreSQL server at BENCH_PG, scratch database
BENCH_REFUNDS_DB, Redis at BENCH_REFUNDS_BROKER, which is flushed first). The worker's pool
and concurrency: BENCH_REFUNDS_POOL (prefork) and BENCH_REFUNDS_CONCURRENCY (2, one per core
of the reference machine).
"""

import datetime as dt
import os
import signal
import subprocess
import sys
import time
import uuid
from contextlib import contextmanager
from decimal import Decimal

from bench.harness import ROOT, database_fresh, report

DB = os.environ.get("BENCH_REFUNDS_DB", "rp_bench_refunds")
BROKER = os.environ.get("BENCH_REFUNDS_BROKER", "redis://127.0.0.1:6379/11")
N = int(os.environ.get("BENCH_REFUNDS_N", "2000"))
BATCH = int(os.environ.get("BENCH_REFUNDS_BATCH", "100"))
POOL = os.environ.get("BENCH_REFUNDS_POOL", "prefork")
CONCURRENCY = int(os.environ.get("BENCH_REFUNDS_CONCURRENCY", "2"))
TIMEOUT = float(os.environ.get("BENCH_REFUNDS_TIMEOUT", "600"))
TARGET = 200  # refunds/s


def _redis_purge() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


@contextmanager
def celery_worker(env: dict):
    """A worker process on the default queue, as deployed (connection pool on)."""
    from returns_portal.celery import app

    name = f"bench-refunds-{uuid.uuid4().hex[:8]}"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "returns_portal",
            "worker",
            f"--pool={POOL}",
            f"--concurrency={CONCURRENCY}",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
            "--loglevel=WARNING",
            "-n",
            f"{name}@%h",
        ],
        cwd=ROOT,
        env={**env, "DATABASE_POOL": "true", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.DEVNULL,  # the start banner; warnings and errors stay on stderr
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if app.control.ping(destination=[f"{name}@{os.uname().nodename}"], timeout=0.5):
                break
            if proc.poll() is not None:
                raise RuntimeError("the Celery worker exited at start")
        else:
            raise RuntimeError("the Celery worker did not answer within 60 s")
        yield f"{name}@{os.uname().nodename}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)


def _seed():
    from django.utils import timezone

    from catalog.models import Category, Customer, Order, OrderLine, Product, Supplier
    from rma.models import ReturnPolicy

    ReturnPolicy.objects.get_or_create(version=1, defaults={"is_active": True})
    supplier = Supplier.objects.create(code="bench", name="Bench Supplier")
    category = Category.objects.create(slug="apparel", name="Apparel")
    product = Product.objects.create(
        sku="BENCH-1",
        name="Bench jacket",
        category=category,
        supplier=supplier,
        price=Decimal("59.00"),
        unit_cost=Decimal("20.00"),
    )
    customer = Customer.objects.create(email="bench@example.com", name="Bench Customer")
    order = Order.objects.create(
        number="B-REFUNDS",
        customer=customer,
        placed_at=timezone.now() - dt.timedelta(days=9),
        payment_reference="pi_bench_refunds",
    )
    OrderLine.objects.create(
        order=order, line_number=1, product=product, quantity=1, unit_price=product.price
    )
    return customer, order


def _noop_round_trip(n: int) -> float:
    """Send `n` no-op tasks and wait for every result: tasks per second."""
    from celery.result import ResultSet

    from returns_portal.celery import ping

    start = time.perf_counter()
    results = ResultSet([ping.delay(str(i)) for i in range(n)])
    values = results.join_native(timeout=TIMEOUT, propagate=True)
    wall = time.perf_counter() - start
    if len(values) != n:
        raise RuntimeError(f"{len(values)} of {n} no-op tasks came back")
    return n / wall


def _wait_until_paid(prefix: str, n: int) -> None:
    from resolution.models import MoneyMovement

    paid = MoneyMovement.objects.filter(idempotency_key__startswith=prefix, status="succeeded")
    deadline = time.monotonic() + TIMEOUT
    while paid.count() < n:
        if time.monotonic() > deadline:
            raise RuntimeError(f"only {paid.count()} of {n} refunds were paid in {TIMEOUT} s")
        time.sleep(0.05)


def _refunds(n: int, *, prefix: str, customer, order) -> float:
    """Request `n` refunds through the real service; refunds per second until all are paid."""

    start = time.perf_counter()
    _request(n, prefix=prefix, customer=customer, order=order)
    enqueued = time.perf_counter() - start
    _wait_until_paid(prefix, n)
    wall = time.perf_counter() - start
    print(f"  enqueued {n} in {enqueued:.2f}s, all paid after {wall:.2f}s", flush=True)
    return n / wall


def _request(n: int, *, prefix: str, customer, order) -> None:
    from django.db import transaction

    from resolution.services import refund_request

    for first in range(0, n, BATCH):
        with transaction.atomic():
            for i in range(first, min(first + BATCH, n)):
                refund_request(
                    customer_id=customer.pk,
                    order_id=order.pk,
                    amount=Decimal("10.00") + Decimal(i % 100) / 100,
                    kind="refund",
                    idempotency_key=f"{prefix}{i:06d}",
                    payment_reference=order.payment_reference,
                    reason="bench",
                )


def _refunds_drained(n: int, *, prefix: str, customer, order, worker: str) -> tuple[float, float]:
    """The worker's side alone: with its consumer paused, request `n` refunds (the messages
    wait in Redis), then resume it and time until the last is paid. Returns (requests/s,
    refunds paid/s)."""
    from returns_portal.celery import app

    queue = app.conf.task_default_queue
    app.control.cancel_consumer(queue, destination=[worker], reply=True)
    try:
        start = time.perf_counter()
        _request(n, prefix=prefix, customer=customer, order=order)
        requested = time.perf_counter() - start
    finally:
        start = time.perf_counter()
        app.control.add_consumer(queue, destination=[worker], reply=True)
    _wait_until_paid(prefix, n)
    drained = time.perf_counter() - start
    print(f"  requested {n} in {requested:.2f}s; worker paid them in {drained:.2f}s", flush=True)
    return n / requested, n / drained


def _replay_everything(prefix: str) -> None:
    """Duplicate deliveries of every refund, and a sweep: none of it may pay again."""
    from resolution.models import MoneyMovement
    from resolution.services import movements_sweep
    from resolution.tasks import money_movement_execute

    ids = list(
        MoneyMovement.objects.filter(idempotency_key__startswith=prefix).values_list(
            "pk", flat=True
        )
    )
    from celery.result import ResultSet

    results = ResultSet([money_movement_execute.delay(pk) for pk in ids])
    statuses = results.join_native(timeout=TIMEOUT, propagate=True)
    if set(statuses) != {"succeeded"}:
        raise RuntimeError(f"a replayed refund answered {set(statuses)}")
    movements_sweep(older_than=dt.timedelta(0))  # nothing is pending: re-enqueues nothing


def _exactly_once(prefix: str, n: int) -> dict:
    from django.db.models import Count, F, OuterRef, Subquery

    from resolution.models import GatewayLedgerEntry, MoneyMovement

    movements = MoneyMovement.objects.filter(idempotency_key__startswith=prefix)
    ledger = GatewayLedgerEntry.objects.filter(idempotency_key__startswith=prefix)
    entry = ledger.filter(idempotency_key=OuterRef("idempotency_key"))
    matched = (
        movements.filter(status="succeeded")
        .annotate(
            ledger_reference=Subquery(entry.values("reference")),
            ledger_amount=Subquery(entry.values("amount")),
        )
        .filter(gateway_reference=F("ledger_reference"), amount=F("ledger_amount"))
    )
    duplicates = (
        ledger.values("idempotency_key").annotate(k=Count("pk")).filter(k__gt=1).count()
        + ledger.values("reference").annotate(k=Count("pk")).filter(k__gt=1).count()
    )
    found = {
        "requested": n,
        "movements in DB": movements.count(),
        "succeeded in DB": movements.filter(status="succeeded").count(),
        "refunds at the gateway ledger": ledger.count(),
        "movement ↔ ledger entry (reference and amount)": matched.count(),
        "duplicate keys or references": duplicates,
        "attempts beyond the first": sum(
            a - 1 for a in movements.values_list("attempts", flat=True) if a > 1
        ),
    }
    ok = (
        found["movements in DB"]
        == found["succeeded in DB"]
        == found["refunds at the gateway ledger"]
        == found["movement ↔ ledger entry (reference and amount)"]
        == n
        and duplicates == 0
    )
    found["exactly once"] = ok
    return found


def main() -> None:
    os.environ["EMAIL_URL"] = "memorymail://"
    env = database_fresh(DB, broker=BROKER)
    _redis_purge()
    customer, order = _seed()
    run = uuid.uuid4().hex[:6]
    with celery_worker(env) as worker:
        # warm up: worker processes, imports, connection pools, the holiday calendar
        _noop_round_trip(50)
        _refunds(50, prefix=f"warm:{run}:", customer=customer, order=order)
        reference_before = _noop_round_trip(N)
        measured = _refunds(N, prefix=f"bench:{run}:", customer=customer, order=order)
        reference_after = _noop_round_trip(N)
        requests, drained = _refunds_drained(
            N, prefix=f"drain:{run}:", customer=customer, order=order, worker=worker
        )
        _replay_everything(f"bench:{run}:")
        _replay_everything(f"drain:{run}:")
    checks = _exactly_once(f"bench:{run}:", N)
    drain_checks = _exactly_once(f"drain:{run}:", N)
    reference = (reference_before + reference_after) / 2
    report(
        f"Refunds end to end: Celery worker ({POOL} × {CONCURRENCY}), Redis, PostgreSQL",
        {
            f"no-op task round trips/s (before / after, {N} each)": (
                f"{reference_before:.0f} / {reference_after:.0f}"
            ),
            f"refunds/s, request → paid ({N}, batches of {BATCH})": round(measured, 1),
            "ratio refunds / no-op round trips": round(measured / reference, 2),
            f"refund requests/s (one client, {N})": round(requests, 1),
            f"refunds paid/s by the worker, queued → paid ({N})": round(drained, 1),
            f"target ≥ {TARGET} refunds/s through Celery met (worker side)": drained >= TARGET,
            **checks,
            "exactly once (drained run)": drain_checks["exactly once"],
        },
    )
    if not (checks["exactly once"] and drain_checks["exactly once"]):
        raise SystemExit("refunds were not paid exactly once")
