"""Route each graded line (the engine picks, staff may override) and do the route's work."""

from dataclasses import dataclass

from django.db import transaction

from assessment.models import ArrivedAs, Grade, Inspection
from resolution import routing
from resolution.models import Disposition, DispositionSettings, Route, SupplierReturnTerms
from resolution.routing import Choice, LineFacts, Rates
from resolution.selectors import disposition_settings, rates_for
from resolution.services.route_work import route_apply, route_undo
from returns_portal.errors import DomainError, NotFound, permission_require
from rma.events import event_record
from rma.models import ReturnEvent, ReturnLine, ReturnRequest
from rma.states import ReturnKind

NOTHING_ARRIVED = frozenset({ArrivedAs.WRONG_ITEM, ArrivedAs.EMPTY_BOX})


@dataclass(frozen=True)
class LineContext:
    line: ReturnLine
    grade: Grade | None
    facts: LineFacts
    rates: Rates


def line_context(
    *, line: ReturnLine, inspection: Inspection | None, config: DispositionSettings
) -> LineContext:
    product = line.order_line.product
    supplier = product.supplier
    terms = SupplierReturnTerms.objects.filter(supplier=supplier).first()
    grade = inspection.grade if inspection else None
    if inspection is None:
        quantity = line.quantity
    elif inspection.arrived_as in NOTHING_ARRIVED:
        quantity = 0
    else:
        quantity = inspection.quantity_received
    facts = LineFacts(
        quantity=quantity,
        price=product.price,
        unit_cost=product.unit_cost,
        grade_code=grade.code if grade else "?",
        resale_percent=grade.resale_percent if grade else routing.ZERO,
        sellable=bool(grade and grade.is_sellable),
        is_defect=line.reason.is_defect,
        supplier_accepts_credit=supplier.accepts_returns_for_credit,
        supplier_credit_rate_percent=supplier.credit_rate_percent,
        supplier_accepts_non_defective=bool(terms and terms.accepts_non_defective),
        supplier_is_dropship=supplier.is_dropship,
        recalled=line.return_request.kind == ReturnKind.RECALL,
    )
    return LineContext(
        line=line,
        grade=grade,
        facts=facts,
        rates=rates_for(category_id=product.category_id, defaults=config),
    )


def _lines(rr: ReturnRequest):
    return rr.lines.select_related(
        "reason", "return_request", "order_line__product__supplier", "order_line__product"
    )


def _primary_inspections(rr: ReturnRequest) -> dict[int, Inspection]:
    return {
        i.return_line_id: i
        for i in Inspection.objects.filter(
            return_request=rr, kind=Inspection.Kind.PRIMARY, grade__isnull=False
        ).select_related("grade")
    }


def dispositions_apply(*, rr: ReturnRequest, actor=None) -> list[Disposition]:
    """Route every graded line that has no disposition yet (call inside a transaction)."""
    config = disposition_settings()
    inspections = _primary_inspections(rr)
    made = []
    for line in _lines(rr).filter(disposition__isnull=True):
        inspection = inspections.get(line.pk)
        if inspection is None:
            continue  # not graded: nothing is known about its condition
        ctx = line_context(line=line, inspection=inspection, config=config)
        if rr.preferred_outcome == "repair":
            choice = routing.chosen_by_staff(ctx.facts, ctx.rates, Route.REFURBISH)
            reason = "Warranty repair: the item is repaired and sent back to the customer."
        else:
            choice = routing.choose(ctx.facts, ctx.rates)
            reason = choice.reason
        made.append(_create(ctx=ctx, choice=choice, reason=reason, config=config))
    if made:
        event_record(
            return_request=rr,
            kind="disposition",
            actor=actor if getattr(actor, "is_authenticated", False) else None,
            message="; ".join(
                f"{d.return_line.order_line.product.sku} → {d.get_route_display()}" for d in made
            ),
            details={"dispositions": {str(d.return_line_id): d.route for d in made}},
            visible_to_customer=False,
        )
    return made


def _create(*, ctx: LineContext, choice: Choice, reason: str, config) -> Disposition:
    d = Disposition.objects.create(
        return_line=ctx.line,
        return_request=ctx.line.return_request,
        route=choice.route,
        quantity=ctx.facts.quantity,
        expected_recovery=choice.recovery,
        expected_cost=choice.cost,
        reason=reason,
        alternatives=choice.alternatives_json(),
    )
    route_apply(
        disposition=d,
        product=ctx.line.order_line.product,
        grade=ctx.grade,
        rates=ctx.rates,
        config=config,
    )
    return d


def disposition_override(*, disposition_id: int, route: str, reason: str, actor) -> Disposition:
    """Staff send an item elsewhere, with a reason; the old route's work is taken back."""
    permission_require(actor, "catalog.resolve_return", "You may not change dispositions.")
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("Say why the item goes elsewhere.", field="reason")
    if len(reason) > 1000:
        raise DomainError("Keep the reason under 1000 characters.", field="reason")
    if route not in Route.values:
        raise DomainError("Choose one of the routes.", field="route")
    with transaction.atomic():
        d = (
            Disposition.objects.select_for_update(of=("self",))
            .select_related("return_request", "return_line")
            .filter(pk=disposition_id)
            .first()
        )
        if d is None:
            raise NotFound("Disposition not found.")
        if d.route == route:
            raise DomainError(f"It already goes to {d.get_route_display().lower()}.", field="route")
        old_route = d.get_route_display()
        route_undo(disposition=d, actor=actor)
        config = disposition_settings()
        line = _lines(d.return_request).get(pk=d.return_line_id)
        inspection = _primary_inspections(d.return_request).get(line.pk)
        ctx = line_context(line=line, inspection=inspection, config=config)
        choice = routing.chosen_by_staff(ctx.facts, ctx.rates, route)
        d.route = route
        d.expected_recovery, d.expected_cost = choice.recovery, choice.cost
        d.alternatives = choice.alternatives_json()
        d.overridden_by = actor
        d.override_reason = reason
        d.reason = f"{choice.reason} Staff: {reason}"
        d.save()
        route_apply(
            disposition=d,
            product=line.order_line.product,
            grade=ctx.grade,
            rates=ctx.rates,
            config=config,
            actor=actor,
        )
        event_record(
            return_request=d.return_request,
            kind="disposition",
            actor=actor,
            actor_kind=ReturnEvent.ActorKind.STAFF,
            message=f"{line.order_line.product.sku}: {old_route} → {d.get_route_display()}. "
            f"{reason}",
            details={"disposition_id": d.pk, "route": route},
            visible_to_customer=False,
        )
    return d
