"""Return services: create (with the policy decision), staff review, cancel, policy versions."""

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from catalog.identity import Viewer, viewer_for_user
from catalog.models import Product
from returns_portal.errors import DomainError, IllegalTransition, NotFound, PermissionDenied
from rma import selectors
from rma.models import (
    PolicyListEntry,
    ReturnEvent,
    ReturnLine,
    ReturnPhoto,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
)
from rma.services import (
    ReturnItemInput,
    policy_active_or_default,
    policy_publish,
    return_approve,
    return_cancel,
    return_create,
    return_decline,
    return_quote,
)
from rma.shipping.models import Shipment
from rma.states import ReturnStatus
from rma.transitions import return_transition
from tests.factories import CategoryFactory, OrderFactory, OrderLineFactory, ProductFactory
from tests.rma.conftest import image_upload

pytestmark = pytest.mark.django_db


def item(line, qty=1, reason="changed-mind", **kw):
    return ReturnItemInput(order_line_id=line.pk, quantity=qty, reason_code=reason, **kw)


def first_line(order):
    return order.lines.order_by("line_number").first()


@pytest.fixture
def pricey_order(customer):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, unit_price=Decimal("650.00"))
    return order


# --- Create: the three decisions ---------------------------------------------------------
def test_create_inside_the_window_is_approved_with_an_rma_number_and_a_shipment(
    order, alice, customer, reasons, policy
):
    # given alice's delivered order (2 × $40 on line 1)
    line = first_line(order)
    # when she returns one because she changed her mind
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(line, note=" too big ")])
    # then it is approved under policy v1 with an RMA number and the money stored per line
    rr.refresh_from_db()
    assert rr.status == "approved"
    assert rr.rma_number == f"RMA-{timezone.localdate().year}-{rr.pk:06d}"
    assert rr.reference == rr.rma_number
    assert rr.policy == policy and rr.decision == "approve"
    assert (rr.items_value, rr.restocking_fee, rr.label_fee, rr.expected_refund) == (
        Decimal("40.00"),
        Decimal("4.00"),
        Decimal("6.95"),
        Decimal("29.05"),
    )
    assert rr.label_payer == "customer" and rr.created_by == customer.user
    (rl,) = rr.lines.all()
    assert (rl.quantity, rl.unit_price, rl.restocking_fee, rl.expected_refund) == (
        1,
        line.unit_price,
        Decimal("4.00"),
        Decimal("36.00"),
    )
    assert rl.customer_note == "too big"
    assert {
        "code": "window",
        "passed": True,
        "outcome": "approve",
        "message": "Inside the 30-day window: delivered 10 days ago",
        "subject": line.product.name,
    } in rr.decision_rules
    # and the audit trail says who moved it where
    events = list(
        rr.events.filter(kind="status").values_list(
            "from_status", "to_status", "actor_kind", "actor_id"
        )
    )
    assert events == [
        ("", "requested", "customer", customer.user.pk),
        ("requested", "approved", "system", None),
    ]
    # and the approval hook planned the parcel
    assert Shipment.objects.filter(return_request=rr).exists()


def test_create_outside_the_window_is_declined_with_the_reason(customer, alice, reasons, policy):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, delivered_at=timezone.now() - dt.timedelta(days=41))
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(line)])
    assert rr.status == "declined"
    assert rr.rma_number is None and rr.reference == f"REQ-{rr.pk:06d}"
    assert "Outside the 30-day window: delivered 41 days ago" in rr.decision_summary
    declined = rr.events.get(to_status="declined")
    assert "Outside the 30-day window" in declined.message
    assert not Shipment.objects.filter(return_request=rr).exists()


def test_create_above_the_value_limit_waits_for_review(pricey_order, alice, reasons, policy):
    rr = return_create(
        viewer=alice, order_id=pricey_order.pk, items=[item(first_line(pricey_order))]
    )
    assert rr.status == "pending_review" and rr.decision == "review"
    assert rr.rma_number is None
    assert list(selectors.review_queue()) == [rr]


