"""Who may open which return page: owners, proven guests, other customers, staff roles,
anonymous visitors; and CSRF on every form."""

import pytest
from django.core.cache import cache
from django.test import Client

from catalog.identity import viewer_for_user
from rma.models import ReturnPhoto, ReturnRequest
from rma.services import ReturnItemInput, return_create
from rma.states import ReturnStatus
from tests.factories import OrderFactory, OrderLineFactory, pages_return_make
from tests.rma.conftest import image_upload

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def mallorys_return(other_customer, other_order, reasons, policy):
    """Mallory's approved return with a photo."""
    line = other_order.lines.get()
    rr = return_create(
        viewer=viewer_for_user(other_customer.user),
        order_id=other_order.pk,
        items=[
            ReturnItemInput(
                order_line_id=line.pk,
                quantity=1,
                reason_code="arrived-damaged",
                photos=(image_upload(),),
            )
        ],
    )
    assert rr.status == ReturnStatus.APPROVED
    return rr


@pytest.fixture
def pending_return(customer, reasons, policy):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_number=1, unit_price="650.00")
    rr = pages_return_make(viewer=viewer_for_user(customer.user), line=line)
    assert rr.status == ReturnStatus.PENDING_REVIEW
    return rr


def mallory_urls(rr) -> list[str]:
    photo = ReturnPhoto.objects.get(line__return_request=rr)
    return [
        f"/orders/{rr.order_id}/return/",
        f"/returns/{rr.pk}/",
        f"/returns/{rr.reference}/",
        f"/returns/REQ-{rr.pk:06d}/",
        f"/returns/{rr.reference}/submitted/",
        f"/returns/{rr.reference}/cancel/",
        f"/returns/{rr.reference}/photos/{photo.pk}/",
    ]


def test_alice_cannot_see_or_cancel_mallorys_order_returns_or_photos(
    client, customer, order, mallorys_return
):
    # given alice signed in (with an order and a return of her own)
    client.force_login(customer.user)
    # when she tries every page of mallory's return, by id, RMA number and request reference
    for url in mallory_urls(mallorys_return):
        # then each one is a plain 404, as if it did not exist
        assert client.get(url).status_code == 404, url
    assert client.post(f"/returns/{mallorys_return.reference}/cancel/").status_code == 404
    assert (
        client.post(
            f"/orders/{mallorys_return.order_id}/return/",
            {"kind": "standard", "action": "submit"},
        ).status_code
        == 404
    )
    mallorys_return.refresh_from_db()
    assert mallorys_return.status == ReturnStatus.APPROVED


def test_alice_sees_nothing_of_mallory_in_her_lists(client, customer, mallorys_return):
    client.force_login(customer.user)
    assert mallorys_return.reference not in client.get("/my/returns/").content.decode()
    assert mallorys_return.order.number not in client.get("/my/orders/").content.decode()


def test_a_guest_sees_only_the_order_they_proved(client, order, mallorys_return):
    # given a guest who proved alice's order by number + email
    resp = client.post("/returns/start/", {"number": order.number, "email": "alice@example.com"})
    assert resp.status_code == 302
    assert client.get(f"/orders/{order.pk}/return/").status_code == 200
    # then mallory's order, returns and photos stay hidden
    for url in mallory_urls(mallorys_return):
        assert client.get(url).status_code == 404, url


def test_a_guest_can_follow_and_cancel_the_return_they_filed(client, order, reasons, policy):
    client.post("/returns/start/", {"number": order.number, "email": "alice@example.com"})
    line = order.lines.order_by("line_number").first()
    resp = client.post(
        f"/orders/{order.pk}/return/",
        {
            "kind": "standard",
            "preferred_outcome": "refund",
            "action": "submit",
            f"line_{line.pk}_pick": "on",
            f"line_{line.pk}_qty": "1",
            f"line_{line.pk}_reason": "changed-mind",
        },
    )
    rr = ReturnRequest.objects.get()
    assert resp["Location"] == f"/returns/{rr.reference}/submitted/"
    assert rr.created_by is None and rr.customer == order.customer
    assert client.get(f"/returns/{rr.reference}/").status_code == 200
    cancelled = client.post(f"/returns/{rr.reference}/cancel/", follow=True)
    rr.refresh_from_db()
    assert rr.status == ReturnStatus.CANCELLED, cancelled.content.decode()
    # a fresh browser (no proof) gets sent to prove the order first
    stranger = Client()
    bounced = stranger.get(f"/returns/{rr.reference}/")
    assert bounced.status_code == 302
    assert bounced["Location"].startswith("/returns/start/?next=")


def test_anonymous_visitors_are_sent_to_find_their_order(client, mallorys_return):
    for url in mallory_urls(mallorys_return)[:-1]:
        resp = client.get(url)
        assert resp.status_code == 302, url
        assert resp["Location"].startswith("/returns/start/?next="), url
    # a photo is never a redirect target: just not there
    assert client.get(mallory_urls(mallorys_return)[-1]).status_code == 404
    assert client.post(f"/returns/{mallorys_return.reference}/cancel/").status_code == 302
    mallorys_return.refresh_from_db()
    assert mallorys_return.status == ReturnStatus.APPROVED


STAFF_PAGES = ["/staff/review/", "/staff/returns/", "/staff/returns/{rr}/"]


