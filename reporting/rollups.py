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
from reporting.models import RollupState
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


def facts_rebuild(*, start: dt.date, end: dt.date, models=None) -> dict[str, int]:
    """Delete and re-insert the fact rows (optionally only `models`) of days start..end.

    Runs inside the caller's transaction; `rollup_range` is the public door.
    """
    lo, hi = day_bounds(start, end)
    zone = settings.TIME_ZONE
    inserted = {}
    for model, build in fact_sql.FACTS:
        if models is None or model in models:
            model.objects.filter(day__gte=start, day__lte=end).delete()
            inserted[model.__name__] = _execute(build(lo, hi, zone))
    return inserted


def summaries_rebuild(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """The dashboard summaries of days start..end, from the fact rows of those days."""
    inserted = {}
    for model, build in fact_sql.SUMMARIES:
        model.objects.filter(day__gte=start, day__lte=end).delete()
        inserted[model.__name__] = _execute(build(start, end, settings.TIME_ZONE))
    return inserted


def fast_statements() -> None:
    if connection.vendor == "postgresql":
        # JIT compilation costs seconds on these one-shot statements and saves nothing.
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")


def rollup_range(*, start: dt.date, end: dt.date) -> dict[str, int]:
    """Recompute every fact and summary table for local days start..end (inclusive)."""
    with transaction.atomic():
        fast_statements()
        inserted = facts_rebuild(start=start, end=end)
        inserted |= summaries_rebuild(start=start, end=end)
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