def test_block_list_declines_and_serial_returner_reviews(order, alice, customer, reasons, policy):
    PolicyListEntry.objects.create(
        list_kind="serial_returner", match_on="email", value=customer.email.upper()
    )
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    assert rr.status == "pending_review"
    PolicyListEntry.objects.create(list_kind="block", match_on="order", value=order.number)
    line2 = order.lines.get(line_number=2)
    rr2 = return_create(viewer=alice, order_id=order.pk, items=[item(line2)])
    assert rr2.status == "declined"


def test_frequent_returner_goes_to_review(customer, alice, reasons):
    policy_publish(actor=None, max_returns_in_period=2)
    statuses = []
    for _ in range(3):
        order = OrderFactory(customer=customer)
        line = OrderLineFactory(order=order)
        statuses.append(return_create(viewer=alice, order_id=order.pk, items=[item(line)]).status)
    assert statuses == ["approved", "approved", "pending_review"]


def test_cheap_item_is_refunded_without_return_and_no_parcel_is_planned(
    customer, alice, reasons, policy
):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, unit_price=Decimal("9.99"))
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(line)])
    assert rr.events.filter(from_status="requested", to_status="approved").exists()
    # the approval hook hands it to resolution, which resolves it without a parcel
    assert rr.status in {"approved", "resolved"} and rr.refund_without_return
    assert rr.label_payer == "none" and rr.expected_refund == Decimal("9.99")
    assert not Shipment.objects.filter(return_request=rr).exists()


def test_quote_writes_nothing(order, alice, reasons, policy):
    quote = return_quote(viewer=alice, order_id=order.pk, items=[item(first_line(order), qty=2)])
    assert quote.decision == "approve" and quote.items_value == Decimal("80.00")
    assert ReturnRequest.objects.count() == 0 and ReturnEvent.objects.count() == 0


# --- Create: validation ------------------------------------------------------------------
def test_another_customers_order_is_not_found(other_order, alice, reasons, policy):
    with pytest.raises(NotFound):
        return_create(viewer=alice, order_id=other_order.pk, items=[item(first_line(other_order))])
    with pytest.raises(NotFound):
        return_quote(viewer=alice, order_id=other_order.pk, items=[item(first_line(other_order))])
    with pytest.raises(NotFound):
        return_create(viewer=Viewer(), order_id=other_order.pk, items=[])
    assert ReturnRequest.objects.count() == 0


def test_a_line_of_another_order_is_refused(order, other_order, alice, reasons, policy):
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[item(first_line(other_order))])
    assert err.value.field == "items[0].order_line_id"


def test_guest_who_proved_the_order_can_return_it(order, reasons, policy):
    guest = Viewer(guest_order_ids=frozenset({order.pk}))
    rr = return_create(viewer=guest, order_id=order.pk, items=[item(first_line(order))])
    assert rr.status == "approved" and rr.created_by is None
    assert rr.events.get(to_status="requested").actor_kind == "customer"


@pytest.mark.parametrize(
    ("qty", "field"),
    [
        (0, "items[0].quantity"),
        (-1, "items[0].quantity"),
        (3, "items[0].quantity"),
        ("two", "items[0].quantity"),
        (True, "items[0].quantity"),
    ],
)
def test_quantity_must_be_between_one_and_what_was_bought(
    order, alice, reasons, policy, qty, field
):
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order), qty=qty)])
    assert err.value.field == field
    assert ReturnRequest.objects.count() == 0


def test_partial_returns_add_up_to_what_was_bought(order, alice, reasons, policy):
    line = first_line(order)  # 2 bought
    first = return_create(viewer=alice, order_id=order.pk, items=[item(line, qty=1)])
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[item(line, qty=2)])
    assert err.value.message == f"You can return at most 1 of {line.product.name}."
    return_create(viewer=alice, order_id=order.pk, items=[item(line, qty=1)])
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[item(line, qty=1)])
    assert err.value.message == "This item has already been returned."
    # a cancelled return gives its quantity back
    return_cancel(viewer=alice, return_id=first.pk)
    again = return_create(viewer=alice, order_id=order.pk, items=[item(line, qty=1)])
    assert again.status == "approved"
    left = {r.order_line.pk: r.returnable_quantity for r in selectors.returnable_lines(order=order)}
    assert left == {line.pk: 0, order.lines.get(line_number=2).pk: 1}


