"""Customer outcomes: refund, store credit, exchange (with the out-of-stock fallback), the
policy's refund trigger, refund without return, and staff's "no refund" decision."""

from decimal import Decimal as D

import pytest

from resolution.models import (
    CustomerOutcome,
    ExchangeOrder,
    ExchangePreference,
    GatewayLedgerEntry,
    MoneyMovement,
    StoreCreditEntry,
)
from resolution.selectors import store_credit_balance
from resolution.services import (
    refund_trigger_reached,
    return_no_refund,
    return_resolve,
    returnless_resolve,
)
from returns_portal.errors import Conflict, DomainError, IllegalTransition, PermissionDenied
from tests.factories import (
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    resolution_grade,
    resolution_return_make,
)

pytestmark = pytest.mark.django_db


def _graded(order, *, code="A", deduction="0", **kw):
    rr = resolution_return_make(order=order, status="graded", **kw)
    return resolution_grade(rr, code=code, deduction=D(deduction))


def test_graded_refund_takes_fees_and_deductions_and_is_paid_once(
    order, policy, changed_mind, on_commit
):
    # given Alice's graded return: 2 × 40 + 1 × 40 paid, 10% restocking, a 6.95 label,
    # and a 5.00 condition deduction per line
    rr = _graded(
        order,
        reason=changed_mind,
        restocking_percent=D("10"),
        label_payer="customer",
        label_fee=D("6.95"),
        deduction="5.00",
        policy=policy,
    )
    # when resolution runs (the grading hook)
    with on_commit():
        return_resolve(return_id=rr.pk)
    # then the refund is 120 − 12 − 6.95 − 10 = 91.05, paid once through the ledger
    rr.refresh_from_db()
    assert rr.status == "resolved"
    movement = MoneyMovement.objects.get(return_request=rr)
    assert (movement.kind, movement.amount, movement.status) == ("refund", D("91.05"), "succeeded")
    assert movement.idempotency_key == f"return:{rr.pk}:refund"
    assert movement.payment_reference == order.payment_reference
    assert GatewayLedgerEntry.objects.get().amount == D("91.05")
    outcome = rr.customer_outcome
    assert (outcome.kind, outcome.amount, outcome.trigger) == ("refund", D("91.05"), "graded")
    assert rr.events.filter(kind="outcome", message__contains="91.05").exists()
    assert rr.events.filter(kind="money", message__contains="sent 91.05 USD").exists()
    # every line got a disposition
    assert rr.dispositions.count() == 2
    # and resolving again changes nothing
    with on_commit():
        return_resolve(return_id=rr.pk)
    assert MoneyMovement.objects.count() == 1 and GatewayLedgerEntry.objects.count() == 1


def test_store_credit_adds_the_policy_bonus(order, policy, changed_mind, on_commit):
    rr = _graded(order, reason=changed_mind, preferred_outcome="store_credit", policy=policy)
    with on_commit():
        return_resolve(return_id=rr.pk)
    movement = MoneyMovement.objects.get(return_request=rr)
    assert (movement.kind, movement.amount, movement.gateway) == (
        "store_credit",
        D("132.00"),  # 120 + 10 %
        "store_credit",
    )
    entry = StoreCreditEntry.objects.get(money_movement=movement)
    assert (entry.kind, entry.amount) == ("issue", D("132.00"))
    assert store_credit_balance(customer_id=order.customer_id) == D("132.00")
    assert "including a 12.00 bonus" in rr.events.get(kind="outcome").message


def test_deductions_never_make_a_refund_negative(order, policy, changed_mind, on_commit):
    rr = _graded(order, reason=changed_mind, code="D", deduction="500", policy=policy)
    with on_commit():
        return_resolve(return_id=rr.pk)
    rr.refresh_from_db()
    assert rr.status == "resolved"
    assert not MoneyMovement.objects.exists()
    assert rr.customer_outcome.kind == "nothing_due"


