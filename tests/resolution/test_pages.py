"""Staff pages: who may open them, and that each form calls its service (errors shown, no 500)."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from resolution.models import (
    CostEntry,
    Disposition,
    LiquidationLot,
    MoneyMovement,
    RefurbishmentJob,
    SupplierClaim,
)
from resolution.services import refund_request, return_resolve
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SupplierFactory,
    resolution_grade,
    resolution_return_make,
)

pytestmark = pytest.mark.django_db
PAGES = [
    "resolution:dashboard",
    "resolution:dispositions",
    "resolution:refurbishment",
    "resolution:liquidation",
    "resolution:claims",
]


def _login(client, user):
    client.force_login(user)
    return client


@pytest.mark.parametrize("name", [*PAGES, "resolution:goodwill"])
def test_anonymous_is_sent_to_sign_in(client, name):
    response = client.get(reverse(name))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", [*PAGES, "resolution:goodwill"])
def test_customers_and_warehouse_staff_are_refused(client, customer, grader, name):
    for user in (customer.user, grader):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", [*PAGES, "resolution:goodwill"])
def test_managers_open_every_page(client, manager, name):
    assert _login(client, manager).get(reverse(name)).status_code == 200


def test_the_dashboard_flags_overdue_refunds(client, manager, customer, policy):
    late = refund_request(
        customer_id=customer.pk, amount=D("10"), kind="refund", idempotency_key="late"
    )
    MoneyMovement.objects.filter(pk=late.pk).update(
        due_on=timezone.localdate() - timezone.timedelta(days=2)
    )
    refund_request(customer_id=customer.pk, amount=D("11"), kind="refund", idempotency_key="ok")
    html = _login(client, manager).get(reverse("resolution:dashboard")).content.decode()
    assert html.count('class="overdue"') == 1
    assert "Overdue" in html and "11.00 USD" in html


def test_failed_refunds_can_be_retried_from_the_dashboard(client, manager, customer, policy):
    failed = refund_request(
        customer_id=customer.pk, amount=D("10"), kind="refund", idempotency_key="f"
    )
    MoneyMovement.objects.filter(pk=failed.pk).update(status="failed", last_error="card expired")
    client = _login(client, manager)
    assert "card expired" in client.get(reverse("resolution:dashboard")).content.decode()
    client.post(reverse("resolution:movement_retry", args=[failed.pk]))
    assert MoneyMovement.objects.filter(idempotency_key="f:retry1").exists()


# --- Goodwill ------------------------------------------------------------------------------
@pytest.mark.parametrize("field", ["email", "order", "reason", "token"])
def test_goodwill_form_refuses_nul_characters_without_writing(client, manager, customer, field):
    # PostgreSQL cannot store a NUL: it must be a form error, not a database error (a 500)
    client = _login(client, manager)
    form = {"email": "alice@example.com", "as": "credit", "amount": "5.00", "reason": "Late"}
    form[field] = form.get(field, "") + "\x00x"
    resp = client.post(reverse("resolution:goodwill"), form)
    assert resp.status_code == 400
    assert "characters or a length we cannot keep" in resp.content.decode()
    assert not MoneyMovement.objects.exists()


def test_goodwill_credit_from_the_form_is_issued_once_per_form(client, manager, customer, policy):
    client = _login(client, manager)
    form = {
        "email": "ALICE@example.com",
        "as": "credit",
        "amount": "15.00",
        "reason": "Parcel arrived late",
        "token": "form-token-1",
    }
    assert client.post(reverse("resolution:goodwill"), form).status_code == 302
    assert client.post(reverse("resolution:goodwill"), form).status_code == 302  # double submit
    movement = MoneyMovement.objects.get()
    assert (movement.kind, movement.amount, movement.customer) == (
        "goodwill_credit",
        D("15.00"),
        customer,
    )
    assert movement.idempotency_key == "goodwill:form-token-1" and movement.created_by == manager


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"email": "nobody@example.com"}, "No customer has that email"),
        ({"amount": "abc"}, "Enter an amount"),
        ({"amount": "-5"}, "more than zero"),
        ({"reason": ""}, "Say why"),
        ({"as": "refund"}, "Choose the order"),
        ({"as": "refund", "order": "NOPE"}, "no order with this number"),
    ],
)
def test_goodwill_form_errors_are_shown_not_500(
    client, manager, customer, order, policy, change, message
):
    form = {"email": "alice@example.com", "as": "credit", "amount": "5", "reason": "Sorry"}
    response = _login(client, manager).post(reverse("resolution:goodwill"), {**form, **change})
    assert 400 <= response.status_code < 500
    assert message in response.content.decode()
    assert not MoneyMovement.objects.exists()


def test_a_goodwill_refund_cannot_exceed_what_the_order_paid(client, manager, order, policy):
    form = {
        "email": "alice@example.com",
        "as": "refund",
        "order": order.number,
        "amount": "120.01",  # the order paid 120.00
        "reason": "Broken promise",
    }
    response = _login(client, manager).post(reverse("resolution:goodwill"), form)
    assert response.status_code == 400 and "At most 120.00" in response.content.decode()
    form["amount"] = "120.00"
    assert client.post(reverse("resolution:goodwill"), form).status_code == 302
    assert MoneyMovement.objects.get().payment_reference == order.payment_reference


# --- One return and the queues ----------------------------------------------------------------
@pytest.fixture
def resolved(order, policy, django_capture_on_commit_callbacks):
    rr = resolution_return_make(order=order, status="graded", policy=policy)
    resolution_grade(rr, code="A")
    with django_capture_on_commit_callbacks(execute=True):
        return_resolve(return_id=rr.pk)
    return rr


def test_the_return_page_shows_outcome_money_dispositions_and_costs(client, manager, resolved):
    html = _login(client, manager).get(reverse("resolution:return", args=[resolved.pk])).content
    html = html.decode()
    assert "Refund to original payment" in html and "120.00 USD" in html
    assert "Succeeded" in html and "ldg_" in html
    assert html.count("<strong>Restock</strong>") == 2
    assert "Total costs" in html and "Recovered from the goods" in html


def test_override_from_the_page(client, manager, resolved):
    d = resolved.dispositions.first()
    client = _login(client, manager)
    url = reverse("resolution:disposition_override", args=[d.pk])
    client.post(url, {"route": "dispose", "reason": ""})
    assert Disposition.objects.get(pk=d.pk).route == "restock"  # no reason: refused
    client.post(url, {"route": "dispose", "reason": "Hygiene item"})
    d.refresh_from_db()
    assert (d.route, d.override_reason) == ("dispose", "Hygiene item")


def test_cs_minutes_from_the_page(client, manager, resolved):
    client = _login(client, manager)
    url = reverse("resolution:cs_minutes", args=[resolved.pk])
    client.post(url, {"minutes": "nope"})
    client.post(url, {"minutes": "20", "note": "Chat"})
    entry = CostEntry.objects.get(kind="customer_service")
    assert (entry.minutes, entry.amount, entry.note) == (D("20.00"), D("10.00"), "Chat")


def test_no_refund_from_the_page(client, manager, order, policy):
    rr = resolution_return_make(order=order, status="received", policy=policy)
    client = _login(client, manager)
    page = client.get(reverse("resolution:return", args=[rr.pk])).content.decode()
    assert "Resolve without a refund" in page
    client.post(
        reverse("resolution:no_refund", args=[rr.pk]), {"reason": "Not our item", "send_back": "1"}
    )
    rr.refresh_from_db()
    assert rr.status == "resolved" and rr.customer_outcome.kind == "no_refund"


def test_the_recovery_queues_work_from_their_pages(client, manager, customer, policy):
    from resolution.models import CategoryDispositionRate

    client = _login(client, manager)
    # a damaged item (refurbish), a drop-shipped one (liquidate), a defect (supplier)
    damaged = ProductFactory(price=D("100"))
    dropship = ProductFactory(price=D("100"), supplier__is_dropship=True)
    supplier = SupplierFactory(accepts_returns_for_credit=True, credit_rate_percent=D("90"))
    rtv = ProductFactory(price=D("100"), unit_cost=D("60"), supplier=supplier)
    CategoryDispositionRate.objects.create(category=rtv.category, refurbishable=False)
    from tests.factories import warehouse_reason_make

    for product, code, reason in (
        (damaged, "C", None),
        (dropship, "B", None),
        (rtv, "D", warehouse_reason_make("defective", fault=True, defect=True)),
    ):
        o = OrderFactory(customer=customer)
        OrderLineFactory(order=o, line_number=1, product=product)
        rr = resolution_return_make(order=o, status="graded", policy=policy, reason=reason)
        resolution_grade(rr, code=code)
        return_resolve(return_id=rr.pk)

    job = RefurbishmentJob.objects.get()
    assert damaged.name in client.get(reverse("resolution:refurbishment")).content.decode()
    client.post(
        reverse("resolution:refurbishment_complete", args=[job.pk]), {"result": "restocked"}
    )
    job.refresh_from_db()
    assert job.status == "restocked"

    lot = LiquidationLot.objects.get()
    assert dropship.name in client.get(reverse("resolution:liquidation")).content.decode()
    client.post(reverse("resolution:liquidation_sell", args=[lot.pk]), {"buyer": "", "amount": "9"})
    lot.refresh_from_db()
    assert lot.status == "open"  # no buyer: refused
    client.post(
        reverse("resolution:liquidation_sell", args=[lot.pk]), {"buyer": "B&M", "amount": "19.50"}
    )
    lot.refresh_from_db()
    assert (lot.status, lot.sold_amount) == ("sold", D("19.50"))

    claim = SupplierClaim.objects.get()
    assert rtv.name in client.get(reverse("resolution:claims")).content.decode()
    client.post(reverse("resolution:claim_ship", args=[claim.pk]), {"tracking": "1ZABC"})
    client.post(
        reverse("resolution:claim_credit", args=[claim.pk]), {"amount": "54", "credit_note": "CN9"}
    )
    claim.refresh_from_db()
    assert (claim.status, claim.credited_amount) == ("credited", D("54.00"))


def test_posting_to_a_missing_object_is_404(client, manager):
    client = _login(client, manager)
    assert (
        client.post(reverse("resolution:claim_ship", args=[999]), {"tracking": "X1"}).status_code
        == 404
    )
    assert client.get(reverse("resolution:return", args=[999])).status_code == 404


def test_the_return_page_reads_each_dispositions_product_once(client, manager, resolved):
    _login(client, manager)
    with CaptureQueriesContext(connection) as ctx:
        page = client.get(reverse("resolution:return", args=[resolved.pk]))
    assert page.status_code == 200
    product_reads = [q for q in ctx.captured_queries if 'FROM "catalog_product"' in q["sql"]]
    assert len(product_reads) == 1  # two dispositions, one prefetch (not one per row)
