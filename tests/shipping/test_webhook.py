import json
import time

import pytest
from django.utils import timezone

from rma.shipping.models import TrackingEvent
from rma.shipping.services import label_create
from rma.shipping.webhook import signature_header

pytestmark = pytest.mark.django_db
URL = "/api/v1/shipping/tracking/webhook/"
SECRET = "test-webhook-secret"


@pytest.fixture(autouse=True)
def _secret(settings):
    settings.TRACKING_WEBHOOK_SECRET = SECRET


@pytest.fixture
def labelled(approved_return):
    return label_create(return_id=approved_return.pk)


def post(client, payload, *, secret=SECRET, timestamp=None, header=None, raw=None):
    body = raw if raw is not None else json.dumps(payload).encode()
    headers = {}
    if header is not False:
        headers["HTTP_X_CARRIER_SIGNATURE"] = header or signature_header(
            secret=secret, body=body, timestamp=timestamp
        )
    return client.post(URL, data=body, content_type="application/json", **headers)


def event(shipment, status="in_transit", event_id="evt-1", **extra):
    return {
        "id": event_id,
        "tracking_number": shipment.tracking_number,
        "status": status,
        "occurred_at": timezone.now().isoformat(),
        "location": "Portland OR",
        "description": "Picked up",
        **extra,
    }


def test_first_scan_moves_the_return_in_transit_and_shows_on_the_timeline(client, labelled):
    # when the carrier reports the first scan, correctly signed
    resp = post(client, event(labelled))
    # then it is recorded, the return is in transit, and the customer sees it
    assert resp.status_code == 201
    rr = labelled.return_request
    rr.refresh_from_db()
    assert rr.status == "in_transit"
    tracking = rr.events.get(kind="tracking")
    assert tracking.visible_to_customer and tracking.actor_kind == "carrier"
    assert "Picked up" in tracking.message and "Portland OR" in tracking.message
    assert rr.events.filter(kind="status", to_status="in_transit").exists()
    labelled.refresh_from_db()
    assert labelled.status == "in_transit"


def test_delivery_moves_it_to_delivered(client, labelled):
    post(client, event(labelled))
    resp = post(client, event(labelled, status="delivered", event_id="evt-2"))
    assert resp.status_code == 201
    labelled.return_request.refresh_from_db()
    assert labelled.return_request.status == "delivered"


def test_exception_is_recorded_without_a_status_change(client, labelled):
    assert (
        post(client, event(labelled, status="exception", description="Damaged")).status_code == 201
    )
    labelled.return_request.refresh_from_db()
    assert labelled.return_request.status == "label_issued"
    assert labelled.return_request.events.filter(kind="tracking", message__contains="Damaged")


def test_a_duplicate_event_id_is_an_idempotent_no_op(client, labelled):
    assert post(client, event(labelled)).status_code == 201
    again = post(client, event(labelled, description="changed"))
    assert again.status_code == 200 and again.json()["duplicate"] is True
    assert TrackingEvent.objects.count() == 1
    assert labelled.return_request.events.filter(kind="tracking").count() == 1


@pytest.mark.parametrize(
    "kwargs",
    [
        {"header": False},  # missing
        {"secret": "wrong-secret"},  # bad signature
        {"header": "t=abc,v1=00"},  # malformed
        {"header": "v1=deadbeef"},  # no timestamp
        {"timestamp": int(time.time()) - 301},  # replay: older than 5 minutes
        {"timestamp": int(time.time()) + 600},  # from the future
    ],
)
def test_bad_missing_or_replayed_signatures_are_401_and_change_nothing(client, labelled, kwargs):
    resp = post(client, event(labelled), **kwargs)
    assert resp.status_code == 401
    assert TrackingEvent.objects.count() == 0
    labelled.return_request.refresh_from_db()
    assert labelled.return_request.status == "label_issued"


def test_a_signature_for_another_body_is_401(client, labelled):
    header = signature_header(secret=SECRET, body=b'{"other": 1}')
    assert post(client, event(labelled), header=header).status_code == 401


def test_unknown_tracking_number_is_404(client, labelled):
    assert post(client, event(labelled, tracking_number="RP00000000000")).status_code == 404


@pytest.mark.parametrize(
    "raw",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        b"{}",
        b'{"id": "e", "tracking_number": "RP1", "status": "teleported", '
        b'"occurred_at": "2026-01-01T00:00:00Z"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", "occurred_at": "yesterday"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "2026-13-45T00:00:00Z"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "2026-01-01T00:00:00"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "0001-01-01T00:00:00+01:00"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "9999-12-31T23:59:59-12:00"}',
        b'{"id": "e", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "2019-01-01T00:00:00Z"}',
        b'{"id": 5, "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "2026-01-01T00:00:00Z"}',
        b'{"id": "e", "tracking_number": ["RP1"], "status": "delivered", '
        b'"occurred_at": "2026-01-01T00:00:00Z"}',
        b'{"id": "' + b"x" * 500 + b'", "tracking_number": "RP1", "status": "delivered", '
        b'"occurred_at": "2026-01-01T00:00:00Z"}',
    ],
)
def test_malformed_bodies_are_400_never_500(client, labelled, raw):
    assert post(client, None, raw=raw).status_code == 400


def test_get_is_not_allowed_and_no_session_is_needed(client, labelled):
    assert client.get(URL).status_code == 405


def test_late_in_transit_after_delivered_does_not_move_backwards(client, labelled):
    post(client, event(labelled, status="delivered", event_id="d"))
    early = (timezone.now() - timezone.timedelta(hours=5)).isoformat()
    assert post(client, event(labelled, event_id="t", occurred_at=early)).status_code == 201
    labelled.refresh_from_db()
    labelled.return_request.refresh_from_db()
    assert labelled.status == "delivered"
    assert labelled.return_request.status == "delivered"


def test_the_receiving_page_finds_the_return_by_tracking_number(labelled):
    from rma.shipping.selectors import return_id_for_tracking

    assert return_id_for_tracking(labelled.tracking_number.lower()) == labelled.return_request_id
    assert return_id_for_tracking("RP00000000000") is None
    assert return_id_for_tracking("") is None
