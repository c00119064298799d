"""Shipping writes: plan the parcel, make its label, record tracking, run label batches."""

import datetime as dt
import io
import zipfile
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from returns_portal.errors import Conflict, DomainError, NotFound
from returns_portal.money import money
from rma.events import event_record
from rma.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnRequest
from rma.shipping import routing
from rma.shipping.carriers import BACKENDS, PostalAddress, ShipmentRequest, carrier_backend
from rma.shipping.models import Destination, DestinationRule, LabelBatch, Shipment, TrackingEvent
from rma.states import LabelPayer, ReturnStatus
from rma.transitions import return_transition

S = ReturnStatus
CARRIER = ReturnEvent.ActorKind.CARRIER


class LabelVoided(Conflict):
    """The label was voided (its return was cancelled): it can be neither printed nor bought."""

    status = 410
    code = "label_voided"


def _refuse_if_voided(shipment: Shipment) -> None:
    if shipment.voided:
        raise LabelVoided(
            f"The return label {shipment.tracking_number} was voided when the return was "
            "cancelled, so it can no longer be downloaded or used."
        )


# --- Destinations and routing --------------------------------------------------------
def destination_default() -> Destination:
    found = Destination.objects.filter(is_default=True, active=True).first()
    if found is not None:
        return found
    destination, _ = Destination.objects.get_or_create(
        code="main-warehouse",
        defaults={"name": "Main warehouse", "kind": Destination.Kind.WAREHOUSE, "is_default": True},
    )
    return destination


def destination_for_supplier(*, supplier) -> Destination:
    destination, _ = Destination.objects.get_or_create(
        code=f"supplier-{supplier.code}",
        defaults={
            "kind": Destination.Kind.SUPPLIER,
            "name": supplier.name,
            "supplier": supplier,
            "address_name": supplier.name,
            "address_line1": supplier.address_line1,
            "address_line2": supplier.address_line2,
            "city": supplier.city,
            "region": supplier.region,
            "postal_code": supplier.postal_code,
            "country": supplier.country,
        },
    )
    return destination


def _rule_specs() -> list[routing.RuleSpec]:
    # a rule pointing at a retired destination is skipped rather than followed
    rules = DestinationRule.objects.filter(active=True).filter(
        Q(to_product_supplier=True) | Q(destination__active=True)
    )
    return [
        routing.RuleSpec(
            name=r.name,
            priority=r.priority,
            target=routing.PRODUCT_SUPPLIER if r.to_product_supplier else r.destination_id,
            product_id=r.match_product_id,
            supplier_id=r.match_supplier_id,
            category_id=r.match_category_id,
            reason_id=r.match_reason_id,
            defect=r.match_defect,
            dropship=r.match_dropship,
            supplier_accepts_credit=r.match_supplier_accepts_credit,
        )
        for r in rules
    ]


def _lines(return_id: int) -> list[ReturnLine]:
    return list(
        ReturnLine.objects.filter(return_request_id=return_id).select_related(
            "reason", "order_line__product__supplier"
        )
    )


def route_for_return(
    *, return_id: int, lines: list[ReturnLine] | None = None
) -> tuple[Destination, routing.Route]:
    """Where the return's parcel goes. `lines`: its lines with order line, product,
    supplier and reason loaded, when the caller has them (else they are read)."""
    if lines is None:
        lines = _lines(return_id)
    facts = [
        routing.LineFacts(
            product_id=line.order_line.product_id,
            supplier_id=line.order_line.product.supplier_id,
            category_id=line.order_line.product.category_id,
            reason_id=line.reason_id,
            reason_is_defect=line.reason.is_defect,
            supplier_is_dropship=line.order_line.product.supplier.is_dropship,
            supplier_accepts_credit=line.order_line.product.supplier.accepts_returns_for_credit,
        )
        for line in lines
    ]
    default = destination_default()
    route = routing.route_return(
        lines=facts, rules=_rule_specs(), default_destination_id=default.pk
    )
    if route.supplier_id is not None:
        supplier = next(
            (
                line.order_line.product.supplier
                for line in lines
                if line.order_line.product.supplier_id == route.supplier_id
            ),
            None,
        )
        if supplier is None:
            from catalog.models import Supplier

            supplier = Supplier.objects.get(pk=route.supplier_id)
        return destination_for_supplier(supplier=supplier), route
    if route.destination_id == default.pk:
        return default, route
    return Destination.objects.get(pk=route.destination_id), route


