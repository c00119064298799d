"""Beat entry points (scheduled in settings.CELERY_BEAT_SCHEDULE)."""

from celery import shared_task
from django.utils import timezone

from reporting import rollups, spikes


@shared_task(name="reporting.tasks.rollup_nightly")
def rollup_nightly() -> list[str]:
    runs = rollups.rollup_nightly()
    return [f"{a}..{b}" for a, b in runs]


@shared_task(name="reporting.tasks.spikes_detect")
def spikes_detect() -> int:
    return len(spikes.spikes_detect(today=timezone.localdate()))
