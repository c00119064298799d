"""The customer outcome of a return — refund, store credit, exchange or none — decided once.

Entry points called by `rma.hooks` inside the transaction that moved the return:
`returnless_resolve`, `refund_trigger_reached`, `return_resolve`. The outcome is stored as a
CustomerOutcome (one per return), so a later trigger finds it and issues nothing twice;
money goes out through `refund_request` (the exactly-once path).
"""

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from assessment.models import Inspection
from catalog.models import Product
from resolution.amounts import LineMoney, refund_breakdown
from resolution.models import (
    CustomerOutcome,
    ExchangeOrder,
    ExchangePreference,
    MoneyMovement,
)
from resolution.services.dispositions import dispositions_apply
from resolution.services.movements import refund_request
from resolution.services.sla import refund_due_on
from returns_portal.errors import (
    Conflict,
    DomainError,
    IllegalTransition,
    NotFound,
    permission_require,
)
from rma.events import event_record
from rma.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest
from rma.states import Outcome, ReturnKind, ReturnStatus
from rma.transitions import return_transition

S = ReturnStatus
K = CustomerOutcome.Kind
MK = MoneyMovement.Kind
EXCHANGE_OUTCOMES = frozenset({Outcome.EXCHANGE, Outcome.REPLACE})


def _policy(rr: ReturnRequest) -> ReturnPolicy:
    if rr.policy_id:
        return rr.policy
    from rma.selectors import policy_active

    return policy_active()


def _locked(return_id: int) -> ReturnRequest:
    rr = (
        ReturnRequest.objects.select_for_update(of=("self",))
        .select_related("order", "customer", "policy")
        .filter(pk=return_id)
        .first()
    )
    if rr is None:
        raise NotFound("Return not found.")
    return rr


def _staff_user(actor):
    return actor if getattr(actor, "is_authenticated", False) else None


# --- Hook entry points ---------------------------------------------------------------------
def returnless_resolve(*, return_id: int) -> None:
    """Refund without return: issue the outcome and move approved → resolved."""
    with transaction.atomic():
        rr = _locked(return_id)
        if rr.status in (S.RESOLVED, S.CLOSED):
            return
        outcome = outcome_issue(rr=rr, trigger="returnless")
        return_transition(
            return_id=rr.pk,
            to_status=S.RESOLVED,
            message="No need to send the item back. " + outcome_message(outcome),
            details=_details(outcome),
            expected_from=frozenset({S.APPROVED}),
        )


def refund_trigger_reached(*, return_id: int, trigger: str) -> None:
    """first_scan / received / graded: issue the outcome now if the policy says so."""
    with transaction.atomic():
        rr = _locked(return_id)
        if CustomerOutcome.objects.filter(return_request=rr).exists():
            return
        when = _policy(rr).refund_trigger
        due = {
            "first_scan": when == "first_scan_trusted" and rr.customer.is_trusted,
            "received": when == "on_receipt",
            "graded": True,
        }
        if trigger not in due:
            raise DomainError(f"Unknown refund trigger {trigger!r}.")
        if due[trigger]:
            outcome_issue(rr=rr, trigger=trigger)


def return_resolve(*, return_id: int, actor=None, notify: bool = True) -> None:
    """After grading: a disposition for every line, the outcome unless issued, → resolved.

    `notify=False` records the move without emailing the customer (demo history)."""
    with transaction.atomic():
        rr = _locked(return_id)
        if rr.status in (S.RESOLVED, S.CLOSED):
            return
        if rr.status != S.GRADED:
            raise IllegalTransition(f"{rr.reference} is not graded yet.")
        dispositions_apply(rr=rr, actor=actor)
        outcome = CustomerOutcome.objects.filter(return_request=rr).first()
        if outcome is None:
            outcome = outcome_issue(rr=rr, trigger="graded", actor=actor)
        return_transition(
            return_id=rr.pk,
            to_status=S.RESOLVED,
            actor=_staff_user(actor),
            actor_kind=ReturnEvent.ActorKind.STAFF if _staff_user(actor) else "system",
            message=outcome_message(outcome),
            details=_details(outcome),
            expected_from=frozenset({S.GRADED}),
            notify=notify,
        )


