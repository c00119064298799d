"""Reads of returns, always through a Viewer for anything customer-facing."""

import datetime as dt
import re
from dataclasses import dataclass

from django.db import connection
from django.db.models import OuterRef, Q, QuerySet, Subquery, Sum
from django.db.models.functions import JSONObject
from django.utils import timezone

from catalog.identity import Viewer
from catalog.models import Customer, Order
from returns_portal.errors import NotFound
from rma.models import ReturnEvent, ReturnLine, ReturnPolicy, ReturnReason, ReturnRequest
from rma.policy import months_after
from rma.states import OPEN_OR_DONE, ReturnStatus

RMA_REFERENCE = re.compile(r"^RMA-\d{4}-\d{1,12}$", re.IGNORECASE)
REQUEST_REFERENCE = re.compile(r"^REQ-(\d{1,12})$", re.IGNORECASE)


def returns_for_viewer(viewer: Viewer) -> QuerySet[ReturnRequest]:
    """Customers: their own returns (guests: of the orders they proved); staff: all."""
    returns = ReturnRequest.objects.select_related("order", "customer")
    if viewer.is_staff:
        return returns
    scope = Q()
    matched = False
    if viewer.customer_id:
        scope |= Q(customer_id=viewer.customer_id)
        matched = True
    if viewer.guest_order_ids:
        scope |= Q(order_id__in=viewer.guest_order_ids)
        matched = True
    return returns.filter(scope) if matched else returns.none()


def return_owned_by(viewer: Viewer, return_request: ReturnRequest) -> bool:
    """The viewer filed it: their customer's return, or one of the orders they proved."""
    if viewer.customer_id and return_request.customer_id == viewer.customer_id:
        return True
    return return_request.order_id in viewer.guest_order_ids


LIST_FIELDS = (
    "id",
    "rma_number",
    "status",
    "kind",
    "decision",
    "order_id",
    "customer_id",
    "expected_refund",
    "created_at",
)


def return_list_rows_for_viewer(viewer: Viewer) -> QuerySet:
    """The viewer's returns as plain rows for a list; filter, order and slice it, then give
    the page its lines with `return_list_lines`.

    The order's and customer's columns come from correlated subqueries, not joins, so the
    paginator's COUNT stays a count of returns alone (Django drops unused annotations
    from it; it cannot drop joins). On PostgreSQL each row also brings its lines as one
    JSON array, so a page is one query; elsewhere `return_list_lines` adds a second one.
    """
    orders = Order.objects.filter(pk=OuterRef("order_id")).order_by()
    rows = (
        returns_for_viewer(viewer)
        .values(*LIST_FIELDS)
        .annotate(
            order_number=Subquery(orders.values("number")[:1]),
            currency=Subquery(orders.values("currency")[:1]),
            customer_name=Subquery(
                Customer.objects.filter(pk=OuterRef("customer_id")).order_by().values("name")[:1]
            ),
        )
    )
    if connection.vendor != "postgresql":
        return rows
    from django.contrib.postgres.aggregates import JSONBAgg

    lines = (
        ReturnLine.objects.filter(return_request=OuterRef("pk"))
        .order_by()
        .values("return_request")
        .annotate(
            lines=JSONBAgg(
                JSONObject(
                    id="id",
                    sku="order_line__product__sku",
                    product_name="order_line__product__name",
                    quantity="quantity",
                    reason_code="reason__code",
                ),
                order_by="id",
            )
        )
        .values("lines")
    )
    return rows.annotate(lines=Subquery(lines))


def return_list_lines(rows: list[dict]) -> list[dict]:
    """Give each row its `lines` (sku, product name, quantity, reason code): already there
    on PostgreSQL, else in one query whatever the number of rows."""
    if rows and "lines" in rows[0]:
        for row in rows:
            row["lines"] = row["lines"] or []
        return rows
    by_return: dict[int, list[dict]] = {row["id"]: [] for row in rows}
    if by_return:
        lines = (
            ReturnLine.objects.filter(return_request_id__in=by_return)
            .order_by("id")
            .values_list(
                "return_request_id",
                "id",
                "order_line__product__sku",
                "order_line__product__name",
                "quantity",
                "reason__code",
            )
        )
        for return_id, line_id, sku, name, quantity, reason in lines:
            by_return[return_id].append(
                {
                    "id": line_id,
                    "sku": sku,
                    "product_name": name,
                    "quantity": quantity,
                    "reason_code": reason,
                }
            )
    for row in rows:
        row["lines"] = by_return[row["id"]]
    return rows


