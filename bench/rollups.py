# ruff: noqa: E501  (SQL and seed expressions read better on one line)
"""Rollup benchmark: 1,000,000 returns over a year, rolled up by reporting.rollups
versus a hand-written SQL GROUP BY of the same aggregation, the nightly incremental run,
and dashboard latency.  `python -m bench rollups`; BENCH_RETURNS changes the scale,
BENCH_ROLLUPS_DB the scratch database (dropped and recreated).
"""

import datetime as dt
import math
import os
import re
import statistics
import time

from bench.harness import PG, ROOT, bench_env, report

DB = os.environ.get("BENCH_ROLLUPS_DB", "rp_bench_rollups")
RETURNS = int(os.environ.get("BENCH_RETURNS", "1000000"))
PRODUCTS = 2000
DAYS = 365
DASHBOARD_REQUESTS = int(os.environ.get("BENCH_DASH_REQUESTS", "40"))
RATIO_ROUNDS = int(os.environ.get("BENCH_RATIO_ROUNDS", "2"))


def _insert(table_model, columns: dict[str, str], source: str, params=()) -> None:
    """INSERT the given column expressions, filling every other NOT NULL column with its
    Django default (raw SQL does not apply model defaults)."""
    from django.db import connection

    extra_cols, extra_params = [], []
    for field in table_model._meta.concrete_fields:
        if field.column in columns or field.primary_key or field.null:
            continue
        if not field.has_default() and not field.empty_strings_allowed:
            raise ValueError(f"{table_model.__name__}.{field.column} needs a value")
        extra_cols.append(field.column)
        extra_params.append(field.get_db_prep_save(field.get_default(), connection))
    cols = [*columns, *extra_cols]
    exprs = [*columns.values(), *(["%s"] * len(extra_cols))]
    sql = (
        f"INSERT INTO {table_model._meta.db_table} ({', '.join(cols)}) "
        f"SELECT {', '.join(exprs)} {source}"
    )
    sql = re.sub(r"%(?!s)", "%%", sql)  # SQL modulo, not a placeholder
    began = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *extra_params])
        rows = cursor.rowcount
    took = time.perf_counter() - began
    print(f"  [seed] {table_model._meta.db_table}: {rows:,} rows in {took:.1f}s", flush=True)


