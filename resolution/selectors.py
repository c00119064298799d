"""Resolution reads: settings rows, who may see which money movement, balances, costs."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, Sum, Value, When
from django.utils import timezone

from catalog.identity import Viewer
from resolution.models import (
    CategoryDispositionRate,
    CostEntry,
    CustomerOutcome,
    Disposition,
    DispositionSettings,
    ExtraHoliday,
    LiquidationLot,
    MoneyMovement,
    RefurbishmentJob,
    StoreCreditEntry,
    SupplierClaim,
)
from resolution.routing import Rates
from returns_portal.errors import NotFound
from returns_portal.money import ZERO, money

STAFF_PERMS = ("view_all_returns", "resolve_return", "issue_goodwill")


def disposition_settings() -> DispositionSettings:
    found = DispositionSettings.objects.order_by("pk").first()
    return found or DispositionSettings.objects.create()


def rates_for(*, category_id: int | None, defaults: DispositionSettings) -> Rates:
    override = CategoryDispositionRate.objects.filter(category_id=category_id).first()

    def pick(name):
        value = getattr(override, name, None) if override else None
        return getattr(defaults, name) if value is None else value

    return Rates(
        handling_cost=pick("handling_cost"),
        refurbish_cost=pick("refurbish_cost"),
        refurbished_resale_percent=pick("refurbished_resale_percent"),
        liquidation_rate_percent=pick("liquidation_rate_percent"),
        supplier_shipping_cost=pick("supplier_shipping_cost"),
        disposal_fee=pick("disposal_fee"),
        refurbishable=override.refurbishable if override else True,
    )


def extra_holidays(*, start: dt.date, years: int = 2) -> frozenset[dt.date]:
    end = dt.date(start.year + years, 12, 31)
    return frozenset(
        ExtraHoliday.objects.filter(date__gte=start, date__lte=end).values_list("date", flat=True)
    )


# --- Money movements ---------------------------------------------------------------------
def viewer_is_money_staff(viewer: Viewer) -> bool:
    return any(viewer.can(p) for p in STAFF_PERMS)


def movements_for_viewer(viewer: Viewer):
    """Staff see every movement; a signed-in customer only their own; anyone else none."""
    qs = MoneyMovement.objects.select_related("customer", "return_request")
    if viewer_is_money_staff(viewer):
        return qs
    if viewer.customer_id:
        return qs.filter(customer_id=viewer.customer_id)
    return qs.none()


def movement_get_for_viewer(*, viewer: Viewer, movement_id: int) -> MoneyMovement:
    found = movements_for_viewer(viewer).filter(pk=movement_id).first()
    if found is None:
        raise NotFound("Money movement not found.")
    return found


def movements_pending(*, today: dt.date | None = None):
    return (
        MoneyMovement.objects.filter(status=MoneyMovement.Status.PENDING)
        .select_related("customer", "return_request")
        .order_by("due_on", "created_at")
    )


def movements_overdue(*, today: dt.date | None = None):
    today = today or timezone.localdate()
    return movements_pending().filter(due_on__lt=today)


def movements_failed():
    return MoneyMovement.objects.filter(status=MoneyMovement.Status.FAILED).select_related(
        "customer", "return_request"
    )


def movements_done():
    return (
        MoneyMovement.objects.exclude(status=MoneyMovement.Status.PENDING)
        .select_related("customer", "return_request")
        .order_by("-completed_at", "-id")
    )


def movements_goodwill():
    kinds = [MoneyMovement.Kind.GOODWILL_REFUND, MoneyMovement.Kind.GOODWILL_CREDIT]
    return MoneyMovement.objects.filter(kind__in=kinds).select_related(
        "customer", "created_by", "return_request"
    )


def refunded_on_order(*, order_id: int) -> Decimal:
    """Refunded (or on its way) to an order's payment, returns and goodwill together."""
    kinds = [MoneyMovement.Kind.REFUND, MoneyMovement.Kind.GOODWILL_REFUND]
    total = (
        MoneyMovement.objects.filter(order_id=order_id, kind__in=kinds)
        .exclude(status=MoneyMovement.Status.FAILED)
        .aggregate(t=Sum("amount"))["t"]
    )
    return money(total or ZERO)


