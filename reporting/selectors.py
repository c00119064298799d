"""Dashboard reads. Everything here reads the fact tables, never the raw return rows."""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlencode

from django.apps import apps
from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone

from catalog.models import Batch, Category, Product, Supplier
from reporting import kpis
from reporting.models import (
    GraderDaily,
    LineDaily,
    ReturnFact,
    SalesDaily,
    SpikeAlert,
    Stage,
    StageTarget,
)

STAGES = {
    # stage: (start field, end field, statuses a return sits in while in this stage)
    Stage.APPROVAL: ("requested_at", "approved_at", ("requested", "pending_review")),
    Stage.LABEL: ("approved_at", "label_at", ("approved",)),
    Stage.FIRST_SCAN: ("label_at", "first_scan_at", ("label_issued",)),
    Stage.TRANSIT: ("first_scan_at", "received_at", ("in_transit", "delivered")),
    Stage.GRADING: ("received_at", "graded_at", ("received",)),
    Stage.REFUND: ("graded_at", "refunded_at", ("graded",)),
}
DEFAULT_TARGET_HOURS = {
    Stage.APPROVAL: 24,
    Stage.LABEL: 24,
    Stage.FIRST_SCAN: 168,
    Stage.TRANSIT: 120,
    Stage.GRADING: 48,
    Stage.REFUND: 72,
}
CYCLES = {
    "requested_to_received": ("requested_at", "received_at"),
    "received_to_refunded": ("received_at", "refunded_at"),
    "requested_to_refunded": ("requested_at", "refunded_at"),
}
COSTS = ("cost_label", "cost_labor", "cost_write_down", "cost_customer_service", "cost_other")


@dataclass(frozen=True)
class Filters:
    start: dt.date
    end: dt.date
    supplier_id: int | None = None
    category_id: int | None = None
    product_id: int | None = None

    def q(self, *, with_product: bool = True) -> Q:
        q = Q(day__gte=self.start, day__lte=self.end)
        if self.supplier_id:
            q &= Q(supplier_id=self.supplier_id)
        if self.category_id:
            q &= Q(category_id=self.category_id)
        if self.product_id and with_product:
            q &= Q(product_id=self.product_id)
        return q

    def drill(self, **extra) -> str:
        """Link to the staff returns list (built by PAGES) with the same filters."""
        params = {
            "created_after": self.start.isoformat(),
            "created_before": self.end.isoformat(),
        }
        if self.supplier_id:
            params["supplier"] = (
                Supplier.objects.filter(pk=self.supplier_id).values_list("code", flat=True).first()
            )
        if self.product_id:
            params["product"] = (
                Product.objects.filter(pk=self.product_id).values_list("sku", flat=True).first()
            )
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return "/staff/returns/?" + urlencode(params)


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # drill-down per row


def filters_default(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=today - dt.timedelta(days=89), end=today)


def _returned_by(keys: list[str], filters: Filters) -> dict:
    rows = (
        LineDaily.objects.filter(filters.q())
        .values(*keys)
        .annotate(units=Sum("units"), returns=Sum("returns"))
    )
    return {tuple(r[k] for k in keys): r for r in rows.order_by()}


def _sold_by(keys: list[str], filters: Filters) -> dict:
    rows = SalesDaily.objects.filter(filters.q()).values(*keys).annotate(units=Sum("units"))
    return {tuple(r[k] for k in keys): r["units"] for r in rows.order_by()}


def _rates(key: str, names: dict, filters: Filters, link_param: str | None, codes: dict):
    returned, sold = _returned_by([key], filters), _sold_by([key], filters)
    rows = []
    for (ident,) in set(returned) | set(sold):
        r = returned.get((ident,), {"units": 0, "returns": 0})
        units_sold = sold.get((ident,), 0)
        rate = kpis.return_rate(returned_units=r["units"], sold_units=units_sold)
        rows.append(
            (names.get(ident, str(ident)), r["returns"], r["units"], units_sold, rate, ident)
        )
    rows.sort(key=lambda row: (-(row[4] or Decimal(-1)), row[0]))
    links = [
        filters.drill(**{link_param: codes.get(row[5])}) if link_param else None for row in rows
    ]
    return [list(row[:5]) for row in rows], links


