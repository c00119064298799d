"""Returns API end to end: quote, create (approve / decline / review), read, review, cancel."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rma.models import ReturnPhoto, ReturnRequest
from rma.services import return_create
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    api_pricey_order,
)
from tests.rma.conftest import image_upload

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"


def body(order, *items, **extra):
    return {"order_id": order.pk, "items": list(items), **extra}


def line_item(line, qty=1, reason="changed-mind", **kw):
    return {"order_line_id": line.pk, "quantity": qty, "reason_code": reason, **kw}


def first_line(order):
    return order.lines.order_by("line_number").first()


@pytest.fixture
def alice_api(api_client, customer):
    api_client.force_authenticate(customer.user)
    return api_client


@pytest.fixture
def manager_api(manager):
    client = APIClient()
    client.force_authenticate(manager)
    return client


@pytest.fixture
def pending(customer, alice, reasons, policy):
    """Alice's return waiting in manual review (worth more than the auto-approval limit)."""
    order = api_pricey_order(customer=customer)
    rr = return_create(
        viewer=alice,
        order_id=order.pk,
        items=[_service_item(first_line(order))],
    )
    assert rr.status == "pending_review"
    return rr


def _service_item(line, qty=1, reason="changed-mind"):
    from rma.services import ReturnItemInput

    return ReturnItemInput(order_line_id=line.pk, quantity=qty, reason_code=reason)


# --- Quote ---------------------------------------------------------------------------
def test_quote_previews_the_decision_and_money_without_writing(alice_api, order, reasons, policy):
    # given alice's delivered order (line 1: 2 × $40)
    # when she asks what returning one would give, by order number and line number
    response = alice_api.post(
        f"{RETURNS}quote/",
        {
            "order_number": order.number.lower(),
            "items": [{"line_number": 1, "quantity": 1, "reason_code": "changed-mind"}],
        },
        format="json",
    )
    # then the policy approves, explains each rule, and prices it; nothing is stored
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["decision"] == "approve"
    assert data["policy_version"] == policy.version
    assert data["money"] == {
        "currency": "USD",
        "items_value": "40.00",
        "restocking_fee": "4.00",
        "label_payer": "customer",
        "label_fee": "6.95",
        "store_credit_bonus": "0.00",
        "expected_refund": "29.05",
        "refund_without_return": False,
    }
    window = next(r for r in data["rules"] if r["code"] == "window")
    assert window["passed"] is True
    assert window["message"] == "Inside the 30-day window: delivered 10 days ago"
    assert data["lines"] == [
        {
            "order_line_id": first_line(order).pk,
            "quantity": 1,
            "unit_price": "40.00",
            "value": "40.00",
            "restocking_fee": "4.00",
            "expected_refund": "36.00",
        }
    ]
    assert data["reasons"] and data["summary"]
    assert ReturnRequest.objects.count() == 0


def test_quote_of_a_return_outside_the_window_says_why_it_would_be_declined(
    alice_api, customer, reasons, policy
):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, delivered_at=timezone.now() - dt.timedelta(days=41))
    response = alice_api.post(f"{RETURNS}quote/", body(order, line_item(line)), format="json")
    assert response.status_code == 200
    assert response.json()["decision"] == "decline"
    assert response.json()["reasons"] == [
        f"{line.product.name}: Outside the 30-day window: delivered 41 days ago"
    ]


# --- Create --------------------------------------------------------------------------
def test_create_approved_return_gets_an_rma_number(alice_api, order, customer, reasons, policy):
    # given alice's order
    line = first_line(order)
    # when she files a return of one unit through the API
    response = alice_api.post(
        RETURNS, body(order, line_item(line, note="  too big ")), format="json"
    )
    # then it is created, approved under the policy, with its RMA number and money
    assert response.status_code == 201, response.json()
    data = response.json()
    rr = ReturnRequest.objects.get()
    assert response["Location"].endswith(f"{RETURNS}{rr.pk}/")
    assert data["id"] == rr.pk
    assert data["status"] == "approved" and data["decision"] == "approve"
    assert data["rma_number"] == f"RMA-{timezone.localdate().year}-{rr.pk:06d}"
    assert data["reference"] == data["rma_number"]
    assert data["channel"] == "api"
    assert data["money"]["expected_refund"] == "29.05"
    assert data["order"] == {"id": order.pk, "number": order.number}
    assert data["customer"]["id"] == customer.pk
    assert data["policy_version"] == policy.version
    assert data["actions"] == ["cancel"]
    (api_line,) = data["lines"]
    assert api_line | {"id": None} == {
        "id": None,
        "order_line_id": line.pk,
        "line_number": 1,
        "sku": line.product.sku,
        "product_name": line.product.name,
        "quantity": 1,
        "reason_code": "changed-mind",
        "reason_label": "Changed my mind",
        "customer_note": "too big",
        "exchange_sku": None,
        "unit_price": "40.00",
        "restocking_fee": "4.00",
        "expected_refund": "36.00",
        "photo_count": 0,
    }
    assert any(r["code"] == "window" and r["passed"] for r in data["rules"])
    # and the audit trail records alice filing it
    assert rr.created_by == customer.user
    assert rr.events.filter(to_status="requested", actor=customer.user).exists()


