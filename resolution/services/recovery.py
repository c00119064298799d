"""Follow-ups that turn a route into money: refurbishment done, lot sold, supplier credit."""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from resolution.amounts import spread
from resolution.models import (
    CostEntry,
    Disposition,
    LiquidationLot,
    RefurbishmentJob,
    StockUnit,
    SupplierClaim,
)
from resolution.selectors import disposition_settings, rates_for
from resolution.services.movements import amount_parse
from resolution.services.route_work import (
    cost_book,
    route_cost_refresh,
    stock_add,
    write_down_book,
)
from returns_portal.errors import Conflict, DomainError, NotFound, permission_require
from returns_portal.money import ZERO, money, percent_of

J = RefurbishmentJob.Status


def _require(actor, perm: str = "resolve_return") -> None:
    permission_require(actor, f"catalog.{perm}", "You may not do that.")


def _cost_parse(value, *, default):
    if value in (None, ""):
        return default
    text = str(value).strip()
    if text in ("0", "0.0", "0.00"):
        return ZERO
    return amount_parse(text, field="actual_cost")


def refurbishment_complete(
    *, job_id: int, result: str, actor, actual_cost=None, note: str = ""
) -> RefurbishmentJob:
    """Finish a job: restocked as refurbished, disposed of, or (repairs) back to the customer."""
    _require(actor)
    if result not in (J.RESTOCKED, J.DISPOSED, J.RETURNED):
        raise DomainError("Choose what happened to the item.", field="result")
    with transaction.atomic():
        job = (
            RefurbishmentJob.objects.select_for_update(of=("self",))
            .select_related("disposition__return_request", "product__supplier")
            .filter(pk=job_id)
            .first()
        )
        if job is None:
            raise NotFound("Refurbishment job not found.")
        if job.status != J.OPEN:
            raise Conflict(f"This job is already {job.get_status_display().lower()}.")
        if result == J.RETURNED and not job.for_customer:
            raise DomainError("Only a warranty repair goes back to the customer.", field="result")
        if result != J.RETURNED and job.for_customer:
            raise DomainError("A warranty repair goes back to the customer.", field="result")
        cost = _cost_parse(actual_cost, default=job.estimated_cost)
        d: Disposition = job.disposition
        config = disposition_settings()
        cost_book(d, "refurbish", CostEntry.Kind.HANDLING, cost, f"Refurbishment job #{job.pk}")
        if result == J.RESTOCKED:
            rates = rates_for(category_id=job.product.category_id, defaults=config)
            stock_add(
                product=job.product,
                condition=StockUnit.Condition.REFURBISHED,
                grade=None,
                quantity=job.quantity,
            )
            d.recovered_value = money(
                percent_of(job.product.price, rates.refurbished_resale_percent) * job.quantity
            )
        elif result == J.DISPOSED:
            rates = rates_for(category_id=job.product.category_id, defaults=config)
            cost_book(
                d,
                "disposal",
                CostEntry.Kind.HANDLING,
                rates.disposal_fee * job.quantity,
                "Disposal after a failed refurbishment",
            )
            write_down_book(d, unit_cost=job.product.unit_cost, recycler=config.recycler_name)
        route_cost_refresh(d)
        d.save()
        job.status = result
        job.actual_cost = cost
        job.note = (note or "").strip()[:300]
        job.completed_at = timezone.now()
        job.completed_by = actor
        job.save()
        audit_record(
            obj=job,
            action="completed",
            actor=actor,
            from_state=J.OPEN,
            to_state=result,
            note=f"{job.get_status_display()}; actual cost {cost}."
            + (f" {job.note}" if job.note else ""),
            data={"actual_cost": str(cost), "return_id": d.return_request_id},
        )
    return job


