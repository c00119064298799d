"""Set-based nightly rollups: one INSERT … SELECT … GROUP BY per fact table per date range.

The SELECTs are built with the ORM (so day boundaries in settings.TIME_ZONE are computed
the same way on PostgreSQL and SQLite) and wrapped into INSERT … SELECT: no rows travel
through Python, so a year of a million returns is a handful of statements.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import (
    Count,
    DecimalField,
    F,
    Min,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone

from assessment.models import Inspection
from catalog.models import OrderLine
from reporting.models import GraderDaily, LineDaily, ReturnFact, RollupState, SalesDaily
from resolution.models import CostEntry, Disposition, MoneyMovement
from rma.models import ReturnEvent, ReturnLine, ReturnRequest

ZERO = Value(0, output_field=DecimalField(max_digits=14, decimal_places=2))
REFUND_KINDS = ["refund", "store_credit", "goodwill_refund", "goodwill_credit"]


def local_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[start 00:00, end+1 00:00) in local time, as aware datetimes (DST-safe)."""
    zone = local_zone()
    lo = dt.datetime.combine(start, dt.time.min, tzinfo=zone)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return lo, hi


def local_day(field: str) -> TruncDate:
    return TruncDate(field, tzinfo=local_zone())


def _insert_select(model, queryset, columns: list[str]) -> int:
    """INSERT INTO model(columns) SELECT <aliases> FROM (<queryset sql>): aliases = columns."""
    sql, params = queryset.query.sql_with_params()
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    aliases = ", ".join(connection.ops.quote_name("r_" + c) for c in columns)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {aliases} FROM ({sql}) AS src", params)
        return cursor.rowcount


def _aliased(**exprs):
    return {"r_" + name: expr for name, expr in exprs.items()}


def _money(expr):
    return Coalesce(expr, ZERO, output_field=DecimalField(max_digits=14, decimal_places=2))


def _lines_select(lo, hi):
    primary_grade = Inspection.objects.filter(
        return_line=OuterRef("pk"), kind=Inspection.Kind.PRIMARY
    ).values("grade__code")[:1]
    group = _aliased(
        day=local_day("return_request__created_at"),
        product_id=F("order_line__product_id"),
        supplier_id=F("order_line__product__supplier_id"),
        category_id=F("order_line__product__category_id"),
        batch_id=F("order_line__batch_id"),
        reason_code=F("reason__code"),
        is_defect=F("reason__is_defect"),
        grade_code=Coalesce(Subquery(primary_grade), Value("")),
        route=Coalesce(F("disposition__route"), Value("")),
    )
    sums = _aliased(
        returns=Count("return_request_id", distinct=True),
        units=Sum("quantity"),
        original_value=_money(Sum(F("quantity") * F("unit_price"))),
        recovered_value=_money(Sum("disposition__recovered_value")),
        route_cost=_money(Sum("disposition__route_cost")),
        write_down=_money(Sum("disposition__write_down")),
    )
    qs = (
        ReturnLine.objects.filter(
            return_request__created_at__gte=lo, return_request__created_at__lt=hi
        )
        .annotate(**group)
        .values(*group)
        .annotate(**sums)
        .order_by()
    )
    return qs, [k[2:] for k in (*group, *sums)]


def _first_event(status: str):
    return Subquery(
        ReturnEvent.objects.filter(return_request=OuterRef("pk"), to_status=status)
        .order_by()
        .values("return_request")
        .annotate(at=Min("created_at"))
        .values("at")
    )


def _cost(kind_filter: Q):
    return Subquery(
        CostEntry.objects.filter(kind_filter, return_request=OuterRef("pk"))
        .order_by()
        .values("return_request")
        .annotate(total=Sum("amount"))
        .values("total")
    )


def _returns_select(lo, hi):
    refunds = MoneyMovement.objects.filter(
        return_request=OuterRef("pk"), kind__in=REFUND_KINDS
    ).order_by()
    succeeded = refunds.filter(status=MoneyMovement.Status.SUCCEEDED).values("return_request")
    first_line = ReturnLine.objects.filter(return_request=OuterRef("pk")).order_by("id")
    inspections = (
        Inspection.objects.filter(return_request=OuterRef("pk")).order_by().values("return_request")
    )
    C = CostEntry.Kind
    cols = _aliased(
        return_id=F("pk"),
        day=local_day("created_at"),
        kind=F("kind"),
        status=F("status"),
        product_id=Subquery(first_line.values("order_line__product_id")[:1]),
        supplier_id=Subquery(first_line.values("order_line__product__supplier_id")[:1]),
        category_id=Subquery(first_line.values("order_line__product__category_id")[:1]),
        requested_at=F("created_at"),
        approved_at=_first_event("approved"),
        label_at=_first_event("label_issued"),
        first_scan_at=_first_event("in_transit"),
        received_at=_first_event("received"),
        graded_at=_first_event("graded"),
        resolved_at=_first_event("resolved"),
        refunded_at=Subquery(succeeded.annotate(at=Min("completed_at")).values("at")),
        refund_due_on=Subquery(
            refunds.values("return_request").annotate(due=Min("due_on")).values("due")
        ),
        refund_amount=_money(Subquery(succeeded.annotate(t=Sum("amount")).values("t"))),
        cost_label=_money(_cost(Q(kind=C.LABEL))),
        cost_labor=_money(_cost(Q(kind=C.LABOR))),
        cost_write_down=_money(_cost(Q(kind=C.WRITE_DOWN))),
        cost_customer_service=_money(_cost(Q(kind=C.CUSTOMER_SERVICE))),
        cost_other=_money(_cost(Q(kind__in=[C.SHIPPING, C.HANDLING]))),
        grading_minutes=_money(Subquery(inspections.annotate(m=Sum("minutes_spent")).values("m"))),
    )
    qs = (
        ReturnRequest.objects.filter(created_at__gte=lo, created_at__lt=hi)
        .annotate(**cols)
        .values(*cols)
        .order_by()
    )
    return qs, [k[2:] for k in cols]


