"""Rollups against values computed independently from the raw rows."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from reporting.models import GraderDaily, LineDaily, ReturnFact, SalesDaily
from reporting.rollups import rollup_nightly, rollup_range
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    UserFactory,
    reporting_return_make,
)

BERLIN = ZoneInfo("Europe/Berlin")
D = Decimal


@pytest.fixture
def berlin(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    return BERLIN


def _line(product, placed_at, quantity=3):
    order = OrderFactory(placed_at=placed_at)
    return OrderLineFactory(order=order, product=product, quantity=quantity, line_number=1)


def _rows(model):
    fields = [f.name for f in model._meta.fields if f.name != "id"]
    return sorted(tuple(str(v) for v in row) for row in model.objects.values_list(*fields))


@pytest.mark.django_db
def test_local_day_boundaries_split_2330_and_0030(berlin):
    # given two returns 1 hour apart around local midnight (22:30 and 23:30 UTC in winter)
    product = ProductFactory()
    line = _line(product, dt.datetime(2026, 1, 5, 12, tzinfo=berlin))
    reporting_return_make(
        order_line=line, created_at=dt.datetime(2026, 1, 10, 23, 30, tzinfo=berlin)
    )
    reporting_return_make(
        order_line=OrderLineFactory(order=line.order, product=product, line_number=2),
        created_at=dt.datetime(2026, 1, 11, 0, 30, tzinfo=berlin),
    )
    # when
    rollup_range(start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31))
    # then each lands on its local day, not the UTC day (both are Jan 10 in UTC)
    days = sorted(ReturnFact.objects.values_list("day", flat=True))
    assert days == [dt.date(2026, 1, 10), dt.date(2026, 1, 11)]
    assert sorted(LineDaily.objects.values_list("day", "returns")) == [
        (dt.date(2026, 1, 10), 1),
        (dt.date(2026, 1, 11), 1),
    ]


@pytest.mark.django_db
def test_rollup_matches_python_sums_from_raw_rows(berlin):
    # given returns of two products with grades, routes, refunds and costs
    defect = ReturnReasonFactory(code="defective", label="Defective", is_defect=True)
    mind = ReturnReasonFactory(code="changed-mind")
    grader = UserFactory(username="g1")
    p1, p2 = ProductFactory(price=D("40.00")), ProductFactory(price=D("15.00"))
    day = dt.datetime(2026, 3, 3, 9, tzinfo=berlin)
    made = []
    for i in range(6):
        product = p1 if i % 2 else p2
        line = _line(product, day - dt.timedelta(days=5), quantity=4)
        made.append(
            reporting_return_make(
                order_line=line,
                created_at=day + dt.timedelta(hours=i),
                reason=defect if i % 3 == 0 else mind,
                quantity=1 + i % 2,
                events={
                    "approved": day + dt.timedelta(hours=i + 1),
                    "received": day + dt.timedelta(days=2, hours=i),
                    "graded": day + dt.timedelta(days=2, hours=i + 3),
                },
                grade_code="A" if i < 3 else "C",
                grading_minutes=D("4.5"),
                inspector=grader,
                route="restock" if i < 4 else "liquidate",
                recovered_value=D("10.00") * (i + 1),
                write_down=D("1.25"),
                refund=(D("20.00"), day + dt.timedelta(days=3, hours=i), dt.date(2026, 3, 6)),
                costs={"label": D("7.50"), "labor": D("2.00"), "customer_service": D("1.10")},
            )
        )
    # when
    rollup_range(start=dt.date(2026, 2, 20), end=dt.date(2026, 3, 10))
    # then the fact tables add up to the raw rows
    from rma.models import ReturnLine

    lines = ReturnLine.objects.all()
    assert LineDaily.objects.aggregate(s=Sum("units"))["s"] == sum(x.quantity for x in lines)
    assert LineDaily.objects.aggregate(s=Sum("original_value"))["s"] == sum(
        x.quantity * x.unit_price for x in lines
    )
    assert LineDaily.objects.aggregate(s=Sum("recovered_value"))["s"] == D("210.00")
    by_reason = dict(
        LineDaily.objects.values_list("reason_code").annotate(n=Sum("returns")).order_by()
    )
    assert by_reason == {"defective": 2, "changed-mind": 4}
    by_grade_route = {
        (r["grade_code"], r["route"]): r["n"]
        for r in LineDaily.objects.values("grade_code", "route").annotate(n=Sum("returns"))
    }
    assert by_grade_route == {("A", "restock"): 3, ("C", "restock"): 1, ("C", "liquidate"): 2}
    assert ReturnFact.objects.count() == 6
    fact = ReturnFact.objects.get(return_id=made[2].pk)
    assert fact.received_at == day + dt.timedelta(days=2, hours=2)
    assert fact.refund_amount == D("20.00")
    assert fact.cost_label == D("7.50") and fact.cost_customer_service == D("1.10")
    assert fact.grading_minutes == D("4.50")
    assert fact.product_id == made[2].lines.get().order_line.product_id
    assert SalesDaily.objects.aggregate(s=Sum("units"))["s"] == 24
    assert GraderDaily.objects.get().minutes == D("27.00")


@pytest.mark.django_db
def test_rerun_produces_identical_rows(berlin):
    # given a rolled-up day
    line = _line(ProductFactory(), dt.datetime(2026, 4, 1, tzinfo=berlin))
    reporting_return_make(order_line=line, created_at=dt.datetime(2026, 4, 2, 10, tzinfo=berlin))
    rollup_range(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 3))
    first = [_rows(m) for m in (LineDaily, ReturnFact, SalesDaily)]
    # when run again
    rollup_range(start=dt.date(2026, 4, 1), end=dt.date(2026, 4, 3))
    # then the same rows, not doubled
    assert [_rows(m) for m in (LineDaily, ReturnFact, SalesDaily)] == first
    assert ReturnFact.objects.count() == 1


@pytest.mark.django_db
def test_nightly_picks_up_changed_old_day(berlin):
    # given a return from a month ago, rolled up, and a watermark set
    old = dt.datetime(2026, 5, 1, 10, tzinfo=berlin)
    line = _line(ProductFactory(), old)
    rr = reporting_return_make(order_line=line, created_at=old)
    rollup_range(start=dt.date(2026, 5, 1), end=dt.date(2026, 5, 1))
    rollup_nightly(now=dt.datetime(2026, 6, 1, 3, tzinfo=berlin))
    assert ReturnFact.objects.get().refunded_at is None
    # when a refund completes for it afterwards
    from resolution.models import MoneyMovement

    MoneyMovement.objects.create(
        idempotency_key="late",
        kind="refund",
        status="succeeded",
        customer=rr.customer,
        return_request=rr,
        amount=D("9.99"),
        completed_at=dt.datetime(2026, 6, 1, 12, tzinfo=berlin),
    )
    runs = rollup_nightly(now=dt.datetime(2026, 6, 2, 3, tzinfo=berlin))
    # then the old day is recomputed along with yesterday
    assert (dt.date(2026, 5, 1), dt.date(2026, 5, 1)) in runs
    assert ReturnFact.objects.get().refund_amount == D("9.99")
