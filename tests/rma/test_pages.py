"""Return pages through the Django test client: find an order, file a return with a live
quote, confirmation, status, cancel, photos, the customer's lists and the staff pages."""

import datetime as dt
import re
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import timezone

from catalog.identity import GUEST_ORDERS_SESSION_KEY, viewer_for_request, viewer_for_user
from rma import views
from rma.models import ReturnEvent, ReturnPhoto, ReturnRequest
from rma.services import ReturnItemInput, return_create
from rma.states import ReturnStatus
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SupplierFactory,
    pages_return_make,
)
from tests.rma.conftest import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(reasons, policy):
    """Reasons and policy v1 (30 days, 10% restocking, $6.95 label, +10% store credit)."""
    return reasons


def lines_of(order):
    return list(order.lines.order_by("line_number"))


def form_data(order, picks: dict, **extra) -> dict:
    """POST data for the return form: picks = {order_line: {"qty": .., "reason": ..}}."""
    data = {"kind": "standard", "preferred_outcome": "refund", "action": "review"}
    for line, values in picks.items():
        p = f"line_{line.pk}_"
        data[p + "pick"] = "on"
        data[p + "qty"] = values.get("qty", 1)
        data[p + "reason"] = values.get("reason", "changed-mind")
        for key in ("note", "exchange", "sku"):
            if key in values:
                data[p + key] = values[key]
        if "photos" in values:
            data[p + "photos"] = values["photos"]
    data.update(extra)
    return data


def body(resp) -> str:
    return resp.content.decode()