def shipment_plan_for_return(
    *,
    return_id: int,
    return_request: ReturnRequest | None = None,
    lines: list[ReturnLine] | None = None,
    new_return: bool = False,
) -> Shipment:
    """Choose the destination for an approved return (the label is made on demand).

    A caller inside its own transaction may pass the return as it just saved it, its
    `lines` (order line, product, supplier and reason loaded) and `new_return=True` when
    that transaction inserted the return (so it cannot have a shipment yet): nothing is
    read again."""
    # Inside a caller's transaction an error aborts it all, so no savepoint is needed.
    with transaction.atomic(savepoint=False):
        if not new_return:
            existing = Shipment.objects.filter(return_request_id=return_id).first()
            if existing is not None:
                return existing
        if return_request is None:
            return_request = ReturnRequest.objects.get(pk=return_id)
        if lines is None:
            lines = _lines(return_id)
        destination, route = route_for_return(return_id=return_id, lines=lines)
        weight = sum(line.order_line.product.weight_grams * line.quantity for line in lines)
        shipment = Shipment.objects.create(
            return_request=return_request,
            destination=destination,
            routing_rule=route.rule,
            routing_reason=route.reason,
            label_payer=return_request.label_payer,
            weight_grams=weight,
        )
        event_record(
            return_request=return_request,
            kind="shipping",
            message=f"Your parcel will go to {destination.name}.",
            details={"destination_id": destination.pk, "rule": route.rule, "why": route.reason},
        )
    return shipment


# --- Labels --------------------------------------------------------------------------
def _address_of(obj, name: str) -> PostalAddress:
    return PostalAddress(
        name=name,
        lines=tuple(obj.address_lines),
        postal_code=obj.postal_code,
        country=obj.country or "US",
    )


def _shipment_locked(return_id: int, related: tuple[str, ...] = ()) -> Shipment:
    shipment = (
        Shipment.objects.select_for_update(of=("self",))
        .select_related("destination", *related)
        .filter(return_request_id=return_id)
        .first()
    )
    if shipment is None:
        raise NotFound("This return has no shipment yet (it is not approved).")
    return shipment


def _label_cost_record(*, shipment: Shipment, return_request: ReturnRequest, actor) -> None:
    from resolution.models import CostEntry

    if shipment.label_payer == LabelPayer.CUSTOMER:
        note = (
            f"{shipment.carrier} {shipment.service}; customer-paid: "
            f"{return_request.label_fee} deducted from the refund"
        )
    else:
        note = f"{shipment.carrier} {shipment.service}; prepaid by the merchant"
    # one INSERT that the unique source_key makes a no-op the second time
    CostEntry.objects.bulk_create(
        [
            CostEntry(
                source_key=f"label:{shipment.pk}",
                return_request=return_request,
                kind=CostEntry.Kind.LABEL,
                amount=shipment.cost,
                note=note[:300],
                created_by=actor if getattr(actor, "is_authenticated", False) else None,
            )
        ],
        ignore_conflicts=True,
    )


def _carrier_shipment_create(
    *, shipment: Shipment, return_request: ReturnRequest, actor, actor_kind
) -> list[str]:
    """Buy the label from the carrier and issue it; returns the shipment fields to save."""
    if return_request.status not in (S.APPROVED, S.LABEL_ISSUED):
        raise Conflict(
            f"A label can only be made for an approved return; this one is "
            f"{return_request.get_status_display().lower()}."
        )
    carrier = carrier_backend()
    created = carrier.create_shipment(
        ShipmentRequest(
            reference=return_request.rma_number or return_request.reference,
            origin=_address_of(return_request.order, return_request.customer.name),
            destination=_address_of(shipment.destination, shipment.destination.name),
            weight_grams=shipment.weight_grams,
        )
    )
    shipment.carrier = carrier.name
    shipment.service = created.service
    shipment.tracking_number = created.tracking_number
    shipment.cost = money(created.cost)
    shipment.status = Shipment.Status.LABEL_CREATED
    shipment.label_created_at = timezone.now()
    if return_request.status == S.APPROVED:
        return_transition(
            return_id=return_request.pk,
            to_status=S.LABEL_ISSUED,
            actor=actor,
            actor_kind=actor_kind,
            message=f"Return label issued: {carrier.name.upper()} {created.tracking_number}.",
            details={"tracking_number": created.tracking_number, "service": created.service},
            expected_from=frozenset({S.APPROVED}),
        )
    _label_cost_record(shipment=shipment, return_request=return_request, actor=actor)
    return ["carrier", "service", "tracking_number", "cost", "status", "label_created_at"]