def test_create_declined_return_carries_the_reasons(alice_api, customer, reasons, policy):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, delivered_at=timezone.now() - dt.timedelta(days=41))
    response = alice_api.post(RETURNS, body(order, line_item(line)), format="json")
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "declined" and data["decision"] == "decline"
    assert data["rma_number"] is None and data["reference"] == f"REQ-{data['id']:06d}"
    assert "Outside the 30-day window" in data["decision_summary"]
    assert any(r["code"] == "window" and not r["passed"] for r in data["rules"])
    assert data["actions"] == []


def test_create_above_the_value_limit_waits_for_review(alice_api, customer, reasons, policy):
    order = api_pricey_order(customer=customer)
    response = alice_api.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    assert response.status_code == 201
    assert response.json()["status"] == "pending_review"
    assert response.json()["decision"] == "review"
    assert response.json()["actions"] == ["cancel"]  # alice may not review her own


def test_create_exchange_by_sku(alice_api, customer, reasons, policy):
    shirt = ProductFactory(family="tee", variant="M", stock_on_hand=0)
    bigger = ProductFactory(family="tee", variant="L", stock_on_hand=5)
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, product=shirt)
    response = alice_api.post(
        RETURNS,
        body(
            order,
            line_item(line, reason="too-small", exchange_sku=bigger.sku),
            kind="exchange",
            preferred_outcome="exchange",
        ),
        format="json",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["kind"] == "exchange"
    assert response.json()["lines"][0]["exchange_sku"] == bigger.sku
    unknown = alice_api.post(
        RETURNS,
        body(order, line_item(line, exchange_sku="NOPE"), preferred_outcome="exchange"),
        format="json",
    )
    assert unknown.status_code == 400
    assert "items[0].exchange_sku" in unknown.json()


def test_create_with_photos_as_multipart(alice_api, order, reasons, policy, settings, tmp_path):
    # given a reason that needs a photo
    line = first_line(order)
    payload = json.dumps(body(order, line_item(line, reason="arrived-damaged")))
    # when it is filed without one, it is refused with the reason
    without = alice_api.post(RETURNS, {"payload": payload}, format="multipart")
    assert without.status_code == 400
    assert "items[0].photos" in without.json()
    # when a PNG is attached as items[0].photos, it is stored with the return
    response = alice_api.post(
        RETURNS,
        {"payload": payload, "items[0].photos": [image_upload(), image_upload("b.jpg", "JPEG")]},
        format="multipart",
    )
    assert response.status_code == 201, response.json()
    assert response.json()["lines"][0]["photo_count"] == 2
    assert ReturnPhoto.objects.filter(line__return_request_id=response.json()["id"]).count() == 2


def test_create_refuses_bad_photos_and_stray_files(alice_api, order, reasons, policy):
    from django.core.files.uploadedfile import SimpleUploadedFile

    line = first_line(order)
    payload = json.dumps(body(order, line_item(line, reason="arrived-damaged")))
    fake = SimpleUploadedFile("x.png", b"<?php echo 1; ?>", content_type="image/png")
    bad = alice_api.post(
        RETURNS, {"payload": payload, "items[0].photos": [fake]}, format="multipart"
    )
    assert bad.status_code == 400
    assert "not a JPEG, PNG, WebP or HEIC" in bad.json()["detail"]
    stray = alice_api.post(
        RETURNS, {"payload": payload, "evil": [image_upload()]}, format="multipart"
    )
    assert stray.status_code == 400 and "evil" in stray.json()
    beyond = alice_api.post(
        RETURNS, {"payload": payload, "items[3].photos": [image_upload()]}, format="multipart"
    )
    assert beyond.status_code == 400
    junk = alice_api.post(RETURNS, {"payload": "{nope"}, format="multipart")
    assert junk.status_code == 400 and "payload" in junk.json()
    assert ReturnRequest.objects.count() == 0


def test_quantities_are_checked_against_what_is_left(alice_api, order, reasons, policy):
    line = first_line(order)  # 2 bought
    too_many = alice_api.post(RETURNS, body(order, line_item(line, qty=3)), format="json")
    assert too_many.status_code == 400
    assert too_many.json()["items[0].quantity"] == [
        f"You can return at most 2 of {line.product.name}."
    ]
    assert (
        alice_api.post(RETURNS, body(order, line_item(line, qty=2)), format="json").status_code
        == 201
    )
    again = alice_api.post(RETURNS, body(order, line_item(line, qty=1)), format="json")
    assert again.status_code == 400
    assert again.json()["detail"] == "This item has already been returned."


def test_field_errors_name_the_field(alice_api, order, reasons, policy):
    line = first_line(order)
    response = alice_api.post(
        RETURNS,
        {"order_id": order.pk, "items": [{"order_line_id": line.pk, "quantity": -1}]},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["items"]["0"]  # by the item's index
    assert set(errors) == {"quantity", "reason_code"}
    both = alice_api.post(
        RETURNS,
        {"order_id": order.pk, "order_number": order.number, "items": [line_item(line)]},
        format="json",
    )
    assert both.status_code == 400
    assert both.json()["non_field_errors"] == ["Give either order_id or order_number."]
    unknown_line = alice_api.post(
        RETURNS,
        body(order, {"line_number": 9, "quantity": 1, "reason_code": "changed-mind"}),
        format="json",
    )
    assert unknown_line.status_code == 400
    assert "items[0].line_number" in unknown_line.json()


def test_staff_file_a_return_for_a_customer(manager_api, manager, order, reasons, policy):
    response = manager_api.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    assert response.status_code == 201
    rr = ReturnRequest.objects.get()
    assert rr.customer == order.customer and rr.created_by == manager
    assert rr.events.get(to_status="requested").actor_kind == "staff"


# --- Read ----------------------------------------------------------------------------
def test_detail_and_by_reference(alice_api, order, reasons, policy):
    created = alice_api.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    data = created.json()
    detail = alice_api.get(f"{RETURNS}{data['id']}/")
    assert detail.status_code == 200 and detail.json() == data
    by_rma = alice_api.get(f"{RETURNS}by-reference/{data['rma_number'].lower()}/")
    assert by_rma.status_code == 200 and by_rma.json()["id"] == data["id"]
    by_req = alice_api.get(f"{RETURNS}by-reference/REQ-{data['id']:06d}/")
    assert by_req.status_code == 200 and by_req.json()["id"] == data["id"]
    assert alice_api.get(f"{RETURNS}by-reference/RMA-2026-999999/").status_code == 404
    assert alice_api.get(f"{RETURNS}by-reference/nonsense/").status_code == 404
    assert alice_api.get(f"{RETURNS}999999/").status_code == 404


def test_events_hide_internal_notes_and_details_from_customers(
    alice_api, manager_api, order, reasons, policy
):
    from rma.events import event_record

    created = alice_api.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    rr = ReturnRequest.objects.get(pk=created.json()["id"])
    event_record(
        return_request=rr,
        kind="note",
        message="Checked fraud score",
        details={"score": 3},
        visible_to_customer=False,
    )
    mine = alice_api.get(f"{RETURNS}{rr.pk}/events/").json()
    staff = manager_api.get(f"{RETURNS}{rr.pk}/events/").json()
    assert "Checked fraud score" not in [e["message"] for e in mine]
    assert [e["to_status"] for e in mine if e["kind"] == "status"] == ["requested", "approved"]
    assert all(e["details"] == {} and e["actor"] is None for e in mine)
    note = next(e for e in staff if e["message"] == "Checked fraud score")
    assert note["details"] == {"score": 3} and note["visible_to_customer"] is False
    requested = next(e for e in staff if e["to_status"] == "requested")
    assert requested["actor"] == "alice" and requested["actor_kind"] == "customer"


# --- Review and cancel ---------------------------------------------------------------
def test_manager_approves_a_return_in_review(manager_api, manager, pending):
    detail = manager_api.get(f"{RETURNS}{pending.pk}/").json()
    assert detail["actions"] == ["cancel", "approve", "decline"]
    missing_reason = manager_api.post(f"{RETURNS}{pending.pk}/approve/", {}, format="json")
    assert missing_reason.status_code == 400 and "reason" in missing_reason.json()
    response = manager_api.post(
        f"{RETURNS}{pending.pk}/approve/", {"reason": "Loyal customer"}, format="json"
    )
    assert response.status_code == 200, response.json()
    data = response.json()
    assert data["status"] == "approved"
    assert data["rma_number"] == f"RMA-{timezone.localdate().year}-{pending.pk:06d}"
    assert data["decision_summary"] == "Approved by our team: Loyal customer"
    event = pending.events.get(to_status="approved")
    assert (event.actor, event.actor_kind, event.message) == (manager, "staff", "Loyal customer")
    # approving twice is a conflict, not a second approval
    again = manager_api.post(f"{RETURNS}{pending.pk}/approve/", {"reason": "x"}, format="json")
    assert again.status_code == 409
    assert again.json()["code"] == "illegal_transition"


def test_manager_declines_a_return_in_review(manager_api, pending):
    response = manager_api.post(
        f"{RETURNS}{pending.pk}/decline/", {"reason": "Worn and washed"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["status"] == "declined"
    assert response.json()["decision_summary"] == "Declined by our team: Worn and washed"
    assert response.json()["rma_number"] is None


def test_owner_cancels_then_cannot_cancel_again(alice_api, pending):
    response = alice_api.post(f"{RETURNS}{pending.pk}/cancel/", {}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "cancelled" and response.json()["actions"] == []
    event = pending.events.get(to_status="cancelled")
    assert event.actor_kind == "customer" and event.message == "Cancelled at your request."
    again = alice_api.post(f"{RETURNS}{pending.pk}/cancel/", {"reason": "x"}, format="json")
    assert again.status_code == 409


# --- Reference data ------------------------------------------------------------------
def test_reasons_lists_the_active_ones_in_order(api_client, reasons):
    ReturnReasonFactory(code="retired", label="Retired", is_active=False)
    response = api_client.get("/api/v1/reasons/")
    assert response.status_code == 200
    assert [r["code"] for r in response.json()] == [
        "changed-mind",
        "too-small",
        "defective",
        "arrived-damaged",
        "wrong-item-sent",
    ]
    assert response.json()[2] == {
        "code": "defective",
        "label": "Defective or stopped working",
        "is_merchant_fault": True,
        "is_defect": True,
        "requires_photo": True,
    }


def test_returnable_lines_of_an_order(alice_api, order, reasons, policy):
    alice_api.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    response = alice_api.get(f"/api/v1/orders/{order.pk}/returnable-lines/")
    assert response.status_code == 200
    data = response.json()
    assert data["order"] == {"id": order.pk, "number": order.number}
    first, second = data["lines"]
    assert (first["line_number"], first["bought"], first["already_returned"]) == (1, 2, 1)
    assert first["returnable_quantity"] == 1 and first["can_return"] is True
    assert first["window_days"] == 30 and first["inside_window"] is True
    assert second["returnable_quantity"] == 1
    assert Decimal(first["unit_price"]) == first_line(order).unit_price
    assert alice_api.get("/api/v1/orders/999999/returnable-lines/").status_code == 404


# --- Authentication ------------------------------------------------------------------
def test_token_authentication(order, customer, reasons, policy):
    token = Token.objects.create(user=customer.user)
    client = APIClient()
    assert client.get(RETURNS).status_code == 401
    assert client.get(RETURNS).headers["WWW-Authenticate"] == "Token"
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert client.get(RETURNS).status_code == 200
    created = client.post(RETURNS, body(order, line_item(first_line(order))), format="json")
    assert created.status_code == 201
    client.credentials(HTTP_AUTHORIZATION="Token not-a-token")
    assert client.get(RETURNS).status_code == 401


def test_session_authentication_needs_the_csrf_token(order, customer, reasons, policy):
    client = APIClient(enforce_csrf_checks=True)
    assert client.login(username="alice", password="pass-word-123")
    assert client.get(RETURNS).status_code == 200
    payload = body(order, line_item(first_line(order)))
    refused = client.post(RETURNS, payload, format="json")
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert ReturnRequest.objects.count() == 0
    page = client.get(reverse("login"))  # any page that sets the CSRF cookie
    csrf = page.cookies["csrftoken"].value
    accepted = client.post(RETURNS, payload, format="json", HTTP_X_CSRFTOKEN=csrf)
    assert accepted.status_code == 201
