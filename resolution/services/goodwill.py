"""Money without a parcel: goodwill refunds and credits, and customer-service time."""

from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from catalog.models import Customer, Order
from resolution.models import CostEntry, MoneyMovement
from resolution.selectors import disposition_settings, refunded_on_order
from resolution.services.movements import amount_parse, goodwill_key, refund_request
from resolution.services.sla import refund_due_on
from returns_portal.errors import DomainError, NotFound, permission_require
from returns_portal.money import money
from rma.events import event_record
from rma.models import ReturnEvent, ReturnRequest

MINUTES_MAX = Decimal("480")


def goodwill_issue(
    *,
    actor,
    customer_id: int,
    amount,
    as_credit: bool,
    reason: str,
    order_id: int | None = None,
    return_id: int | None = None,
    idempotency_key: str | None = None,
) -> MoneyMovement:
    """A refund to an order's payment, or store credit, with no return behind it.

    A refund needs the order it goes back to and never exceeds what that order paid, less
    what was refunded on it already. The same idempotency key twice pays once.
    """
    permission_require(
        actor, "catalog.issue_goodwill", "You may not issue goodwill refunds or credit."
    )
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why (it is kept with the payment).", field="reason")
    if len(reason) > 280:
        raise DomainError("Keep the reason under 280 characters.", field="reason")
    amount = amount_parse(amount)
    key = goodwill_key(idempotency_key)
    with transaction.atomic():
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound("Customer not found.", field="customer")
        order = None
        if order_id is not None:
            order = (
                Order.objects.select_for_update()
                .filter(pk=order_id, customer_id=customer.pk)
                .first()
            )
            if order is None:
                raise NotFound("That order is not this customer's.", field="order")
        rr = None
        if return_id is not None:
            rr = ReturnRequest.objects.filter(pk=return_id, customer_id=customer.pk).first()
            if rr is None:
                raise NotFound("That return is not this customer's.", field="return_request")
        if not as_credit:
            if order is None:
                raise DomainError("Choose the order whose payment is refunded.", field="order")
            _within_paid(order=order, amount=amount, key=key)
        movement = refund_request(
            customer_id=customer.pk,
            amount=amount,
            kind=MoneyMovement.Kind.GOODWILL_CREDIT
            if as_credit
            else MoneyMovement.Kind.GOODWILL_REFUND,
            idempotency_key=key,
            return_id=rr.pk if rr else None,
            order_id=order.pk if order else None,
            payment_reference=order.payment_reference if order else "",
            currency=order.currency if order else "USD",
            reason=f"Goodwill: {reason}",
            due_on=refund_due_on(start=timezone.localdate()),
            actor=actor,
        )
        if rr is not None:
            event_record(
                return_request=rr,
                kind="money",
                actor=actor,
                actor_kind=ReturnEvent.ActorKind.STAFF,
                message=f"Goodwill {'credit' if as_credit else 'refund'} of {amount}: {reason}",
                details={"movement_id": movement.pk},
            )
    return movement


def _within_paid(*, order: Order, amount: Decimal, key: str) -> None:
    if MoneyMovement.objects.filter(idempotency_key=key).exists():
        return  # a replay: refund_request returns the first one
    paid = money(order.total_paid + order.shipping_paid)
    left = money(paid - refunded_on_order(order_id=order.pk))
    if amount > left:
        raise DomainError(
            f"At most {left} {order.currency} can still be refunded on order {order.number}.",
            field="amount",
        )


def cs_minutes_log(*, return_id: int, minutes, actor, note: str = "") -> CostEntry:
    """Customer-service time spent on a return, booked at the configured hourly rate."""
    permission_require(actor, "catalog.resolve_return", "You may not log customer-service time.")
    try:
        minutes = Decimal(str(minutes).strip()).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        raise DomainError("Enter the minutes as a number.", field="minutes") from None
    if not minutes.is_finite() or not (0 < minutes <= MINUTES_MAX):
        raise DomainError("Minutes must be more than 0 and at most 480.", field="minutes")
    note = (note or "").strip()
    if len(note) > 300:
        raise DomainError("Keep the note under 300 characters.", field="note")
    if not ReturnRequest.objects.filter(pk=return_id).exists():
        raise NotFound("Return not found.")
    rate = disposition_settings().customer_service_hourly_rate
    return CostEntry.objects.create(
        return_request_id=return_id,
        kind=CostEntry.Kind.CUSTOMER_SERVICE,
        amount=money(minutes * rate / 60),
        minutes=minutes,
        note=note or f"{minutes} min at {rate}/h",
        created_by=actor,
    )