def text(resp) -> str:
    """The page's text with tags removed and whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", body(resp)).split())


# --- 1. Find the order ----------------------------------------------------------------
def test_start_page_has_the_lookup_form_with_csrf(client):
    resp = client.get("/returns/start/")
    assert resp.status_code == 200
    page = body(resp)
    assert 'name="csrfmiddlewaretoken"' in page
    assert 'name="number"' in page and 'name="email"' in page
    assert '<label for="id_number">Order number</label>' in page


def test_guest_finds_the_order_by_number_and_email_and_may_open_it(client, order, setup):
    # given a guest; when they give the order number and the email in another case
    resp = client.post(
        "/returns/start/", {"number": order.number.lower(), "email": "ALICE@example.com"}
    )
    # then they land on the order's return page, which this session may now open
    assert resp.status_code == 302
    assert resp["Location"] == f"/orders/{order.pk}/return/"
    assert client.session[GUEST_ORDERS_SESSION_KEY] == [order.pk]
    page = client.get(resp["Location"])
    assert page.status_code == 200
    for line in lines_of(order):
        assert line.product.name in text(page)


@pytest.mark.parametrize(
    "number,email",
    [
        ("right", "wrong@example.com"),
        ("ORD-NOPE", "alice@example.com"),
        ("ORD-NOPE", "x@y.example"),
    ],
)
def test_lookup_failure_is_one_neutral_message_and_grants_nothing(
    client, order, setup, number, email
):
    number = order.number if number == "right" else number
    resp = client.post("/returns/start/", {"number": number, "email": email})
    assert resp.status_code == 200
    assert "We could not find an order with that number and email." in text(resp)
    assert GUEST_ORDERS_SESSION_KEY not in client.session


def test_lookup_form_errors_are_shown_not_raised(client, setup):
    resp = client.post("/returns/start/", {"number": "", "email": "not-an-email"})
    assert resp.status_code == 200
    assert "This field is required." in text(resp)
    assert "Enter a valid email address." in text(resp)


def test_lookup_is_rate_limited_per_client(client, order, setup):
    # given ten wrong guesses from one client
    for _ in range(10):
        resp = client.post("/returns/start/", {"number": "ORD-X", "email": "a@example.com"})
        assert resp.status_code == 200
    # when it tries again, even with the right details
    resp = client.post("/returns/start/", {"number": order.number, "email": "alice@example.com"})
    # then it is told to wait, and nothing is granted
    assert resp.status_code == 429
    assert "Too many attempts" in text(resp)
    assert GUEST_ORDERS_SESSION_KEY not in client.session


def test_lookup_returns_to_a_safe_next_page_only(client, order, setup):
    ok = client.post(
        "/returns/start/",
        {"number": order.number, "email": "alice@example.com", "next": "/my/returns/"},
    )
    assert ok["Location"] == "/my/returns/"
    evil = client.post(
        "/returns/start/",
        {"number": order.number, "email": "alice@example.com", "next": "https://evil.example/"},
    )
    assert evil["Location"] == f"/orders/{order.pk}/return/"


def test_signed_in_customer_sees_only_her_delivered_orders(client, customer, order, setup):
    undelivered = OrderFactory(customer=customer)
    OrderLineFactory(order=undelivered, line_number=1, delivered_at=None)
    someone_else = OrderFactory()
    OrderLineFactory(order=someone_else, line_number=1)
    client.force_login(customer.user)
    resp = client.get("/my/orders/")
    assert resp.status_code == 200
    assert order.number in text(resp)
    assert f"/orders/{order.pk}/return/" in body(resp)
    assert undelivered.number not in text(resp)
    assert someone_else.number not in text(resp)


def test_my_pages_need_sign_in(client):
    for url in ("/my/orders/", "/my/returns/"):
        resp = client.get(url)
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


# --- 2. The return form ---------------------------------------------------------------
def test_an_order_with_nothing_returnable_says_so(client, customer, setup):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, delivered_at=None)
    client.force_login(customer.user)
    resp = client.get(f"/orders/{order.pk}/return/")
    assert "Nothing on this order can be returned right now." in text(resp)
    submit = client.post(f"/orders/{order.pk}/return/", {"kind": "standard", "action": "submit"})
    assert submit.status_code == 200 and ReturnRequest.objects.count() == 0
    # and the choices and the review panel that could not be used are not offered
    page = text(resp)
    assert "What would you like to do?" not in page
    assert "Review my return" not in page
    assert 'name="action"' not in body(resp)
    assert "Back to your orders" in page and "Find another order" in page


@pytest.mark.parametrize("picks", [False, True])
def test_no_template_comment_leaks_onto_the_pages(client, customer, order, setup, picks):
    # The field include once opened with a two-line {# … #}, which Django prints as text.
    first, _ = lines_of(order)
    client.force_login(customer.user)
    pages = [client.get("/returns/start/"), client.get(f"/orders/{order.pk}/return/")]
    if picks:  # the form re-shown with a field error, and the quote
        pages.append(client.post(f"/orders/{order.pk}/return/", form_data(order, {first: {}})))
        pages.append(
            client.post(f"/orders/{order.pk}/return/", form_data(order, {first: {"qty": 9}}))
        )
    for resp in pages:
        assert resp.status_code == 200
        html = body(resp)
        assert "{#" not in html and "#}" not in html
        assert "One form field" not in html


def test_return_form_explains_lines_that_cannot_be_returned(client, customer, setup):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, delivered_at=None)
    done = OrderLineFactory(order=order, line_number=2)
    open_line = OrderLineFactory(order=order, line_number=3, quantity=3)
    pages_return_make(viewer=viewer_for_user(customer.user), line=done)
    client.force_login(customer.user)
    resp = client.get(f"/orders/{order.pk}/return/")
    assert resp.status_code == 200
    page = text(resp)
    assert "Not delivered yet: you can return it once it has arrived." in page
    assert "Already returned (or in a return that is still open)." in page
    # the open line can be picked, up to its 3 units, with a photo field for phones
    html = body(resp)
    assert f'name="line_{open_line.pk}_pick"' in html
    assert re.search(rf'name="line_{open_line.pk}_qty"[^>]*max="3"', html) or re.search(
        rf'max="3"[^>]*name="line_{open_line.pk}_qty"', html
    )
    assert f'name="line_{done.pk}_pick"' not in html
    photo_input = re.search(rf'<input[^>]*name="line_{open_line.pk}_photos"[^>]*>', html).group(0)
    assert 'accept="image/*"' in photo_input and "capture" in photo_input
    assert "multiple" in photo_input
    assert f'aria-describedby="id_line_{open_line.pk}_photos_helptext"' in photo_input
    assert f'id="id_line_{open_line.pk}_photos_helptext"' in html
    # reasons carry their photo / defect flags for the page's show-and-hide
    assert 'value="arrived-damaged" data-photo="1"' in html
    assert 'value="defective" data-photo="1" data-defect="1"' in html
    assert "Store credit (+10%)" in page


def test_review_shows_decision_rules_fees_and_amount_without_writing(
    client, customer, order, setup
):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    # when alice previews returning 1 of her 2 × $40 for store credit
    resp = client.post(
        f"/orders/{order.pk}/return/",
        form_data(order, {first: {"qty": 1}}, preferred_outcome="store_credit"),
    )
    # then: approved, each rule in words, fees, who pays the label and the credit
    assert resp.status_code == 200
    page = text(resp)
    assert "Approved straight away" in page
    assert "Inside the 30-day window" in page
    assert "Restocking fee of 10% ($4.00)" in page
    assert "Return label $6.95, taken off your refund." in page
    assert "Paid by the customer" in page
    assert "Store credit bonus +$2.91" in page
    # $40 − $4.00 − $6.95 = $29.05, +10% bonus $2.91 = $31.96
    assert "Store credit $31.96" in page
    assert 'name="action" value="submit"' in body(resp)
    assert ReturnRequest.objects.count() == 0
    # and the re-shown form keeps her choices (no JavaScript needed)
    html = body(resp)
    assert re.search(rf'name="line_{first.pk}_pick"[^>]*checked', html)
    assert re.search(rf'name="line_{first.pk}_qty" value="1"', html)
    assert 'value="changed-mind" selected' in html
    assert re.search(r'value="store_credit"[^>]*checked', html)


def test_htmx_quote_returns_only_the_quote_panel(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    resp = client.post(
        f"/orders/{order.pk}/return/",
        form_data(order, {first: {"qty": 2}}, action="quote"),
        HTTP_HX_REQUEST="true",
    )
    assert resp.status_code == 200
    html = body(resp)
    assert html.lstrip().startswith('<section id="quote"')
    assert "<html" not in html
    assert "Expected refund $65.05" in text(resp)  # 80 − 8 − 6.95


def test_cheap_item_is_refund_without_return(client, customer, setup):
    order = OrderFactory(customer=customer)
    cheap = OrderLineFactory(order=order, line_number=1, unit_price=Decimal("9.00"))
    client.force_login(customer.user)
    resp = client.post(f"/orders/{order.pk}/return/", form_data(order, {cheap: {}}))
    page = text(resp)
    assert "Refund without return: keep the item" in page
    assert "No shipping needed" in page
    assert "Expected refund $9.00" in page


@pytest.mark.parametrize(
    "qty,message",
    [
        ("0", "Return at least one."),
        ("3", "You can return at most 2."),
        ("two", "Enter a whole number."),
        ("", "How many are you returning?"),
    ],
)
def test_bad_quantities_are_form_errors(client, customer, order, setup, qty, message):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    for action in ("review", "submit"):
        resp = client.post(
            f"/orders/{order.pk}/return/", form_data(order, {first: {"qty": qty}}, action=action)
        )
        assert resp.status_code == 200
        assert message in text(resp)
    assert ReturnRequest.objects.count() == 0


def test_nothing_picked_or_no_reason_are_form_errors(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    resp = client.post(f"/orders/{order.pk}/return/", {"kind": "standard", "action": "submit"})
    assert resp.status_code == 200
    assert "Tick at least one item to return." in text(resp)
    resp = client.post(
        f"/orders/{order.pk}/return/", form_data(order, {first: {"reason": ""}}, action="submit")
    )
    assert resp.status_code == 200 and "Choose a reason." in text(resp)
    resp = client.post(
        f"/orders/{order.pk}/return/", form_data(order, {first: {"reason": "made-up"}})
    )
    assert resp.status_code == 200
    assert "Select a valid choice." in text(resp)
    assert ReturnRequest.objects.count() == 0


def test_photo_reason_needs_a_photo_at_submit(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    data = form_data(order, {first: {"reason": "arrived-damaged"}})
    # the preview says a photo is still needed, without refusing
    preview = client.post(f"/orders/{order.pk}/return/", data)
    assert "Add a photo before you submit" in text(preview)
    # submitting without one is a form error on the photo field
    resp = client.post(f"/orders/{order.pk}/return/", {**data, "action": "submit"})
    assert resp.status_code == 200
    assert "Please add a photo" in text(resp)
    assert ReturnRequest.objects.count() == 0


@pytest.mark.parametrize("count", ["²", "9" * 5000, "-1", "x"])
def test_a_photo_count_that_is_not_a_small_number_means_none_chosen(
    client, customer, order, setup, count
):
    # given a reason that needs a photo and a live-quote photo count no one could type
    first, _ = lines_of(order)
    client.force_login(customer.user)
    data = form_data(order, {first: {"reason": "arrived-damaged"}})
    data[f"line_{first.pk}_photos_count"] = count
    # when the preview is asked for
    preview = client.post(f"/orders/{order.pk}/return/", data)
    # then it is no 500: the photo is still reported missing
    assert preview.status_code == 200
    assert "Add a photo before you submit" in text(preview)


def test_a_file_that_is_not_an_image_is_refused(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    fake = SimpleUploadedFile("damage.jpg", b"%PDF-1.4 not an image", content_type="image/jpeg")
    data = form_data(order, {first: {"reason": "arrived-damaged", "photos": fake}})
    resp = client.post(f"/orders/{order.pk}/return/", {**data, "action": "submit"})
    assert resp.status_code == 200
    assert "damage.jpg is not a JPEG, PNG, WebP or HEIC photo." in text(resp)
    assert ReturnRequest.objects.count() == 0


def test_warranty_claim_refuses_a_non_defect_reason(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    resp = client.post(
        f"/orders/{order.pk}/return/",
        form_data(order, {first: {"reason": "too-small"}}, kind="warranty"),
    )
    assert resp.status_code == 200
    assert "is not a defect: a warranty claim needs a fault." in text(resp)


# --- 4. Submit and confirmation -------------------------------------------------------
def test_submit_creates_the_return_and_shows_the_rma_number(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    resp = client.post(
        f"/orders/{order.pk}/return/",
        form_data(order, {first: {"qty": 1, "note": "Too big"}}, action="submit"),
    )
    rr = ReturnRequest.objects.get()
    assert resp.status_code == 302
    assert resp["Location"] == f"/returns/{rr.rma_number}/submitted/"
    assert rr.status == ReturnStatus.APPROVED and rr.channel == "portal"
    (line,) = rr.lines.all()
    assert (line.order_line, line.quantity, line.customer_note) == (first, 1, "Too big")
    page = client.get(resp["Location"])
    assert page.status_code == 200
    assert f"Your RMA number is {rr.rma_number}" in text(page)
    assert "Next steps" in text(page) and "Print your label" in text(page)


def test_submit_with_a_photo_stores_it_for_the_owner(client, customer, order, setup):
    first, _ = lines_of(order)
    client.force_login(customer.user)
    data = form_data(
        order, {first: {"reason": "arrived-damaged", "photos": image_upload()}}, action="submit"
    )
    resp = client.post(f"/orders/{order.pk}/return/", data)
    assert resp.status_code == 302
    rr = ReturnRequest.objects.get()
    photo = ReturnPhoto.objects.get(line__return_request=rr)
    url = f"/returns/{rr.reference}/photos/{photo.pk}/"
    status_page = client.get(f"/returns/{rr.reference}/")
    assert url in body(status_page)
    image = client.get(url)
    assert image.status_code == 200
    assert image["Content-Type"] == "image/png"
    assert image["Cache-Control"].startswith("private")
    assert b"".join(image.streaming_content).startswith(b"\x89PNG")


def test_expensive_return_waits_for_review_with_a_request_reference(client, customer, setup):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_number=1, unit_price=Decimal("650.00"))
    client.force_login(customer.user)
    preview = client.post(f"/orders/{order.pk}/return/", form_data(order, {line: {}}))
    assert "Our team will check it" in text(preview)
    resp = client.post(f"/orders/{order.pk}/return/", form_data(order, {line: {}}, action="submit"))
    rr = ReturnRequest.objects.get()
    assert rr.status == ReturnStatus.PENDING_REVIEW and rr.rma_number is None
    page = text(client.get(resp["Location"]))
    assert f"Your request reference is {rr.reference}" in page
    assert rr.reference.startswith("REQ-")


def test_late_return_is_declined_with_the_reason(client, customer, setup):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(
        order=order, line_number=1, delivered_at=timezone.now() - dt.timedelta(days=45)
    )
    client.force_login(customer.user)
    preview = client.post(f"/orders/{order.pk}/return/", form_data(order, {line: {}}))
    assert "Cannot be accepted online" in text(preview) and "Submit anyway" in text(preview)
    resp = client.post(f"/orders/{order.pk}/return/", form_data(order, {line: {}}, action="submit"))
    page = text(client.get(resp["Location"]))
    assert "We can’t accept this return online" in page
    assert "Outside the 30-day window" in page


def test_exchange_for_another_variant_of_the_family(client, customer, setup):
    supplier = SupplierFactory()
    medium = ProductFactory(family="tee", variant="M", supplier=supplier, stock_on_hand=3)
    large = ProductFactory(
        family="tee", variant="L", supplier=supplier, stock_on_hand=2, category=medium.category
    )
    ProductFactory(family="tee", variant="XL", stock_on_hand=0, category=medium.category)
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_number=1, product=medium)
    client.force_login(customer.user)
    page = body(client.get(f"/orders/{order.pk}/return/"))
    # only in-stock variants are offered
    assert f'value="{large.pk}">L ({large.sku})' in page
    assert ">XL (" not in page
    # an unknown SKU is a form error
    bad = client.post(
        f"/orders/{order.pk}/return/",
        form_data(order, {line: {"sku": "NOPE-1"}}, preferred_outcome="exchange"),
    )
    assert "No variant of this item has that SKU." in text(bad)
    # the typed SKU of a variant works (any letter case)
    resp = client.post(
        f"/orders/{order.pk}/return/",
        form_data(
            order, {line: {"sku": large.sku.lower()}}, preferred_outcome="exchange", action="submit"
        ),
    )
    assert resp.status_code == 302
    rr = ReturnRequest.objects.get()
    assert rr.kind == "exchange" and rr.lines.get().exchange_product == large


# --- 5. Status, cancel, redirects -----------------------------------------------------
def test_status_page_shows_everything_the_customer_may_see(client, customer, order, setup):
    first, _ = lines_of(order)
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=first, note="Too big")
    ReturnEvent.objects.create(
        return_request=rr, kind="note", message="Internal: check serial", visible_to_customer=False
    )
    client.force_login(customer.user)
    resp = client.get(f"/returns/{rr.reference}/")
    assert resp.status_code == 200
    page = text(resp)
    assert rr.reference in page and "Approved" in page
    assert first.product.name in page and "Too big" in page
    assert "Return requested." in page  # timeline
    assert "Internal: check serial" not in page
    assert "Expected refund $29.05" in page
    assert 'id="shipping-panel"' in body(resp)
    assert f"/returns/{rr.reference}/cancel/" in body(resp)


def test_lowercase_and_request_references_open_the_same_page(client, customer, order, setup):
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=lines_of(order)[0])
    client.force_login(customer.user)
    assert client.get(f"/returns/{rr.reference.lower()}/").status_code == 200
    assert client.get(f"/returns/REQ-{rr.pk:06d}/").status_code == 200
    assert client.get("/returns/nonsense/").status_code == 404


def test_email_link_by_id_redirects_to_the_reference(client, customer, order, setup):
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=lines_of(order)[0])
    client.force_login(customer.user)
    resp = client.get(f"/returns/{rr.pk}/")
    assert resp.status_code == 302 and resp["Location"] == f"/returns/{rr.reference}/"


def test_cancel_asks_then_cancels_once(client, customer, order, setup):
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=lines_of(order)[0])
    client.force_login(customer.user)
    confirm = client.get(f"/returns/{rr.reference}/cancel/")
    assert confirm.status_code == 200 and "Yes, cancel my return" in text(confirm)
    resp = client.post(
        f"/returns/{rr.reference}/cancel/", {"reason": "Found one I like"}, follow=True
    )
    rr.refresh_from_db()
    assert rr.status == ReturnStatus.CANCELLED
    assert f"Return {rr.reference} is cancelled." in text(resp)
    assert "Found one I like" in text(resp)  # on the timeline
    assert f"/returns/{rr.reference}/cancel/" not in body(resp)
    again = client.post(f"/returns/{rr.reference}/cancel/", follow=True)
    assert again.status_code == 200
    assert "This return can no longer be cancelled." in text(again)


def test_my_returns_lists_hers_paginated(client, customer, setup):
    viewer = viewer_for_user(customer.user)
    for _ in range(21):
        order = OrderFactory(customer=customer)
        pages_return_make(viewer=viewer, line=OrderLineFactory(order=order, line_number=1))
    client.force_login(customer.user)
    first = client.get("/my/returns/")
    assert first.status_code == 200
    assert body(first).count('class="card return-card"') == 20
    assert "Page 1 of 2" in text(first)
    second = client.get("/my/returns/?page=2")
    assert body(second).count('class="card return-card"') == 1
    assert client.get("/my/returns/?page=zzz").status_code == 200


# --- 7. Staff review ------------------------------------------------------------------
@pytest.fixture
def pending(customer, setup):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_number=1, unit_price=Decimal("650.00"))
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=line)
    assert rr.status == ReturnStatus.PENDING_REVIEW
    return rr


def test_review_queue_shows_rules_and_approves_with_a_reason(client, manager, pending):
    client.force_login(manager)
    queue = client.get("/staff/review/")
    assert queue.status_code == 200
    assert pending.reference in text(queue)
    assert "above the $500.00 automatic approval limit" in text(queue)
    resp = client.post(
        f"/staff/review/{pending.pk}/decide/",
        {"action": "approve", "reason": "Loyal customer"},
        follow=True,
    )
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.APPROVED and pending.rma_number
    assert f"{pending.rma_number} approved." in text(resp)
    assert "Nothing waiting for review." in text(resp)


def test_review_card_says_how_long_the_return_has_waited(client, manager, pending):
    # given a request filed three days ago
    ReturnRequest.objects.filter(pk=pending.pk).update(
        created_at=timezone.now() - dt.timedelta(days=3, hours=2)
    )
    client.force_login(manager)
    # when a manager opens the queue, then the card says how long it has waited
    page = text(client.get("/staff/review/"))
    assert "waiting 3\xa0days, 2\xa0hours" in page or "waiting 3 days, 2 hours" in page


def test_review_needs_a_reason_and_declines(client, manager, pending):
    client.force_login(manager)
    resp = client.post(f"/staff/review/{pending.pk}/decide/", {"action": "decline", "reason": ""})
    assert resp.status_code == 200
    assert "Say why, for the customer and the audit log." in text(resp)
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.PENDING_REVIEW
    client.post(f"/staff/review/{pending.pk}/decide/", {"action": "decline", "reason": "Worn"})
    pending.refresh_from_db()
    assert pending.status == ReturnStatus.DECLINED
    # deciding twice is a message, not an error page
    again = client.post(
        f"/staff/review/{pending.pk}/decide/", {"action": "approve", "reason": "x"}, follow=True
    )
    assert again.status_code == 200
    assert (
        client.post(
            "/staff/review/999999/decide/", {"action": "approve", "reason": "x"}
        ).status_code
        == 404
    )


# --- 8. Staff list and detail ---------------------------------------------------------
@pytest.fixture
def many_returns(customer, setup):
    """Approved returns on distinct orders/products/suppliers, one per supplier."""
    viewer = viewer_for_user(customer.user)
    made = []
    for i in range(6):
        order = OrderFactory(customer=customer)
        line = OrderLineFactory(order=order, line_number=1, quantity=2)
        OrderLineFactory(order=order, line_number=2)
        made.append(
            pages_return_make(
                viewer=viewer, line=line, reason="too-small" if i % 2 else "changed-mind"
            )
        )
    return made


def test_staff_list_filters(client, grader, many_returns):
    client.force_login(grader)
    everything = client.get("/staff/returns/")
    assert everything.status_code == 200
    assert all(rr.reference in text(everything) for rr in many_returns)
    small = text(client.get("/staff/returns/?reason=too-small"))
    assert [rr.reference in small for rr in many_returns] == [False, True] * 3
    target = many_returns[2].lines.get().order_line.product
    by_sku = text(client.get(f"/staff/returns/?product={target.sku.lower()}"))
    assert [rr.reference in by_sku for rr in many_returns] == [i == 2 for i in range(6)]
    by_supplier = text(client.get(f"/staff/returns/?supplier={target.supplier.code}"))
    assert [rr.reference in by_supplier for rr in many_returns] == [i == 2 for i in range(6)]
    many_returns[0].__class__.objects.filter(pk=many_returns[0].pk).update(
        created_at=timezone.now() - dt.timedelta(days=40)
    )
    since = (timezone.localdate() - dt.timedelta(days=7)).isoformat()
    recent = text(client.get(f"/staff/returns/?created_after={since}"))
    assert many_returns[0].reference not in recent and many_returns[1].reference in recent
    old = text(client.get(f"/staff/returns/?created_before={since}&status=approved"))
    assert many_returns[0].reference in old and many_returns[1].reference not in old


def test_staff_list_and_api_share_local_day_boundaries(
    client, api_client, grader, many_returns, settings
):
    # given the portal in New York and returns filed either side of local midnight
    settings.TIME_ZONE = "America/New_York"
    zone = ZoneInfo("America/New_York")
    late, early = many_returns[0], many_returns[1]
    ReturnRequest.objects.filter(pk=late.pk).update(
        created_at=dt.datetime(2026, 5, 1, 23, 30, tzinfo=zone)
    )
    ReturnRequest.objects.filter(pk=early.pk).update(
        created_at=dt.datetime(2026, 5, 2, 0, 30, tzinfo=zone)
    )
    client.force_login(grader)
    api_client.force_authenticate(grader)
    for query, expected in (
        ("created_before=2026-05-01", {late.reference}),
        ("created_after=2026-05-02&created_before=2026-05-02", {early.reference}),
    ):
        # when staff filter the page and the API by the same days
        page = text(client.get(f"/staff/returns/?{query}"))
        api = api_client.get(f"/api/v1/returns/?{query}").json()["results"]
        # then both show the same returns: whole local days
        on_page = {rr.reference for rr in (late, early) if rr.reference in page}
        assert on_page == expected
        assert {row["reference"] for row in api} == expected


def test_staff_list_bad_filters_are_errors_not_crashes(client, grader, many_returns):
    client.force_login(grader)
    resp = client.get("/staff/returns/?created_after=2026-13-45&status=bogus&page=-1")
    assert resp.status_code == 200
    assert "Enter a valid date." in text(resp)
    assert "Select a valid choice." in text(resp)
    swapped = client.get("/staff/returns/?created_after=2026-05-02&created_before=2026-05-01")
    assert "The end date is before the start date." in text(swapped)


def _returns_add(customer, n):
    viewer = viewer_for_user(customer.user)
    for _ in range(n):
        order = OrderFactory(customer=customer)
        pages_return_make(
            viewer=viewer, line=OrderLineFactory(order=order, line_number=1), notify=False
        )


def test_staff_list_page_uses_at_most_six_queries_for_a_full_page(
    rf, grader, customer, setup, django_assert_max_num_queries
):
    # given 60 returns and a signed-in grader whose permissions are already loaded
    _returns_add(customer, 60)
    request = rf.get("/staff/returns/", {"reason": "changed-mind"})
    request.user = grader
    assert grader.has_perm("catalog.view_all_returns")
    viewer_for_request(request)
    # when the list renders its 50-row page: reasons, suppliers, count, rows, lines, money
    with django_assert_max_num_queries(6):
        resp = views.staff_returns(request)
    # then every row shows its items
    assert resp.status_code == 200
    assert text(resp).count("× SKU-") == 50


def test_staff_list_request_query_count_does_not_grow_with_rows(
    client, grader, customer, setup, django_assert_max_num_queries
):
    """The whole request adds session, user, 2 × permissions and the customer row (5) to the
    page's six (reasons, suppliers, count, rows, lines, money movements)."""
    client.force_login(grader)
    _returns_add(customer, 1)
    with django_assert_max_num_queries(11):
        assert client.get("/staff/returns/").status_code == 200
    _returns_add(customer, 59)
    with django_assert_max_num_queries(11):
        resp = client.get("/staff/returns/?page=1")
    assert text(resp).count("× SKU-") == 50


