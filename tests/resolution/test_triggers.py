"""The policy's refund trigger, end to end through the other apps' doors (carrier scan,
warehouse receipt, grading hook), and where customers and staff see the result."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.urls import reverse
from django.utils import timezone

from assessment.services import parcel_receive
from resolution.models import MoneyMovement
from rma import hooks
from rma.shipping.models import Shipment
from rma.shipping.services import shipment_plan_for_return, tracking_event_ingest
from rma.transitions import return_transition
from tests.factories import resolution_grade, resolution_return_make

pytestmark = pytest.mark.django_db


def _on_its_way(order, policy, reason):
    """A return with a label, waiting for the carrier's first scan."""
    rr = resolution_return_make(order=order, status="label_issued", reason=reason, policy=policy)
    shipment = shipment_plan_for_return(return_id=rr.pk)
    Shipment.objects.filter(pk=shipment.pk).update(tracking_number=f"1ZT{rr.pk:08d}")
    return rr


def _scan(rr, n: int, status: str) -> None:
    tracking_event_ingest(
        tracking_number=f"1ZT{rr.pk:08d}",
        event_id=f"ev-{rr.pk}-{n}",
        status=status,
        occurred_at=timezone.now(),
    )


def _grade(rr, grader) -> None:
    resolution_grade(rr, code="B")
    return_transition(return_id=rr.pk, to_status="graded", actor=grader, actor_kind="staff")
    hooks.return_graded(return_id=rr.pk)


def _policy(policy, trigger: str):
    policy.refund_trigger = trigger
    policy.save()
    return policy


def test_a_trusted_customer_is_refunded_on_the_first_carrier_scan_once(
    order, policy, changed_mind, grader, on_commit
):
    # given a trusted customer under a "first scan for trusted customers" policy
    order.customer.is_trusted = True
    order.customer.save()
    rr = _on_its_way(order, _policy(policy, "first_scan_trusted"), changed_mind)
    # when the carrier scans the parcel (and scans it again on delivery)
    with on_commit():
        _scan(rr, 1, "in_transit")
    # then the refund went out on the scan, before the parcel arrived
    movement = MoneyMovement.objects.get(return_request=rr)
    assert (movement.amount, movement.status) == (D("120.00"), "succeeded")
    assert rr.customer_outcome.trigger == "first_scan"
    # and delivery, receipt and grading pay nothing more
    with on_commit():
        _scan(rr, 2, "delivered")
        parcel_receive(return_id=rr.pk, actor=grader)
        _grade(rr, grader)
    rr.refresh_from_db()
    assert rr.status == "resolved"
    assert MoneyMovement.objects.filter(return_request=rr).count() == 1


def test_an_untrusted_customer_waits_for_grading_under_the_same_policy(
    order, policy, changed_mind, grader, on_commit
):
    rr = _on_its_way(order, _policy(policy, "first_scan_trusted"), changed_mind)
    with on_commit():
        _scan(rr, 1, "in_transit")
        parcel_receive(return_id=rr.pk, actor=grader)
    assert not MoneyMovement.objects.filter(return_request=rr).exists()
    with on_commit():
        _grade(rr, grader)
    assert MoneyMovement.objects.get(return_request=rr).status == "succeeded"
    assert rr.customer_outcome.trigger == "graded"


def test_an_on_receipt_policy_refunds_when_the_warehouse_receives_the_parcel(
    order, policy, changed_mind, grader, on_commit
):
    order.customer.is_trusted = True  # trust does not matter under this policy
    order.customer.save()
    rr = _on_its_way(order, _policy(policy, "on_receipt"), changed_mind)
    with on_commit():
        _scan(rr, 1, "in_transit")
    assert not MoneyMovement.objects.filter(return_request=rr).exists()
    with on_commit():
        parcel_receive(return_id=rr.pk, actor=grader)
    movement = MoneyMovement.objects.get(return_request=rr)
    assert movement.status == "succeeded"
    assert rr.customer_outcome.trigger == "received"
    # the SLA counts business days from receipt
    assert movement.due_on > timezone.localdate()


def test_an_on_grading_policy_refunds_only_after_grading(
    order, policy, changed_mind, grader, on_commit
):
    rr = _on_its_way(order, _policy(policy, "on_grading"), changed_mind)
    order.customer.is_trusted = True
    order.customer.save()
    with on_commit():
        _scan(rr, 1, "in_transit")
        parcel_receive(return_id=rr.pk, actor=grader)
    assert not MoneyMovement.objects.filter(return_request=rr).exists()
    with on_commit():
        _grade(rr, grader)
    assert MoneyMovement.objects.get(return_request=rr).status == "succeeded"