def _seed(n: int, today: dt.date) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from assessment.models import Grade, Inspection
    from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier
    from resolution.models import CostEntry, Disposition, MoneyMovement
    from rma.models import ReturnEvent, ReturnLine, ReturnReason, ReturnRequest

    start = dt.datetime.combine(today - dt.timedelta(days=DAYS), dt.time(), tzinfo=dt.UTC)
    with connection.cursor() as cursor:
        # Bulk load: the generated rows are consistent by construction, so skip the
        # per-row foreign-key triggers and the WAL flush per statement.
        cursor.execute("SET session_replication_role = replica")
        cursor.execute("SET synchronous_commit = off")
        cursor.execute("SET maintenance_work_mem = '256MB'")
    grader = get_user_model().objects.create(username="bench-grader")
    _insert(
        Supplier, {"code": "'s' || g", "name": "'Supplier ' || g"}, "FROM generate_series(1, 20) g"
    )
    _insert(
        Category, {"slug": "'c' || g", "name": "'Category ' || g"}, "FROM generate_series(1, 10) g"
    )
    sup = min(Supplier.objects.values_list("pk", flat=True))
    cat = min(Category.objects.values_list("pk", flat=True))
    _insert(
        Product,
        {
            "sku": "'SKU-' || g",
            "name": "'Product ' || g",
            "category_id": f"{cat} + g % 10",
            "supplier_id": f"{sup} + g % 20",
            "price": "10 + g % 90",
            "unit_cost": "5 + g % 40",
        },
        f"FROM generate_series(1, {PRODUCTS}) g",
    )
    prod = min(Product.objects.values_list("pk", flat=True))
    _insert(
        Batch,
        {"product_id": "id", "lot_code": "'L' || b"},
        "FROM catalog_product, generate_series(1, 3) b",
    )
    reasons = ["changed-mind", "too-small", "defective", "not-as-described", "band-snapped"]
    for i, code in enumerate(reasons):
        ReturnReason.objects.create(
            code=code, label=code, is_defect=code in ("defective", "band-snapped"), position=i
        )
    reason0 = min(ReturnReason.objects.values_list("pk", flat=True))
    for i, code in enumerate("ABCD"):
        Grade.objects.create(code=code, label=code, criteria="-", position=i)
    grade0 = min(Grade.objects.values_list("pk", flat=True))
    _insert(
        Customer,
        {"email": "'c' || g || '@bench.test'", "name": "'Customer ' || g", "created_at": "now()"},
        "FROM generate_series(1, 20000) g",
    )
    cust = min(Customer.objects.values_list("pk", flat=True))
    orders = n * 3  # one in three sold units comes back
    _insert(
        Order,
        {
            "number": "'O' || g",
            "customer_id": f"{cust} + g % 20000",
            "placed_at": f"%s::timestamptz + (g::float / {orders}) * interval '{DAYS} days'",
            "created_at": "now()",
        },
        f"FROM generate_series(1, {orders}) g",
        params=[start],
    )
    _insert(
        OrderLine,
        {
            "order_id": "o.id",
            "line_number": "1",
            "product_id": f"{prod} + o.id % {PRODUCTS}",
            "batch_id": "fb.batch_id",
            "quantity": "1 + o.id % 2",
            "unit_price": "10 + o.id % 90",
            "delivered_at": "o.placed_at + interval '3 days'",
        },
        "FROM catalog_order o JOIN (SELECT product_id, min(id) AS batch_id FROM catalog_batch"
        f" GROUP BY product_id) fb ON fb.product_id = {prod} + o.id % {PRODUCTS}",
    )
    _insert(
        ReturnRequest,
        {
            "order_id": "o.id",
            "customer_id": "o.customer_id",
            "status": "'resolved'",
            "created_at": "o.placed_at + interval '5 days' + (o.id % 24) * interval '1 hour'",
            "updated_at": "o.placed_at + interval '12 days'",
        },
        "FROM catalog_order o WHERE o.id % 3 = 0",
    )
    _insert(
        ReturnLine,
        {
            "return_request_id": "r.id",
            "order_line_id": "l.id",
            "quantity": "l.quantity",
            "reason_id": f"{reason0} + r.id % 5",
            "unit_price": "l.unit_price",
        },
        "FROM rma_returnrequest r JOIN catalog_orderline l ON l.order_id = r.order_id",
    )
    for status, hours in (
        ("approved", 2),
        ("in_transit", 30),
        ("received", 96),
        ("graded", 120),
        ("resolved", 150),
    ):
        _insert(
            ReturnEvent,
            {
                "return_request_id": "r.id",
                "to_status": f"'{status}'",
                "kind": "'status'",
                "created_at": f"r.created_at + {hours} * interval '1 hour' + (r.id % 7) * interval '1 hour'",
            },
            "FROM rma_returnrequest r",
        )
    _insert(
        Inspection,
        {
            "return_line_id": "l.id",
            "return_request_id": "l.return_request_id",
            "grade_id": f"{grade0} + l.id % 4",
            "minutes_spent": "3 + l.id % 9",
            "inspector_id": str(grader.pk),
            "quantity_received": "l.quantity",
            "graded_at": "r.created_at + interval '120 hours'",
        },
        "FROM rma_returnline l JOIN rma_returnrequest r ON r.id = l.return_request_id",
    )
    _insert(
        Disposition,
        {
            "return_line_id": "l.id",
            "return_request_id": "l.return_request_id",
            "route": "(ARRAY['restock','refurbish','liquidate','return_to_supplier','dispose'])[1 + l.id % 5]",
            "quantity": "l.quantity",
            "recovered_value": "l.unit_price * l.quantity * 0.6",
            "route_cost": "2.50",
            "write_down": "l.unit_price * l.quantity * 0.4",
            "reason": "'bench'",
            "decided_at": "r.created_at + interval '121 hours'",
        },
        "FROM rma_returnline l JOIN rma_returnrequest r ON r.id = l.return_request_id",
    )
    for kind, amount in (("label", "7.50"), ("labor", "3.20"), ("customer_service", "1.10")):
        _insert(
            CostEntry,
            {
                "return_request_id": "r.id",
                "kind": f"'{kind}'",
                "amount": amount,
                "created_at": "r.created_at",
            },
            "FROM rma_returnrequest r",
        )
    _insert(
        MoneyMovement,
        {
            "idempotency_key": "'refund-' || r.id",
            "kind": "'refund'",
            "status": "'succeeded'",
            "customer_id": "r.customer_id",
            "return_request_id": "r.id",
            "amount": "1 + r.id % 80",
            "created_at": "r.created_at + interval '150 hours'",
            "completed_at": "r.created_at + interval '150 hours' + (r.id % 5) * interval '1 day'",
            "due_on": "(r.created_at + interval '9 days')::date",
        },
        "FROM rma_returnrequest r",
    )
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = DEFAULT")
        cursor.execute("ANALYZE")


