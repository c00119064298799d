import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from rma.shipping.services import shipment_plan_for_return
from tests.factories import shipping_return_make

pytestmark = pytest.mark.django_db


def test_panel_include_renders_for_a_return_without_a_shipment(order, customer):
    # given a return still in review (no shipment yet)
    rr = shipping_return_make(order=order, status="pending_review")
    request = RequestFactory().get("/")
    request.user = customer.user
    html = render_to_string("shipping/_return_panel.html", {"return_request": rr}, request)
    assert "prepared once the return is approved" in html


def test_api_own_carrier_records_and_validates(api_client, order, customer, warehouse, policy):
    rr = shipping_return_make(order=order, label_payer="own_carrier")
    shipment_plan_for_return(return_id=rr.pk)
    api_client.force_authenticate(customer.user)
    url = f"/api/v1/shipping/returns/{rr.pk}/own-carrier/"
    bad = api_client.post(url, {"tracking_number": "X1", "carrier": "UPS", "claim_amount": "-1"})
    assert bad.status_code == 400 and "claim_amount" in bad.json()
    ok = api_client.post(
        url, {"tracking_number": "ZX123456", "carrier": "DHL", "claim_amount": "4.5"}
    )
    assert ok.status_code == 200
    assert (ok.json()["tracking_number"], ok.json()["reimbursement_capped"]) == ("ZX123456", "4.50")
    again = api_client.post(
        url, {"tracking_number": "ZX999999", "carrier": "DHL", "claim_amount": "4"}
    )
    assert again.status_code == 409


def test_api_label_for_own_carrier_is_a_clear_400(api_client, order, customer, warehouse, policy):
    rr = shipping_return_make(order=order, label_payer="own_carrier")
    shipment_plan_for_return(return_id=rr.pk)
    api_client.force_authenticate(customer.user)
    resp = api_client.post(f"/api/v1/shipping/returns/{rr.pk}/label/")
    assert resp.status_code == 400 and "own carrier" in resp.json()["detail"]


def test_shipping_endpoints_are_in_the_openapi_schema(client):
    schema = client.get("/api/schema/").content.decode()
    for path in [
        "/api/v1/shipping/returns/{return_id}/label/",
        "/api/v1/shipping/batches/",
        "/api/v1/shipping/returns/{return_id}/own-carrier/",
    ]:
        assert path in schema