def label_create(
    *, return_id: int, actor=None, actor_kind: str = ReturnEvent.ActorKind.SYSTEM
) -> Shipment:
    """Buy the label (once) and store its PDF (once). Safe to call again: returns the same."""
    from rma.shipping.labels import label_html, pdf_from_html

    with transaction.atomic():
        # one locked read brings the return, customer and order the label prints
        shipment = _shipment_locked(
            return_id, related=("return_request__customer", "return_request__order")
        )
        _refuse_if_voided(shipment)
        if shipment.label_payer == LabelPayer.OWN_CARRIER:
            raise DomainError(
                "This return ships with the customer's own carrier: there is no label to print."
            )
        if shipment.label_payer == LabelPayer.NONE:
            raise DomainError("This return needs no parcel, so it has no label.")
        if shipment.tracking_number and shipment.label_pdf:
            return shipment
        return_request = shipment.return_request
        changed = ["label_pdf"]
        if not shipment.tracking_number:
            changed += _carrier_shipment_create(
                shipment=shipment, return_request=return_request, actor=actor, actor_kind=actor_kind
            )
        pdf = pdf_from_html(label_html(shipment=shipment, return_request=return_request))
        shipment.label_pdf.save(
            f"label-{shipment.pk}-{shipment.tracking_number}.pdf", ContentFile(pdf), save=False
        )
        shipment.save(update_fields=changed)
    return shipment


def packing_slip_create(*, return_id: int) -> Shipment:
    """Render (once) the packing slip with the RMA barcode the warehouse scans."""
    from rma.shipping.labels import packing_slip_html, pdf_from_html

    with transaction.atomic():
        shipment = _shipment_locked(return_id)
        _refuse_if_voided(shipment)
        if shipment.packing_slip_pdf:
            return shipment
        return_request = ReturnRequest.objects.select_related("customer", "order").get(pk=return_id)
        pdf = pdf_from_html(
            packing_slip_html(
                shipment=shipment, return_request=return_request, lines=_lines(return_id)
            )
        )
        shipment.packing_slip_pdf.save(
            f"packing-slip-{shipment.pk}.pdf", ContentFile(pdf), save=False
        )
        shipment.save(update_fields=["packing_slip_pdf"])
    return shipment


