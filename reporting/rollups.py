"""Set-based nightly rollups: one INSERT … SELECT … GROUP BY per table per date range.

The statements live in `reporting.fact_sql`; here is the order they run in, the day
arithmetic, and the nightly watermark. A range is recomputed in one transaction: its rows
are deleted and re-inserted, so reruns give identical rows and readers never see a half.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from assessment.models import Inspection
from catalog.models import OrderLine
from reporting import fact_sql
from reporting.models import ProductRunning, RollupState
from resolution.models import CostEntry, Disposition, MoneyMovement
from rma.models import ReturnEvent, ReturnRequest


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


def _execute(sql_and_params: tuple[str, list]) -> int:
    sql, params = sql_and_params
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def _clear(model, start: dt.date, end: dt.date | None) -> list[str]:
    """Delete the rows of days start..end (end None: to the last day).

    When that is every row (a full backfill) on PostgreSQL, TRUNCATE the table and drop
    its secondary indexes: bulk-loading then building each index once is several times
    faster than a million index insertions. Returns the CREATE INDEX statements to run
    after the load (`_reindex`). TRUNCATE locks the table until commit, which a full
    rebuild wants anyway; readers see the old rows until then.
    """
    rows = model.objects.filter(day__gte=start)
    outside = model.objects.filter(day__lt=start).exists()
    if end is not None:
        rows = rows.filter(day__lte=end)
        outside = outside or model.objects.filter(day__gt=end).exists()
    if connection.vendor != "postgresql" or outside:
        rows.delete()
        return []
    table = model._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {connection.ops.quote_name(table)}")
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i WHERE i.tablename = %s"
            " AND i.schemaname = current_schema() AND NOT EXISTS (SELECT 1 FROM pg_constraint c"
            " WHERE c.conname = i.indexname AND c.conrelid = %s::regclass)",
            [table, connection.ops.quote_name(table)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f"DROP INDEX {connection.ops.quote_name(name)}")
    return [definition for _, definition in indexes] + [
        f"ANALYZE {connection.ops.quote_name(table)}"
    ]


def _reindex(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


def facts_rebuild(*, start: dt.date, end: dt.date, models=None) -> dict[str, int]:
    """Delete and re-insert the fact rows (optionally only `models`) of days start..end.

    Runs inside the caller's transaction; `rollup_range` is the public door.
    """
    lo, hi = day_bounds(start, end)
    zone = settings.TIME_ZONE
    inserted = {}
    for model, build in fact_sql.FACTS:
        if models is None or model in models:
            after = _clear(model, start, end)
            inserted[model.__name__] = _execute(build(lo, hi, zone))
            _reindex(after)
    return inserted


def summaries_rebuild(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """The dashboard summaries of days start..end, from the fact rows of those days."""
    inserted = {}
    for model, build in fact_sql.SUMMARIES:
        after = _clear(model, start, end)
        inserted[model.__name__] = _execute(build(start, end, settings.TIME_ZONE))
        _reindex(after)
    return inserted


def running_rebuild(*, start: dt.date) -> int:
    """ProductRunning from `start` to the last day (later totals include earlier days)."""
    after = _clear(ProductRunning, start, None)
    inserted = _execute(fact_sql.running_sql(start, settings.TIME_ZONE))
    _reindex(after)
    return inserted


def fast_statements() -> None:
    if connection.vendor == "postgresql":
        # JIT compilation costs seconds on these one-shot statements and saves nothing;
        # the per-return and per-product groupings of a long range spill to disk at 4 MB.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '128MB'")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")


def _ranges_rebuild(runs: list[tuple[dt.date, dt.date]]) -> dict[str, int]:
    inserted: dict[str, int] = {}
    with transaction.atomic():
        fast_statements()
        for start, end in runs:
            for name, n in (
                facts_rebuild(start=start, end=end) | summaries_rebuild(start=start, end=end)
            ).items():
                inserted[name] = inserted.get(name, 0) + n
        if runs:
            inserted["ProductRunning"] = running_rebuild(start=min(a for a, _ in runs))
    return inserted


def rollup_range(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """Recompute every rollup table for local days start..end (inclusive), atomically."""
    return _ranges_rebuild([(start, end)])


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
    RollupState.objects.get_or_create(name="nightly")
    with transaction.atomic():
        # One run at a time; readers keep seeing the previous night until this commits.
        state = RollupState.objects.select_for_update().get(name="nightly")
        yesterday = timezone.localtime(now, local_zone()).date() - dt.timedelta(days=1)
        days = {yesterday}
        if state.last_run_at is not None:
            days |= changed_days(since=state.last_run_at)
        runs = date_runs(days)
        _ranges_rebuild(runs)
        state.last_run_at = now
        state.save(update_fields=["last_run_at"])
    return runs
