"""Bad input to the warehouse API is a 4xx with a message, never a 500 (and never a write)."""

import pytest

from assessment.models import Inspection, ParcelException
from assessment.services import parcel_receive

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse"
HUGE = 10**30
NO_SUCH = 987654321


@pytest.fixture
def received(api_client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    api_client.force_authenticate(grader)
    return Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()


BAD_INSPECTION_BODIES = [
    {},
    [1, 2, 3],
    "just text",
    {"expected_version": "abc"},
    {"expected_version": -1},
    {"expected_version": HUGE},
    {"expected_version": 1.5},
    {"expected_version": None},
    {"expected_version": [0]},
    {"expected_version": 0, "quantity_received": -1},
    {"expected_version": 0, "quantity_received": HUGE},
    {"expected_version": 0, "quantity_received": 3},  # more than the line's 2
    {"expected_version": 0, "quantity_received": "two"},
    {"expected_version": 0, "quantity_received": {"a": 1}},
    {"expected_version": 0, "checklist": "unused"},
    {"expected_version": 0, "checklist": [1, 2]},
    {"expected_version": 0, "checklist": {"unused": "maybe"}},
    {"expected_version": 0, "checklist": {"teleported": True}},
    {"expected_version": 0, "grade": "ZZZZ"},
    {"expected_version": 0, "grade": "A" * 50},
    {"expected_version": 0, "grade": ["A"]},
    {"expected_version": 0, "grade": {"code": "A"}},
    {"expected_version": 0, "notes": "x" * 5000},
    {"expected_version": 0, "notes": "nul \x00 byte"},
    {"expected_version": 0, "notes": ["a"]},
    {"expected_version": 0, "minutes_spent": "NaN"},
    {"expected_version": 0, "minutes_spent": "Infinity"},
    {"expected_version": 0, "minutes_spent": "-1"},
    {"expected_version": 0, "minutes_spent": "1e999"},
    {"expected_version": 0, "minutes_spent": 10**12},
    {"expected_version": 0, "minutes_spent": "ten"},
    {"expected_version": 0, "started_at": "yesterday"},
    {"expected_version": 0, "started_at": 12345},
    {"expected_version": 0, "arrived_as": "teleported"},
    {"expected_version": 0, "arrived_as": None},
    {"expected_version": 0, "photos": "not-a-file"},
    {"expected_version": 0, "photos": [1, 2]},
]


@pytest.mark.parametrize("body", BAD_INSPECTION_BODIES, ids=range(len(BAD_INSPECTION_BODIES)))
def test_bad_inspection_bodies_are_4xx_and_write_nothing(api_client, received, body):
    for url in (
        f"{API}/inspections/{received.pk}/",
        f"{API}/lines/{received.return_line_id}/inspection/",
    ):
        resp = api_client.post(url, body, format="json")
        assert 400 <= resp.status_code < 500, (url, body, resp.status_code)
        assert resp.data, "a 4xx says what was wrong"
    received.refresh_from_db()
    assert received.version == 0 and received.grade is None


def test_broken_json_is_400(api_client, received):
    resp = api_client.post(
        f"{API}/inspections/{received.pk}/", "{not json", content_type="application/json"
    )
    assert resp.status_code == 400


@pytest.mark.parametrize("missing", [NO_SUCH, HUGE, 2**63, 2**31])
@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "returns/{id}/"),
        ("post", "returns/{id}/receive/"),
        ("post", "returns/{id}/complete/"),
        ("get", "inspections/{id}/"),
        ("post", "inspections/{id}/"),
        ("post", "lines/{id}/inspection/"),
        ("post", "exceptions/{id}/match/"),
        ("post", "exceptions/{id}/unidentified/"),
    ],
)
def test_unknown_and_out_of_range_ids_are_404(api_client, received, method, path, missing):
    body = {"expected_version": 0, "grade": "A", "code": "RMA-2026-000001"}
    resp = getattr(api_client, method)(f"{API}/{path.format(id=missing)}", body, format="json")
    assert resp.status_code == 404, (path, missing, resp.status_code)


@pytest.mark.parametrize(
    "code", ["", "   ", "x" * 5000, "\x00\x01", "REQ-99999999999999999999", "RMA-2026-9" * 30]
)
def test_bad_scan_codes_are_4xx(api_client, received, code):
    resp = api_client.get(f"{API}/lookup/", {"code": code})
    assert 400 <= resp.status_code < 500


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"found": ""},
        {"found": "x" * 3000},
        {"found": ["a"]},
        {"found": "box", "carrier_tracking": "x" * 100},
        {"found": "box", "notes": "nul \x00"},
        {"found": "box", "photos": "nope"},
        [1],
    ],
)
def test_bad_parcel_exception_bodies_are_4xx(api_client, received, body):
    resp = api_client.post(f"{API}/exceptions/", body, format="json")
    assert 400 <= resp.status_code < 500, (body, resp.status_code)
    assert not ParcelException.objects.exists()


@pytest.mark.parametrize(
    "body", [{}, {"code": ""}, {"code": ["x"]}, {"code": "x" * 500}, {"code": "RMA-2026-999999"}]
)
def test_bad_match_bodies_are_4xx(api_client, received, body):
    parcel = ParcelException.objects.create(found="a box")
    resp = api_client.post(f"{API}/exceptions/{parcel.pk}/match/", body, format="json")
    assert 400 <= resp.status_code < 500, (body, resp.status_code)
    parcel.refresh_from_db()
    assert parcel.status == "open"


def test_exception_list_with_unknown_status_is_400(api_client, received):
    assert api_client.get(f"{API}/exceptions/", {"status": "nope"}).status_code == 400


def test_a_good_body_is_accepted(api_client, received):
    """The endpoint the bad bodies were refused by does save a good one."""
    resp = api_client.post(
        f"{API}/inspections/{received.pk}/",
        {"expected_version": 0, "grade": "A", "quantity_received": 2, "minutes_spent": "3.5"},
        format="json",
    )
    assert resp.status_code == 200 and resp.data["grade"] == "A"
    assert resp.data["quantity_received"] == 2 and resp.data["minutes_spent"] == "3.50"
