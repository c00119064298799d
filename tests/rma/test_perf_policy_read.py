"""A filing reads its rules in one statement on PostgreSQL, and reads exactly what the ORM reads.

`rma.services._policy_read_sql_run` (plain SQL, PostgreSQL) and `_policy_read_orm` (any
database) must agree on the active policy, the customer's returns in the period (cancelled
ones and those outside it not counted), the active reasons named, the block / allow /
serial-returner entries matching the email, order number or SKUs in any letter case, and
how much of each order line is already in returns that are open or done.
"""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from rma.models import PolicyListEntry, ReturnLine, ReturnRequest
from rma.services import _ListKeys, _policy_read_orm, _policy_read_sql_run, policy_publish
from tests.factories import ReturnReasonFactory, api_returns_bulk

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL read is PostgreSQL's"),
]

NOW = timezone.now()


@pytest.fixture
def rules(customer, other_customer):
    """Version 2 active; reasons active and not; list entries of every kind; returns of
    the customer inside the period, cancelled, too old, and another customer's."""
    policy_publish(actor=None)
    policy_publish(actor=None, window_days=45)
    ReturnReasonFactory(code="changed-mind", label="Changed my mind")
    ReturnReasonFactory(code="too-small", label="Too small", position=1)
    ReturnReasonFactory(code="retired", label="Retired", is_active=False)
    for kind, match_on, value in [
        ("block", "email", customer.email.upper()),
        ("serial_returner", "order", "ord-777"),
        ("allow", "product", "sku-Blue-M"),
        ("block", "product", "SKU-RED-S"),
        ("block", "email", "someone-else@example.com"),
        ("allow", "order", "ORD-778"),
    ]:
        PolicyListEntry.objects.create(
            list_kind=kind, match_on=match_on, value=value, reason=f"{kind} {value}"
        )
    mine = api_returns_bulk(customer=customer, count=5)
    api_returns_bulk(customer=other_customer, count=2)
    ReturnRequest.objects.filter(pk=mine[0].pk).update(status="cancelled")
    ReturnRequest.objects.filter(pk=mine[1].pk).update(created_at=NOW - dt.timedelta(days=200))
    ReturnRequest.objects.filter(pk=mine[2].pk).update(status="declined")
    return customer


def line_ids_of(customer) -> list[int]:
    return list(
        ReturnLine.objects.filter(return_request__customer=customer).values_list(
            "order_line_id", flat=True
        )
    )


def both_reads(**kwargs):
    sql = _policy_read_sql_run(**kwargs)
    orm = _policy_read_orm(**kwargs)
    return sql, orm


@pytest.mark.parametrize(
    "codes,keys",
    [
        ({"changed-mind", "retired", "unknown"}, ("ORD-777", ("SKU-BLUE-M", "sku-red-s"))),
        ({"too-small"}, ("ord-778", ())),
        (set(), ("ORD-1", ("nothing",))),
    ],
)
def test_sql_and_orm_read_the_same_rules(rules, codes, keys):
    # given the customer's returns, reasons and list entries
    number, skus = keys
    args = {
        "customer_id": rules.pk,
        "since": NOW - dt.timedelta(days=91),
        "until": NOW + dt.timedelta(days=1),
        "reason_codes": codes,
        "keys": _ListKeys(email=rules.email, number=number, skus=skus),
        "line_ids": line_ids_of(rules),
    }
    # when the filing's rules are read both ways
    sql, orm = both_reads(**args)
    # then they agree, and are what the data says
    assert sql.pk == orm.pk and sql.version == orm.version == 2
    assert sql.window_days == orm.window_days == 45
    assert sql.recent_returns == orm.recent_returns == 3  # not cancelled, not too old
    assert sorted(sql.returned_rows) == sorted(orm.returned_rows)
    returned = dict(sql.returned_rows)
    open_lines = ReturnLine.objects.filter(return_request__customer=rules).exclude(
        return_request__status__in=["cancelled", "declined"]
    )
    assert returned == {line.order_line_id: line.quantity for line in open_lines}
    assert len(returned) == 2 * 3  # two lines each; the cancelled and declined ones not
    assert sql.reason_rows == orm.reason_rows
    assert {row["code"] for row in sql.reason_rows} == codes & {"changed-mind", "too-small"}
    assert sql.list_rows == orm.list_rows
    matched = {(row["list_kind"], row["value"]) for row in sql.list_rows}
    assert ("block", rules.email.upper()) in matched  # the email, whatever its case
    assert ("block", "someone-else@example.com") not in matched
    if number == "ORD-777":
        assert ("serial_returner", "ord-777") in matched
        assert {("allow", "sku-Blue-M"), ("block", "SKU-RED-S")} <= matched
    if number == "ord-778":
        assert matched == {("block", rules.email.upper()), ("allow", "ORD-778")}


def test_without_an_active_policy_both_read_nothing(customer):
    args = {
        "customer_id": customer.pk,
        "since": NOW - dt.timedelta(days=91),
        "until": NOW,
        "reason_codes": {"changed-mind"},
        "keys": _ListKeys(email=customer.email, number="ORD-1", skus=()),
        "line_ids": [],
    }
    assert both_reads(**args) == (None, None)
