import io

import pytest
from django.core.management import CommandError, call_command

from rma.shipping.services import label_create

pytestmark = pytest.mark.django_db


def test_the_simulator_walks_a_parcel_to_delivered_through_the_signed_webhook(approved_return):
    shipment = label_create(return_id=approved_return.pk)
    out = io.StringIO()
    call_command("simulate_tracking", approved_return.rma_number, "--in-process", stdout=out)
    approved_return.refresh_from_db()
    assert approved_return.status == "delivered"
    assert list(shipment.events.values_list("status", flat=True)) == [
        "in_transit",
        "out_for_delivery",
        "delivered",
    ]
    assert "delivered" in out.getvalue() and "201" in out.getvalue()


def test_the_simulator_refuses_unknown_parcels_and_statuses(approved_return):
    with pytest.raises(CommandError, match="No labelled parcel"):
        call_command("simulate_tracking", approved_return.rma_number, "--in-process")
    shipment = label_create(return_id=approved_return.pk)
    with pytest.raises(CommandError, match="Unknown status"):
        call_command("simulate_tracking", shipment.tracking_number, "--events", "lost")