# --- Own carrier ---------------------------------------------------------------------
def own_carrier_record(
    *, return_id: int, tracking_number: str, carrier_name: str, claim_amount, actor=None
) -> Shipment:
    """The customer shipped it themselves: note the tracking number and the cost claim."""
    from resolution.models import CostEntry

    tracking_number = (tracking_number or "").strip().upper()
    carrier_name = (carrier_name or "").strip()
    if not (4 <= len(tracking_number) <= 40) or not tracking_number.isalnum():
        raise DomainError(
            "Enter the tracking number from your carrier's receipt (letters and digits).",
            field="tracking_number",
        )
    if not carrier_name or len(carrier_name) > 60:
        raise DomainError("Enter the carrier's name.", field="carrier")
    try:
        claim = money(Decimal(str(claim_amount)))
    except (ArithmeticError, ValueError, TypeError):
        raise DomainError("Enter the postage you paid, e.g. 8.50.", field="claim_amount") from None
    if claim < 0 or claim > Decimal("100000"):
        raise DomainError("Enter the postage you paid, e.g. 8.50.", field="claim_amount")
    with transaction.atomic():
        shipment = _shipment_locked(return_id)
        if shipment.label_payer != LabelPayer.OWN_CARRIER:
            raise DomainError("This return has a prepaid or customer-paid label; use that.")
        if shipment.tracking_number:
            raise Conflict("The tracking number is already recorded.")
        return_request = ReturnRequest.objects.get(pk=return_id)
        policy = return_request.policy or ReturnPolicy.objects.filter(is_active=True).first()
        limit = policy.own_carrier_reimbursement_limit if policy else Decimal("0.00")
        capped = min(claim, limit)
        if Shipment.objects.filter(tracking_number=tracking_number).exists():
            raise Conflict(
                "That tracking number is already used by another return.", field="tracking_number"
            )
        shipment.tracking_number = tracking_number
        shipment.own_carrier_name = carrier_name
        shipment.carrier = carrier_name[:40]
        shipment.reimbursement_claim = claim
        shipment.reimbursement_capped = capped
        shipment.status = Shipment.Status.IN_TRANSIT
        shipment.save()
        return_transition(
            return_id=return_id,
            to_status=S.IN_TRANSIT,
            actor=actor,
            actor_kind=ReturnEvent.ActorKind.CUSTOMER,
            message=(
                f"Shipped with {carrier_name}, tracking {tracking_number}. Postage claim "
                f"{claim}, reimbursable up to {capped}."
            ),
            details={
                "tracking_number": tracking_number,
                "claim": str(claim),
                "reimbursable": str(capped),
            },
            expected_from=frozenset({S.APPROVED}),
        )
        if capped > 0:
            CostEntry.objects.get_or_create(
                source_key=f"label:{shipment.pk}",
                defaults={
                    "return_request": return_request,
                    "kind": CostEntry.Kind.LABEL,
                    "amount": capped,
                    "note": f"Own-carrier postage reimbursement ({carrier_name})"[:300],
                },
            )
    return shipment


# --- Void on cancel ------------------------------------------------------------------
SCANNED = frozenset(
    {
        Shipment.Status.IN_TRANSIT,
        Shipment.Status.OUT_FOR_DELIVERY,
        Shipment.Status.DELIVERED,
        Shipment.Status.EXCEPTION,
    }
)


def _carrier_of(shipment: Shipment):
    """The backend that issued this label (the configured one, or a built-in by name)."""
    configured = carrier_backend()
    if shipment.carrier in ("", configured.name):
        return configured
    if shipment.carrier in BACKENDS:
        return carrier_backend(shipment.carrier)
    raise Conflict(
        f"The label was issued by the carrier {shipment.carrier!r}, which is no longer "
        "configured, so it cannot be voided here; void it with the carrier first."
    )


def _label_cost_reverse(*, shipment: Shipment, return_request: ReturnRequest, actor):
    """Book the opposite of the label's cost entry (once), so the return's label cost nets 0."""
    from resolution.models import CostEntry

    booked = CostEntry.objects.filter(source_key=f"label:{shipment.pk}").first()
    if booked is None or not booked.amount:
        return None
    reversal, _ = CostEntry.objects.get_or_create(
        source_key=f"label-void:{shipment.pk}",
        defaults={
            "return_request": return_request,
            "kind": CostEntry.Kind.LABEL,
            "amount": -booked.amount,
            "note": f"Label {shipment.tracking_number} voided: the carrier does not bill it"[:300],
            "created_by": actor if getattr(actor, "is_authenticated", False) else None,
        },
    )
    return reversal


