"""Filing returns and listing them through the REST API, against bare DRF references.

- Filing: a 2-line return with its policy decision in one POST (`POST /api/v1/returns/`),
  from one sequential client and from 4 concurrent client processes, on gunicorn
  (2 sync workers) + PostgreSQL (Django's psycopg pool), DEBUG off, Celery enqueueing to
  Redis (db 12 by default; no worker runs, the queue is purged after the run). Every filing
  is auto-approved (the bench policy allows any number of returns per customer), the
  heaviest path: decision, RMA number, shipment plan, three audit events, one email task.
  Reference: a bare DRF ModelSerializer create (`bench/bare-create/`) on the same server.
- Listing: `GET /api/v1/returns/` (staff, and a customer) with 100,000 returns in the table,
  at page sizes 10, 50 and 200, against a bare DRF list of the same model and page size
  (`bench/bare-list/`), and the SQL queries per page counted in-process.

Runs alternate reference and measured (`BENCH_ROUNDS`, default 3) and report the median
ratio: the machine is shared, so absolute numbers are noisy and the ratios are what count.

Run: `make bench` or `python -m bench returns_api` (needs PostgreSQL and Redis; BENCH_PG
and BENCH_BROKER override the servers; BENCH_DB the scratch database, default rp_c_bench;
BENCH_RETURNS_ONLY=create runs only the filing part).
"""

import datetime as dt
import json
import os
import random
from decimal import Decimal

from bench.harness import compare, database_fresh, gunicorn, load, report

DB = os.environ.get("BENCH_DB", "rp_c_bench")
BROKER = os.environ.get("BENCH_BROKER", "redis://127.0.0.1:6379/12")
FILINGS = int(os.environ.get("BENCH_FILINGS", "300"))
LIST_ROWS = int(os.environ.get("BENCH_LIST_ROWS", "100000"))
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "100"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
# BENCH_RETURNS_ONLY=create runs only the filing part (faster to iterate on)
ONLY = os.environ.get("BENCH_RETURNS_ONLY", "")
PAGE_SIZES = (10, 50, 200)
CLIENTS = 4
# The project's targets (2-core machine).
TARGET_SEQUENTIAL_PER_S, TARGET_SEQUENTIAL_P95_MS = 50, 30
TARGET_CONCURRENT_PER_S = 220
TARGET_LIST_RATIO, TARGET_LIST_QUERIES = 0.8, 6


