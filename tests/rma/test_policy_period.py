"""The serial-returner rule counts the customer's returns over the active version's period.

The active policy and that count are read in one query, guessing the period from the
version seen before; a new version with another period must still be counted over its own.
"""

import datetime as dt

import pytest
from django.utils import timezone

from rma.models import ReturnRequest
from rma.services import ReturnItemInput, policy_publish, return_create, return_quote
from tests.factories import OrderFactory, OrderLineFactory

pytestmark = pytest.mark.django_db


def one_line_order(customer):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, quantity=1)
    return order


def frequency_message(alice, customer) -> str:
    order = one_line_order(customer)
    item = ReturnItemInput(
        order_line_id=order.lines.get().pk, quantity=1, reason_code="changed-mind"
    )
    quote = return_quote(viewer=alice, order_id=order.pk, items=[item])
    (rule,) = [r for r in quote.as_rules_json() if r["code"] == "frequency"]
    return rule["message"]


def test_returns_are_counted_over_the_period_of_the_version_in_force(
    alice, customer, reasons, policy
):
    # given alice filed a return 60 days ago (still counted under the 90-day default)
    order = one_line_order(customer)
    item = ReturnItemInput(
        order_line_id=order.lines.get().pk, quantity=1, reason_code="changed-mind"
    )
    old = return_create(viewer=alice, order_id=order.pk, items=[item], notify=False)
    ReturnRequest.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=60)
    )
    assert frequency_message(alice, customer) == "Return 2 of at most 5 in 90 days."
    # when a version counting over 30 days is published
    policy_publish(actor=None, returns_period_days=30)
    # then the return of 60 days ago no longer counts
    assert frequency_message(alice, customer) == "Return 1 of at most 5 in 30 days."
    # and when 90 days come back, it counts again
    policy_publish(actor=None, returns_period_days=90)
    assert frequency_message(alice, customer) == "Return 2 of at most 5 in 90 days."
    assert frequency_message(alice, customer) == "Return 2 of at most 5 in 90 days."