# --- Where it shows ---------------------------------------------------------------------------
def _resolved(order, policy, reason, grader, on_commit):
    rr = resolution_return_make(order=order, status="received", reason=reason, policy=policy)
    with on_commit():
        _grade(rr, grader)
    rr.refresh_from_db()
    return rr


def test_the_customer_sees_their_refund_on_the_return_status_page(
    client, customer, other_customer, order, policy, changed_mind, grader, on_commit
):
    # given Alice's resolved return with its refund paid
    rr = _resolved(order, policy, changed_mind, grader, on_commit)
    url = reverse("rma:return_status", args=[rr.reference])
    # when Alice opens its status page
    client.force_login(customer.user)
    html = client.get(url).content.decode()
    # then the resolution panel shows what she got
    assert 'id="resolution-customer"' in html
    assert "Your refund" in html and "120.00 USD" in html and "sent" in html
    # and Mallory cannot see it
    client.force_login(other_customer.user)
    response = client.get(url)
    assert response.status_code in (302, 403, 404)
    assert "120.00 USD" not in response.content.decode()


def test_the_customer_panel_says_when_a_refund_is_late(
    client, customer, order, policy, changed_mind, grader, on_commit
):
    rr = _resolved(order, policy, changed_mind, grader, on_commit)
    MoneyMovement.objects.filter(return_request=rr).update(
        status="pending", due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    client.force_login(customer.user)
    html = client.get(reverse("rma:return_status", args=[rr.reference])).content.decode()
    assert "later than we promised" in html


def test_staff_see_overdue_refunds_flagged_on_the_return_detail_page(
    client, manager, order, policy, changed_mind, grader, on_commit
):
    # given a refund still pending two days after its due date
    rr = _resolved(order, policy, changed_mind, grader, on_commit)
    MoneyMovement.objects.filter(return_request=rr).update(
        status="pending", due_on=timezone.localdate() - dt.timedelta(days=2)
    )
    # when a manager opens the return
    client.force_login(manager)
    html = client.get(reverse("rma:staff_return_detail", args=[rr.pk])).content.decode()
    # then its refund is flagged overdue
    assert 'id="resolution-panel"' in html
    assert 'class="overdue"' in html and "Overdue" in html
    # and once paid the flag is gone
    MoneyMovement.objects.filter(return_request=rr).update(status="succeeded")
    html = client.get(reverse("rma:staff_return_detail", args=[rr.pk])).content.decode()
    assert 'class="overdue"' not in html


def test_the_customer_chooses_the_exchange_fallback_on_the_status_page(
    client, customer, other_customer, policy, changed_mind, grader, on_commit
):
    from resolution.models import ExchangePreference
    from tests.factories import OrderFactory, OrderLineFactory, ProductFactory

    # given Alice's exchange whose replacement then sells out
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, quantity=1)
    replacement = ProductFactory(stock_on_hand=0)
    rr = resolution_return_make(
        order=order,
        status="received",
        preferred_outcome="exchange",
        reason=changed_mind,
        policy=policy,
    )
    rr.lines.update(exchange_product=replacement)
    status_url = reverse("rma:return_status", args=[rr.reference])
    choose_url = reverse("resolution:exchange_fallback", args=[rr.pk])
    # when she opens her return, the choice is offered (store credit by default)
    client.force_login(customer.user)
    html = client.get(status_url).content.decode()
    assert 'id="resolution-exchange-fallback"' in html and choose_url in html
    # a made-up choice is refused with a message, not a 500
    response = client.post(choose_url, {"fallback": "cash"}, follow=True)
    assert response.status_code == 200 and "Choose refund or store credit" in (
        response.content.decode()
    )
    # and she picks a refund
    response = client.post(choose_url, {"fallback": "refund"})
    assert response.status_code == 302 and response.url == status_url
    assert ExchangePreference.objects.get(return_request=rr).fallback == "refund"
    # Mallory can neither see nor change it
    client.force_login(other_customer.user)
    assert client.post(choose_url, {"fallback": "store_credit"}).status_code == 404
    assert ExchangePreference.objects.get(return_request=rr).fallback == "refund"
    # then grading finds no stock and refunds her, as she chose
    with on_commit():
        _grade(rr, grader)
    assert MoneyMovement.objects.get(return_request=rr).kind == "refund"
    # and once decided, the choice is closed
    client.force_login(customer.user)
    response = client.post(choose_url, {"fallback": "store_credit"}, follow=True)
    assert "already handled" in response.content.decode()
    assert 'id="resolution-exchange-fallback"' not in response.content.decode()