def test_the_same_line_twice_and_no_items_are_refused(order, alice, reasons, policy):
    line = first_line(order)
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[item(line), item(line)])
    assert err.value.field == "items[1].order_line_id"
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, items=[])
    assert err.value.field == "items"


def test_unknown_or_retired_reason_is_refused(order, alice, reasons, policy):
    reasons["too-small"].is_active = False
    reasons["too-small"].save()
    for code in ["no-such-reason", "too-small", ""]:
        with pytest.raises(DomainError) as err:
            return_create(
                viewer=alice, order_id=order.pk, items=[item(first_line(order), reason=code)]
            )
        assert err.value.field == "items[0].reason_code"


def test_bad_kind_and_outcome_are_refused(order, alice, reasons, policy):
    line = first_line(order)
    cases = [
        ({"kind": "nonsense"}, "kind"),
        ({"kind": "recall"}, "kind"),  # started by staff only
        ({"preferred_outcome": "cash"}, "preferred_outcome"),
        ({"preferred_outcome": "repair"}, "preferred_outcome"),  # warranty only
    ]
    for kwargs, field in cases:
        with pytest.raises(DomainError) as err:
            return_create(viewer=alice, order_id=order.pk, items=[item(line)], **kwargs)
        assert err.value.field == field


# --- Photos ------------------------------------------------------------------------------
def test_reason_needing_a_photo_refuses_a_return_without_one(order, alice, reasons, policy):
    with pytest.raises(DomainError) as err:
        return_create(
            viewer=alice,
            order_id=order.pk,
            items=[item(first_line(order), reason="arrived-damaged")],
        )
    assert err.value.field == "items[0].photos"
    assert "Arrived damaged" in err.value.message


def test_photos_are_checked_by_content_size_and_count(order, alice, reasons, policy):
    line = first_line(order)
    fake = SimpleUploadedFile("evil.png", b"#!/bin/sh\necho not an image\n", "image/png")
    huge = image_upload()
    huge.size = 8 * 1024 * 1024 + 1
    cases = [
        ((fake,), "is not a JPEG, PNG, WebP or HEIC photo."),
        ((huge,), "is larger than 8 MB."),
        (tuple(image_upload(f"p{i}.png") for i in range(6)), "Add at most 5 photos per item."),
    ]
    for photos, message in cases:
        with pytest.raises(DomainError) as err:
            return_create(
                viewer=alice,
                order_id=order.pk,
                items=[item(line, reason="arrived-damaged", photos=photos)],
            )
        assert err.value.field == "items[0].photos"
        assert err.value.message.endswith(message)
    assert ReturnRequest.objects.count() == 0


def test_valid_photos_are_stored_under_a_safe_name(order, alice, reasons, policy):
    heic = SimpleUploadedFile(
        "IMG_1.HEIC", b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic", "image/heic"
    )
    photos = (
        image_upload("a.png"),
        image_upload("b.jpg", "JPEG"),
        image_upload("c.webp", "WEBP"),
        heic,
    )
    rr = return_create(
        viewer=alice,
        order_id=order.pk,
        items=[item(first_line(order), reason="arrived-damaged", photos=photos)],
    )
    stored = ReturnPhoto.objects.filter(line__return_request=rr)
    assert sorted(p.image.name.rsplit(".", 1)[1] for p in stored) == ["heic", "jpg", "png", "webp"]
    assert all(p.image.storage.exists(p.image.name) for p in stored)
    assert rr.label_payer == "merchant" and rr.restocking_fee == 0


# --- Warranty and exchanges ----------------------------------------------------------------
@pytest.fixture
def old_watch_order(customer):
    order = OrderFactory(customer=customer)
    OrderLineFactory(
        order=order,
        product=ProductFactory(warranty_months=24),
        delivered_at=timezone.now() - dt.timedelta(days=300),
    )
    return order


def test_warranty_claim_inside_the_warranty_is_approved(old_watch_order, alice, reasons, policy):
    line = first_line(old_watch_order)
    rr = return_create(
        viewer=alice,
        order_id=old_watch_order.pk,
        kind="warranty",
        preferred_outcome="repair",
        items=[item(line, reason="defective", photos=(image_upload(),))],
    )
    assert (rr.status, rr.kind, rr.label_payer, rr.restocking_fee) == (
        "approved",
        "warranty",
        "merchant",
        0,
    )


