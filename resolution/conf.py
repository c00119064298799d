"""Resolution settings: Django settings first, then the environment, then the default.

The environment fallback lets a worker started with extra variables (tests, benchmarks)
pick a gateway without a settings change. Names (add them to .env.example):
PAYMENT_GATEWAY ("ledger" | "stripe"), STRIPE_API_KEY, STRIPE_API_BASE,
STRIPE_MAX_NETWORK_RETRIES, STRIPE_TIMEOUT_SECONDS, LEDGER_GATEWAY_DELAY_SECONDS,
HOLIDAY_COUNTRY, HOLIDAY_SUBDIVISION, REFUND_SWEEP_AFTER_MINUTES,
REFUND_TASK_MAX_RETRIES.
"""

import os

from django.conf import settings

DEFAULTS = {
    "PAYMENT_GATEWAY": "ledger",
    "STRIPE_API_KEY": "",
    "STRIPE_API_BASE": "https://api.stripe.com",
    "STRIPE_MAX_NETWORK_RETRIES": 0,
    "STRIPE_TIMEOUT_SECONDS": 30,
    "LEDGER_GATEWAY_DELAY_SECONDS": 0,
    "HOLIDAY_COUNTRY": "US",
    "HOLIDAY_SUBDIVISION": "",
    "REFUND_SWEEP_AFTER_MINUTES": 10,
    "REFUND_TASK_MAX_RETRIES": 8,
}


def setting(name: str):
    value = getattr(settings, name, None)
    if value is None:
        value = os.environ.get(name)
    if value is None or value == "":
        return DEFAULTS[name]
    if isinstance(DEFAULTS[name], int | float) and isinstance(value, str):
        return float(value) if "." in value else int(value)
    return value