HAND_LINES = """
INSERT INTO bench_hand_lines
SELECT (r.created_at AT TIME ZONE %(tz)s)::date, ol.product_id, p.supplier_id, p.category_id,
       ol.batch_id, rs.code, rs.is_defect, COALESCE(g.code, ''), COALESCE(d.route, ''),
       count(DISTINCT r.id), sum(l.quantity), COALESCE(sum(l.quantity * l.unit_price), 0),
       COALESCE(sum(d.recovered_value), 0), COALESCE(sum(d.route_cost), 0),
       COALESCE(sum(d.write_down), 0)
FROM rma_returnline l
JOIN rma_returnrequest r ON r.id = l.return_request_id
JOIN catalog_orderline ol ON ol.id = l.order_line_id
JOIN catalog_product p ON p.id = ol.product_id
JOIN rma_returnreason rs ON rs.id = l.reason_id
LEFT JOIN assessment_inspection i ON i.return_line_id = l.id AND i.kind = 'primary'
LEFT JOIN assessment_grade g ON g.id = i.grade_id
LEFT JOIN resolution_disposition d ON d.return_line_id = l.id
WHERE r.created_at >= %(lo)s AND r.created_at < %(hi)s
GROUP BY 1, 2, 3, 4, 5, 6, 7, 8, 9
"""

HAND_RETURNS = """
INSERT INTO bench_hand_returns
SELECT r.id, (r.created_at AT TIME ZONE %(tz)s)::date, r.kind, r.status,
       fl.product_id, fl.supplier_id, fl.category_id, r.created_at,
       e.approved, e.label, e.scan, e.received, e.graded, e.resolved,
       m.refunded_at, m.due_on, COALESCE(m.amount, 0),
       COALESCE(c.label, 0), COALESCE(c.labor, 0), COALESCE(c.wd, 0), COALESCE(c.cs, 0),
       COALESCE(c.other, 0), COALESCE(ins.minutes, 0)
FROM rma_returnrequest r
LEFT JOIN LATERAL (
  SELECT ol.product_id, p.supplier_id, p.category_id FROM rma_returnline l
  JOIN catalog_orderline ol ON ol.id = l.order_line_id JOIN catalog_product p ON p.id = ol.product_id
  WHERE l.return_request_id = r.id ORDER BY l.id LIMIT 1) fl ON true
LEFT JOIN (
  SELECT return_request_id,
    min(created_at) FILTER (WHERE to_status = 'approved') approved,
    min(created_at) FILTER (WHERE to_status = 'label_issued') label,
    min(created_at) FILTER (WHERE to_status = 'in_transit') scan,
    min(created_at) FILTER (WHERE to_status = 'received') received,
    min(created_at) FILTER (WHERE to_status = 'graded') graded,
    min(created_at) FILTER (WHERE to_status = 'resolved') resolved
  FROM rma_returnevent GROUP BY 1) e ON e.return_request_id = r.id
LEFT JOIN (
  SELECT return_request_id, min(due_on) due_on,
    min(completed_at) FILTER (WHERE status = 'succeeded') refunded_at,
    sum(amount) FILTER (WHERE status = 'succeeded') amount
  FROM resolution_moneymovement
  WHERE kind IN ('refund', 'store_credit', 'goodwill_refund', 'goodwill_credit') GROUP BY 1
) m ON m.return_request_id = r.id
LEFT JOIN (
  SELECT return_request_id,
    sum(amount) FILTER (WHERE kind = 'label') label,
    sum(amount) FILTER (WHERE kind = 'labor') labor,
    sum(amount) FILTER (WHERE kind = 'write_down') wd,
    sum(amount) FILTER (WHERE kind = 'customer_service') cs,
    sum(amount) FILTER (WHERE kind IN ('shipping', 'handling')) other
  FROM resolution_costentry GROUP BY 1) c ON c.return_request_id = r.id
LEFT JOIN (SELECT return_request_id, sum(minutes_spent) minutes FROM assessment_inspection GROUP BY 1)
  ins ON ins.return_request_id = r.id
WHERE r.created_at >= %(lo)s AND r.created_at < %(hi)s
"""


