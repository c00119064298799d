"""Demo data for shipping: destinations, rules, and shipments with tracking for demo returns.

Rerunnable: everything is looked up by a natural key first. Label PDFs are not rendered
here; they are made on first download.
"""

import datetime as dt
import random

from django.db import transaction
from django.utils import timezone

from rma.shipping.carriers import carrier_backend, rate_quote, tracking_number_make
from rma.states import LabelPayer, ReturnStatus

S = ReturnStatus
SHIPPED = [S.LABEL_ISSUED, S.IN_TRANSIT, S.DELIVERED, S.RECEIVED, S.GRADED, S.RESOLVED, S.CLOSED]
SCANNED = set(SHIPPED) - {S.LABEL_ISSUED}
DELIVERED = SCANNED - {S.IN_TRANSIT}


def _destinations():
    from catalog.models import Category, Supplier
    from rma.shipping.models import Destination, DestinationRule
    from rma.shipping.services import destination_for_supplier

    main, _ = Destination.objects.get_or_create(
        code="main-warehouse",
        defaults={
            "name": "Northwind Returns Warehouse",
            "kind": Destination.Kind.WAREHOUSE,
            "is_default": not Destination.objects.filter(is_default=True).exists(),
            "address_name": "Northwind Returns Dept.",
            "address_line1": "4100 Logistics Pkwy",
            "city": "Reno",
            "region": "NV",
            "postal_code": "89502",
            "country": "US",
        },
    )
    center, _ = Destination.objects.get_or_create(
        code="returnco-center",
        defaults={
            "name": "ReturnCo Processing Center",
            "kind": Destination.Kind.RETURNS_CENTER,
            "address_name": "ReturnCo c/o Northwind",
            "address_line1": "88 Reverse Logistics Blvd",
            "city": "Memphis",
            "region": "TN",
            "postal_code": "38118",
            "country": "US",
        },
    )
    for supplier in Supplier.objects.filter(is_dropship=True) | Supplier.objects.filter(
        accepts_returns_for_credit=True
    ):
        destination_for_supplier(supplier=supplier)
    electronics = Category.objects.filter(slug__icontains="electronic").first()
    if electronics is not None:
        DestinationRule.objects.get_or_create(
            name="Electronics go to the ReturnCo center for testing",
            defaults={"priority": 10, "match_category": electronics, "destination": center},
        )
    return main


@transaction.atomic
def seed(*, stdout, today: dt.date) -> None:
    from rma.models import ReturnEvent, ReturnRequest
    from rma.shipping.models import Shipment, TrackingEvent
    from rma.shipping.services import (
        _address_of,
        _label_cost_record,
        shipment_plan_for_return,
    )

    _destinations()
    rng = random.Random(4)
    carrier = carrier_backend().name
    planned = 0
    for rr_id in ReturnRequest.objects.filter(
        status__in=[S.APPROVED, *SHIPPED], shipment__isnull=True, refund_without_return=False
    ).values_list("pk", flat=True):
        shipment_plan_for_return(return_id=rr_id)
        planned += 1
    shipments = list(
        Shipment.objects.filter(
            return_request__status__in=SHIPPED, tracking_number__isnull=True
        ).select_related("return_request__order", "return_request__customer", "destination")
    )
    # When the demo's history says each return was scanned and delivered (its status events).
    moved_at = {
        (rr_id, to_status): at
        for rr_id, to_status, at in ReturnEvent.objects.filter(
            return_request__in=[s.return_request_id for s in shipments],
            kind="status",
            to_status__in=[S.IN_TRANSIT, S.DELIVERED],
        ).values_list("return_request_id", "to_status", "created_at")
    }
    tracking_events, timeline, scanned_at = [], [], []
    labelled = 0
    for shipment in shipments:
        rr = shipment.return_request
        if shipment.label_payer == LabelPayer.OWN_CARRIER:
            shipment.tracking_number = f"1Z{rng.randrange(10**14):014d}"
            shipment.carrier = shipment.own_carrier_name = "UPS"
            shipment.reimbursement_claim = shipment.reimbursement_capped = 9
        else:
            rate = rate_quote(
                origin=_address_of(rr.order, rr.customer.name),
                destination=_address_of(shipment.destination, shipment.destination.name),
                weight_grams=min(shipment.weight_grams, 30000),
            )
            shipment.tracking_number = tracking_number_make()
            shipment.carrier, shipment.service, shipment.cost = carrier, rate.service, rate.price
        start = rr.status_changed_at or timezone.make_aware(
            dt.datetime.combine(today, dt.time(9)) - dt.timedelta(days=3)
        )
        shipment.label_created_at = start - dt.timedelta(days=2)
        steps = []
        if rr.status in SCANNED:
            steps.append(("in_transit", "Picked up", "Portland OR", dt.timedelta(days=-2)))
        if rr.status in DELIVERED:
            steps.append(
                (
                    "delivered",
                    "Delivered to the returns dock",
                    shipment.destination.city,
                    dt.timedelta(days=-1),
                )
            )
        shipment.status = steps[-1][0] if steps else Shipment.Status.LABEL_CREATED
        shipment.save()
        if shipment.cost:  # what the carrier bills for the label: a cost of the return
            _label_cost_record(shipment=shipment, return_request=rr, actor=None)
        for n, (status, text, where, offset) in enumerate(steps):
            # the carrier's scan comes a few minutes before the status change it caused
            at = moved_at.get((rr.pk, status))
            at = at - dt.timedelta(minutes=3) if at else start + offset
            tracking_events.append(
                TrackingEvent(
                    shipment=shipment,
                    carrier=shipment.carrier,
                    event_id=f"demo-{shipment.pk}-{n}",
                    status=status,
                    occurred_at=at,
                    location=where,
                    description=text,
                )
            )
            timeline.append(
                ReturnEvent(
                    return_request=rr,
                    kind="tracking",
                    actor_kind=ReturnEvent.ActorKind.CARRIER,
                    message=f"{text} — {where}" if where else text,
                    visible_to_customer=True,
                    details={"tracking_number": shipment.tracking_number, "status": status},
                )
            )
            scanned_at.append(at)
        labelled += 1
    TrackingEvent.objects.bulk_create(tracking_events, ignore_conflicts=True)
    ReturnEvent.objects.bulk_create(timeline)
    # created_at is auto_now_add: put each carrier event back at its scan time
    for event, at in zip(timeline, scanned_at, strict=True):
        event.created_at = at
    ReturnEvent.objects.bulk_update(timeline, ["created_at"], batch_size=500)
    stdout.write(
        f"shipping: {planned} shipments planned, {labelled} labelled with "
        f"{len(tracking_events)} tracking events"
    )