def _exchange_return(customer, *, stock: int, policy, reason):
    order = OrderFactory(customer=customer)
    line = OrderLineFactory(order=order, line_number=1, quantity=1)
    replacement = ProductFactory(stock_on_hand=stock, price=line.unit_price)
    rr = resolution_return_make(
        order=order, status="graded", preferred_outcome="exchange", reason=reason, policy=policy
    )
    rr.lines.update(exchange_product=replacement)
    resolution_grade(rr, code="A")
    return rr, replacement


def test_exchange_in_stock_ships_a_replacement_and_takes_the_stock(
    customer, policy, changed_mind, on_commit
):
    rr, replacement = _exchange_return(customer, stock=3, policy=policy, reason=changed_mind)
    with on_commit():
        return_resolve(return_id=rr.pk)
    exchange = ExchangeOrder.objects.get(return_request=rr)
    assert (exchange.product, exchange.quantity) == (replacement, 1)
    replacement.refresh_from_db()
    assert replacement.stock_on_hand == 2
    assert rr.customer_outcome.kind == "exchange"
    assert not MoneyMovement.objects.exists()


@pytest.mark.parametrize(
    ("preference", "kind", "amount"),
    [(None, "store_credit", D("44.00")), ("refund", "refund", D("40.00"))],
)
def test_exchange_out_of_stock_falls_back_to_the_customers_choice(
    customer, policy, changed_mind, on_commit, preference, kind, amount
):
    # given an exchange whose replacement sold out
    rr, replacement = _exchange_return(customer, stock=0, policy=policy, reason=changed_mind)
    if preference:
        ExchangePreference.objects.create(return_request=rr, fallback=preference)
    # when it resolves
    with on_commit():
        return_resolve(return_id=rr.pk)
    # then no replacement ships and the customer gets their fallback (store credit by default)
    assert not ExchangeOrder.objects.exists()
    movement = MoneyMovement.objects.get(return_request=rr)
    assert (movement.kind, movement.amount, movement.status) == (kind, amount, "succeeded")
    replacement.refresh_from_db()
    assert replacement.stock_on_hand == 0
    assert "out of stock" in rr.customer_outcome.reason


def test_first_scan_refunds_trusted_customers_only_under_that_policy(
    order, policy, changed_mind, on_commit
):
    policy.refund_trigger = "first_scan_trusted"
    policy.save()
    rr = resolution_return_make(
        order=order, status="in_transit", reason=changed_mind, policy=policy
    )
    # an untrusted customer: nothing yet
    with on_commit():
        refund_trigger_reached(return_id=rr.pk, trigger="first_scan")
    assert not MoneyMovement.objects.exists()
    # a trusted one: refunded on the scan, before any grading (no deductions known yet)
    order.customer.is_trusted = True
    order.customer.save()
    with on_commit():
        refund_trigger_reached(return_id=rr.pk, trigger="first_scan")
        refund_trigger_reached(return_id=rr.pk, trigger="received")  # later triggers: no-op
    movement = MoneyMovement.objects.get()
    assert (movement.amount, movement.status) == (D("120.00"), "succeeded")
    # and grading later routes the items but pays nothing more
    resolution_grade(rr, code="B", deduction=D("30"))
    rr.status = "graded"
    rr.save()
    with on_commit():
        return_resolve(return_id=rr.pk)
    assert MoneyMovement.objects.count() == 1
    assert rr.customer_outcome.trigger == "first_scan"


def test_on_receipt_policy_refunds_when_received(order, policy, changed_mind, on_commit):
    policy.refund_trigger = "on_receipt"
    policy.save()
    rr = resolution_return_make(order=order, status="received", reason=changed_mind, policy=policy)
    with on_commit():
        refund_trigger_reached(return_id=rr.pk, trigger="first_scan")
    assert not MoneyMovement.objects.exists()
    with on_commit():
        refund_trigger_reached(return_id=rr.pk, trigger="received")
    assert MoneyMovement.objects.get().status == "succeeded"