def test_warranty_claim_needs_a_defect_and_the_warranty_period(customer, alice, reasons, policy):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(
        order=order,
        product=ProductFactory(warranty_months=12),
        delivered_at=timezone.now() - dt.timedelta(days=400),
    )
    with pytest.raises(DomainError) as err:
        return_create(viewer=alice, order_id=order.pk, kind="warranty", items=[item(line)])
    assert err.value.field == "items[0].reason_code"
    rr = return_create(
        viewer=alice,
        order_id=order.pk,
        kind="warranty",
        items=[item(line, reason="defective", photos=(image_upload(),))],
    )
    assert rr.status == "declined"
    assert "Outside the 12-month warranty" in rr.decision_summary


def test_exchange_for_a_variant_in_stock(customer, alice, reasons, policy):
    medium = ProductFactory(family="tee", variant="M", stock_on_hand=3)
    large = ProductFactory(family="tee", variant="L", stock_on_hand=1)
    empty = ProductFactory(family="tee", variant="XL", stock_on_hand=0)
    other = ProductFactory(family="mug", stock_on_hand=9)
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, product=medium)
    for product, message in [(empty, "out of stock"), (other, "another variant")]:
        with pytest.raises(DomainError) as err:
            return_create(
                viewer=alice,
                order_id=order.pk,
                preferred_outcome="exchange",
                items=[item(line, reason="too-small", exchange_product_id=product.pk)],
            )
        assert err.value.field == "items[0].exchange_product_id" and message in err.value.message
    with pytest.raises(DomainError) as err:
        return_create(
            viewer=alice, order_id=order.pk, items=[item(line, exchange_product_id=large.pk)]
        )
    assert err.value.field == "items[0].exchange_product_id"
    rr = return_create(
        viewer=alice,
        order_id=order.pk,
        preferred_outcome="exchange",
        items=[item(line, reason="too-small", exchange_product_id=large.pk)],
    )
    assert (rr.kind, rr.preferred_outcome) == ("exchange", "exchange")
    assert rr.lines.get().exchange_product == large


# --- Staff review ----------------------------------------------------------------------------
def test_staff_approve_needs_a_reason_and_the_permission(
    pricey_order, alice, grader, manager, customer, reasons, policy
):
    rr = return_create(
        viewer=alice, order_id=pricey_order.pk, items=[item(first_line(pricey_order))]
    )
    with pytest.raises(DomainError) as err:
        return_approve(return_id=rr.pk, actor=manager, reason="  ")
    assert err.value.field == "reason"
    for who in [grader, customer.user, None]:
        with pytest.raises(PermissionDenied):
            return_approve(return_id=rr.pk, actor=who, reason="fine")
    rr = return_approve(return_id=rr.pk, actor=manager, reason="Loyal customer, item sealed")
    assert rr.status == "approved" and rr.rma_number.endswith(f"-{rr.pk:06d}")
    assert rr.decision_summary == "Approved by our team: Loyal customer, item sealed"
    event = rr.events.get(to_status="approved")
    assert (event.from_status, event.actor, event.actor_kind, event.message) == (
        "pending_review",
        manager,
        "staff",
        "Loyal customer, item sealed",
    )
    assert Shipment.objects.filter(return_request=rr).exists()
    with pytest.raises(IllegalTransition):
        return_approve(return_id=rr.pk, actor=manager, reason="again")


def test_staff_decline_from_review(pricey_order, alice, manager, reasons, policy):
    rr = return_create(
        viewer=alice, order_id=pricey_order.pk, items=[item(first_line(pricey_order))]
    )
    rr = return_decline(return_id=rr.pk, actor=manager, reason="Item shows heavy wear in photos")
    assert rr.status == "declined" and rr.rma_number is None
    event = rr.events.get(to_status="declined")
    assert (event.actor, event.actor_kind, event.from_status) == (
        manager,
        "staff",
        "pending_review",
    )
    with pytest.raises(IllegalTransition):
        return_decline(return_id=rr.pk, actor=manager, reason="again")
    with pytest.raises(NotFound):
        return_decline(return_id=rr.pk + 999, actor=manager, reason="x")