def rate_table(dimension: str, filters: Filters) -> Table:
    columns = ["Name", "Returns", "Returned units", "Sold units", "Return rate"]
    if dimension == "product":
        products = Product.objects.values_list("pk", "sku", "name")
        names = {pk: f"{sku} {name}" for pk, sku, name in products}
        codes = {pk: sku for pk, sku, _ in products}
        rows, links = _rates("product_id", names, filters, "product", codes)
        return Table("product-rates", "Return rate by product", columns, rows, links)
    if dimension == "supplier":
        suppliers = Supplier.objects.values_list("pk", "code", "name")
        names = {pk: name for pk, _, name in suppliers}
        codes = {pk: code for pk, code, _ in suppliers}
        rows, links = _rates("supplier_id", names, filters, "supplier", codes)
        return Table("supplier-rates", "Return rate by supplier", columns, rows, links)
    names = dict(Category.objects.values_list("pk", "name"))
    rows, links = _rates("category_id", names, filters, None, {})
    return Table("category-rates", "Return rate by category", columns, rows, links)


MIXES = {
    "reasons": ("reason_code", "Reason mix", "reason"),
    "grades": ("grade_code", "Condition (grade) mix", None),
    "dispositions": ("route", "Disposition mix", None),
}


def mix_table(name: str, filters: Filters) -> Table:
    key, title, link_param = MIXES[name]
    counts = {
        (r[key] or "not yet"): r["n"]
        for r in LineDaily.objects.filter(filters.q())
        .values(key)
        .annotate(n=Sum("returns"))
        .order_by()
    }
    rows = [[k, n, share] for k, n, share in kpis.mix(counts)]
    links = [filters.drill(**{link_param: row[0]}) if link_param else None for row in rows]
    return Table(name, title, ["Value", "Returns", "Share"], rows, links)


def trend_table(filters: Filters) -> Table:
    returns = dict(
        ReturnFact.objects.filter(filters.q())
        .values("day")
        .annotate(n=Count("id"))
        .values_list("day", "n")
        .order_by()
    )
    refunds = dict(
        ReturnFact.objects.filter(filters.q())
        .values("day")
        .annotate(t=Sum("refund_amount"))
        .values_list("day", "t")
        .order_by()
    )
    days = [
        filters.start + dt.timedelta(days=i) for i in range((filters.end - filters.start).days + 1)
    ]
    rows = [[d.isoformat(), returns.get(d, 0), refunds.get(d) or Decimal("0.00")] for d in days]
    links = [
        Filters(d, d, filters.supplier_id, filters.category_id, filters.product_id).drill()
        for d in days
    ]
    return Table(
        "trend", "Returns and refunds per day", ["Day", "Returns", "Refunded"], rows, links
    )


def _duration(start: str, end: str):
    return ExpressionWrapper(F(end) - F(start), output_field=DurationField())


def cycle_stats(facts, start: str, end: str) -> tuple[Decimal | None, Decimal | None, int]:
    """(average hours, p90 hours, count) of end - start over facts where both are set."""
    done = facts.filter(**{f"{start}__isnull": False, f"{end}__isnull": False}).annotate(
        took=_duration(start, end)
    )
    count = done.count()
    index = kpis.percentile_index(count)
    if index is None:
        return None, None, 0
    average = done.aggregate(a=Avg("took"))["a"]
    p90 = done.order_by("took").values_list("took", flat=True)[index]
    return kpis.hours(average), kpis.hours(p90), count


def overview(filters: Filters) -> dict:
    facts = ReturnFact.objects.filter(filters.q())
    money = facts.aggregate(
        refunded=Coalesce(Sum("refund_amount"), Decimal("0")),
        minutes=Coalesce(Sum("grading_minutes"), Decimal("0")),
        **{c: Coalesce(Sum(c), Decimal("0")) for c in COSTS},
    )
    returns = facts.count()
    lines = LineDaily.objects.filter(filters.q()).aggregate(
        units=Coalesce(Sum("units"), 0),
        original=Coalesce(Sum("original_value"), Decimal("0")),
        recovered=Coalesce(Sum("recovered_value"), Decimal("0")),
        write_down=Coalesce(Sum("write_down"), Decimal("0")),
    )
    sold = SalesDaily.objects.filter(filters.q()).aggregate(u=Coalesce(Sum("units"), 0))["u"]
    total_cost = sum(money[c] for c in COSTS)
    due = facts.filter(refund_due_on__isnull=False)
    on_time = _on_time(due)
    return {
        "returns": returns,
        "returned_units": lines["units"],
        "sold_units": sold,
        "return_rate": kpis.return_rate(returned_units=lines["units"], sold_units=sold),
        "refunded": money["refunded"],
        "costs": {c.removeprefix("cost_"): money[c] for c in COSTS},
        "total_cost": total_cost,
        "cost_per_return": kpis.cost_per_return(total_cost=total_cost, returns=returns),
        "original_value": lines["original"],
        "recovered_value": lines["recovered"],
        "recovery_rate": kpis.recovery_rate(
            recovered_value=lines["recovered"], original_value=lines["original"]
        ),
        "refunds_due": due.count(),
        "refunds_on_time": on_time,
        "sla": kpis.sla_compliance(on_time=on_time, due=due.count()),
        "grading_minutes_per_return": kpis.ratio(money["minutes"], returns),
        "cycles": {name: cycle_stats(facts, *fields) for name, fields in CYCLES.items()},
    }