def _seed(orders_needed: int):
    """A customer with `orders_needed` delivered 2-line orders; a staff user; tokens."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from catalog.models import Category, Customer, Order, OrderLine, Product, Supplier
    from catalog.roles import Role, user_role_add
    from rma.models import ReturnReason
    from rma.services import policy_publish
    from tests.factories import UserFactory

    # One customer files them all: lift the serial-returner limit so each is auto-approved.
    policy_publish(actor=None, max_returns_in_period=1_000_000, notes="Bench policy.")
    ReturnReason.objects.get_or_create(code="changed-mind", defaults={"label": "Changed my mind"})
    ReturnReason.objects.get_or_create(
        code="too-small", defaults={"label": "Too small", "position": 1}
    )
    supplier = Supplier.objects.create(code="bench", name="Bench Supplier")
    category = Category.objects.create(slug="apparel", name="Apparel")
    products = Product.objects.bulk_create(
        Product(
            sku=f"BENCH-{i:03d}",
            name=f"Bench product {i}",
            category=category,
            supplier=supplier,
            price=Decimal("35.00") + i,
            unit_cost=Decimal("12.00"),
            stock_on_hand=1000,
        )
        for i in range(20)
    )
    user = UserFactory(username="bench-customer")
    customer = Customer.objects.create(email="bench@example.com", name="Bench", user=user)
    staff = UserFactory(username="bench-manager")
    user_role_add(user=staff, role=Role.MANAGER)
    now = timezone.now()
    orders = Order.objects.bulk_create(
        Order(
            number=f"B-{i:07d}",
            customer=customer,
            placed_at=now - dt.timedelta(days=12),
            payment_reference=f"pi_bench_{i}",
        )
        for i in range(orders_needed)
    )
    rng = random.Random(7)
    lines = OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=n,
            product=rng.choice(products),
            quantity=1,
            unit_price=Decimal("39.00"),
            delivered_at=now - dt.timedelta(days=8),
        )
        for order in orders
        for n in (1, 2)
    )
    by_order: dict[int, list[int]] = {}
    for line in lines:
        by_order.setdefault(line.order_id, []).append(line.pk)
    customer_token = Token.objects.create(user=user).key
    staff_token = Token.objects.create(user=staff).key
    return by_order, customer_token, staff_token


def _bulk_returns(count: int) -> None:
    """`count` returns with one line each, written with set-based SQL (fast)."""
    from django.db import connection

    from catalog.models import Customer, Order, OrderLine
    from rma.models import ReturnReason

    customer = Customer.objects.get(email="bench@example.com")
    reason_id = ReturnReason.objects.get(code="changed-mind").pk
    first_order = Order.objects.order_by("pk").values_list("pk", flat=True).first()
    first_line = OrderLine.objects.order_by("pk").values_list("pk", flat=True).first()
    with connection.cursor() as cur:
        cur.execute(
            """
            INSERT INTO rma_returnrequest (rma_number, order_id, customer_id, kind, status,
                preferred_outcome, channel, decision, decision_summary, decision_rules,
                label_payer, refund_without_return, items_value, restocking_fee, label_fee,
                store_credit_bonus, expected_refund, created_at, updated_at)
            SELECT 'RMA-2026-9' || lpad(g::text, 6, '0'), %s, %s, 'standard',
                (ARRAY['approved','label_issued','in_transit','received','graded','resolved',
                       'closed','declined'])[1 + g %% 8],
                'refund', 'api', 'approve', 'Approved', '[]'::jsonb, 'merchant', false,
                39, 0, 0, 0, 39, now() - (g || ' minutes')::interval, now()
            FROM generate_series(1, %s) g
            """,
            [first_order, customer.pk, count],
        )
        cur.execute(
            """
            INSERT INTO rma_returnline (return_request_id, order_line_id, quantity, reason_id,
                customer_note, unit_price, restocking_fee, expected_refund)
            SELECT id, %s, 1, %s, '', 39, 0, 39 FROM rma_returnrequest
            WHERE rma_number LIKE 'RMA-2026-9%%'
            """,
            [first_line, reason_id],
        )
        cur.execute("ANALYZE")


def _filing_requests(by_order, token, orders):
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    requests = []
    for order_id in orders:
        body = {
            "order_id": order_id,
            "kind": "standard",
            "preferred_outcome": "refund",
            "items": [
                {"order_line_id": line_id, "quantity": 1, "reason_code": "changed-mind"}
                for line_id in by_order[order_id]
            ],
        }
        requests.append(("POST", "/api/v1/returns/", json.dumps(body), headers))
    return requests


def _bare_create_requests(token, return_id, n):
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    body = json.dumps({"return_request": return_id, "kind": "note", "message": "bench"})
    return [("POST", "/bench/bare-create/", body, headers)] * n


def _query_counts(token) -> dict:
    """SQL queries for one page of each size, counted in this process (same settings)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}", HTTP_HOST="127.0.0.1")
    counts = {}
    for size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(f"/api/v1/returns/?page_size={size}")
        assert resp.status_code == 200, resp.content[:300]
        assert len(resp.json()["results"]) == size
        counts[f"page_size={size}"] = len(ctx.captured_queries)
    return counts


def _redis_purge() -> None:
    import redis

    redis.Redis.from_url(BROKER).flushdb()


