"""Benchmark settings: the real settings plus bare reference endpoints (bench/urls.py)."""

from returns_portal.settings.base import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
REST_FRAMEWORK = {**REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"order_lookup": "100000/min"}}  # noqa: F405
LOGGING = {"version": 1, "disable_existing_loggers": False}