def test_customers_get_403_on_staff_pages(client, customer, pending_return):
    client.force_login(customer.user)
    for url in STAFF_PAGES:
        assert client.get(url.format(rr=pending_return.pk)).status_code == 403, url
    resp = client.post(
        f"/staff/review/{pending_return.pk}/decide/", {"action": "approve", "reason": "mine"}
    )
    assert resp.status_code == 403
    pending_return.refresh_from_db()
    assert pending_return.status == ReturnStatus.PENDING_REVIEW


def test_anonymous_is_sent_to_sign_in_for_staff_pages(client, pending_return):
    for url in STAFF_PAGES:
        resp = client.get(url.format(rr=pending_return.pk))
        assert resp.status_code == 302 and resp["Location"].startswith("/accounts/login/")


def test_grader_sees_returns_but_cannot_review(client, grader, pending_return):
    client.force_login(grader)
    assert client.get("/staff/returns/").status_code == 200
    detail = client.get(f"/staff/returns/{pending_return.pk}/")
    assert detail.status_code == 200
    assert "Approve" not in detail.content.decode()  # no review form for a grader
    assert client.get("/staff/review/").status_code == 403
    resp = client.post(
        f"/staff/review/{pending_return.pk}/decide/", {"action": "approve", "reason": "ok"}
    )
    assert resp.status_code == 403
    pending_return.refresh_from_db()
    assert pending_return.status == ReturnStatus.PENDING_REVIEW


def test_manager_can_review(client, manager, pending_return):
    client.force_login(manager)
    assert client.get("/staff/review/").status_code == 200
    client.post(f"/staff/review/{pending_return.pk}/decide/", {"action": "approve", "reason": "ok"})
    pending_return.refresh_from_db()
    assert pending_return.status == ReturnStatus.APPROVED


def test_staff_may_open_customer_photos(client, grader, mallorys_return):
    client.force_login(grader)
    url = mallory_urls(mallorys_return)[-1]
    assert client.get(url).status_code == 200


def test_photo_ids_of_another_return_are_not_served_under_mine(
    client, customer, order, mallorys_return, reasons, policy
):
    mine = pages_return_make(
        viewer=viewer_for_user(customer.user), line=order.lines.order_by("line_number")[0]
    )
    theirs = ReturnPhoto.objects.get(line__return_request=mallorys_return)
    client.force_login(customer.user)
    assert client.get(f"/returns/{mine.reference}/photos/{theirs.pk}/").status_code == 404


# --- CSRF -----------------------------------------------------------------------------
def test_every_form_refuses_a_post_without_the_csrf_token(customer, manager, pending_return):
    csrf_client = Client(enforce_csrf_checks=True)
    order = pending_return.order
    assert (
        csrf_client.post(
            "/returns/start/", {"number": order.number, "email": "alice@example.com"}
        ).status_code
        == 403
    )
    csrf_client.force_login(customer.user)
    for url in (f"/orders/{order.pk}/return/", f"/returns/{pending_return.reference}/cancel/"):
        assert csrf_client.post(url, {"action": "submit"}).status_code == 403, url
    csrf_client.force_login(manager)
    resp = csrf_client.post(
        f"/staff/review/{pending_return.pk}/decide/", {"action": "approve", "reason": "ok"}
    )
    assert resp.status_code == 403
    pending_return.refresh_from_db()
    assert pending_return.status == ReturnStatus.PENDING_REVIEW


def test_the_form_works_with_its_csrf_token(customer, pending_return):
    csrf_client = Client(enforce_csrf_checks=True)
    csrf_client.force_login(customer.user)
    page = csrf_client.get(f"/returns/{pending_return.reference}/cancel/")
    token = page.context["csrf_token"]
    resp = csrf_client.post(
        f"/returns/{pending_return.reference}/cancel/", {"csrfmiddlewaretoken": str(token)}
    )
    assert resp.status_code == 302
    pending_return.refresh_from_db()
    assert pending_return.status == ReturnStatus.CANCELLED


def test_rate_limit_counts_per_ip_across_sessions(order, reasons, policy):
    for _ in range(10):
        Client(REMOTE_ADDR="10.1.2.3").post("/returns/start/", {"number": "X", "email": "a@b.cd"})
    blocked = Client(REMOTE_ADDR="10.1.2.3").post(
        "/returns/start/", {"number": order.number, "email": "alice@example.com"}
    )
    assert blocked.status_code == 429
    other_ip = Client(REMOTE_ADDR="10.9.9.9").post(
        "/returns/start/", {"number": order.number, "email": "alice@example.com"}
    )
    assert other_ip.status_code == 302


HUGE = "9" * 30


@pytest.mark.parametrize(
    "url",
    [
        f"/orders/{HUGE}/return/",
        f"/returns/{HUGE}/",
        "/returns/REQ-999999999999/",
        "/returns/RMA-2026-999999999999/",
        "/returns/%00%27%22/",
        f"/returns/RMA-2026-000001/photos/{HUGE}/",
        f"/staff/returns/{HUGE}/",
        "/staff/returns/?page=999999&created_after=0001-01-01&product=%27--",
        "/my/returns/?page=-5",
    ],
)
def test_junk_ids_and_params_are_4xx_never_500(client, customer, manager, url):
    for user in (customer.user, manager):
        client.force_login(user)
        assert client.get(url).status_code in (200, 403, 404), (user, url)
    resp = client.post(f"/staff/review/{HUGE}/decide/", {"action": "approve", "reason": "x"})
    assert resp.status_code == 404
