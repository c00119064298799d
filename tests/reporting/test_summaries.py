"""Dashboard summaries (SegmentDaily, ProductDaily, ProductRunning, MixDaily, CycleDaily)
against the same numbers computed from the fact tables and the raw rows."""

import datetime as dt
import math
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.db.models import Sum

from reporting import kpis, selectors
from reporting.models import (
    CycleDaily,
    LineDaily,
    MixDaily,
    ProductDaily,
    ProductRunning,
    ReturnFact,
    SalesDaily,
    SegmentDaily,
)
from reporting.rollups import rollup_nightly, rollup_range
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    SupplierFactory,
    reporting_return_make,
)

BERLIN = ZoneInfo("Europe/Berlin")
D = Decimal
DAY0 = dt.date(2026, 3, 1)


@pytest.fixture
def month(settings):
    """Three products of two suppliers sold and returned over March 2026, rolled up."""
    settings.TIME_ZONE = "Europe/Berlin"
    acme, zeta = SupplierFactory(code="acme"), SupplierFactory(code="zeta")
    products = [
        ProductFactory(sku="A-1", supplier=acme),
        ProductFactory(sku="A-2", supplier=acme),
        ProductFactory(sku="Z-1", supplier=zeta),
    ]
    defect = ReturnReasonFactory(code="defective", is_defect=True)
    mind = ReturnReasonFactory(code="changed-mind")
    for i in range(24):
        product = products[i % 3]
        at = dt.datetime.combine(DAY0 + dt.timedelta(days=i), dt.time(9 + i % 10), tzinfo=BERLIN)
        order = OrderFactory(placed_at=at - dt.timedelta(days=2))
        line = OrderLineFactory(order=order, product=product, quantity=2 + i % 3, line_number=1)
        if i % 4 == 3:
            continue  # sold, never returned
        reporting_return_make(
            order_line=line,
            created_at=at,
            reason=defect if i % 5 == 0 else mind,
            quantity=1 + i % 2,
            events={
                "approved": at + dt.timedelta(hours=1 + i % 3),
                "received": at + dt.timedelta(hours=50 + 7 * i, minutes=13 * i),
            },
            grade_code="A" if i % 2 else "",
            route="restock" if i % 3 else None,
            recovered_value=D("4.50") * i,
            refund=(
                (
                    D("10.00") + i,
                    at + dt.timedelta(days=3 + i % 4),
                    (at + dt.timedelta(days=5)).date(),
                )
                if i % 6
                else None
            ),
            costs={"label": D("6.00"), "labor": D("1.25") * (i % 3)},
        )
    rollup_range(start=DAY0 - dt.timedelta(days=5), end=DAY0 + dt.timedelta(days=30))
    return {"acme": acme, "zeta": zeta, "products": products}


def _window(**extra):
    return selectors.Filters(DAY0 + dt.timedelta(days=4), DAY0 + dt.timedelta(days=17), **extra)


def _facts_overview(f: selectors.Filters) -> dict:
    """The headline numbers straight from the fact tables (what pages used to read)."""
    facts = ReturnFact.objects.filter(f.q())
    lines = LineDaily.objects.filter(f.q())
    due = [x for x in facts if x.refund_due_on]
    on_time = [
        x
        for x in due
        if x.refunded_at and x.refunded_at.astimezone(BERLIN).date() <= x.refund_due_on
    ]
    return {
        "returns": facts.count(),
        "refunded": facts.aggregate(s=Sum("refund_amount"))["s"] or D("0"),
        "returned_units": lines.aggregate(s=Sum("units"))["s"] or 0,
        "original_value": lines.aggregate(s=Sum("original_value"))["s"] or D("0"),
        "recovered_value": lines.aggregate(s=Sum("recovered_value"))["s"] or D("0"),
        "sold_units": SalesDaily.objects.filter(f.q()).aggregate(s=Sum("units"))["s"] or 0,
        "refunds_due": len(due),
        "refunds_on_time": len(on_time),
        "costs": {
            c.removeprefix("cost_"): facts.aggregate(s=Sum(c))["s"] or D("0")
            for c in selectors.COSTS
        },
    }