def liquidation_lot_sell(*, lot_id: int, amount, buyer: str, actor) -> LiquidationLot:
    """Sell the lot as a whole; the price is spread over its items by expected value."""
    _require(actor)
    amount = amount_parse(amount)
    buyer = (buyer or "").strip()
    if not buyer or len(buyer) > 200:
        raise DomainError("Name the buyer.", field="buyer")
    with transaction.atomic():
        lot = LiquidationLot.objects.select_for_update().filter(pk=lot_id).first()
        if lot is None:
            raise NotFound("Lot not found.")
        if lot.status != LiquidationLot.Status.OPEN:
            raise Conflict(f"Lot {lot.reference} is already sold.")
        items = list(lot.items.select_related("disposition").order_by("pk"))
        if not items:
            raise DomainError("The lot is empty.")
        shares = spread(amount, [i.expected_value for i in items])
        for item, share in zip(items, shares, strict=True):
            item.recovered_value = share
            item.save(update_fields=["recovered_value"])
            Disposition.objects.filter(pk=item.disposition_id).update(recovered_value=share)
        lot.status = LiquidationLot.Status.SOLD
        lot.sold_amount, lot.buyer = amount, buyer
        lot.sold_at, lot.sold_by = timezone.now(), actor
        lot.save()
        audit_record(
            obj=lot,
            action="sold",
            actor=actor,
            from_state=LiquidationLot.Status.OPEN,
            to_state=LiquidationLot.Status.SOLD,
            note=f"Sold to {buyer} for {amount} ({len(items)} item(s)).",
            data={"buyer": buyer, "amount": str(amount), "items": len(items)},
        )
    return lot


def _claim_locked(claim_id: int) -> SupplierClaim:
    claim = SupplierClaim.objects.select_for_update().filter(pk=claim_id).first()
    if claim is None:
        raise NotFound("Supplier claim not found.")
    return claim


def supplier_claim_ship(*, claim_id: int, tracking_number: str, actor) -> SupplierClaim:
    _require(actor)
    tracking = (tracking_number or "").strip().upper()
    if not tracking or len(tracking) > 60 or not tracking.replace("-", "").isalnum():
        raise DomainError("Enter the tracking number (letters and digits).", field="tracking")
    with transaction.atomic():
        claim = _claim_locked(claim_id)
        if claim.status != SupplierClaim.Status.OPEN:
            raise Conflict(f"{claim.reference} has already shipped.")
        if not claim.items.exists():
            raise DomainError("The claim has no items.")
        claim.status = SupplierClaim.Status.SHIPPED
        claim.tracking_number, claim.shipped_at = tracking, timezone.now()
        claim.save()
        audit_record(
            obj=claim,
            action="shipped",
            actor=actor,
            from_state=SupplierClaim.Status.OPEN,
            to_state=SupplierClaim.Status.SHIPPED,
            note=f"Shipped to the supplier, tracking {tracking}.",
            data={"tracking_number": tracking},
        )
    return claim


def supplier_claim_credit(*, claim_id: int, amount, credit_note: str, actor) -> SupplierClaim:
    """The supplier's credit note arrived: spread it over the items by expected credit."""
    _require(actor)
    text = str(amount).strip()
    credited = ZERO if text in ("0", "0.00") else amount_parse(text)
    credit_note = (credit_note or "").strip()
    if len(credit_note) > 100:
        raise DomainError("The credit note number is too long.", field="credit_note")
    with transaction.atomic():
        claim = _claim_locked(claim_id)
        if claim.status != SupplierClaim.Status.SHIPPED:
            raise Conflict(
                f"{claim.reference} is {claim.get_status_display().lower()}: "
                "only a shipped claim can be credited."
            )
        items = list(claim.items.order_by("pk"))
        for item, share in zip(
            items, spread(credited, [i.expected_credit for i in items]), strict=True
        ):
            item.credited = share
            item.save(update_fields=["credited"])
            Disposition.objects.filter(pk=item.disposition_id).update(recovered_value=share)
        claim.status = SupplierClaim.Status.CREDITED
        claim.credited_amount, claim.credit_note = credited, credit_note
        claim.credited_at = timezone.now()
        claim.save()
        audit_record(
            obj=claim,
            action="credited",
            actor=actor,
            from_state=SupplierClaim.Status.SHIPPED,
            to_state=SupplierClaim.Status.CREDITED,
            note=f"Credited {credited}" + (f", credit note {credit_note}." if credit_note else "."),
            data={"amount": str(credited), "credit_note": credit_note},
        )
    return claim