def return_get_for_viewer(*, viewer: Viewer, return_id, with_policy: bool = False) -> ReturnRequest:
    """The return if this viewer may see it; NotFound otherwise (no hint it exists).

    `with_policy` joins the policy version it was decided under (the detail shows it)."""
    returns = returns_for_viewer(viewer)
    if with_policy:
        returns = returns.select_related("policy")
    try:
        return returns.get(pk=int(return_id))
    except (ReturnRequest.DoesNotExist, ValueError, TypeError, OverflowError):
        raise NotFound("Return not found.") from None


def return_get_by_reference_for_viewer(*, viewer: Viewer, reference: str) -> ReturnRequest:
    """By "RMA-2026-000123" (after approval) or "REQ-000123" (any time), any letter case."""
    reference = (reference or "").strip()
    returns = returns_for_viewer(viewer)
    found = None
    if RMA_REFERENCE.match(reference):
        found = returns.filter(rma_number__iexact=reference).first()
    elif match := REQUEST_REFERENCE.match(reference):
        found = returns.filter(pk=int(match.group(1))).first()
    if found is None:
        raise NotFound("Return not found.")
    return found


@dataclass(frozen=True)
class ReturnableLine:
    order_line: object
    bought: int
    already_returned: int
    returnable_quantity: int
    delivered_on: dt.date | None
    window_days: int
    days_since_delivery: int | None
    window_ends_on: dt.date | None
    inside_window: bool
    is_returnable: bool  # the product (not final sale, marked returnable)
    warranty_until: dt.date | None

    @property
    def can_return(self) -> bool:
        """Worth offering in the form (the policy still decides)."""
        return self.returnable_quantity > 0 and self.delivered_on is not None


def returnable_lines(*, order, today: dt.date | None = None) -> list[ReturnableLine]:
    """Each line of `order` with how many can still be returned and its window, for display.

    Quantities in returns that are open or done count; declined and cancelled ones do not.
    """
    today = today or timezone.localdate()
    policy = policy_active()
    windows = dict(policy.category_windows.values_list("category_id", "window_days"))
    sale_categories = set(policy.final_sale_categories.values_list("pk", flat=True))
    sale_products = set(policy.final_sale_products.values_list("pk", flat=True))
    lines = list(order.lines.select_related("product__category").order_by("line_number"))
    returned = dict(
        ReturnLine.objects.filter(order_line__order=order, return_request__status__in=OPEN_OR_DONE)
        .values("order_line_id")
        .annotate(n=Sum("quantity"))
        .values_list("order_line_id", "n")
    )
    result = []
    for line in lines:
        product = line.product
        window = windows.get(product.category_id, policy.window_days)
        delivered = (
            timezone.localtime(line.delivered_at).date() if line.delivered_at is not None else None
        )
        already = returned.get(line.pk) or 0
        ends = delivered + dt.timedelta(days=window) if delivered else None
        result.append(
            ReturnableLine(
                order_line=line,
                bought=line.quantity,
                already_returned=already,
                returnable_quantity=max(line.quantity - already, 0),
                delivered_on=delivered,
                window_days=window,
                days_since_delivery=(today - delivered).days if delivered else None,
                window_ends_on=ends,
                inside_window=bool(ends and today <= ends),
                is_returnable=product.is_returnable
                and product.pk not in sale_products
                and product.category_id not in sale_categories,
                warranty_until=months_after(delivered, product.warranty_months)
                if delivered and product.warranty_months
                else None,
            )
        )
    return result


def return_timeline(*, return_request: ReturnRequest, for_customer: bool) -> list[ReturnEvent]:
    events = return_request.events.select_related("actor").order_by("created_at", "id")
    if for_customer:
        events = events.filter(visible_to_customer=True)
    return list(events)


def staff_timeline(*, user, return_request: ReturnRequest) -> list[ReturnEvent]:
    """The whole timeline, less the events that would show `user` a first grading they may
    yet be asked to check blind (warehouse quality control)."""
    from assessment.selectors import events_revealing_hidden_grading

    timeline = return_timeline(return_request=return_request, for_customer=False)
    hidden = events_revealing_hidden_grading(
        viewer=user, return_request=return_request, events=timeline
    )
    return [event for event in timeline if event.pk not in hidden]


def review_queue() -> QuerySet[ReturnRequest]:
    """Returns waiting for a person, oldest first."""
    return (
        ReturnRequest.objects.filter(status=ReturnStatus.PENDING_REVIEW)
        .select_related("order", "customer")
        .order_by("created_at", "id")
    )


def reasons_active() -> QuerySet[ReturnReason]:
    return ReturnReason.objects.filter(is_active=True).order_by("position", "label")


def policy_active() -> ReturnPolicy:
    """The active policy (version 1 with the defaults is published on first use)."""
    found = ReturnPolicy.objects.filter(is_active=True).first()
    if found is not None:
        return found
    from rma.services import policy_active_or_default

    return policy_active_or_default()