@pytest.mark.django_db
@pytest.mark.parametrize("slice_", ["all", "supplier", "product"])
def test_overview_from_summaries_equals_fact_tables(month, slice_):
    # given a window in the middle of the month, whole or narrowed to a supplier or product
    extra = {
        "all": {},
        "supplier": {"supplier_id": month["acme"].pk},
        "product": {"product_id": month["products"][2].pk},
    }[slice_]
    f = _window(**extra)
    # when the dashboard reads its summaries
    kpi = selectors.overview(f)
    # then every headline number equals the one computed from the fact rows
    expected = _facts_overview(f)
    assert expected["returns"] > 0
    assert {k: kpi[k] for k in expected} == expected


def _rates_from_facts(f: selectors.Filters) -> dict:
    returned = {
        r["product_id"]: (r["n"], r["u"])
        for r in LineDaily.objects.filter(f.q())
        .values("product_id")
        .annotate(n=Sum("returns"), u=Sum("units"))
    }
    sold = dict(SalesDaily.objects.filter(f.q()).values_list("product_id").annotate(u=Sum("units")))
    return {pk: (*returned.get(pk, (0, 0)), sold.get(pk, 0)) for pk in set(returned) | set(sold)}


@pytest.mark.django_db
@pytest.mark.parametrize("extra", [{}, {"supplier": "acme"}])
def test_product_rates_from_running_totals_equal_fact_sums(month, extra):
    # given a window that starts after some activity (so the pre-start row is subtracted)
    supplier_id = month[extra["supplier"]].pk if extra else None
    f = _window(supplier_id=supplier_id)
    # when product rates come from ProductRunning
    table = selectors.rate_table("product", f)
    # then returns, units and sold units per product equal the fact sums for the window
    sku_to_pk = {p.sku: p.pk for p in month["products"]}
    got = {sku_to_pk[row[0].split()[0]]: tuple(row[1:4]) for row in table.rows}
    assert got == _rates_from_facts(f)
    assert ProductRunning.objects.filter(day__lt=f.start).exists()


def _raw_cycle(f: selectors.Filters, start: str, end: str):
    durations = sorted(
        getattr(x, end) - getattr(x, start)
        for x in ReturnFact.objects.filter(f.q())
        if getattr(x, start) and getattr(x, end)
    )
    p90 = durations[math.ceil(0.9 * len(durations)) - 1]
    average = sum(durations, dt.timedelta()) / len(durations)
    return kpis.hours(average), kpis.hours(p90), len(durations)


@pytest.mark.django_db
@pytest.mark.parametrize("slice_", ["all", "supplier", "category", "supplier+category", "product"])
def test_cycle_average_and_p90_match_raw_durations(month, slice_):
    # given returns whose cycle times are spread over many odd minutes, and a slice of them
    zeta_product = month["products"][2]
    extra = {
        "all": {},
        "supplier": {"supplier_id": month["zeta"].pk},
        "category": {"category_id": zeta_product.category_id},
        "supplier+category": {
            "supplier_id": month["zeta"].pk,
            "category_id": zeta_product.category_id,
        },
        "product": {"product_id": zeta_product.pk},
    }[slice_]
    f = _window(**extra)
    # when the overview reads the histograms (all, a supplier, a category) or buckets facts
    cycles = selectors.overview(f)["cycles"]
    # then the average and nearest-rank p90, to 0.1 h, are those of the raw durations
    start, end = selectors.CYCLES["requested_to_received"]
    assert cycles["requested_to_received"] == _raw_cycle(f, start, end)
    assert CycleDaily.objects.exists()