def _target(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def _filing(port, by_order, customer_token, order_ids) -> None:
    from rma.models import ReturnRequest

    per_round = FILINGS // ROUNDS
    sequential = order_ids[:FILINGS]
    concurrent = order_ids[FILINGS : FILINGS * 3]
    warmup = order_ids[FILINGS * 3 :]
    load(port, _filing_requests(by_order, customer_token, warmup), clients=2)
    some_return = ReturnRequest.objects.order_by("pk").values_list("pk", flat=True).first()
    seq = compare(
        port,
        _bare_create_requests(customer_token, some_return, per_round),
        [_filing_requests(by_order, customer_token, sequential[i::ROUNDS]) for i in range(ROUNDS)],
        clients=1,
        rounds=ROUNDS,
    )
    con = compare(
        port,
        _bare_create_requests(customer_token, some_return, per_round * 2),
        [_filing_requests(by_order, customer_token, concurrent[i::ROUNDS]) for i in range(ROUNDS)],
        clients=CLIENTS,
        rounds=ROUNDS,
    )
    filed = ReturnRequest.objects.filter(order_id__in=order_ids)
    real_seq, real_con = seq["measured"], con["measured"]
    report(
        "Filing a 2-line return with its policy decision (POST /api/v1/returns/)",
        {
            "bare DRF create, 1 client": seq["reference"],
            "file return, 1 client": real_seq,
            "ratio 1 client (return / bare), per round": seq["ratios"],
            f"target >= {TARGET_SEQUENTIAL_PER_S}/s, p95 <= {TARGET_SEQUENTIAL_P95_MS} ms": (
                _target(
                    real_seq["per_second"] >= TARGET_SEQUENTIAL_PER_S
                    and real_seq["p95_ms"] <= TARGET_SEQUENTIAL_P95_MS
                )
            ),
            f"bare DRF create, {CLIENTS} clients": con["reference"],
            f"file return, {CLIENTS} clients": real_con,
            f"ratio {CLIENTS} clients (return / bare), per round": con["ratios"],
            f"target >= {TARGET_CONCURRENT_PER_S}/s": _target(
                real_con["per_second"] >= TARGET_CONCURRENT_PER_S
            ),
            "returns filed": filed.count(),
            "of which approved with an RMA number": filed.filter(
                status="approved", rma_number__isnull=False
            ).count(),
        },
    )


def _listing(port, customer_token, staff_token) -> None:
    from rma.models import ReturnRequest

    total = ReturnRequest.objects.count()
    rows = {}
    staff = {"Authorization": f"Token {staff_token}"}
    customer = {"Authorization": f"Token {customer_token}"}
    ratios = []
    for size in PAGE_SIZES:
        n = max(30, LIST_REQUESTS * 50 // max(size, 50))
        bare = [("GET", f"/bench/bare-list/?page_size={size}", None, staff)] * n
        real = [("GET", f"/api/v1/returns/?page_size={size}", None, staff)] * n
        load(port, bare[:10], clients=2)
        load(port, real[:10], clients=2)
        result = compare(port, bare, real, clients=2, rounds=ROUNDS)
        ratios.append(result["ratio"])
        rows[f"page {size}: bare DRF list"] = result["reference"]
        rows[f"page {size}: GET /api/v1/returns/ (staff)"] = result["measured"]
        rows[f"page {size}: ratio (returns / bare), median of"] = [
            result["ratio"],
            result["ratios"],
        ]
    n = LIST_REQUESTS
    bare = [("GET", "/bench/bare-list/?page_size=50", None, customer)] * n
    mine = [("GET", "/api/v1/returns/?page_size=50", None, customer)] * n
    result = compare(port, bare, mine, clients=2, rounds=ROUNDS)
    ratios.append(result["ratio"])
    rows["page 50: GET /api/v1/returns/ (customer)"] = result["measured"]
    rows["page 50: customer ratio (returns / bare), median of"] = [
        result["ratio"],
        result["ratios"],
    ]
    filtered = [("GET", "/api/v1/returns/?page_size=50&status=graded", None, staff)] * n
    rows["page 50: GET /api/v1/returns/?status=graded"] = load(port, filtered, clients=2)
    staff_counts, customer_counts = _query_counts(staff_token), _query_counts(customer_token)
    rows["SQL queries per page, staff"] = staff_counts
    rows["SQL queries per page, customer"] = customer_counts
    most = max([*staff_counts.values(), *customer_counts.values()])
    rows[f"target ratio >= {TARGET_LIST_RATIO}, <= {TARGET_LIST_QUERIES} queries"] = _target(
        min(ratios) >= TARGET_LIST_RATIO and most <= TARGET_LIST_QUERIES
    )
    report(f"List of returns, {total:,} returns in the table, 2 clients", rows)


def main() -> None:
    env = database_fresh(DB, broker=BROKER)
    _redis_purge()
    orders_needed = FILINGS * 3 + 20
    by_order, customer_token, staff_token = _seed(orders_needed)
    order_ids = sorted(by_order)
    try:
        with gunicorn(env, workers=2) as port:
            _filing(port, by_order, customer_token, order_ids)
            if ONLY == "create":
                return
            _bulk_returns(LIST_ROWS)
            _listing(port, customer_token, staff_token)
    finally:
        _redis_purge()


if __name__ == "__main__":
    main()