def _on_time(due) -> int:
    """Refunds completed on or before their due date (local calendar day)."""
    from reporting.rollups import local_day

    return (
        due.filter(refunded_at__isnull=False)
        .annotate(done_on=local_day("refunded_at"))
        .filter(done_on__lte=F("refund_due_on"))
        .count()
    )


def grader_table(filters: Filters) -> Table:
    from django.contrib.auth import get_user_model

    names = dict(get_user_model().objects.values_list("pk", "username"))
    rows = []
    for r in (
        GraderDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
        .values("inspector_id")
        .annotate(n=Sum("inspections"), returns=Sum("returns"), minutes=Sum("minutes"))
        .order_by("inspector_id")
    ):
        per_return = kpis.cost_per_return(total_cost=r["minutes"], returns=r["returns"])
        rows.append(
            [names.get(r["inspector_id"], "—"), r["n"], r["returns"], r["minutes"], per_return]
        )
    columns = ["Grader", "Inspections", "Returns", "Minutes", "Minutes per return"]
    return Table("graders", "Grading minutes per grader", columns, rows, [None] * len(rows))


def stage_targets() -> dict[str, int]:
    targets = dict(DEFAULT_TARGET_HOURS)
    targets.update(dict(StageTarget.objects.values_list("stage", "hours")))
    return targets


def breaches_table(*, now: dt.datetime | None = None, filters: Filters | None = None) -> Table:
    """Returns sitting in a stage longer than its target (as of the last rollup)."""
    now = now or timezone.now()
    rows, links = [], []
    facts = ReturnFact.objects.filter(filters.q()) if filters else ReturnFact.objects.all()
    for stage, hours in stage_targets().items():
        start, end, statuses = STAGES[stage]
        late = facts.filter(
            **{f"{start}__isnull": False, f"{end}__isnull": True, "status__in": statuses},
            **{f"{start}__lt": now - dt.timedelta(hours=hours)},
        ).order_by(start)
        for fact in late.values("return_id", start, "status")[:500]:
            waited = kpis.hours(now - fact[start])
            rows.append(
                [Stage(stage).label, f"REQ-{fact['return_id']:06d}", fact["status"], hours, waited]
            )
            links.append(f"/staff/returns/{fact['return_id']}/")
    columns = ["Stage", "Return", "Status", "Target hours", "Hours waiting"]
    return Table("breaches", "Stage breaches", columns, rows, links)


def alerts_open() -> list[dict]:
    alerts = list(SpikeAlert.objects.exclude(status=SpikeAlert.Status.RECALLED)[:50])
    products = Product.objects.in_bulk({a.product_id for a in alerts})
    batches = Batch.objects.in_bulk({a.batch_id for a in alerts if a.batch_id})
    out = []
    for alert in alerts:
        product = products.get(alert.product_id)
        batch = batches.get(alert.batch_id)
        drill = Filters(alert.window_start, alert.window_end).drill(
            product=product.sku if product else None, reason=alert.reason_code
        )
        out.append({"alert": alert, "product": product, "batch": batch, "drill": drill})
    return out


def alerts_table() -> Table:
    rows, links = [], []
    for a in alerts_open():
        alert = a["alert"]
        rows.append(
            [
                alert.get_scope_display(),
                a["product"].sku if a["product"] else alert.product_id,
                a["batch"].lot_code if a["batch"] else "",
                alert.reason_code,
                f"{alert.window_start}..{alert.window_end}",
                alert.count,
                alert.baseline,
                alert.get_status_display(),
            ]
        )
        links.append(a["drill"])
    columns = ["Scope", "SKU", "Batch", "Reason", "Window", "Returns", "Baseline", "Status"]
    return Table("alerts", "Spike alerts", columns, rows, links)