# --- Deciding and issuing ------------------------------------------------------------------
def outcome_issue(*, rr: ReturnRequest, trigger: str, actor=None) -> CustomerOutcome:
    """Decide and issue the outcome of a locked return (once; later calls return it)."""
    existing = CustomerOutcome.objects.filter(return_request=rr).first()
    if existing is not None:
        return existing
    policy = _policy(rr)
    lines = list(rr.lines.select_related("order_line__product", "exchange_product", "reason"))
    deductions = _deductions(rr) if trigger == "graded" else {}
    due_on = refund_due_on(start=_sla_start(rr, trigger), days=policy.refund_sla_business_days)
    if rr.preferred_outcome == Outcome.REPAIR:
        return _outcome_store(rr, K.REPAIR, trigger=trigger, actor=actor, reason="Repair.")
    if rr.kind == ReturnKind.END_OF_LIFE:
        return _outcome_store(
            rr, K.NOTHING_DUE, trigger=trigger, actor=actor, reason="End-of-life recycling."
        )

    exchanged: list[ExchangeOrder] = []
    money_lines = lines
    money_kind = rr.preferred_outcome
    if rr.preferred_outcome in EXCHANGE_OUTCOMES:
        exchanged, money_lines, notes = _exchange(rr, lines, deductions)
        money_kind = _fallback(rr)
    else:
        notes = []
    bonus = policy.store_credit_bonus_percent if money_kind == Outcome.STORE_CREDIT else 0
    breakdown = refund_breakdown(
        lines=[
            LineMoney(
                paid=line.unit_price * line.quantity,
                restocking_fee=line.restocking_fee,
                deduction=deductions.get(line.pk, Decimal("0")),
            )
            for line in money_lines
        ],
        label_fee=rr.label_fee if money_lines else Decimal("0"),
        bonus_percent=Decimal(bonus),
    )
    as_credit = money_kind == Outcome.STORE_CREDIT
    amount = breakdown.credit if as_credit else breakdown.refund
    if amount > 0:
        refund_request(
            customer_id=rr.customer_id,
            amount=amount,
            kind=MK.STORE_CREDIT if as_credit else MK.REFUND,
            idempotency_key=f"return:{rr.pk}:{'store_credit' if as_credit else 'refund'}",
            return_id=rr.pk,
            order_id=rr.order_id,
            payment_reference=rr.order.payment_reference,
            currency=rr.order.currency,
            reason=f"{rr.reference}: {breakdown.explain(rr.order.currency)}",
            due_on=due_on,
            actor=_staff_user(actor),
        )
    _reimburse_own_carrier(rr, due_on=due_on, actor=actor)
    if exchanged:
        kind = K.EXCHANGE_PARTIAL if amount > 0 or money_lines else K.EXCHANGE
    elif amount > 0:
        kind = K.STORE_CREDIT if as_credit else K.REFUND
    else:
        kind = K.NOTHING_DUE
    return _outcome_store(
        rr,
        kind,
        trigger=trigger,
        actor=actor,
        amount=amount if amount > 0 else Decimal("0"),
        reason=" ".join([breakdown.explain(rr.order.currency), *notes]),
        breakdown={
            **breakdown.as_json(),
            "as": "store_credit" if as_credit else "refund",
            "exchanges": [
                {"order": e.reference, "sku": e.product.sku, "quantity": e.quantity}
                for e in exchanged
            ],
            "due_on": due_on.isoformat(),
        },
    )


