"""Store credit spends and adjustments. Issues come from money movements (one path)."""

from django.db import IntegrityError, transaction

from catalog.models import Customer
from resolution.models import StoreCreditEntry
from resolution.selectors import store_credit_balance
from resolution.services.movements import amount_parse
from returns_portal.errors import Conflict, DomainError, NotFound, permission_require

E = StoreCreditEntry


def _customer_locked(customer_id: int) -> Customer:
    # Every spend and adjustment of one customer's credit queues on this row lock, so two
    # spends can never both see the same balance.
    customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
    if customer is None:
        raise NotFound("Customer not found.")
    return customer


def store_credit_spend(
    *, customer_id: int, amount, idempotency_key: str, note: str = "", actor=None
) -> StoreCreditEntry:
    """Spend credit (e.g. at checkout). The same key twice spends once; never overdraws."""
    amount = amount_parse(amount)
    key = (idempotency_key or "").strip()
    if not key or len(key) > 100 or not key.isprintable():
        raise DomainError(
            "Send an Idempotency-Key of 1 to 100 printable characters.", field="idempotency_key"
        )
    key = f"spend:{key}"
    with transaction.atomic():
        _customer_locked(customer_id)
        existing = E.objects.filter(idempotency_key=key).first()
        if existing is not None:
            if existing.customer_id != customer_id or existing.amount != -amount:
                raise Conflict("That idempotency key was already used for another spend.")
            return existing
        balance = store_credit_balance(customer_id=customer_id)
        if amount > balance:
            raise Conflict(
                f"Not enough store credit: the balance is {balance}.",
                details={"balance": str(balance)},
            )
        try:
            with transaction.atomic():
                return E.objects.create(
                    customer_id=customer_id,
                    amount=-amount,
                    kind=E.Kind.SPEND,
                    idempotency_key=key,
                    note=(note or "")[:300],
                    created_by=actor if getattr(actor, "is_authenticated", False) else None,
                )
        except IntegrityError:  # same key from another customer's request in flight
            raise Conflict("That idempotency key was already used for another spend.") from None


def store_credit_adjust(*, customer_id: int, amount, reason: str, actor) -> StoreCreditEntry:
    """Staff correct a balance up or down (never below zero), with a reason."""
    permission_require(actor, "catalog.issue_goodwill", "You may not adjust store credit.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the balance changes.", field="reason")
    raw = str(amount).strip()
    negative = raw.startswith("-")
    value = amount_parse(raw.lstrip("-+"))
    with transaction.atomic():
        _customer_locked(customer_id)
        if negative and value > store_credit_balance(customer_id=customer_id):
            raise Conflict("The balance cannot go below zero.")
        return E.objects.create(
            customer_id=customer_id,
            amount=-value if negative else value,
            kind=E.Kind.ADJUST,
            note=reason[:300],
            created_by=actor,
        )