def _sales_select(lo, hi):
    group = _aliased(
        day=local_day("order__placed_at"),
        product_id=F("product_id"),
        supplier_id=F("product__supplier_id"),
        category_id=F("product__category_id"),
    )
    sums = _aliased(units=Sum("quantity"))
    qs = (
        OrderLine.objects.filter(order__placed_at__gte=lo, order__placed_at__lt=hi)
        .annotate(**group)
        .values(*group)
        .annotate(**sums)
        .order_by()
    )
    return qs, [k[2:] for k in (*group, *sums)]


def _graders_select(lo, hi):
    group = _aliased(day=local_day("graded_at"), inspector_id=F("inspector_id"))
    sums = _aliased(
        inspections=Count("id"),
        returns=Count("return_request_id", distinct=True),
        minutes=_money(Sum("minutes_spent")),
    )
    qs = (
        Inspection.objects.filter(graded_at__gte=lo, graded_at__lt=hi)
        .annotate(**group)
        .values(*group)
        .annotate(**sums)
        .order_by()
    )
    return qs, [k[2:] for k in (*group, *sums)]


TABLES = (
    (LineDaily, _lines_select),
    (ReturnFact, _returns_select),
    (SalesDaily, _sales_select),
    (GraderDaily, _graders_select),
)


def rollup_range(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """Recompute every fact table for local days start..end (inclusive) atomically."""
    lo, hi = day_bounds(start, end)
    inserted = {}
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # JIT compilation costs seconds on these one-shot statements and saves nothing.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        for model, select in TABLES:
            model.objects.filter(day__gte=start, day__lte=end).delete()
            queryset, columns = select(lo, hi)
            inserted[model.__name__] = _insert_select(model, queryset, columns)
    return inserted


def date_runs(days: set[dt.date]) -> list[tuple[dt.date, dt.date]]:
    """Collapse a set of days into contiguous (start, end) runs."""
    runs: list[list[dt.date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][1] == dt.timedelta(days=1):
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]


def _days(queryset, field: str) -> set[dt.date]:
    values = queryset.annotate(d=local_day(field)).values_list("d", flat=True).distinct()
    return {v if isinstance(v, dt.date) else dt.date.fromisoformat(v) for v in values}


def changed_days(*, since: dt.datetime) -> set[dt.date]:
    """Local days whose fact rows may differ because a source row changed after `since`."""
    # One small query per source (an OR over all the joins would multiply rows).
    touched = [
        ReturnRequest.objects.filter(updated_at__gt=since),
        ReturnRequest.objects.filter(
            pk__in=ReturnEvent.objects.filter(created_at__gt=since).values("return_request_id")
        ),
        ReturnRequest.objects.filter(
            pk__in=MoneyMovement.objects.filter(
                Q(created_at__gt=since) | Q(completed_at__gt=since)
            ).values("return_request_id")
        ),
        ReturnRequest.objects.filter(
            pk__in=CostEntry.objects.filter(created_at__gt=since).values("return_request_id")
        ),
        ReturnRequest.objects.filter(
            pk__in=Disposition.objects.filter(decided_at__gt=since).values("return_request_id")
        ),
        ReturnRequest.objects.filter(
            pk__in=Inspection.objects.filter(graded_at__gt=since).values("return_request_id")
        ),
    ]
    days: set[dt.date] = set()
    for returns in touched:
        days |= _days(returns, "created_at")
    days |= _days(OrderLine.objects.filter(order__created_at__gt=since), "order__placed_at")
    days |= _days(Inspection.objects.filter(graded_at__gt=since), "graded_at")
    return days


def rollup_nightly(*, now: dt.datetime | None = None) -> list[tuple[dt.date, dt.date]]:
    """Yesterday plus every day touched since the last run; advances the watermark."""
    now = now or timezone.now()
    state, _ = RollupState.objects.get_or_create(name="nightly")
    yesterday = timezone.localtime(now, local_zone()).date() - dt.timedelta(days=1)
    days = {yesterday}
    if state.last_run_at is not None:
        days |= changed_days(since=state.last_run_at)
    runs = date_runs(days)
    for start, end in runs:
        rollup_range(start=start, end=end)
    state.last_run_at = now
    state.save(update_fields=["last_run_at"])
    return runs
