"""No URL of the portal answers bad input with a 500.

The demo data is seeded, then every URL pattern (pages and API, not Django's admin) is called
as each persona, with real ids and missing ones in its path, by GET and by POST with malformed
bodies: wrong types, NaN and infinite numbers, negative and huge quantities, nested junk, broken
JSON. Whatever the answer (200, a form error, 4xx), it must not be a server error.
"""

import datetime as dt
import io
import json

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 20)
MISSING = 987654321

# Keys the portal's forms and serializers read, each given a value of the wrong kind.
JUNK_KEYS = [
    "quantity", "amount", "items", "order_id", "order_line_id", "order_number", "email",
    "lines", "reason", "reason_code", "grade", "route", "tracking_number", "note", "reference",
    "decision", "preferred_outcome", "minutes", "arrived_as", "checklist", "return_id",
    "return_ids", "fallback", "credit_note", "buyer", "recycler", "outcome", "code", "q",
    "page", "page_size", "version", "cost", "action", "status", "weight", "exchange",
]  # fmt: skip
JUNK_VALUES = ["NaN", "-Infinity", "1e999", "-1", "99999999999999999999999", "x" * 5000, "\x00"]


def _json_bodies():
    yield {}
    yield [1, 2, 3]
    yield "just a string"
    for value in JUNK_VALUES[:4]:
        yield dict.fromkeys(JUNK_KEYS, value)
    yield {key: {"nested": [None, True, 1.5]} for key in JUNK_KEYS}
    yield {key: [{"order_line_id": "a", "quantity": None}] for key in JUNK_KEYS}
    yield {"items": [{"order_line_id": MISSING, "quantity": 10**12, "reason_code": "?"}]}


def _form_bodies():
    for value in JUNK_VALUES:
        yield dict.fromkeys(JUNK_KEYS, value)


def _patterns(resolvers, prefix=""):
    for entry in resolvers:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry.url_patterns, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _ids():
    """A real object for each kind of id in the URLs (the first in the demo), or the missing one."""
    from assessment.models import Inspection, InspectionPhoto, ParcelException, ParcelExceptionPhoto
    from catalog.models import Order, Supplier
    from reporting.models import Recall, SpikeAlert
    from resolution.models import (
        Disposition,
        LiquidationLot,
        MoneyMovement,
        RefurbishmentJob,
        SupplierClaim,
    )
    from rma.models import ReturnLine, ReturnPhoto, ReturnRequest
    from rma.shipping.models import LabelBatch

    def first(model, field="pk"):
        value = model.objects.order_by("pk").values_list(field, flat=True).first()
        return value if value is not None else MISSING

    approved = ReturnRequest.objects.exclude(rma_number="").order_by("pk").first()
    return {
        "order_id": first(Order),
        "number": first(Order, "number"),
        "return_id": first(ReturnRequest),
        "reference": approved.rma_number if approved else "RMA-0000-000000",
        "photo_id": first(ReturnPhoto),
        "line_id": first(ReturnLine),
        "inspection_id": first(Inspection),
        "exception_id": first(ParcelException),
        "batch_id": first(LabelBatch),
        "movement_id": first(MoneyMovement),
        "disposition_id": first(Disposition),
        "job_id": first(RefurbishmentJob),
        "lot_id": first(LiquidationLot),
        "claim_id": first(SupplierClaim),
        "alert_id": first(SpikeAlert),
        "recall_id": first(Recall),
        "code": first(Supplier, "code"),
        "name": "returns",
        "inspection_photo": first(InspectionPhoto),
        "parcel_photo": first(ParcelExceptionPhoto),
    }


def _paths(pattern: str, ids: dict) -> list[str]:
    """The pattern with real values, then with missing/odd ones, in its path."""
    import re

    params = re.findall(r"<(?:(\w+):)?(\w+)>", pattern)
    if not params:
        return ["/" + pattern]

    def fill(choose):
        path = pattern
        for converter, name in params:
            path = re.sub(rf"<(?:\w+:)?{name}>", str(choose(converter, name)), path, count=1)
        return "/" + path

    def real(converter, name):
        if name == "photo_id" and "inspection" in pattern:
            return ids["inspection_photo"]
        if name == "photo_id" and "parcel" in pattern:
            return ids["parcel_photo"]
        return ids.get(name, MISSING)

    def odd(converter, name):
        return MISSING if converter == "int" else "RMA-..%2F..-%00"

    return [fill(real), fill(odd)]


@pytest.fixture
def demo():
    call_command("seed_demo", "--small", "--today", TODAY.isoformat(), stdout=io.StringIO())
    return _ids()


PERSONAS = ["anonymous", "customer@example.com", "grader", "manager", "admin"]
DEEP = ("customer@example.com", "admin")  # the ones who get past most permission checks


def test_no_url_answers_bad_input_with_a_server_error(demo):
    client = Client(raise_request_exception=True)
    failures = []
    patterns = [p for p in _patterns(get_resolver().url_patterns) if not p.startswith("admin/")]
    assert len(patterns) > 80  # the walk found the portal's URLs

    for persona in PERSONAS:
        user = None if persona == "anonymous" else get_user_model().objects.get(username=persona)

        def call(method, path, user=user, persona=persona, **kwargs):
            if user is not None:
                client.force_login(user)  # a POST to logout must not end the persona's tour
            else:
                client.logout()
            try:
                status = getattr(client, method)(path, **kwargs).status_code
            except Exception as exc:  # a view that raised: what we look for
                failures.append(f"{persona}: {method.upper()} {path}: {exc!r}")
                return
            if status >= 500:
                failures.append(f"{persona}: {method.upper()} {path}: {status}")

        for pattern in patterns:
            real, *odd = _paths(pattern, demo)
            for path in [real, *odd]:
                call("get", path)
                call("post", path, data={"quantity": "-1", "amount": "NaN"})
            call("get", real + "?page=-1&page_size=NaN&created_after=2026-13-45&format=x")
            call("post", real, data="{not json", content_type="application/json")
            call("patch", real, data=json.dumps({"grade": "Z"}), content_type="application/json")
            call("delete", real)
            for body in _json_bodies() if persona in DEEP else [{"amount": "NaN"}]:
                call("post", real, data=json.dumps(body), content_type="application/json")
            for form in _form_bodies() if persona in DEEP else []:
                call("post", real, data=form)
    assert failures == []
