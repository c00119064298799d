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
    # and each carrier label is a cost of its return, booked once
    from resolution.models import CostEntry

    labels = CostEntry.objects.filter(kind="label")
    assert labels.count() == 3
    assert labels.get(return_request=made["in_transit"]).amount == (
        made["in_transit"].shipment.cost
    )


def test_demo_carrier_scans_sit_in_the_timeline_where_the_history_put_them(customer, policy):
    from django.utils import timezone

    from rma.models import ReturnEvent
    from rma.selectors import return_timeline

    # given a demo return whose history says: in transit on day 1, delivered day 3, received day 4
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order)
    rr = shipping_return_make(order=order, status="received")
    day = timezone.now() - dt.timedelta(days=20)
    for n, (old, new) in enumerate(
        [("label_issued", "in_transit"), ("in_transit", "delivered"), ("delivered", "received")]
    ):
        event = ReturnEvent.objects.create(
            return_request=rr, kind="status", from_status=old, to_status=new, message=new
        )
        ReturnEvent.objects.filter(pk=event.pk).update(created_at=day + dt.timedelta(days=n))
    # when the shipping demo adds the carrier's scans
    seed(stdout=io.StringIO(), today=dt.date(2026, 11, 20))
    # then each scan comes just before the status change it caused, not at seeding time
    order_seen = [
        (e.kind, e.to_status or e.message)
        for e in return_timeline(return_request=rr, for_customer=False)
    ]
    kinds = [k for k, _ in order_seen if k in ("tracking", "status")]
    assert kinds == ["tracking", "status", "tracking", "status", "status"], order_seen
    scans = TrackingEvent.objects.filter(shipment__return_request=rr).order_by("occurred_at")
    assert [s.occurred_at < day + dt.timedelta(days=2) for s in scans] == [True, True]
    assert all(not e.message.endswith("—") for e in rr.events.filter(kind="tracking"))
