"""Filing returns and listing them through the REST API, against bare DRF references.

- Filing: a 2-line return with its policy decision in one POST, from one sequential client
  and from 4 concurrent clients, on gunicorn (2 workers) + PostgreSQL. Reference: a bare
  DRF ModelSerializer create (`bench/bare-create/`) on the same server.
- Listing: `GET /api/v1/returns/` (staff, 100,000 returns in the table) against a bare DRF
  list of the same model (`bench/bare-list/`), and the SQL query count per page size.

Run: `make bench` or `python -m bench returns_api` (needs PostgreSQL; BENCH_PG overrides
the server URL, default postgres://postgres@127.0.0.1:5432).
"""

import datetime as dt
import json
import os
import random
from decimal import Decimal

from bench.harness import database_fresh, gunicorn, load, report

DB = "rp_bench_api"
FILINGS = int(os.environ.get("BENCH_FILINGS", "600"))
LIST_ROWS = int(os.environ.get("BENCH_LIST_ROWS", "100000"))
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "300"))


def _seed(orders_needed: int):
    """A customer with `orders_needed` delivered 2-line orders; a staff user; tokens."""
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from catalog.models import Category, Customer, Order, OrderLine, Product, Supplier
    from catalog.roles import Role, user_role_add
    from rma.models import ReturnReason
    from rma.services import policy_active_or_default
    from tests.factories import UserFactory

    policy_active_or_default()
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
                {"order_line_id": line_id, "quantity": 1, "reason": "changed-mind"}
                for line_id in by_order[order_id]
            ],
        }
        requests.append(("POST", "/api/v1/returns/", json.dumps(body), headers))
    return requests


def _bare_create_requests(token, return_id, n):
    headers = {"Content-Type": "application/json", "Authorization": f"Token {token}"}
    body = json.dumps({"return_request": return_id, "kind": "note", "message": "bench"})
    return [("POST", "/bench/bare-create/", body, headers)] * n


def _query_counts(staff_token) -> dict:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {staff_token}")
    counts = {}
    for size in (10, 50, 200):
        with CaptureQueriesContext(connection) as ctx:
            resp = client.get(f"/api/v1/returns/?page_size={size}")
        assert resp.status_code == 200, resp.content[:300]
        counts[f"page_size={size}"] = len(ctx.captured_queries)
    return counts


def main() -> None:
    env = database_fresh(DB)
    orders_needed = FILINGS * 3 + 10
    by_order, customer_token, staff_token = _seed(orders_needed)
    order_ids = sorted(by_order)
    sequential, concurrent = order_ids[:FILINGS], order_ids[FILINGS : FILINGS * 3]
    warmup = order_ids[FILINGS * 3 :]

    with gunicorn(env, workers=2) as port:
        load(port, _filing_requests(by_order, customer_token, warmup))
        from rma.models import ReturnRequest

        some_return = ReturnRequest.objects.order_by("pk").values_list("pk", flat=True).first()
        bare_seq = load(port, _bare_create_requests(customer_token, some_return, FILINGS))
        real_seq = load(port, _filing_requests(by_order, customer_token, sequential))
        bare_con = load(
            port, _bare_create_requests(customer_token, some_return, FILINGS * 2), clients=4
        )
        real_con = load(port, _filing_requests(by_order, customer_token, concurrent), clients=4)
        decided = ReturnRequest.objects.exclude(decision="").count()
        report(
            "Filing a 2-line return with its policy decision (POST /api/v1/returns/)",
            {
                "bare DRF create, 1 client": bare_seq,
                "file return, 1 client": real_seq,
                "ratio 1 client (return / bare)": round(
                    real_seq["per_second"] / bare_seq["per_second"], 2
                ),
                "bare DRF create, 4 clients": bare_con,
                "file return, 4 clients": real_con,
                "ratio 4 clients (return / bare)": round(
                    real_con["per_second"] / bare_con["per_second"], 2
                ),
                "returns stored with a decision": decided,
            },
        )

        _bulk_returns(LIST_ROWS)
        total = ReturnRequest.objects.count()
        auth = {"Authorization": f"Token {staff_token}"}
        bare = [("GET", "/bench/bare-list/?page_size=50", None, auth)] * LIST_REQUESTS
        real = [("GET", "/api/v1/returns/?page_size=50", None, auth)] * LIST_REQUESTS
        load(port, bare[:20])
        load(port, real[:20])
        bare_list = load(port, bare, clients=2)
        real_list = load(port, real, clients=2)
        filtered = load(
            port,
            [("GET", "/api/v1/returns/?page_size=50&status=graded", None, auth)] * LIST_REQUESTS,
            clients=2,
        )
        report(
            f"Staff list of returns, page of 50, {total:,} returns in the table",
            {
                "bare DRF list": bare_list,
                "GET /api/v1/returns/": real_list,
                "GET /api/v1/returns/?status=graded": filtered,
                "ratio (returns list / bare list)": round(
                    real_list["per_second"] / bare_list["per_second"], 2
                ),
                "SQL queries per page": _query_counts(staff_token),
            },
        )


if __name__ == "__main__":
    main()
