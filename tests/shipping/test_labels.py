from decimal import Decimal

import pytest

from resolution.models import CostEntry
from returns_portal.errors import DomainError
from rma.models import ReturnRequest
from rma.shipping.carriers import tracking_number_valid
from rma.shipping.services import label_create, packing_slip_create, shipment_plan_for_return
from tests.factories import shipping_return_make
from tests.shipping.scan import needs_scanner, pdf_codes, pdf_info

pytestmark = pytest.mark.django_db


def test_creating_the_label_buys_it_once_issues_it_and_books_the_cost(approved_return):
    # when the label is created
    shipment = label_create(return_id=approved_return.pk)
    # then the return moved approved → label issued through the audited door
    approved_return.refresh_from_db()
    assert approved_return.status == "label_issued"
    event = approved_return.events.get(to_status="label_issued")
    assert shipment.tracking_number in event.message
    # and the parcel has a valid tracking number, a cost and a stored PDF
    assert tracking_number_valid(shipment.tracking_number)
    assert shipment.cost > 0 and shipment.label_pdf.name.endswith(".pdf")
    assert shipment.status == "label_created"
    cost = CostEntry.objects.get(source_key=f"label:{shipment.pk}")
    assert (cost.kind, cost.amount) == ("label", shipment.cost)
    # and creating it again changes nothing
    again = label_create(return_id=approved_return.pk)
    assert again.tracking_number == shipment.tracking_number
    assert CostEntry.objects.filter(return_request=approved_return).count() == 1


@needs_scanner
def test_the_label_is_a_4x6_pdf_whose_codes_scan_to_tracking_and_rma(approved_return):
    shipment = label_create(return_id=approved_return.pk)
    pdf = shipment.label_pdf.read()
    assert pdf.startswith(b"%PDF")
    # one 4 × 6 in page (288 × 432 pt)
    info = pdf_info(pdf)
    assert (info["Pages"], info["Page size"]) == ("1", "288 x 432 pts")
    # then the Code128 reads back as the tracking number and the QR as the RMA number
    assert sorted(pdf_codes(pdf)) == sorted([shipment.tracking_number, approved_return.rma_number])
    typed = pdf_codes(pdf, raw=False)
    assert f"CODE-128:{shipment.tracking_number}" in typed
    assert f"QR-Code:{approved_return.rma_number}" in typed


@needs_scanner
def test_the_packing_slip_lists_the_items_and_its_barcode_scans_to_the_rma(approved_return):
    shipment = packing_slip_create(return_id=approved_return.pk)
    pdf = shipment.packing_slip_pdf.read()
    assert pdf_codes(pdf) == [approved_return.rma_number]
    assert pdf_info(pdf)["Page size"].startswith("595.")  # A4 by default


@needs_scanner
def test_packing_slip_paper_size_from_settings(approved_return, settings):
    settings.SHIPPING_PACKING_SLIP_SIZE = "Letter"
    pdf = packing_slip_create(return_id=approved_return.pk).packing_slip_pdf.read()
    assert pdf_info(pdf)["Page size"].startswith("612 x 792")


def test_the_label_is_rendered_once_then_served_from_storage(approved_return, client, customer):
    # given the label was created and its stored file is then altered on disk
    shipment = label_create(return_id=approved_return.pk)
    path = shipment.label_pdf.path
    with open(path, "ab") as f:
        f.write(b"%stored-marker")
    # when the owner downloads it twice
    client.force_login(customer.user)
    first = b"".join(client.get(f"/shipping/returns/{approved_return.pk}/label/").streaming_content)
    second = b"".join(
        client.get(f"/shipping/returns/{approved_return.pk}/label/").streaming_content
    )
    # then both are the stored file, not a re-render
    assert first == second and first.endswith(b"%stored-marker")
    shipment.refresh_from_db()
    assert shipment.label_pdf.path == path


def test_customer_paid_label_notes_the_fee_deducted_from_the_refund(order, warehouse, policy):
    rr = shipping_return_make(order=order, label_payer="customer", label_fee=Decimal("6.95"))
    shipment_plan_for_return(return_id=rr.pk)
    shipment = label_create(return_id=rr.pk)
    assert shipment.label_payer == "customer"
    cost = CostEntry.objects.get(source_key=f"label:{shipment.pk}")
    assert cost.amount == shipment.cost
    assert "6.95 deducted from the refund" in cost.note


def test_no_label_for_own_carrier_returns(order, warehouse, policy):
    rr = shipping_return_make(order=order, label_payer="own_carrier")
    shipment_plan_for_return(return_id=rr.pk)
    with pytest.raises(DomainError, match="own carrier"):
        label_create(return_id=rr.pk)
    assert ReturnRequest.objects.get(pk=rr.pk).status == "approved"


def test_own_carrier_claim_is_capped_by_the_policy_and_moves_it_in_transit(
    order, warehouse, policy, client, customer
):
    # given an own-carrier return under a policy reimbursing at most 15.00
    rr = shipping_return_make(order=order, label_payer="own_carrier")
    rr.policy = policy
    rr.save(update_fields=["policy"])
    shipment_plan_for_return(return_id=rr.pk)
    client.force_login(customer.user)
    # when alice records her tracking number and a 22.40 postage claim
    resp = client.post(
        f"/shipping/returns/{rr.pk}/own-carrier/",
        {"tracking_number": "1z999aa10123456784", "carrier": "UPS", "claim_amount": "22.40"},
    )
    assert resp.status_code == 302
    # then the claim is kept, capped at 15.00, and the return is in transit
    rr.refresh_from_db()
    shipment = rr.shipment
    assert rr.status == "in_transit"
    assert shipment.tracking_number == "1Z999AA10123456784"
    assert (shipment.reimbursement_claim, shipment.reimbursement_capped) == (
        Decimal("22.40"),
        Decimal("15.00"),
    )
    assert CostEntry.objects.get(source_key=f"label:{shipment.pk}").amount == Decimal("15.00")


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"tracking_number": "", "carrier": "UPS", "claim_amount": "5"}, "tracking number"),
        ({"tracking_number": "ABC 123", "carrier": "UPS", "claim_amount": "5"}, "tracking number"),
        ({"tracking_number": "ABC123", "carrier": "", "claim_amount": "5"}, "carrier"),
        ({"tracking_number": "ABC123", "carrier": "UPS", "claim_amount": "lots"}, "postage"),
        ({"tracking_number": "ABC123", "carrier": "UPS", "claim_amount": "-3"}, "postage"),
    ],
)
def test_bad_own_carrier_input_is_a_form_error_not_a_500(
    order, warehouse, policy, client, customer, form, message
):
    rr = shipping_return_make(order=order, label_payer="own_carrier")
    shipment_plan_for_return(return_id=rr.pk)
    client.force_login(customer.user)
    resp = client.post(f"/shipping/returns/{rr.pk}/own-carrier/", form, follow=True)
    assert resp.status_code == 200
    assert message in resp.content.decode().lower()
    assert ReturnRequest.objects.get(pk=rr.pk).status == "approved"


def test_a_label_for_a_return_that_is_not_approved_is_refused(order, warehouse, policy):
    rr = shipping_return_make(order=order, status="approved")
    shipment_plan_for_return(return_id=rr.pk)
    ReturnRequest.objects.filter(pk=rr.pk).update(status="cancelled")
    with pytest.raises(DomainError, match="approved"):
        label_create(return_id=rr.pk)