@pytest.mark.django_db
def test_mix_from_summary_equals_line_facts(month):
    f = _window()
    for name, (column, dimension, *_rest) in selectors.MIXES.items():
        expected = {}
        for r in LineDaily.objects.filter(f.q()).values(column).annotate(n=Sum("returns")):
            key = r[column] or "not yet"
            expected[key] = expected.get(key, 0) + r["n"]
        got = {row[0]: row[1] for row in selectors.mix_table(name, f).rows}
        assert got == expected, name
        assert MixDaily.objects.filter(dimension=dimension).exists()


@pytest.mark.django_db
def test_nightly_change_to_an_old_day_moves_later_running_totals(month):
    # given the watermark set after the month was rolled up
    product = month["products"][0]
    rollup_nightly(now=dt.datetime(2026, 4, 1, 3, tzinfo=BERLIN))
    before = ProductRunning.objects.filter(product_id=product.pk).order_by("day").last()
    # when a new order line lands on an early day and the next nightly run picks it up
    order = OrderFactory(placed_at=dt.datetime(2026, 3, 2, 12, tzinfo=BERLIN))
    OrderLineFactory(order=order, product=product, quantity=7, line_number=1)
    rollup_nightly(now=dt.datetime(2026, 4, 2, 3, tzinfo=BERLIN))
    # then the running total of every later day includes it
    after = ProductRunning.objects.filter(product_id=product.pk).order_by("day").last()
    assert after.day == before.day
    assert after.sold_units == before.sold_units + 7
    assert (
        after.sold_units
        == SalesDaily.objects.filter(product_id=product.pk).aggregate(s=Sum("units"))["s"]
    )


@pytest.mark.django_db
def test_rerun_of_a_sub_range_gives_identical_summaries(month):
    def snapshot():
        out = {}
        for model in (ProductDaily, SegmentDaily, MixDaily, CycleDaily, ProductRunning):
            fields = [f.name for f in model._meta.fields if f.name != "id"]
            out[model.__name__] = sorted(map(repr, model.objects.values_list(*fields)))
        return out

    first = snapshot()
    rollup_range(start=DAY0 + dt.timedelta(days=3), end=DAY0 + dt.timedelta(days=9))
    assert snapshot() == first


@pytest.mark.django_db
@pytest.mark.postgres
def test_full_rebuild_on_postgres_restores_indexes_and_numbers(month):
    # given the month rolled up once, with its secondary indexes
    def index_names():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexname FROM pg_indexes WHERE tablename LIKE 'reporting_%%'"
                " ORDER BY indexname"
            )
            return [r[0] for r in cursor.fetchall()]

    indexes = index_names()
    kpi = selectors.overview(_window())
    # when every row is rebuilt (TRUNCATE, load without indexes, CREATE INDEX, ANALYZE)
    rollup_range(start=DAY0 - dt.timedelta(days=30), end=DAY0 + dt.timedelta(days=60))
    # then the same indexes exist and the pages read the same numbers
    assert index_names() == indexes
    assert "returnfact_open_status_day" in indexes
    assert selectors.overview(_window()) == kpi


@pytest.mark.django_db
def test_overview_page_lists_the_worst_50_products_and_csv_has_all(client, manager, month):
    # given more products with sales than a page shows
    order = OrderFactory(placed_at=dt.datetime(2026, 3, 10, 12, tzinfo=BERLIN))
    for i in range(55):
        OrderLineFactory(order=order, product=ProductFactory(sku=f"MANY-{i}"), line_number=i + 1)
    rollup_range(start=DAY0, end=DAY0 + dt.timedelta(days=30))
    client.force_login(manager)
    query = {"start": "2026-03-01", "end": "2026-03-31"}
    # when the overview and the CSV are fetched
    page = client.get("/reports/", query).content.decode()
    csv_rows = client.get("/reports/product-rates.csv", query).content.decode().splitlines()
    # then the page shows 50 rows and says how many more the CSV has
    assert len(csv_rows) == 1 + 58
    assert "8 more rows in the CSV." in page