def shipments_void_for_return(*, return_id: int, actor=None) -> Shipment | None:
    """The return is being cancelled: void its label before the carrier bills it.

    Called by `rma.hooks.return_cancelled` inside the cancel's transaction. The carrier is
    asked first: if it refuses, or has already scanned the parcel, this raises and the
    cancel rolls back with it, so a return is never cancelled while its parcel travels.
    A return without a label (planned, own carrier, no parcel) needs nothing. Idempotent.
    """
    with transaction.atomic():
        shipment = Shipment.objects.select_for_update().filter(return_request_id=return_id).first()
        if shipment is None or shipment.voided:
            return shipment
        if shipment.status in SCANNED or shipment.events.exists():
            raise Conflict(
                "The carrier has already scanned this parcel, so its label cannot be voided "
                "and the return can no longer be cancelled.",
                details={"tracking_number": shipment.tracking_number, "status": shipment.status},
            )
        if shipment.status != Shipment.Status.LABEL_CREATED or not shipment.tracking_number:
            return shipment  # no label was bought: nothing to void
        return_request = ReturnRequest.objects.get(pk=return_id)
        _carrier_of(shipment).void(shipment.tracking_number)
        now = timezone.now()
        stored = [f for f in (shipment.label_pdf, shipment.packing_slip_pdf) if f]
        files = [(f.storage, f.name) for f in stored]
        shipment.status = Shipment.Status.VOIDED
        shipment.voided_at = now
        shipment.label_pdf = ""
        shipment.packing_slip_pdf = ""
        shipment.save(update_fields=["status", "voided_at", "label_pdf", "packing_slip_pdf"])
        TrackingEvent.objects.get_or_create(
            carrier=shipment.carrier or "offline",
            event_id=f"void:{shipment.tracking_number}",
            defaults={
                "shipment": shipment,
                "status": Shipment.Status.VOIDED,
                "occurred_at": now,
                "description": "Label voided: the return was cancelled.",
            },
        )
        reversal = _label_cost_reverse(
            shipment=shipment, return_request=return_request, actor=actor
        )
        event_record(
            return_request=return_request,
            kind="shipping",
            actor=actor,
            message=(
                f"Return label {shipment.carrier.upper()} {shipment.tracking_number} voided: "
                "it can no longer be used and nobody is charged for it."
            ),
            details={
                "tracking_number": shipment.tracking_number,
                "carrier": shipment.carrier,
                "label_payer": shipment.label_payer,
                "cost_reversed": str(-reversal.amount) if reversal is not None else "0.00",
            },
            visible_to_customer=True,
        )

        def delete_files() -> None:
            for storage, name in files:
                storage.delete(name)

        transaction.on_commit(delete_files)
    return shipment


# --- Tracking ------------------------------------------------------------------------
TRACKING_TO_RETURN = {
    "in_transit": S.IN_TRANSIT,
    "out_for_delivery": S.IN_TRANSIT,
    "delivered": S.DELIVERED,
}
MOVES_FROM = {
    S.IN_TRANSIT: frozenset({S.APPROVED, S.LABEL_ISSUED}),
    S.DELIVERED: frozenset({S.APPROVED, S.LABEL_ISSUED, S.IN_TRANSIT}),
}


def tracking_event_ingest(
    *,
    tracking_number: str,
    event_id: str,
    status: str,
    occurred_at: dt.datetime,
    location: str = "",
    description: str = "",
) -> tuple[TrackingEvent, bool]:
    """Record one carrier scan; move the return on. Returns (event, created).

    A redelivered event (same carrier and id) changes nothing.
    """
    first_scan_return_id = None
    with transaction.atomic():
        shipment = (
            Shipment.objects.select_for_update().filter(tracking_number=tracking_number).first()
        )
        if shipment is None:
            raise NotFound("Unknown tracking number.", field="tracking_number")
        carrier = shipment.carrier or "offline"
        existing = TrackingEvent.objects.filter(carrier=carrier, event_id=event_id).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                event = TrackingEvent.objects.create(
                    shipment=shipment,
                    carrier=carrier,
                    event_id=event_id,
                    status=status,
                    occurred_at=occurred_at,
                    location=location,
                    description=description,
                )
        except IntegrityError:  # the same event raced in on another request
            return TrackingEvent.objects.get(carrier=carrier, event_id=event_id), False
        return_request = ReturnRequest.objects.select_for_update().get(
            pk=shipment.return_request_id
        )
        if shipment.voided:
            # the customer sent it anyway: staff must know, but the return stays cancelled
            event_record(
                return_request=return_request,
                kind="tracking",
                actor_kind=CARRIER,
                message=f"Carrier scan of voided label {tracking_number}: {status}.",
                details={
                    "tracking_number": tracking_number,
                    "status": status,
                    "event_id": event_id,
                },
                visible_to_customer=False,
            )
            return event, True
        # a late "in transit" after "delivered" must not move the parcel backwards
        newest = shipment.events.exclude(pk=event.pk).order_by("-occurred_at").first()
        if newest is None or newest.occurred_at <= occurred_at:
            shipment.status = status
            shipment.save(update_fields=["status"])
        text = description or dict(Shipment.Status.choices).get(status, status)
        event_record(
            return_request=return_request,
            kind="tracking",
            actor_kind=CARRIER,
            message=f"{text}{f' — {location}' if location else ''}",
            details={
                "tracking_number": tracking_number,
                "status": status,
                "event_id": event_id,
                "occurred_at": occurred_at.isoformat(),
                "location": location,
            },
            visible_to_customer=True,
        )
        to_status = TRACKING_TO_RETURN.get(status)
        if to_status and return_request.status in MOVES_FROM[to_status]:
            was = return_request.status
            return_transition(
                return_id=return_request.pk,
                to_status=to_status,
                actor_kind=CARRIER,
                message=text,
                details={"tracking_event_id": event.pk},
                expected_from=MOVES_FROM[to_status],
            )
            if was in (S.APPROVED, S.LABEL_ISSUED):
                first_scan_return_id = return_request.pk
        if first_scan_return_id is not None:
            from rma.hooks import return_first_scan

            return_first_scan(return_id=first_scan_return_id)
    return event, True