def test_staff_cannot_approve_what_the_policy_already_decided(
    order, alice, manager, reasons, policy
):
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    with pytest.raises(IllegalTransition):
        return_approve(return_id=rr.pk, actor=manager, reason="double")


# --- Cancel ------------------------------------------------------------------------------------
def test_owner_cancels_before_dispatch_but_not_after(order, alice, customer, reasons, policy):
    line1, line2 = order.lines.order_by("line_number")
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(line1)])
    rr = return_cancel(viewer=alice, return_id=rr.pk, reason="Found a use for it")
    assert rr.status == "cancelled"
    event = rr.events.get(to_status="cancelled")
    assert (event.actor, event.actor_kind, event.message) == (
        customer.user,
        "customer",
        "Found a use for it",
    )

    shipped = return_create(viewer=alice, order_id=order.pk, items=[item(line2)])
    return_transition(return_id=shipped.pk, to_status="label_issued")
    return_transition(return_id=shipped.pk, to_status="in_transit")
    with pytest.raises(IllegalTransition):
        return_cancel(viewer=alice, return_id=shipped.pk)
    shipped.refresh_from_db()
    assert shipped.status == "in_transit"


def test_cancel_by_others(order, alice, mallory, grader, manager, reasons, policy):
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    with pytest.raises(NotFound):
        return_cancel(viewer=mallory, return_id=rr.pk)
    with pytest.raises(PermissionDenied):  # warehouse staff see returns but do not cancel them
        return_cancel(viewer=viewer_for_user(grader), return_id=rr.pk)
    rr = return_cancel(viewer=viewer_for_user(manager), return_id=rr.pk)
    assert rr.events.get(to_status="cancelled").actor_kind == "staff"


# --- Selectors ------------------------------------------------------------------------------
def test_viewers_see_only_their_returns(
    order, other_order, alice, mallory, manager, reasons, policy
):
    mine = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    theirs = return_create(
        viewer=mallory, order_id=other_order.pk, items=[item(first_line(other_order))]
    )
    assert list(selectors.returns_for_viewer(alice)) == [mine]
    assert set(selectors.returns_for_viewer(viewer_for_user(manager))) == {mine, theirs}
    assert list(selectors.returns_for_viewer(Viewer())) == []
    guest = Viewer(guest_order_ids=frozenset({other_order.pk}))
    assert list(selectors.returns_for_viewer(guest)) == [theirs]
    with pytest.raises(NotFound):
        selectors.return_get_for_viewer(viewer=alice, return_id=theirs.pk)
    with pytest.raises(NotFound):
        selectors.return_get_for_viewer(viewer=alice, return_id="abc")
    found = selectors.return_get_by_reference_for_viewer(
        viewer=alice, reference=f" {mine.rma_number.lower()} "
    )
    assert found == mine
    assert (
        selectors.return_get_by_reference_for_viewer(viewer=alice, reference=f"req-{mine.pk:06d}")
        == mine
    )
    for ref in [theirs.rma_number, f"REQ-{theirs.pk:06d}", "nonsense", ""]:
        with pytest.raises(NotFound):
            selectors.return_get_by_reference_for_viewer(viewer=alice, reference=ref)


def test_list_is_one_query_however_many_returns(
    customer, alice, reasons, policy, django_assert_num_queries
):
    for _ in range(4):
        order = OrderFactory(customer=customer)
        return_create(viewer=alice, order_id=order.pk, items=[item(OrderLineFactory(order=order))])
    with django_assert_num_queries(1):
        rows = [
            (r.reference, r.order.number, r.customer.email)
            for r in selectors.returns_for_viewer(alice)
        ]
    assert len(rows) == 4


def test_timeline_hides_internal_events_from_customers(order, alice, reasons, policy):
    from rma.events import event_record

    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    event_record(
        return_request=rr, kind="note", message="Checked fraud score", visible_to_customer=False
    )
    staff = selectors.return_timeline(return_request=rr, for_customer=False)
    customer = selectors.return_timeline(return_request=rr, for_customer=True)
    assert "Checked fraud score" in [e.message for e in staff]
    assert "Checked fraud score" not in [e.message for e in customer]
    assert [e.to_status for e in customer if e.kind == "status"] == ["requested", "approved"]