def test_on_grading_policy_does_not_refund_at_receipt(order, policy, changed_mind):
    rr = resolution_return_make(order=order, status="received", reason=changed_mind, policy=policy)
    refund_trigger_reached(return_id=rr.pk, trigger="received")
    assert not MoneyMovement.objects.exists()
    assert not CustomerOutcome.objects.exists()


def test_refund_without_return_resolves_from_approved(customer, policy, changed_mind, on_commit):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, unit_price=D("7.50"))
    rr = resolution_return_make(order=order, status="approved", reason=changed_mind, policy=policy)
    with on_commit():
        returnless_resolve(return_id=rr.pk)
    rr.refresh_from_db()
    assert rr.status == "resolved"
    assert MoneyMovement.objects.get().amount == D("7.50")
    event = rr.events.get(to_status="resolved")
    assert event.message.startswith("No need to send the item back.")
    assert not rr.dispositions.exists()  # the item stays with the customer


def test_own_carrier_postage_is_reimbursed_with_the_refund(order, policy, changed_mind, on_commit):
    from rma.shipping.models import Shipment
    from tests.factories import DestinationFactory

    rr = _graded(order, reason=changed_mind, label_payer="own_carrier", policy=policy)
    Shipment.objects.create(
        return_request=rr,
        destination=DestinationFactory(),
        label_payer="own_carrier",
        own_carrier_name="Local Post",
        reimbursement_claim=D("9.80"),
        reimbursement_capped=D("9.80"),
    )
    with on_commit():
        return_resolve(return_id=rr.pk)
    kinds = dict(MoneyMovement.objects.values_list("kind", "amount"))
    assert kinds == {"refund": D("120.00"), "reimbursement": D("9.80")}


# --- No refund -------------------------------------------------------------------------------
def test_staff_can_receive_without_refunding_and_send_the_items_back(
    order, policy, changed_mind, manager
):
    rr = resolution_return_make(order=order, status="received", reason=changed_mind, policy=policy)
    return_no_refund(
        return_id=rr.pk, actor=manager, reason="Item is not ours (serial mismatch).", send_back=True
    )
    rr.refresh_from_db()
    assert rr.status == "resolved"
    assert rr.customer_outcome.kind == "no_refund"
    assert rr.customer_outcome.decided_by == manager
    assert not MoneyMovement.objects.exists() and not rr.dispositions.exists()
    resolved = rr.events.get(to_status="resolved")
    assert resolved.actor == manager
    assert "serial mismatch" in resolved.message and "sent back to you" in resolved.message


def test_no_refund_keeping_the_items_needs_grades_and_routes_them(
    order, policy, changed_mind, manager, grades
):
    rr = resolution_return_make(order=order, status="received", reason=changed_mind, policy=policy)
    with pytest.raises(DomainError, match="Grade every item first"):
        return_no_refund(return_id=rr.pk, actor=manager, reason="Empty box", send_back=False)
    resolution_grade(rr, code="D")
    return_no_refund(return_id=rr.pk, actor=manager, reason="Worn and washed", send_back=False)
    assert rr.dispositions.count() == 2


def test_no_refund_rules(order, policy, changed_mind, manager, grader, on_commit):
    rr = resolution_return_make(order=order, status="received", reason=changed_mind, policy=policy)
    with pytest.raises(PermissionDenied):
        return_no_refund(return_id=rr.pk, actor=grader, reason="x", send_back=True)
    with pytest.raises(DomainError):
        return_no_refund(return_id=rr.pk, actor=manager, reason="  ", send_back=True)
    # once a refund went out, it cannot be taken back this way
    policy.refund_trigger = "on_receipt"
    policy.save()
    with on_commit():
        refund_trigger_reached(return_id=rr.pk, trigger="received")
    with pytest.raises(Conflict, match="already issued"):
        return_no_refund(return_id=rr.pk, actor=manager, reason="late", send_back=True)
    in_transit = resolution_return_make(
        order=OrderFactory(customer=order.customer), status="in_transit", policy=policy
    )
    with pytest.raises(IllegalTransition):
        return_no_refund(return_id=in_transit.pk, actor=manager, reason="x", send_back=True)