def _hand_written(lo, hi) -> float:
    from django.conf import settings
    from django.db import connection, transaction

    from reporting import rollups

    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TABLE IF NOT EXISTS bench_hand_lines AS SELECT * FROM reporting_linedaily WITH NO DATA;"
            "ALTER TABLE bench_hand_lines DROP COLUMN IF EXISTS id;"
            "CREATE TABLE IF NOT EXISTS bench_hand_returns AS SELECT * FROM reporting_returnfact WITH NO DATA;"
            "ALTER TABLE bench_hand_returns DROP COLUMN IF EXISTS id;"
            "TRUNCATE bench_hand_lines, bench_hand_returns"
        )
    params = {"tz": settings.TIME_ZONE, "lo": lo, "hi": hi}
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        rollups.fast_statements()  # same session settings as the rollup
        cursor.execute(HAND_LINES, params)
        cursor.execute(HAND_RETURNS, params)
    return time.perf_counter() - start


def _rollup_two_tables(first, last) -> float:
    """The rollup's own statements for the same two tables (delete + insert, indexed)."""
    from django.db import transaction

    from reporting import rollups
    from reporting.models import LineDaily, ReturnFact

    start = time.perf_counter()
    with transaction.atomic():
        rollups.fast_statements()
        rollups.facts_rebuild(start=first, end=last, models={LineDaily, ReturnFact})
    return time.perf_counter() - start


def _touch(returns) -> None:
    from django.utils import timezone

    from rma.models import ReturnRequest

    ReturnRequest.objects.filter(pk__in=list(returns.values_list("pk", flat=True))).update(
        updated_at=timezone.now()
    )


def _nightly(touch) -> tuple[float, int, int]:
    """Set the watermark, touch some returns, time the next nightly run."""
    from reporting import rollups

    rollups.rollup_nightly()
    touch()
    t0 = time.perf_counter()
    runs = rollups.rollup_nightly()
    days = sum((b - a).days + 1 for a, b in runs)
    return time.perf_counter() - t0, len(runs), days