def test_returnable_lines_show_the_window(order, reasons):
    policy_publish(actor=None, category_windows={first_line(order).product.category: 7})
    rows = selectors.returnable_lines(order=order)
    first, second = rows
    assert (first.window_days, first.days_since_delivery, first.inside_window) == (7, 10, False)
    assert (second.window_days, second.inside_window) == (30, True)
    assert first.window_ends_on == first.delivered_on + dt.timedelta(days=7)


def test_reasons_active_in_position_order(reasons):
    reasons["changed-mind"].is_active = False
    reasons["changed-mind"].save()
    assert [r.code for r in selectors.reasons_active()] == [
        "too-small",
        "defective",
        "arrived-damaged",
        "wrong-item-sent",
    ]


# --- Policy versions ---------------------------------------------------------------------------
def test_publish_makes_a_new_version_and_keeps_the_old_one(order, alice, manager, reasons):
    v1 = policy_active_or_default()
    assert policy_active_or_default() == v1 and v1.version == 1
    electronics = CategoryFactory(slug="electronics")
    v2 = policy_publish(
        actor=manager, window_days=45, category_windows={electronics: 14}, notes="Longer window"
    )
    v1.refresh_from_db()
    assert (v1.is_active, v2.is_active, v2.version, v2.window_days) == (False, True, 2, 45)
    assert v2.created_by == manager
    assert dict(v2.category_windows.values_list("category__slug", "window_days")) == {
        "electronics": 14
    }
    v3 = policy_publish(actor=manager, restocking_fee_percent=Decimal("5"))
    assert (v3.window_days, v3.category_windows.count(), v3.notes) == (45, 1, "")
    assert selectors.policy_active() == v3
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    assert rr.policy == v3 and rr.restocking_fee == Decimal("2.00")
    assert ReturnPolicy.objects.count() == 3


def test_publish_refuses_bad_settings_and_keeps_the_active_version(manager):
    v1 = policy_active_or_default()
    with pytest.raises(DomainError) as err:
        policy_publish(actor=manager, restocking_fee_percent=Decimal("150"))
    assert err.value.field == "restocking_fee_percent"
    with pytest.raises(DomainError):
        policy_publish(actor=manager, version=9)
    assert list(ReturnPolicy.objects.filter(is_active=True)) == [v1]


# --- Admin: saving a policy publishes a new version ---------------------------------------------
@pytest.fixture
def superuser_client(client, db):
    from tests.factories import UserFactory

    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def _policy_post(policy, **overrides):
    from rma.services import POLICY_FIELDS

    data = {name: getattr(policy, name) for name in POLICY_FIELDS}
    data.update(
        {
            "notes": "",
            "final_sale_categories": [],
            "final_sale_products": [],
            "category_windows-TOTAL_FORMS": "0",
            "category_windows-INITIAL_FORMS": "0",
            "category_windows-MIN_NUM_FORMS": "0",
            "category_windows-MAX_NUM_FORMS": "1000",
        }
    )
    data.update(overrides)
    return {k: ("" if v is None else v) for k, v in data.items()}


