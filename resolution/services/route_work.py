"""What each route physically does, and how an override takes it back.

restock → new stock (`Product.stock_on_hand`) for the grades listed in the settings, open-box
stock (`StockUnit`) for other sellable grades; refurbish → a RefurbishmentJob; liquidate →
the open LiquidationLot; return to supplier → the supplier's open SupplierClaim; dispose → a
write-down of the unit cost and the recycler. Each books its costs as CostEntry rows keyed
`disposition:<id>:<part>` (booked once) and its recovery on the Disposition.
"""

from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F

from audit.services import audit_record
from catalog.models import Product
from resolution.models import (
    CostEntry,
    Disposition,
    DispositionSettings,
    LiquidationItem,
    LiquidationLot,
    RefurbishmentJob,
    Route,
    StockUnit,
    SupplierClaim,
    SupplierClaimItem,
)
from resolution.routing import Rates
from returns_portal.errors import Conflict
from returns_portal.money import ZERO, money

C = CostEntry.Kind


def cost_book(disposition: Disposition, part: str, kind: str, amount: Decimal, note: str) -> None:
    amount = money(amount)
    if amount <= 0:
        return
    # One upsert on the unique key: booked once, and a re-booking (a refurbishment's actual
    # cost replacing nothing, an override re-routing) overwrites rather than duplicates.
    CostEntry.objects.bulk_create(
        [
            CostEntry(
                source_key=f"disposition:{disposition.pk}:{part}",
                return_request_id=disposition.return_request_id,
                kind=kind,
                amount=amount,
                note=note[:300],
            )
        ],
        update_conflicts=True,
        unique_fields=["source_key"],
        update_fields=["return_request", "kind", "amount", "note"],
    )


def route_cost_refresh(disposition: Disposition) -> None:
    """route_cost = every cost booked for this disposition except the write-down."""
    total = sum(
        CostEntry.objects.filter(source_key__startswith=f"disposition:{disposition.pk}:")
        .exclude(kind=C.WRITE_DOWN)
        .values_list("amount", flat=True),
        ZERO,
    )
    disposition.route_cost = money(total)


def write_down_book(disposition: Disposition, *, unit_cost: Decimal, recycler: str) -> None:
    disposition.write_down = money(unit_cost * disposition.quantity)
    disposition.recycler = recycler[:120]
    cost_book(
        disposition,
        "write_down",
        C.WRITE_DOWN,
        disposition.write_down,
        f"Written off: {disposition.quantity} × unit cost {unit_cost}, to {recycler}",
    )


def route_apply(
    *,
    disposition: Disposition,
    product: Product,
    grade,
    rates: Rates,
    config: DispositionSettings,
    actor=None,
) -> None:
    """Do the route's work for a freshly routed disposition, then save it.

    `actor`: who routed it (None: the routing engine). A staff override that does not pass
    it is still attributed to the staff member it records as `overridden_by`."""
    d, qty = disposition, disposition.quantity
    actor = actor if actor is not None else d.overridden_by
    if qty > 0:
        cost_book(d, "handling", C.HANDLING, rates.handling_cost * qty, f"Handling, {d.route}")
        if d.route == Route.RESTOCK:
            _restock(d, product=product, grade=grade, config=config)
        elif d.route == Route.REFURBISH:
            job = RefurbishmentJob.objects.create(
                disposition=d,
                product=product,
                quantity=qty,
                estimated_cost=money(rates.refurbish_cost * qty),
                for_customer=d.return_request.preferred_outcome == "repair",
            )
            audit_record(
                obj=job,
                action="opened",
                actor=actor,
                to_state=job.status,
                note=f"{qty} × {product.sku} from {d.return_request.reference} to refurbish"
                + (" (warranty repair for the customer)" if job.for_customer else "")
                + f"; estimated cost {job.estimated_cost}.",
                data=_origin(d, estimated_cost=str(job.estimated_cost)),
            )
        elif d.route == Route.LIQUIDATE:
            lot = _open(LiquidationLot, actor=actor, note="Opened to collect liquidated items.")
            item = LiquidationItem.objects.create(
                lot=lot, disposition=d, expected_value=d.expected_recovery
            )
            _item_audit(
                lot, "item_added", d, actor, sku=product.sku, expected_value=item.expected_value
            )
        elif d.route == Route.RETURN_TO_SUPPLIER:
            claim = _open(
                SupplierClaim,
                actor=actor,
                note=f"Opened to send items back to {product.supplier.name}.",
                supplier_id=product.supplier_id,
            )
            item = SupplierClaimItem.objects.create(
                claim=claim,
                disposition=d,
                quantity=qty,
                expected_credit=d.expected_recovery,
            )
            _item_audit(
                claim, "item_added", d, actor, sku=product.sku, expected_credit=item.expected_credit
            )
            cost_book(
                d,
                "shipping",
                C.SHIPPING,
                rates.supplier_shipping_cost * qty,
                f"Shipping {qty} to {product.supplier.name}",
            )
        elif d.route == Route.DISPOSE:
            cost_book(
                d, "disposal", C.HANDLING, rates.disposal_fee * qty, f"Disposal fee, {qty} unit(s)"
            )
            write_down_book(d, unit_cost=product.unit_cost, recycler=config.recycler_name)
    route_cost_refresh(d)
    d.save()