def _dashboard(client, url: str) -> tuple[float, float, int]:
    from django.db import connection

    queries = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        assert client.get(url).status_code == 200, url
    samples = []
    for _ in range(DASHBOARD_REQUESTS):
        t0 = time.perf_counter()
        response = client.get(url)
        samples.append(time.perf_counter() - t0)
        assert response.status_code == 200, (url, response.status_code)
    samples.sort()
    p95 = samples[min(len(samples) - 1, math.ceil(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95, len(queries)


def _database_fresh(db_name: str) -> None:
    """Like harness.database_fresh, but with the app's own settings and URLs: the
    dashboards are real pages, bench.urls' reference endpoints are not needed here."""
    import subprocess
    import sys

    for sql in (f"DROP DATABASE IF EXISTS {db_name} WITH (FORCE)", f"CREATE DATABASE {db_name}"):
        subprocess.run(["psql", f"{PG}/postgres", "-qc", sql], check=True, capture_output=True)
    env = {**bench_env(db_name), "DJANGO_SETTINGS_MODULE": "returns_portal.settings.base"}
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput", "-v0", "--skip-checks"],
        cwd=ROOT,
        env=env,
        check=True,
    )
    keys = ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "DEBUG", "SECRET_KEY", "CELERY_BROKER_URL")
    os.environ.update({k: env[k] for k in keys})
    import django

    django.setup()


def main() -> None:
    _database_fresh(DB)
    from django.test import Client
    from django.utils import timezone

    from catalog.models import Product, Supplier
    from catalog.roles import Role, user_role_add
    from reporting import rollups
    from reporting.models import ReturnFact
    from rma.models import ReturnRequest
    from tests.factories import UserFactory

    today = timezone.localdate()
    t0 = time.perf_counter()
    _seed(RETURNS, today)
    seed_s = time.perf_counter() - t0
    first, last = today - dt.timedelta(days=DAYS + 1), today + dt.timedelta(days=10)
    returns = ReturnRequest.objects.count()

    t0 = time.perf_counter()
    counts = rollups.rollup_range(start=first, end=last)
    full_s = time.perf_counter() - t0
    assert counts["ReturnFact"] == returns, counts

    # Alternate the two, best of N each: the machine is shared, so single runs are noisy.
    lo, hi = rollups.day_bounds(first, last)
    ours, hand = [], []
    for _ in range(RATIO_ROUNDS):
        ours.append(_rollup_two_tables(first, last))
        hand.append(_hand_written(lo, hi))

    recent = ReturnRequest.objects.filter(created_at__gte=timezone.now() - dt.timedelta(days=7))
    nightly_recent = _nightly(lambda: _touch(recent.order_by("?")[:1000]))
    # Touching returns all over the year makes the nightly run a near-full rebuild.
    spread = os.environ.get("BENCH_NIGHTLY_SPREAD")
    nightly_spread = (
        _nightly(lambda: _touch(ReturnRequest.objects.order_by("?")[:1000])) if spread else None
    )

    manager = UserFactory(username="bench-manager")
    user_role_add(user=manager, role=Role.MANAGER)
    client = Client(HTTP_HOST="localhost")
    client.force_login(manager)
    supplier = Supplier.objects.order_by("pk").first()
    product = Product.objects.order_by("pk").first()
    pages = {
        "overview, 90 days": "/reports/",
        "overview, 90 days, one supplier": f"/reports/?supplier={supplier.code}",
        "overview, 90 days, one product": f"/reports/?product={product.sku}",
        "overview, 365 days": f"/reports/?start={today - dt.timedelta(days=364)}&end={today}",
        "supplier scorecards, 90 days": "/reports/suppliers/",
        "one supplier's scorecard, 90 days": f"/reports/suppliers/{supplier.code}/",
    }
    latencies = {label: _dashboard(client, url) for label, url in pages.items()}

    rows = {
        "returns seeded": f"{returns:,} ({seed_s:.0f}s to build)",
        "rows written": ", ".join(f"{k} {v:,}" for k, v in counts.items()),
        "full rollup, all tables (facts + summaries)": f"{full_s:.1f}s",
        f"rollup LineDaily+ReturnFact, best of {RATIO_ROUNDS}": f"{min(ours):.2f}s (runs {', '.join(f'{x:.2f}' for x in ours)})",
        f"hand-written SQL, same two tables, best of {RATIO_ROUNDS}": f"{min(hand):.2f}s (runs {', '.join(f'{x:.2f}' for x in hand)})",
        "ratio rollup / hand-written (target ≤ 1.5×)": f"{min(ours) / min(hand):.2f}×",
        "nightly, 1,000 returns of the last 7 days touched": "{:.1f}s ({} runs, {} days)".format(
            *nightly_recent
        ),
        "nightly, 1,000 returns over the year touched": (
            "{:.1f}s ({} runs, {} days)".format(*nightly_spread)
            if nightly_spread
            else "skipped (BENCH_NIGHTLY_SPREAD=1 runs it)"
        ),
        "ReturnFact rows": f"{ReturnFact.objects.count():,}",
    }
    for label, (median, p95, queries) in latencies.items():
        rows[f"{label}: p50 / p95 of {DASHBOARD_REQUESTS}, SQL queries"] = (
            f"{median * 1000:.0f} ms / {p95 * 1000:.0f} ms, {queries} queries"
        )
    report("Rollups", rows)