def _outcome_store(rr, kind, *, trigger, actor, amount=Decimal("0"), reason="", breakdown=None):
    outcome = CustomerOutcome.objects.create(
        return_request=rr,
        kind=kind,
        amount=amount,
        trigger=trigger,
        reason=reason,
        breakdown=breakdown or {},
        decided_by=_staff_user(actor),
    )
    event_record(
        return_request=rr,
        kind="outcome",
        actor=_staff_user(actor),
        actor_kind=ReturnEvent.ActorKind.STAFF if _staff_user(actor) else "system",
        message=outcome_message(outcome),
        details=_details(outcome),
    )
    return outcome


def _deductions(rr: ReturnRequest) -> dict[int, Decimal]:
    return dict(
        Inspection.objects.filter(return_request=rr, kind=Inspection.Kind.PRIMARY).values_list(
            "return_line_id", "deduction"
        )
    )


def _sla_start(rr: ReturnRequest, trigger: str) -> dt.date:
    """The SLA counts from receipt; a refund before receipt counts from today."""
    received = (
        rr.events.filter(kind="status", to_status=S.RECEIVED)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if received is not None and trigger in ("received", "graded"):
        return timezone.localtime(received).date()
    return timezone.localdate()


def _fallback(rr: ReturnRequest) -> str:
    """What an exchange becomes when out of stock: the customer's choice, else store credit."""
    pref = ExchangePreference.objects.filter(return_request=rr).first()
    return pref.fallback if pref else Outcome.STORE_CREDIT


def _exchange(rr, lines: list[ReturnLine], deductions: dict[int, Decimal]):
    """Ship replacements that are in stock; the rest (and damaged lines) fall back to money."""
    wanted = {line.pk: (line.exchange_product or line.order_line.product) for line in lines}
    # Lock the product rows in pk order (no deadlock with another exchange of the same pair).
    products = {
        p.pk: p
        for p in Product.objects.select_for_update()
        .filter(pk__in={p.pk for p in wanted.values()})
        .order_by("pk")
    }
    exchanged, fallback, notes = [], [], []
    for line in lines:
        product = products[wanted[line.pk].pk]
        if deductions.get(line.pk):
            fallback.append(line)
            notes.append(f"{product.sku} not exchanged: the returned item had a deduction.")
        elif product.stock_on_hand >= line.quantity:
            product.stock_on_hand -= line.quantity
            product.save(update_fields=["stock_on_hand"])
            exchanged.append(
                ExchangeOrder.objects.create(
                    return_request=rr, return_line=line, product=product, quantity=line.quantity
                )
            )
        else:
            fallback.append(line)
            notes.append(f"{product.sku} is out of stock.")
    return exchanged, fallback, notes


def _reimburse_own_carrier(rr: ReturnRequest, *, due_on: dt.date, actor) -> None:
    from rma.shipping.models import Shipment

    shipment = Shipment.objects.filter(return_request=rr).first()
    capped = getattr(shipment, "reimbursement_capped", None)
    if shipment is None or shipment.label_payer != "own_carrier" or not capped or capped <= 0:
        return
    refund_request(
        customer_id=rr.customer_id,
        amount=capped,
        kind=MK.REIMBURSEMENT,
        idempotency_key=f"return:{rr.pk}:reimbursement",
        return_id=rr.pk,
        order_id=rr.order_id,
        payment_reference=rr.order.payment_reference,
        currency=rr.order.currency,
        reason=f"{rr.reference}: postage you paid ({shipment.own_carrier_name})",
        due_on=due_on,
        actor=_staff_user(actor),
    )


def outcome_message(outcome: CustomerOutcome) -> str:
    b = outcome.breakdown or {}
    currency = outcome.return_request.order.currency
    exchanges = ", ".join(f"{e['quantity']} × {e['sku']}" for e in b.get("exchanges", []))
    if outcome.kind == K.REFUND:
        return f"Your refund of {outcome.amount} {currency} is on its way."
    if outcome.kind == K.STORE_CREDIT:
        bonus = f" (including a {b['bonus']} bonus)" if b.get("bonus") not in (None, "0.00") else ""
        return f"{outcome.amount} {currency} store credit{bonus} is on its way."
    if outcome.kind == K.EXCHANGE:
        return f"Your replacement ({exchanges}) is being prepared."
    if outcome.kind == K.EXCHANGE_PARTIAL:
        as_what = "store credit" if b.get("as") == "store_credit" else "a refund"
        return (
            f"Your replacement ({exchanges}) is being prepared; for the rest you get "
            f"{as_what} of {outcome.amount} {currency}."
        )
    if outcome.kind == K.REPAIR:
        return "We will repair your item and send it back to you."
    if outcome.kind == K.NO_REFUND:
        return f"No refund for this return: {outcome.reason}"
    return "Nothing is due for this return." + (f" ({outcome.reason})" if outcome.reason else "")


def _details(outcome: CustomerOutcome) -> dict:
    return {"outcome": outcome.kind, "amount": str(outcome.amount), "trigger": outcome.trigger}


# --- Staff decisions -----------------------------------------------------------------------
def return_no_refund(
    *, return_id: int, actor, reason: str, send_back: bool, notify: bool = True
) -> ReturnRequest:
    """Received, but no refund (declined on inspection): record why and resolve the return.

    `send_back`: the items go back to the customer (no disposition); otherwise every line
    must be graded and is routed as usual.
    """
    permission_require(actor, "catalog.resolve_return", "You may not decide outcomes.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why there is no refund (the customer sees it).", field="reason")
    if len(reason) > 1000:
        raise DomainError("Keep the reason under 1000 characters.", field="reason")
    with transaction.atomic():
        rr = _locked(return_id)
        if rr.status not in (S.RECEIVED, S.GRADED):
            raise IllegalTransition(
                f"{rr.reference} is {S(rr.status).label.lower()}: only a received return "
                "can be closed without a refund."
            )
        existing = CustomerOutcome.objects.filter(return_request=rr).first()
        if existing is not None:
            raise Conflict(f"The outcome was already issued: {outcome_message(existing)}")
        if not send_back:
            ungraded = rr.lines.exclude(
                inspections__kind=Inspection.Kind.PRIMARY, inspections__grade__isnull=False
            )
            if ungraded.exists():
                raise DomainError("Grade every item first, or send the items back.")
        what = "The items are sent back to you." if send_back else "We keep the items."
        outcome = _outcome_store(
            rr,
            K.NO_REFUND,
            trigger="staff",
            actor=actor,
            reason=f"{reason} {what}",
            breakdown={"send_back": send_back},
        )
        if rr.status == S.RECEIVED:
            return_transition(
                return_id=rr.pk,
                to_status=S.GRADED,
                actor=actor,
                actor_kind=ReturnEvent.ActorKind.STAFF,
                message="Inspected: declined.",
                details={"no_refund": True},
                expected_from=frozenset({S.RECEIVED}),
                notify=False,
            )
        if not send_back:
            dispositions_apply(rr=rr, actor=actor)
        return return_transition(
            return_id=rr.pk,
            to_status=S.RESOLVED,
            actor=actor,
            actor_kind=ReturnEvent.ActorKind.STAFF,
            message=outcome_message(outcome),
            details=_details(outcome),
            expected_from=frozenset({S.GRADED}),
            notify=notify,
        )


def exchange_preference_set(*, viewer, return_id: int, fallback: str) -> ExchangePreference:
    """The customer (or staff) says what an out-of-stock exchange should become."""
    from rma.selectors import return_get_for_viewer

    if fallback not in ExchangePreference.Fallback.values:
        raise DomainError("Choose refund or store credit.", field="fallback")
    rr = return_get_for_viewer(viewer=viewer, return_id=return_id)
    if rr.preferred_outcome not in EXCHANGE_OUTCOMES:
        raise DomainError("This return is not an exchange.")
    if CustomerOutcome.objects.filter(return_request=rr).exists():
        raise Conflict("The exchange was already handled.")
    pref, _ = ExchangePreference.objects.update_or_create(
        return_request=rr, defaults={"fallback": fallback}
    )
    return pref