# --- Store credit --------------------------------------------------------------------------
def store_credit_balance(*, customer_id: int) -> Decimal:
    total = StoreCreditEntry.objects.filter(customer_id=customer_id).aggregate(t=Sum("amount"))
    return money(total["t"] or ZERO)


def store_credit_entries(*, customer_id: int):
    return StoreCreditEntry.objects.filter(customer_id=customer_id).select_related("money_movement")


# --- Costs and recoveries ------------------------------------------------------------------
@dataclass(frozen=True)
class CostsSummary:
    costs: dict[str, Decimal] = field(default_factory=dict)
    total_costs: Decimal = ZERO
    recovered: Decimal = ZERO
    write_down: Decimal = ZERO
    refunded: Decimal = ZERO
    credited: Decimal = ZERO
    pending: Decimal = ZERO

    @property
    def net_recovery(self) -> Decimal:
        """What the goods brought back, less what handling the return cost."""
        return money(self.recovered - self.total_costs)

    @property
    def cost_rows(self) -> list[tuple[str, Decimal]]:
        labels = dict(CostEntry.Kind.choices)
        return [(labels.get(k, k), v) for k, v in self.costs.items() if v]


def return_costs_summary(return_id: int) -> CostsSummary:
    costs = dict.fromkeys(CostEntry.Kind.values, ZERO)
    for row in (
        CostEntry.objects.filter(return_request_id=return_id)
        .values("kind")
        .annotate(total=Sum("amount"))
        .order_by()
    ):
        costs[row["kind"]] = money(row["total"])
    recovered = Disposition.objects.filter(return_request_id=return_id).aggregate(
        r=Sum("recovered_value"), w=Sum("write_down")
    )
    movements = MoneyMovement.objects.filter(return_request_id=return_id)
    M = MoneyMovement

    def total(qs):
        return money(qs.aggregate(t=Sum("amount"))["t"] or ZERO)

    succeeded = movements.filter(status=M.Status.SUCCEEDED)
    credit_kinds = [M.Kind.STORE_CREDIT, M.Kind.GOODWILL_CREDIT]
    return CostsSummary(
        costs=costs,
        total_costs=money(sum(costs.values(), ZERO)),
        recovered=money(recovered["r"] or ZERO),
        write_down=money(recovered["w"] or ZERO),
        refunded=total(succeeded.exclude(kind__in=credit_kinds)),
        credited=total(succeeded.filter(kind__in=credit_kinds)),
        pending=total(movements.filter(status=M.Status.PENDING)),
    )


# --- Pages --------------------------------------------------------------------------------
def outcome_for(*, return_id: int) -> CustomerOutcome | None:
    return CustomerOutcome.objects.filter(return_request_id=return_id).first()


def dispositions_list(*, route: str = "", overridden: bool = False):
    qs = Disposition.objects.select_related(
        "return_request", "return_line__order_line__product", "overridden_by"
    ).order_by("-decided_at", "-id")
    if route:
        qs = qs.filter(route=route)
    if overridden:
        qs = qs.filter(overridden_by__isnull=False)
    return qs


def refurbishment_queue(*, show: str = "open"):
    qs = RefurbishmentJob.objects.select_related(
        "product", "disposition__return_request", "completed_by"
    )
    if show == "open":
        qs = qs.filter(status=RefurbishmentJob.Status.OPEN)
    return qs.order_by("status", "created_at", "id")


def liquidation_lots():
    return LiquidationLot.objects.prefetch_related(
        "items__disposition__return_line__order_line__product",
        "items__disposition__return_request",
    ).order_by("-status", "-created_at")


def supplier_claims(*, status: str = ""):
    qs = SupplierClaim.objects.select_related("supplier").prefetch_related(
        "items__disposition__return_line__order_line__product",
        "items__disposition__return_request",
    )
    if status:
        qs = qs.filter(status=status)
    # open first, then shipped (waiting for the credit), then credited
    rank = Case(
        When(status=SupplierClaim.Status.OPEN, then=Value(0)),
        When(status=SupplierClaim.Status.SHIPPED, then=Value(1)),
        default=Value(2),
    )
    return qs.annotate(rank=rank).order_by("rank", "-created_at")
