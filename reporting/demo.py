"""Demo data step: roll up everything the other demo steps created and look for spikes."""

import datetime as dt

from django.db.models import Max, Min

from reporting.rollups import local_day, rollup_range
from reporting.spikes import spikes_detect
from rma.models import ReturnRequest


def seed(*, stdout, today: dt.date) -> None:
    """Backfill the rollups over the demo's date range (rerunnable) and detect spikes."""
    span = ReturnRequest.objects.annotate(day=local_day("created_at")).aggregate(
        first=Min("day"), last=Max("day")
    )
    first = span["first"] or today
    first = first if isinstance(first, dt.date) else dt.date.fromisoformat(first)
    start = min(first, today - dt.timedelta(days=365))
    counts = rollup_range(start=start, end=today)
    alerts = spikes_detect(today=today + dt.timedelta(days=1))
    rows = ", ".join(f"{name} {n}" for name, n in counts.items())
    stdout.write(f"reporting: rolled up {start}..{today} ({rows}); {len(alerts)} spike alert(s)\n")