# --- Label batches -------------------------------------------------------------------
BATCH_MAX = 5000


def label_batch_create(*, actor, return_ids: list[int]) -> LabelBatch:
    ids = sorted(set(return_ids))
    if not ids:
        raise DomainError("No approved returns were selected.", field="return_ids")
    if len(ids) > BATCH_MAX:
        raise DomainError(f"At most {BATCH_MAX} labels per batch.", field="return_ids")
    from rma.shipping.tasks import label_batch_run

    with transaction.atomic():
        batch = LabelBatch.objects.create(created_by=actor, return_ids=ids, total=len(ids))
        transaction.on_commit(lambda: label_batch_run.delay(batch.pk))
    return batch


def label_batch_run(*, batch_id: int) -> LabelBatch:
    """Make every label of the batch, counting progress as it goes; then zip the PDFs."""
    claimed = LabelBatch.objects.filter(pk=batch_id, status=LabelBatch.Status.QUEUED).update(
        status=LabelBatch.Status.RUNNING
    )
    batch = LabelBatch.objects.get(pk=batch_id)
    if not claimed and batch.status != LabelBatch.Status.RUNNING:
        return batch  # finished already: a redelivered task does nothing
    progressed = batch.done + batch.failed
    for return_id in batch.return_ids[progressed:]:
        try:
            label_create(
                return_id=return_id, actor=batch.created_by, actor_kind=ReturnEvent.ActorKind.STAFF
            )
        except DomainError as exc:
            LabelBatch.objects.filter(pk=batch_id).update(failed=F("failed") + 1)
            batch.errors.append({"return_id": return_id, "error": exc.message})
            LabelBatch.objects.filter(pk=batch_id).update(errors=batch.errors)
        else:
            LabelBatch.objects.filter(pk=batch_id).update(done=F("done") + 1)
    batch.refresh_from_db()
    _batch_zip(batch)
    batch.status = LabelBatch.Status.DONE if batch.done else LabelBatch.Status.FAILED
    batch.finished_at = timezone.now()
    batch.save(update_fields=["status", "finished_at", "result"])
    return batch


def _batch_zip(batch: LabelBatch) -> None:
    shipments = (
        Shipment.objects.filter(
            return_request_id__in=batch.return_ids, tracking_number__isnull=False
        )
        .exclude(label_pdf="")
        .select_related("return_request")
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for shipment in shipments:
            with shipment.label_pdf.open("rb") as pdf:
                archive.writestr(f"{shipment.return_request.reference}.pdf", pdf.read())
    batch.result.save(f"labels-batch-{batch.pk}.zip", ContentFile(buffer.getvalue()), save=False)