def test_admin_save_publishes_a_new_version_and_old_ones_are_read_only(superuser_client):
    v1 = policy_active_or_default()
    shoes = CategoryFactory(slug="shoes")
    data = _policy_post(
        v1,
        window_days=60,
        notes="Holiday window",
        **{
            "category_windows-TOTAL_FORMS": "1",
            "category_windows-0-category": shoes.pk,
            "category_windows-0-window_days": "20",
        },
    )
    response = superuser_client.post(f"/admin/rma/returnpolicy/{v1.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    v1.refresh_from_db()
    v2 = ReturnPolicy.objects.get(is_active=True)
    assert (v1.version, v1.window_days, v1.is_active) == (1, 30, False)
    assert (v2.version, v2.window_days, v2.notes) == (2, 60, "Holiday window")
    assert dict(v2.category_windows.values_list("category__slug", "window_days")) == {"shoes": 20}
    assert v2.created_by.username == "root"
    # the old version is shown but cannot be changed
    page = superuser_client.get(f"/admin/rma/returnpolicy/{v1.pk}/change/")
    assert page.status_code == 200 and b'name="window_days"' not in page.content
    refused = superuser_client.post(
        f"/admin/rma/returnpolicy/{v1.pk}/change/", _policy_post(v1, window_days=1)
    )
    assert refused.status_code == 403
    v1.refresh_from_db()
    assert v1.window_days == 30 and ReturnPolicy.objects.count() == 2


def test_admin_add_publishes_too(superuser_client):
    v1 = policy_active_or_default()
    page = superuser_client.get("/admin/rma/returnpolicy/add/")
    assert page.status_code == 200
    response = superuser_client.post(
        "/admin/rma/returnpolicy/add/", _policy_post(v1, restocking_fee_percent="0")
    )
    assert response.status_code == 302
    assert ReturnPolicy.objects.get(is_active=True).version == 2


def test_admin_shows_returns_read_only(superuser_client, order, alice, reasons, policy):
    rr = return_create(viewer=alice, order_id=order.pk, items=[item(first_line(order))])
    listing = superuser_client.get("/admin/rma/returnrequest/")
    assert listing.status_code == 200 and rr.rma_number.encode() in listing.content
    page = superuser_client.get(f"/admin/rma/returnrequest/{rr.pk}/change/")
    assert page.status_code == 200
    assert b"Return requested." in page.content and b'name="status"' not in page.content
    assert superuser_client.post(f"/admin/rma/returnrequest/{rr.pk}/change/", {}).status_code == 403
    assert superuser_client.get("/admin/rma/returnrequest/add/").status_code == 403
    for url in [
        "/admin/rma/returnreason/",
        "/admin/rma/policylistentry/add/",
        "/admin/rma/destination/",
    ]:
        assert superuser_client.get(url).status_code == 200


# --- Demo ---------------------------------------------------------------------------------
def test_demo_seed_makes_returns_in_every_status_a_defect_cluster_and_is_rerunnable():
    import io

    from django.db.models import Count

    from rma import demo
    from tests.factories import rma_demo_catalog

    rma_demo_catalog()
    today = timezone.localdate()
    out = io.StringIO()
    demo.seed(stdout=out, today=today)
    counts = dict(ReturnRequest.objects.values_list("status").annotate(n=Count("pk")))
    assert set(counts) == set(ReturnStatus.values), counts
    assert 250 <= sum(counts.values()) <= 400
    # a planted cluster: ≥ 10 "band-snapped" returns of one batch of one wearable, last month
    since = timezone.now() - dt.timedelta(days=31)
    cluster = (
        ReturnLine.objects.filter(
            reason__code="band-snapped", return_request__created_at__gte=since
        )
        .values("order_line__product", "order_line__batch")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert cluster["n"] >= 10
    assert "wearables" in Product.objects.get(pk=cluster["order_line__product"]).category.slug
    # history spreads over the last 120 days, and every status change is in the audit trail
    oldest = ReturnRequest.objects.order_by("created_at").first().created_at
    assert (timezone.now() - oldest).days >= 90
    moved = ReturnRequest.objects.exclude(status="requested")
    assert all(rr.events.filter(kind="status", to_status=rr.status).exists() for rr in moved)
    # the demo customer has several returns in different states
    mine = ReturnRequest.objects.filter(customer__email="customer@example.com")
    assert len(set(mine.values_list("status", flat=True))) >= 3
    assert ReturnRequest.objects.filter(kind="exchange").exists()
    assert ReturnRequest.objects.filter(kind="warranty").exists()
    assert ReturnRequest.objects.filter(preferred_outcome="store_credit").exists()
    assert ReturnRequest.objects.filter(refund_without_return=True).exists()
    # rerunnable: nothing is duplicated
    total = ReturnRequest.objects.count()
    demo.seed(stdout=out, today=today)
    assert ReturnRequest.objects.count() == total
    assert ReturnReason.objects.count() == len(demo.REASONS)
    assert ReturnPolicy.objects.filter(is_active=True).count() == 1
    assert "returns exist already" in out.getvalue()


def test_admin_save_without_changes_publishes_nothing(superuser_client):
    v1 = policy_active_or_default()
    unchanged = _policy_post(v1, notes=v1.notes)
    response = superuser_client.post(f"/admin/rma/returnpolicy/{v1.pk}/change/", unchanged)
    assert response.status_code == 302
    assert list(ReturnPolicy.objects.values_list("version", "is_active")) == [(1, True)]