def supplier_claims(supplier_id: int) -> tuple[Decimal | None, Decimal | None]:
    """(claimed, received) from resolution's SupplierClaim when that model exists."""
    try:
        claim = apps.get_model("resolution", "SupplierClaim")
    except LookupError:
        return None, None
    names = {f.name for f in claim._meta.get_fields()}
    claimed_field = next(
        (n for n in ("amount_claimed", "claimed_amount", "amount") if n in names), None
    )
    received_field = next(
        (n for n in ("amount_received", "received_amount", "credited_amount") if n in names), None
    )
    if "supplier" not in names or not claimed_field:
        return None, None
    rows = claim.objects.filter(supplier_id=supplier_id)
    claimed = rows.aggregate(s=Sum(claimed_field))["s"] or Decimal("0")
    received = rows.aggregate(s=Sum(received_field))["s"] if received_field else None
    return claimed, received if received is None else received or Decimal("0")


def supplier_scorecard(supplier: Supplier, filters: Filters) -> dict:
    scoped = Filters(filters.start, filters.end, supplier_id=supplier.pk)
    lines = LineDaily.objects.filter(scoped.q())
    totals = lines.aggregate(units=Coalesce(Sum("units"), 0), returns=Coalesce(Sum("returns"), 0))
    defects = lines.filter(is_defect=True).aggregate(n=Coalesce(Sum("returns"), 0))["n"]
    sold = SalesDaily.objects.filter(scoped.q()).aggregate(u=Coalesce(Sum("units"), 0))["u"]
    rate = kpis.return_rate(returned_units=totals["units"], sold_units=sold)
    defect_share = kpis.ratio(defects, totals["returns"])
    claimed, received = supplier_claims(supplier.pk)
    return {
        "supplier": supplier,
        "returns": totals["returns"],
        "returned_units": totals["units"],
        "sold_units": sold,
        "return_rate": rate,
        "defect_returns": defects,
        "defect_share": defect_share,
        "sampling_rate": kpis.sampling_rate(return_rate=rate, defect_share=defect_share),
        "claimed": claimed,
        "received": received,
        "drill": scoped.drill(supplier=supplier.code),
    }


def suppliers_table(filters: Filters) -> Table:
    rows, links = [], []
    for supplier in Supplier.objects.all():
        card = supplier_scorecard(supplier, filters)
        rows.append(
            [
                supplier.code,
                supplier.name,
                card["returns"],
                card["return_rate"],
                card["defect_share"],
                card["sampling_rate"],
                card["claimed"],
                card["received"],
            ]
        )
        links.append(f"/reports/suppliers/{supplier.code}/")
    columns = [
        "Code",
        "Supplier",
        "Returns",
        "Return rate",
        "Defect share",
        "Suggested sampling",
        "Credit claimed",
        "Credit received",
    ]
    return Table("suppliers", "Supplier scorecards", columns, rows, links)


def batch_table(supplier: Supplier, filters: Filters) -> Table:
    """Returns clustered by batch for one supplier, most returned first."""
    scoped = Filters(filters.start, filters.end, supplier_id=supplier.pk)
    rows_q = (
        LineDaily.objects.filter(scoped.q(), batch_id__isnull=False)
        .values("batch_id", "reason_code")
        .annotate(n=Sum("returns"), units=Sum("units"))
        .order_by("-n", "batch_id")[:100]
    )
    batches = Batch.objects.select_related("product").in_bulk({r["batch_id"] for r in rows_q})
    rows, links = [], []
    for r in rows_q:
        batch = batches.get(r["batch_id"])
        sku = batch.product.sku if batch else ""
        rows.append(
            [sku, batch.lot_code if batch else r["batch_id"], r["reason_code"], r["n"], r["units"]]
        )
        links.append(scoped.drill(supplier=supplier.code, product=sku, reason=r["reason_code"]))
    columns = ["SKU", "Batch", "Reason", "Returns", "Units"]
    return Table("batches", "Returns by batch", columns, rows, links)


def tables(filters: Filters) -> dict[str, "callable"]:
    """Every exportable table by name (lazy: only the one asked for is computed)."""
    return {
        "trend": lambda: trend_table(filters),
        "product-rates": lambda: rate_table("product", filters),
        "supplier-rates": lambda: rate_table("supplier", filters),
        "category-rates": lambda: rate_table("category", filters),
        "reasons": lambda: mix_table("reasons", filters),
        "grades": lambda: mix_table("grades", filters),
        "dispositions": lambda: mix_table("dispositions", filters),
        "graders": lambda: grader_table(filters),
        "breaches": lambda: breaches_table(filters=filters),
        "alerts": alerts_table,
        "suppliers": lambda: suppliers_table(filters),
    }
