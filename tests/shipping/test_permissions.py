import pytest

from catalog.identity import GUEST_ORDERS_SESSION_KEY
from rma.shipping.services import label_create

pytestmark = pytest.mark.django_db


def _as(client, who, *, customer, other_customer, grader, order, other_order):
    if who == "owner":
        client.force_login(customer.user)
    elif who == "other_customer":
        client.force_login(other_customer.user)
    elif who == "staff":
        client.force_login(grader)
    elif who in ("guest_with_order", "guest_other_order"):
        session = client.session
        proved = order if who == "guest_with_order" else other_order
        session[GUEST_ORDERS_SESSION_KEY] = [proved.pk]
        session.save()
    return client


WHO = ["owner", "other_customer", "staff", "guest_with_order", "guest_other_order", "anonymous"]
ALLOWED = {"owner", "staff", "guest_with_order"}


@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("doc", ["label", "packing-slip"])
def test_download_permission_matrix(
    client, who, doc, approved_return, customer, other_customer, grader, order, other_order
):
    # given a return with its label made
    label_create(return_id=approved_return.pk)
    _as(
        client,
        who,
        customer=customer,
        other_customer=other_customer,
        grader=grader,
        order=order,
        other_order=other_order,
    )
    # when someone asks for its PDF
    resp = client.get(f"/shipping/returns/{approved_return.pk}/{doc}/")
    # then only the owner, the guest who proved the order and staff get it; others see 404
    if who in ALLOWED:
        assert resp.status_code == 200
        assert resp["Content-Type"] == "application/pdf"
        assert b"".join(resp.streaming_content).startswith(b"%PDF")
    else:
        assert resp.status_code == 404


@pytest.mark.parametrize("who", WHO)
def test_only_owner_guest_and_staff_may_create_the_label(
    client, who, approved_return, customer, other_customer, grader, order, other_order
):
    _as(
        client,
        who,
        customer=customer,
        other_customer=other_customer,
        grader=grader,
        order=order,
        other_order=other_order,
    )
    resp = client.post(f"/shipping/returns/{approved_return.pk}/label/")
    approved_return.refresh_from_db()
    if who in ALLOWED:
        assert resp.status_code == 302 and resp["Location"].endswith("/label/")
        assert approved_return.status == "label_issued"
    else:
        assert resp.status_code == 404
        assert approved_return.status == "approved"


def test_download_before_the_label_exists_is_404_and_buys_nothing(
    client, approved_return, customer
):
    client.force_login(customer.user)
    assert client.get(f"/shipping/returns/{approved_return.pk}/label/").status_code == 404
    approved_return.refresh_from_db()
    assert approved_return.status == "approved"


@pytest.mark.parametrize(
    ("who", "status"), [("owner", 201), ("other_customer", 404), ("staff", 201)]
)
def test_api_label_create_and_detail_are_permission_checked(
    api_client, who, status, approved_return, customer, other_customer, grader
):
    user = {"owner": customer.user, "other_customer": other_customer.user, "staff": grader}[who]
    api_client.force_authenticate(user)
    resp = api_client.post(f"/api/v1/shipping/returns/{approved_return.pk}/label/")
    assert resp.status_code == status
    detail = api_client.get(f"/api/v1/shipping/returns/{approved_return.pk}/")
    if status == 201:
        assert detail.json()["tracking_number"] == resp.json()["tracking_number"]
        assert detail.json()["destination"] == "Main warehouse"
        pdf = api_client.get(f"/api/v1/shipping/returns/{approved_return.pk}/label/")
        assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    else:
        assert detail.status_code == 404


def test_api_needs_authentication(api_client, approved_return):
    assert api_client.get(f"/api/v1/shipping/returns/{approved_return.pk}/").status_code in (
        401,
        403,
    )


def test_the_panel_renders_for_the_owner_with_the_create_button(client, approved_return, customer):
    client.force_login(customer.user)
    html = client.get(f"/shipping/returns/{approved_return.pk}/panel/").content.decode()
    assert "Main warehouse" in html and "Create label" in html
    label_create(return_id=approved_return.pk)
    html = client.get(f"/shipping/returns/{approved_return.pk}/panel/").content.decode()
    assert approved_return.shipment.tracking_number in html and "Download label" in html
