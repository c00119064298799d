"""Cancelling a return voids its unscanned label: carrier, shipment, audit, costs, downloads."""

import os
from decimal import Decimal

import pytest
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from catalog.identity import viewer_for_user
from resolution.models import CostEntry
from returns_portal.errors import Conflict, DomainError, IllegalTransition
from rma.services import return_cancel
from rma.shipping.carriers import OfflineCarrier
from rma.shipping.models import Shipment, TrackingEvent
from rma.shipping.services import (
    label_create,
    packing_slip_create,
    shipment_plan_for_return,
    shipments_void_for_return,
    tracking_event_ingest,
)
from tests.factories import shipping_return_make

pytestmark = pytest.mark.django_db
VOIDED_BY_CARRIER: list[str] = []


class RecordingCarrier(OfflineCarrier):
    """The offline carrier, noting each void it accepts (a real backend subclass)."""

    name = "recording"

    def void(self, tracking_number: str) -> None:
        super().void(tracking_number)
        VOIDED_BY_CARRIER.append(tracking_number)


class RefusingCarrier(OfflineCarrier):
    """A carrier whose API refuses the void (e.g. the label is already manifested)."""

    name = "refusing"

    def void(self, tracking_number: str) -> None:
        raise DomainError("The carrier refused to void this label: it is already manifested.")


@pytest.fixture
def alice(customer):
    return viewer_for_user(customer.user)


@pytest.fixture
def labelled(approved_return, django_capture_on_commit_callbacks):
    """Alice's return with its label and packing slip bought and stored."""
    label_create(return_id=approved_return.pk)
    packing_slip_create(return_id=approved_return.pk)
    return Shipment.objects.get(return_request=approved_return)


def cancel(viewer, return_id, capture):
    with capture(execute=True):
        return return_cancel(viewer=viewer, return_id=return_id, reason="Kept it")


def label_costs(return_request) -> Decimal:
    return CostEntry.objects.filter(return_request=return_request, kind="label").aggregate(
        total=Sum("amount")
    )["total"]


def test_cancelling_a_labelled_return_voids_the_label_and_reverses_its_cost(
    alice, approved_return, settings, django_capture_on_commit_callbacks
):
    # given a label bought from the carrier, its cost booked
    settings.SHIPPING_CARRIER_BACKEND = f"{__name__}.RecordingCarrier"
    VOIDED_BY_CARRIER.clear()
    label_create(return_id=approved_return.pk)
    labelled = packing_slip_create(return_id=approved_return.pk)
    assert labelled.carrier == "recording"
    label_path, slip_path = labelled.label_pdf.path, labelled.packing_slip_pdf.path
    booked = CostEntry.objects.get(source_key=f"label:{labelled.pk}").amount
    assert booked > 0
    # when Alice cancels the return
    rr = cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    # then the return is cancelled and the carrier was told to void that tracking number
    assert rr.status == "cancelled"
    assert [labelled.tracking_number] == VOIDED_BY_CARRIER
    # and the shipment is voided, its stored PDFs gone
    shipment = Shipment.objects.get(pk=labelled.pk)
    assert shipment.status == "voided" and shipment.voided_at is not None
    assert not shipment.label_pdf and not shipment.packing_slip_pdf
    assert not os.path.exists(label_path) and not os.path.exists(slip_path)
    # and the label cost is reversed by an opposite entry (append-only): it nets to zero
    reversal = CostEntry.objects.get(source_key=f"label-void:{shipment.pk}")
    assert (reversal.kind, reversal.amount) == ("label", -booked)
    assert label_costs(rr) == Decimal("0.00")
    # and the void is on the audit trail (customer-visible) and in the tracking history
    event = rr.events.get(kind="shipping", message__contains="voided")
    assert event.visible_to_customer and labelled.tracking_number in event.message
    assert event.details["cost_reversed"] == str(booked)
    voids = TrackingEvent.objects.filter(shipment=shipment, status="voided")
    assert voids.count() == 1


def test_a_voided_label_cannot_be_downloaded_or_rebought(
    client, api_client, customer, alice, labelled, django_capture_on_commit_callbacks
):
    # given the return was cancelled and its label voided
    cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    rid = labelled.return_request_id
    client.force_login(customer.user)
    api_client.force_authenticate(customer.user)
    # when she tries the page download, then 410 with a clear message, not a PDF
    page = client.get(reverse("shipping:label", args=[rid]))
    assert page.status_code == 410
    assert b"was voided when the return was cancelled" in page.content
    assert client.get(reverse("shipping:packing_slip", args=[rid])).status_code == 410
    # and buying it again from the page does not re-issue it
    client.post(reverse("shipping:label", args=[rid]))
    assert Shipment.objects.get(pk=labelled.pk).status == "voided"
    # and the API says the same, with a code
    api = api_client.get(f"/api/v1/shipping/returns/{rid}/label/")
    assert api.status_code == 410 and api.json()["code"] == "label_voided"
    assert api_client.post(f"/api/v1/shipping/returns/{rid}/label/").status_code == 410
    detail = api_client.get(f"/api/v1/shipping/returns/{rid}/").json()
    assert (detail["status"], detail["has_label"]) == ("voided", False)
    # and the return page shows "Label voided" on the timeline and panel, with no download link
    status_page = client.get(reverse("rma:return_status", args=[labelled.return_request.reference]))
    html = status_page.content.decode()
    assert status_page.status_code == 200
    assert "Label voided" in html and f"{labelled.tracking_number} voided" in html
    assert reverse("shipping:label", args=[rid]) not in html


def test_staff_see_the_void_on_the_staff_return_page(
    client, manager, alice, labelled, django_capture_on_commit_callbacks
):
    cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    client.force_login(manager)
    html = client.get(reverse("shipping:panel", args=[labelled.return_request_id])).content
    assert b"Label voided" in html