def test_staff_list_flags_refunds_past_their_sla(client, grader, customer, setup):
    from resolution.models import MoneyMovement
    from resolution.services import refund_request

    # given two returns with pending refunds, one due yesterday and one due tomorrow
    _returns_add(customer, 2)
    late, on_time = ReturnRequest.objects.order_by("pk")
    today = timezone.localdate()
    for rr, due in ((late, today - dt.timedelta(days=1)), (on_time, today + dt.timedelta(days=1))):
        refund_request(
            customer_id=customer.pk,
            amount=Decimal("10.00"),
            kind="refund",
            idempotency_key=f"sla-{rr.pk}",
            return_id=rr.pk,
        )
        MoneyMovement.objects.filter(return_request=rr).update(due_on=due)
    # when staff open the list
    client.force_login(grader)
    html = body(client.get("/staff/returns/"))
    # then exactly the late one carries the overdue badge, in its own row
    assert html.count('data-testid="refund-overdue"') == 1
    late_row = html.split(late.reference)[1].split("</tr>")[0]
    assert "Refund overdue since" in late_row


def test_staff_detail_shows_internal_events_rules_photos_and_panels(
    client, manager, customer, order, setup
):
    first, _ = lines_of(order)
    rr = return_create(
        viewer=viewer_for_user(customer.user),
        order_id=order.pk,
        items=[
            ReturnItemInput(
                order_line_id=first.pk,
                quantity=1,
                reason_code="arrived-damaged",
                photos=(image_upload(),),
            )
        ],
    )
    ReturnEvent.objects.create(
        return_request=rr, kind="note", message="Internal: check serial", visible_to_customer=False
    )
    client.force_login(manager)
    resp = client.get(f"/staff/returns/{rr.pk}/")
    assert resp.status_code == 200
    page = text(resp)
    assert "Internal: check serial" in page and "internal" in page
    assert "Alice Example" in page and "alice@example.com" in page
    assert "This item can be returned." in page
    photo = ReturnPhoto.objects.get()
    assert f"/returns/{rr.reference}/photos/{photo.pk}/" in body(resp)
    assert client.get(f"/returns/{rr.reference}/photos/{photo.pk}/").status_code == 200
    assert 'id="shipping-panel"' in body(resp)
    assert 'id="warehouse-panel"' in body(resp)  # included because it exists
    assert client.get("/staff/returns/999999/").status_code == 404


def test_include_if_exists_renders_with_context_or_nothing():
    template = Template(
        '{% load rma_extras %}[{% include_if_exists "rma/_rules.html" %}]'
        '[{% include_if_exists "nope/_missing.html" %}]'
    )
    out = template.render(Context({"rules": [{"css": "fail", "text": "No <b>way</b>"}]}))
    assert '<li class="fail">No &lt;b&gt;way&lt;/b&gt;</li>' in out
    assert out.endswith("[]")


# --- 9. Home --------------------------------------------------------------------------
def test_home_offers_the_lookup_and_sign_in(client):
    resp = client.get("/")
    page = body(resp)
    assert 'action="/returns/start/"' in page and 'name="csrfmiddlewaretoken"' in page
    assert 'href="/accounts/login/"' in page


def test_home_links_staff_to_their_areas(client, manager, grader):
    client.force_login(manager)
    page = body(client.get("/"))
    assert 'href="/staff/review/"' in page and 'href="/reports/"' in page
    client.force_login(grader)
    page = body(client.get("/"))
    assert 'href="/staff/returns/"' in page and "Review queue" not in page
