import datetime as dt
import io

import pytest

from rma.shipping.demo import seed
from rma.shipping.models import Destination, Shipment, TrackingEvent
from tests.factories import OrderFactory, OrderLineFactory, shipping_return_make

pytestmark = pytest.mark.django_db


def test_demo_seed_gives_shipped_returns_tracking_and_is_rerunnable(customer, policy):
    # given demo returns in several states, made without the approval hook
    made = {}
    for status in ["approved", "label_issued", "in_transit", "received"]:
        order = OrderFactory(customer=customer)
        OrderLineFactory(order=order)
        made[status] = shipping_return_make(order=order, status=status)
    # when the demo is seeded twice
    seed(stdout=io.StringIO(), today=dt.date(2026, 11, 20))
    seed(stdout=io.StringIO(), today=dt.date(2026, 11, 20))
    # then destinations exist once and each return has one fitting shipment
    assert Destination.objects.filter(code="returnco-center").count() == 1
    assert Shipment.objects.count() == 4
    assert made["approved"].shipment.tracking_number is None
    assert made["label_issued"].shipment.tracking_number
    assert made["label_issued"].shipment.events.count() == 0
    assert list(made["in_transit"].shipment.events.values_list("status", flat=True)) == [
        "in_transit"
    ]
    assert made["received"].shipment.status == "delivered"
    assert TrackingEvent.objects.count() == 3
    assert not made["received"].shipment.label_pdf  # rendered on first download
