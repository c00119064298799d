"""Celery app configured from Django settings (CELERY_* names)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "returns_portal.settings.base")

app = Celery("returns_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="returns_portal.ping")
def ping(value: str) -> str:
    """Round-trip check used by health probes and the worker test."""
    return f"pong:{value}"
