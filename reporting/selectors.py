"""Dashboard reads. Everything here reads the rollup tables, never the raw return rows.

Pages sum the small per-day summaries (SegmentDaily, MixDaily, CycleDaily; ProductDaily
when a product is picked) and read per-product totals off ProductRunning, so a 90-day page
is a few index scans over a few thousand rows, whatever the number of returns.
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from urllib.parse import urlencode

from django.db import connection
from django.db.models import F, Q, Sum
from django.utils import timezone

from catalog.models import Batch, Category, Product, Supplier
from reporting import kpis
from reporting.fact_sql import CYCLES, RUNNING, cycle_slice_sql
from reporting.models import (
    OPEN_STATUSES,
    CycleDaily,
    GraderDaily,
    LineDaily,
    MixDaily,
    ProductDaily,
    ProductRunning,
    ReturnFact,
    SegmentDaily,
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
assert {s for *_, statuses in STAGES.values() for s in statuses} <= set(OPEN_STATUSES)
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

    def drill_codes(self) -> dict[str, str]:
        """The supplier code and product SKU the returns list filters on (looked up once)."""
        return self._drill_codes

    @cached_property
    def _drill_codes(self) -> dict[str, str]:
        codes = {}
        if self.supplier_id:
            codes["supplier"] = (
                Supplier.objects.filter(pk=self.supplier_id).values_list("code", flat=True).first()
            )
        if self.product_id:
            codes["product"] = (
                Product.objects.filter(pk=self.product_id).values_list("sku", flat=True).first()
            )
        return codes

    def drill(self, codes: dict | None = None, **extra) -> str:
        """Link to the staff returns list (built by PAGES) with the same filters.

        Pass `codes` (from `drill_codes`) when building many links for the same filters.
        """
        params = {
            "created_after": self.start.isoformat(),
            "created_before": self.end.isoformat(),
            **(self.drill_codes() if codes is None else codes),
        }
        params.update({k: v for k, v in extra.items() if v not in (None, "")})
        return "/staff/returns/?" + urlencode(params)

    def totals(self):
        """The summary rows these filters read: per product when one is picked."""
        if self.product_id:
            return ProductDaily.objects.filter(self.q())
        return SegmentDaily.objects.filter(self.q(with_product=False))


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    links: list[str | None] = field(default_factory=list)  # drill-down per row
    hidden: int = 0  # rows left out of a page (the CSV export has them all)

    def head(self, n: int) -> "Table":
        """The first n rows, for a page; the CSV export keeps every row."""
        if len(self.rows) <= n:
            return self
        left = len(self.rows) - n
        return Table(self.name, self.title, self.columns, self.rows[:n], self.links[:n], left)


def filters_default(today: dt.date | None = None) -> Filters:
    today = today or timezone.localdate()
    return Filters(start=today - dt.timedelta(days=89), end=today)


def _grouped_rates(key: str, filters: Filters) -> list[dict]:
    return list(
        filters.totals()
        .exclude(**{key: None})
        .values(key)
        .annotate(returns=Sum("line_returns"), units=Sum("returned_units"), sold=Sum("sold_units"))
        .order_by()
    )


def _product_rates(filters: Filters) -> list[dict]:
    """Per-product totals over the range from ProductRunning: end row minus pre-start row.

    Two index probes per product and two primary-key joins, in one statement.
    """
    products, params = [], [filters.end, filters.start]
    for column, value in (
        ("id", filters.product_id),
        ("supplier_id", filters.supplier_id),
        ("category_id", filters.category_id),
    ):
        if value:
            products.append(f"p.{column} = %s")
            params.append(value)
    running = connection.ops.quote_name(ProductRunning._meta.db_table)
    product = connection.ops.quote_name(Product._meta.db_table)
    where = "WHERE " + " AND ".join(products) if products else ""
    deltas = ", ".join(f"e.{c} - COALESCE(s.{c}, 0)" for c in RUNNING)
    if connection.vendor == "postgresql":
        # LATERAL keeps the planner on two index probes per product (no table scans).
        row = (
            f"(SELECT {', '.join(RUNNING)} FROM {running} r WHERE r.product_id = p.id"
            " AND r.day {} %s ORDER BY r.day DESC LIMIT 1)"
        )
        sql = f"""
            SELECT p.id, {deltas} FROM {product} p
            CROSS JOIN LATERAL {row.format("<=")} e
            LEFT JOIN LATERAL {row.format("<")} s ON true
            {where}
        """
    else:
        last = (
            f"(SELECT r.id FROM {running} r WHERE r.product_id = p.id AND r.day {{}} %s"
            " ORDER BY r.day DESC LIMIT 1)"
        )
        sql = f"""
            SELECT x.id, {deltas}
            FROM (SELECT p.id, {last.format("<=")} AS end_id, {last.format("<")} AS start_id
                  FROM {product} p {where}) x
            JOIN {running} e ON e.id = x.end_id
            LEFT JOIN {running} s ON s.id = x.start_id
        """
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [
            {"product_id": pk, "returns": returns, "units": units, "sold": sold}
            for pk, returns, units, sold in cursor.fetchall()
        ]


def _rates(key: str, names: dict, filters: Filters, link_param: str | None, codes: dict):
    grouped = _product_rates(filters) if key == "product_id" else _grouped_rates(key, filters)
    rows = []
    for r in grouped:
        if not (r["returns"] or r["sold"]):
            continue
        rate = kpis.return_rate(returned_units=r["units"], sold_units=r["sold"])
        ident = r[key]
        name = names.get(ident, str(ident))
        rows.append((name, r["returns"], r["units"], r["sold"], rate, ident))
    rows.sort(key=lambda row: (-(row[4] or Decimal(-1)), row[0]))
    drill_codes = filters.drill_codes() if link_param else {}
    links = [
        filters.drill(drill_codes, **{link_param: codes.get(row[5])}) if link_param else None
        for row in rows
    ]
    return [list(row[:5]) for row in rows], links


def rate_table(dimension: str, filters: Filters) -> Table:
    columns = ["Name", "Returns", "Returned units", "Sold units", "Return rate"]
    if dimension == "product":
        products = Product.objects.values_list("pk", "sku", "name")
        if filters.product_id:
            products = products.filter(pk=filters.product_id)
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
    # table name: (LineDaily column, MixDaily dimension, title, returns-list filter)
    "reasons": ("reason_code", MixDaily.Dimension.REASON, "Reason mix", "reason"),
    "grades": ("grade_code", MixDaily.Dimension.GRADE, "Condition (grade) mix", None),
    "dispositions": ("route", MixDaily.Dimension.ROUTE, "Disposition mix", None),
}


def mix_table(name: str, filters: Filters) -> Table:
    column, dimension, title, link_param = MIXES[name]
    if filters.product_id:
        rows = LineDaily.objects.filter(filters.q()).values(value=F(column))
    else:
        rows = MixDaily.objects.filter(filters.q(with_product=False), dimension=dimension)
        rows = rows.values("value")
    counts: dict[str, int] = {}
    for r in rows.annotate(n=Sum("returns")).order_by():
        key = r["value"] or "not yet"
        counts[key] = counts.get(key, 0) + r["n"]
    rows = [[k, n, share] for k, n, share in kpis.mix(counts)]
    drill_codes = filters.drill_codes() if link_param and rows else {}
    links = [
        filters.drill(drill_codes, **{link_param: row[0]}) if link_param else None for row in rows
    ]
    return Table(name, title, ["Value", "Returns", "Share"], rows, links)


def trend_table(filters: Filters) -> Table:
    per_day = {
        r["day"]: r
        for r in filters.totals()
        .values("day")
        .annotate(n=Sum("returns"), t=Sum("refunded"))
        .order_by()
    }
    days = [
        filters.start + dt.timedelta(days=i) for i in range((filters.end - filters.start).days + 1)
    ]
    empty = {"n": 0, "t": None}
    rows = [
        [d.isoformat(), per_day.get(d, empty)["n"], per_day.get(d, empty)["t"] or Decimal("0.00")]
        for d in days
    ]
    codes = filters.drill_codes()
    links = [
        Filters(d, d, filters.supplier_id, filters.category_id, filters.product_id).drill(codes)
        for d in days
    ]
    return Table(
        "trend", "Returns and refunds per day", ["Day", "Returns", "Refunded"], rows, links
    )


def _cycle_summary(buckets: dict[int, int], seconds: float):
    """(average hours, p90 hours, count) from {tenth-hours bucket: count} and total seconds."""
    count = sum(buckets.values())
    index = kpis.percentile_index(count)
    if index is None:
        return None, None, 0
    seen = 0
    for tenth in sorted(buckets):
        seen += buckets[tenth]
        if seen > index:
            break
    average = kpis.hours(dt.timedelta(seconds=seconds / count))
    return average, (Decimal(tenth) / 10).quantize(Decimal("0.1")), count


def cycles(filters: Filters) -> dict[str, tuple[Decimal | None, Decimal | None, int]]:
    """Average and p90 (to 0.1 h) of each cycle over the returns of the filtered days."""
    buckets = {name: {} for name in CYCLES}
    seconds = dict.fromkeys(CYCLES, 0.0)
    scope = None
    if not (filters.product_id or filters.supplier_id or filters.category_id):
        scope = {"scope": CycleDaily.Scope.ALL}
    elif not filters.product_id and not (filters.supplier_id and filters.category_id):
        scope = (
            {"scope": CycleDaily.Scope.SUPPLIER, "scope_id": filters.supplier_id}
            if filters.supplier_id
            else {"scope": CycleDaily.Scope.CATEGORY, "scope_id": filters.category_id}
        )
    if scope:
        rows = (
            CycleDaily.objects.filter(day__gte=filters.start, day__lte=filters.end, **scope)
            .values_list("cycle", "tenth_hours")
            .annotate(n=Sum("returns"), s=Sum("seconds"))
            .order_by()
        )
    else:
        # A narrower slice: bucket its ReturnFact rows in SQL, as CycleDaily is built.
        where = {
            column: value
            for column, value in (
                ("product_id", filters.product_id),
                ("supplier_id", filters.supplier_id),
                ("category_id", filters.category_id),
            )
            if value
        }
        with connection.cursor() as cursor:
            cursor.execute(*cycle_slice_sql(where, filters.start, filters.end))
            rows = cursor.fetchall()
    for cycle, tenth, n, total in rows:
        buckets[cycle][int(tenth)] = n
        seconds[cycle] += float(total)
    return {name: _cycle_summary(buckets[name], seconds[name]) for name in CYCLES}


COUNT_TOTALS = ("returns", "refunds_due", "refunds_on_time", "returned_units", "sold_units")
MONEY_TOTALS = ("refunded", "grading_minutes", "original_value", "recovered_value", *COSTS)


def overview(filters: Filters) -> dict:
    sums = filters.totals().aggregate(**{c: Sum(c) for c in (*COUNT_TOTALS, *MONEY_TOTALS)})
    t = {c: sums[c] or 0 for c in COUNT_TOTALS} | {c: sums[c] or Decimal("0") for c in MONEY_TOTALS}
    returns = t["returns"]
    total_cost = sum(t[c] for c in COSTS)
    return {
        "returns": returns,
        "returned_units": t["returned_units"],
        "sold_units": t["sold_units"],
        "return_rate": kpis.return_rate(
            returned_units=t["returned_units"], sold_units=t["sold_units"]
        ),
        "refunded": t["refunded"],
        "costs": {c.removeprefix("cost_"): t[c] for c in COSTS},
        "total_cost": total_cost,
        "cost_per_return": kpis.cost_per_return(total_cost=total_cost, returns=returns),
        "original_value": t["original_value"],
        "recovered_value": t["recovered_value"],
        "recovery_rate": kpis.recovery_rate(
            recovered_value=t["recovered_value"], original_value=t["original_value"]
        ),
        "refunds_due": t["refunds_due"],
        "refunds_on_time": t["refunds_on_time"],
        "sla": kpis.sla_compliance(on_time=t["refunds_on_time"], due=t["refunds_due"]),
        "grading_minutes_per_return": kpis.ratio(t["grading_minutes"], returns),
        "cycles": cycles(filters),
    }


def grader_table(filters: Filters) -> Table:
    from django.contrib.auth import get_user_model

    per_grader = list(
        GraderDaily.objects.filter(day__gte=filters.start, day__lte=filters.end)
        .values("inspector_id")
        .annotate(n=Sum("inspections"), returns=Sum("returns"), minutes=Sum("minutes"))
        .order_by("inspector_id")
    )
    ids = {r["inspector_id"] for r in per_grader}
    names = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "username"))
    rows = []
    for r in per_grader:
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
            {}, product=product.sku if product else None, reason=alert.reason_code
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


def supplier_claims_by_supplier(supplier_id: int | None = None) -> dict[int, tuple]:
    """{supplier id: (claimed, received)}: the credit expected on its claims, and what it paid;
    two grouped queries whatever the number of suppliers."""
    from resolution.models import SupplierClaim, SupplierClaimItem

    items = SupplierClaimItem.objects.all()
    claims = SupplierClaim.objects.all()
    if supplier_id is not None:
        items = items.filter(claim__supplier_id=supplier_id)
        claims = claims.filter(supplier_id=supplier_id)
    claimed = dict(
        items.values_list("claim__supplier_id").annotate(s=Sum("expected_credit")).order_by()
    )
    received = dict(claims.values_list("supplier_id").annotate(s=Sum("credited_amount")).order_by())
    zero = Decimal("0.00")
    return {
        pk: (claimed.get(pk) or zero, received.get(pk) or zero)
        for pk in claimed.keys() | received.keys()
    }


def supplier_claims(supplier_id: int) -> tuple[Decimal, Decimal]:
    """(claimed, received) for one supplier."""
    zero = Decimal("0.00")
    return supplier_claims_by_supplier(supplier_id).get(supplier_id, (zero, zero))


def _supplier_totals(filters: Filters, supplier_id: int | None = None) -> dict[int, dict]:
    """Line-based totals per supplier over the filtered days, in one query."""
    scoped = Filters(filters.start, filters.end, supplier_id=supplier_id)
    rows = (
        scoped.totals()
        .exclude(supplier_id=None)
        .values("supplier_id")
        .annotate(
            returns=Sum("line_returns"),
            units=Sum("returned_units"),
            defects=Sum("defect_returns"),
            sold=Sum("sold_units"),
        )
        .order_by()
    )
    return {r["supplier_id"]: r for r in rows}


def _scorecard(
    supplier: Supplier, totals: dict | None, filters: Filters, claims: tuple[Decimal, Decimal]
) -> dict:
    totals = totals or {"returns": 0, "units": 0, "defects": 0, "sold": 0}
    rate = kpis.return_rate(returned_units=totals["units"], sold_units=totals["sold"])
    defect_share = kpis.ratio(totals["defects"], totals["returns"])
    claimed, received = claims
    scoped = Filters(filters.start, filters.end, supplier_id=supplier.pk)
    return {
        "supplier": supplier,
        "returns": totals["returns"],
        "returned_units": totals["units"],
        "sold_units": totals["sold"],
        "return_rate": rate,
        "defect_returns": totals["defects"],
        "defect_share": defect_share,
        "sampling_rate": kpis.sampling_rate(return_rate=rate, defect_share=defect_share),
        "claimed": claimed,
        "received": received,
        "drill": scoped.drill({"supplier": supplier.code}),
    }


def supplier_scorecard(supplier: Supplier, filters: Filters) -> dict:
    totals = _supplier_totals(filters, supplier.pk).get(supplier.pk)
    return _scorecard(supplier, totals, filters, supplier_claims(supplier.pk))


def suppliers_table(filters: Filters) -> Table:
    rows, links = [], []
    totals = _supplier_totals(filters)
    claims = supplier_claims_by_supplier()
    none = (Decimal("0.00"), Decimal("0.00"))
    for supplier in Supplier.objects.all():
        card = _scorecard(supplier, totals.get(supplier.pk), filters, claims.get(supplier.pk, none))
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
        links.append(
            scoped.drill({"supplier": supplier.code}, product=sku, reason=r["reason_code"])
        )
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