def test_a_customer_paid_label_is_voided_and_its_cost_reversed_too(
    order, warehouse, policy, alice, django_capture_on_commit_callbacks
):
    rr = shipping_return_make(order=order, label_payer="customer", label_fee=Decimal("6.95"))
    shipment_plan_for_return(return_id=rr.pk)
    shipment = label_create(return_id=rr.pk)
    cancel(alice, rr.pk, django_capture_on_commit_callbacks)
    shipment.refresh_from_db()
    assert shipment.status == "voided"
    assert label_costs(rr) == Decimal("0.00")
    reversal = CostEntry.objects.get(source_key=f"label-void:{shipment.pk}")
    assert reversal.amount == -shipment.cost


def test_a_return_whose_parcel_was_scanned_cannot_be_cancelled(
    alice, api_client, customer, labelled, django_capture_on_commit_callbacks
):
    # given the carrier scanned the parcel (the return moved to in transit)
    tracking_event_ingest(
        tracking_number=labelled.tracking_number,
        event_id="scan-1",
        status="in_transit",
        occurred_at=timezone.now(),
    )
    # when Alice tries to cancel, then the cancel is refused as an illegal move
    with pytest.raises(IllegalTransition, match="in transit cannot become cancelled"):
        cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    api_client.force_authenticate(customer.user)
    response = api_client.post(
        f"/api/v1/returns/{labelled.return_request_id}/cancel/", {}, format="json"
    )
    assert response.status_code == 409
    # and nothing was voided or reversed
    shipment = Shipment.objects.get(pk=labelled.pk)
    assert shipment.status == "in_transit" and shipment.label_pdf
    assert not CostEntry.objects.filter(source_key=f"label-void:{shipment.pk}").exists()
    assert shipment.return_request.status == "in_transit"


def test_a_scan_that_did_not_move_the_return_still_blocks_the_cancel(
    alice, labelled, django_capture_on_commit_callbacks
):
    # given a carrier exception scan: the return is still "label issued" (cancellable)
    tracking_event_ingest(
        tracking_number=labelled.tracking_number,
        event_id="exc-1",
        status="exception",
        occurred_at=timezone.now(),
        description="Address label damaged",
    )
    labelled.return_request.refresh_from_db()
    assert labelled.return_request.status == "label_issued"
    # when Alice cancels, then the void refuses and the whole cancel rolls back
    with pytest.raises(Conflict, match="already scanned"):
        cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    shipment = Shipment.objects.get(pk=labelled.pk)
    assert shipment.status == "exception"
    assert shipment.return_request.status == "label_issued"
    assert not shipment.return_request.events.filter(to_status="cancelled").exists()


def test_when_the_carrier_refuses_the_void_the_return_stays_open(
    alice, approved_return, settings, django_capture_on_commit_callbacks
):
    # given a label from a carrier whose API will refuse to void it
    settings.SHIPPING_CARRIER_BACKEND = f"{__name__}.RefusingCarrier"
    labelled = label_create(return_id=approved_return.pk)
    # when Alice cancels, then she is told why and nothing changes
    with pytest.raises(DomainError, match="refused to void"):
        cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    shipment = Shipment.objects.get(pk=labelled.pk)
    assert (shipment.status, shipment.return_request.status) == ("label_created", "label_issued")
    assert shipment.label_pdf
    assert not CostEntry.objects.filter(source_key=f"label-void:{shipment.pk}").exists()


def test_a_label_from_a_carrier_no_longer_configured_is_not_silently_kept(
    alice, approved_return, settings, django_capture_on_commit_callbacks
):
    settings.SHIPPING_CARRIER_BACKEND = f"{__name__}.RecordingCarrier"
    label_create(return_id=approved_return.pk)
    settings.SHIPPING_CARRIER_BACKEND = "offline"
    with pytest.raises(Conflict, match="no longer configured"):
        cancel(alice, approved_return.pk, django_capture_on_commit_callbacks)
    approved_return.refresh_from_db()
    assert approved_return.status == "label_issued"


def test_cancelling_before_any_label_leaves_the_plan_alone(
    alice, approved_return, django_capture_on_commit_callbacks
):
    rr = cancel(alice, approved_return.pk, django_capture_on_commit_callbacks)
    shipment = Shipment.objects.get(return_request=rr)
    assert (rr.status, shipment.status) == ("cancelled", "planned")
    assert not CostEntry.objects.filter(return_request=rr).exists()
    assert not rr.events.filter(message__contains="voided").exists()


def test_voiding_twice_changes_nothing_more(alice, labelled, django_capture_on_commit_callbacks):
    cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    again = shipments_void_for_return(return_id=labelled.return_request_id)
    assert again.status == "voided"
    assert CostEntry.objects.filter(source_key__startswith="label-void:").count() == 1
    assert TrackingEvent.objects.filter(status="voided").count() == 1


def test_a_carrier_scan_of_a_voided_label_is_noted_for_staff_and_changes_nothing(
    alice, labelled, django_capture_on_commit_callbacks
):
    # given a voided label, when the customer ships the parcel anyway and it is scanned
    cancel(alice, labelled.return_request_id, django_capture_on_commit_callbacks)
    event, created = tracking_event_ingest(
        tracking_number=labelled.tracking_number,
        event_id="late-1",
        status="in_transit",
        occurred_at=timezone.now(),
    )
    # then the scan is recorded and staff are told, but the return stays cancelled
    assert created and event.status == "in_transit"
    shipment = Shipment.objects.get(pk=labelled.pk)
    assert (shipment.status, shipment.return_request.status) == ("voided", "cancelled")
    note = shipment.return_request.events.get(message__contains="scan of voided label")
    assert not note.visible_to_customer
