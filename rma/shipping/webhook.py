"""Carrier webhook signatures and payload parsing (pure; no database)."""

import datetime as dt
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

from django.utils.dateparse import parse_datetime

MAX_AGE_SECONDS = 300
MAX_FUTURE_SECONDS = 30  # clock skew allowance, far below the replay window
STATUSES = ("in_transit", "out_for_delivery", "delivered", "exception")


class SignatureError(Exception):
    pass


class PayloadError(Exception):
    pass


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    ts = int(time.time()) if timestamp is None else int(timestamp)
    digest = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={ts},v1={digest}"


def signature_verify(*, secret: str, header: str | None, body: bytes, now: float | None = None):
    if not secret:
        raise SignatureError("webhook secret not configured")
    if not header:
        raise SignatureError("missing signature")
    parts = {}
    for item in header.split(","):
        key, sep, value = item.strip().partition("=")
        if sep:
            parts.setdefault(key, []).append(value)
    try:
        ts = int(parts["t"][0])
    except (KeyError, ValueError, IndexError):
        raise SignatureError("malformed signature header") from None
    now = time.time() if now is None else now
    if ts < now - MAX_AGE_SECONDS or ts > now + MAX_FUTURE_SECONDS:
        raise SignatureError("timestamp outside the allowed window (replay?)")
    expected = hmac.new(secret.encode(), f"{ts}.".encode() + body, hashlib.sha256).hexdigest()
    if not any(hmac.compare_digest(expected, candidate) for candidate in parts.get("v1", [])):
        raise SignatureError("bad signature")


@dataclass(frozen=True)
class CarrierEvent:
    event_id: str
    tracking_number: str
    status: str
    occurred_at: dt.datetime
    location: str
    description: str


def _text(data: dict, key: str, *, required: bool, limit: int) -> str:
    value = data.get(key, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise PayloadError(f"'{key}' must be a string")
    value = value.strip()
    if required and not value:
        raise PayloadError(f"'{key}' is required")
    if len(value) > limit:
        raise PayloadError(f"'{key}' is longer than {limit} characters")
    return value


def payload_parse(body: bytes) -> CarrierEvent:
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise PayloadError("body is not JSON") from None
    if not isinstance(data, dict):
        raise PayloadError("body must be a JSON object")
    status = _text(data, "status", required=True, limit=30)
    if status not in STATUSES:
        raise PayloadError(f"'status' must be one of {', '.join(STATUSES)}")
    raw_when = _text(data, "occurred_at", required=True, limit=40)
    try:
        occurred_at = parse_datetime(raw_when)
    except ValueError:
        occurred_at = None
    if occurred_at is None or occurred_at.tzinfo is None:
        raise PayloadError("'occurred_at' must be an ISO 8601 time with a UTC offset")
    try:
        age = dt.datetime.now(dt.UTC) - occurred_at
    except OverflowError:
        age = None
    # a scan from years ago or days ahead is a carrier bug; also keeps dates storable
    if age is None or not (-dt.timedelta(days=1) <= age <= dt.timedelta(days=365)):
        raise PayloadError("'occurred_at' is not a plausible scan time")
    return CarrierEvent(
        event_id=_text(data, "id", required=True, limit=100),
        tracking_number=_text(data, "tracking_number", required=True, limit=40).upper(),
        status=status,
        occurred_at=occurred_at,
        location=_text(data, "location", required=False, limit=200),
        description=_text(data, "description", required=False, limit=300),
    )