def _restock(d: Disposition, *, product: Product, grade, config: DispositionSettings) -> None:
    if grade is not None and grade.code.upper() in config.new_stock_grade_codes:
        Product.objects.filter(pk=product.pk).update(stock_on_hand=F("stock_on_hand") + d.quantity)
        d.stock_unit = None
    else:
        unit = _stock_unit(product=product, condition=StockUnit.Condition.OPEN_BOX, grade=grade)
        StockUnit.objects.filter(pk=unit.pk).update(quantity=F("quantity") + d.quantity)
        d.stock_unit = unit
    d.recovered_value = d.expected_recovery


def _stock_unit(*, product: Product, condition: str, grade) -> StockUnit:
    lookup = {"product": product, "condition": condition, "grade": grade}
    found = StockUnit.objects.filter(**lookup).first()
    if found is not None:  # the common case: no savepoint needed
        return found
    try:
        with transaction.atomic():
            unit, _ = StockUnit.objects.get_or_create(**lookup)
    except IntegrityError:  # created by a concurrent restock
        unit = StockUnit.objects.get(**lookup)
    return unit


def stock_add(*, product: Product, condition: str, grade, quantity: int) -> StockUnit:
    unit = _stock_unit(product=product, condition=condition, grade=grade)
    StockUnit.objects.filter(pk=unit.pk).update(quantity=F("quantity") + quantity)
    return unit


def _origin(d: Disposition, **extra) -> dict:
    return {
        "disposition_id": d.pk,
        "return_id": d.return_request_id,
        "quantity": d.quantity,
        **extra,
    }


def _item_audit(container, action: str, d: Disposition, actor, *, sku: str = "", **expected):
    """A lot's or claim's history: the item of `d` was added (`sku` given) or taken out."""
    ((label, value),) = expected.items()  # expected_value (a lot) or expected_credit (a claim)
    ref = d.return_request.reference
    if action == "item_added":
        worth = "expected credit" if label == "expected_credit" else "expected"
        note = f"Added {d.quantity} × {sku} from {ref}, {worth} {value}."
    else:
        note = f"Took out the item of {ref}: it was routed elsewhere."
    audit_record(
        obj=container, action=action, actor=actor, note=note, data=_origin(d, **{label: str(value)})
    )


def _open(model, *, actor=None, note: str = "", **lookup):
    """The open lot / claim, made on first use (a partial unique index keeps it single)."""
    found = model.objects.filter(status="open", **lookup).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            made = model.objects.create(status="open", **lookup)
            audit_record(obj=made, action="opened", actor=actor, to_state="open", note=note)
            return made
    except IntegrityError:  # opened by a concurrent routing: its entry is written there
        return model.objects.get(status="open", **lookup)


def route_undo(*, disposition: Disposition, actor=None) -> None:
    """Take back what the route did, or Conflict if it can no longer be taken back."""
    d, qty = disposition, disposition.quantity
    why = f"{d.return_request.reference} was routed elsewhere"
    if qty > 0 and d.route == Route.RESTOCK:
        if d.stock_unit_id:
            taken = StockUnit.objects.filter(pk=d.stock_unit_id, quantity__gte=qty).update(
                quantity=F("quantity") - qty
            )
        else:
            product_id = d.return_line.order_line.product_id
            taken = Product.objects.filter(pk=product_id, stock_on_hand__gte=qty).update(
                stock_on_hand=F("stock_on_hand") - qty
            )
        if not taken:
            raise Conflict("The restocked units were sold already; the route cannot change.")
    elif d.route == Route.REFURBISH:
        job = RefurbishmentJob.objects.filter(disposition=d).first()
        if job is not None and job.status != RefurbishmentJob.Status.OPEN:
            raise Conflict("The refurbishment is finished; the route cannot change.")
        if job is not None:
            # the job row goes; its history stays (the trail points at it by id)
            audit_record(
                obj=job,
                action="cancelled",
                actor=actor,
                from_state=job.status,
                to_state="cancelled",
                note=f"Cancelled: {why}.",
                data=_origin(d),
            )
        RefurbishmentJob.objects.filter(disposition=d).delete()
    elif d.route == Route.LIQUIDATE:
        item = LiquidationItem.objects.select_related("lot").filter(disposition=d).first()
        if item is not None and item.lot.status != LiquidationLot.Status.OPEN:
            raise Conflict(f"Lot {item.lot.reference} is sold; the route cannot change.")
        if item is not None:
            _item_audit(item.lot, "item_removed", d, actor, expected_value=item.expected_value)
        LiquidationItem.objects.filter(disposition=d).delete()
    elif d.route == Route.RETURN_TO_SUPPLIER:
        item = SupplierClaimItem.objects.select_related("claim").filter(disposition=d).first()
        if item is not None and item.claim.status != SupplierClaim.Status.OPEN:
            raise Conflict(f"Claim {item.claim.reference} has shipped; the route cannot change.")
        if item is not None:
            _item_audit(item.claim, "item_removed", d, actor, expected_credit=item.expected_credit)
        SupplierClaimItem.objects.filter(disposition=d).delete()
    CostEntry.objects.filter(source_key__startswith=f"disposition:{d.pk}:").delete()
    d.recovered_value = d.route_cost = d.write_down = ZERO
    d.recycler = ""
    d.stock_unit = None
