import pytest

from rma.shipping.services import shipment_plan_for_return
from tests.conftest import browser_login
from tests.factories import DestinationFactory, ReturnPolicyFactory, shipping_return_make

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_customer_on_a_phone_creates_and_downloads_the_label(live_server, phone_page, order):
    # given alice's approved return with its destination chosen
    DestinationFactory(code="main", name="Main warehouse", is_default=True)
    ReturnPolicyFactory()
    rr = shipping_return_make(order=order)
    shipment_plan_for_return(return_id=rr.pk)
    browser_login(phone_page, live_server, "alice")
    phone_page.goto(f"{live_server.url}/shipping/returns/{rr.pk}/panel/")
    assert phone_page.get_by_text("Main warehouse").first.is_visible()
    # when she taps "Create label"
    with phone_page.expect_response(
        lambda r: r.url.endswith("/label/") and r.request.method == "GET"
    ) as response:
        phone_page.get_by_role("button", name="Create label").click()
    # then the browser is sent the PDF label and the return is label-issued
    assert response.value.status == 200
    assert response.value.headers["content-type"] == "application/pdf"
    rr.refresh_from_db()
    assert rr.status == "label_issued"
    phone_page.goto(f"{live_server.url}/shipping/returns/{rr.pk}/panel/")
    assert phone_page.get_by_text(rr.shipment.tracking_number).is_visible()
