"""Warehouse API (/api/v1/warehouse/): permissions, flow, 409 on conflicts, 4xx on bad input."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assessment.models import Inspection, ParcelException
from assessment.services import inspection_save, parcel_receive

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse"


@pytest.fixture
def as_grader(api_client, grader):
    api_client.force_authenticate(grader)
    return api_client


def _endpoints(rr_id: int, line_id: int, inspection_id: int, exception_id: int):
    return [
        ("get", f"{API}/lookup/?code=RMA-2026-000001"),
        ("get", f"{API}/returns/{rr_id}/"),
        ("post", f"{API}/returns/{rr_id}/receive/"),
        ("post", f"{API}/returns/{rr_id}/complete/"),
        ("get", f"{API}/inspections/{inspection_id}/"),
        ("post", f"{API}/inspections/{inspection_id}/"),
        ("post", f"{API}/lines/{line_id}/inspection/"),
        ("get", f"{API}/qc/queue/"),
        ("get", f"{API}/exceptions/"),
        ("post", f"{API}/exceptions/"),
        ("post", f"{API}/exceptions/{exception_id}/match/"),
        ("post", f"{API}/exceptions/{exception_id}/unidentified/"),
    ]


@pytest.mark.parametrize("who", ["anonymous", "customer", "other_customer"])
def test_only_graders_may_use_the_api(
    api_client, who, customer, other_customer, delivered_return, grader
):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    parcel = ParcelException.objects.create(found="a box")
    if who != "anonymous":
        api_client.force_authenticate((customer if who == "customer" else other_customer).user)
    for method, url in _endpoints(
        delivered_return.pk, inspection.return_line_id, inspection.pk, parcel.pk
    ):
        body = {"expected_version": 0, "grade": "A", "found": "x", "code": "RMA-2026-000001"}
        resp = getattr(api_client, method)(url, body, format="json")
        assert resp.status_code in (401, 403), (method, url, resp.status_code)
    inspection.refresh_from_db()
    parcel.refresh_from_db()
    assert inspection.version == 0 and parcel.status == "open"
    assert ParcelException.objects.count() == 1


def test_grading_flow_over_the_api(as_grader, delivered_return, hook_calls):
    # lookup by scan code
    resp = as_grader.get(f"{API}/lookup/", {"code": delivered_return.rma_number})
    assert resp.status_code == 200
    assert resp.data["receivable"] is True and resp.data["status"] == "delivered"
    assert len(resp.data["lines"]) == 2 and resp.data["lines"][0]["inspection"] is None
    # receive
    resp = as_grader.post(f"{API}/returns/{delivered_return.pk}/receive/")
    assert resp.status_code == 200 and resp.data["status"] == "received"
    # receiving twice is a clear conflict
    again = as_grader.post(f"{API}/returns/{delivered_return.pk}/receive/")
    assert again.status_code == 409
    assert "already received" in again.data["detail"]
    # save both inspections
    for line in resp.data["lines"]:
        inspection = line["inspection"]
        saved = as_grader.post(
            f"{API}/inspections/{inspection['id']}/",
            {
                "expected_version": inspection["version"],
                "grade": "B",
                "checklist": {"unused": False, "complete": True},
                "minutes_spent": "4.25",
                "arrived_as": "as_expected",
            },
            format="json",
        )
        assert saved.status_code == 200, saved.data
        assert (saved.data["grade"], saved.data["version"]) == ("B", 1)
        assert saved.data["inspector"] == "grader"
        assert saved.data["minutes_spent"] == "4.25"
    # complete
    done = as_grader.post(f"{API}/returns/{delivered_return.pk}/complete/")
    assert done.status_code == 200
    assert done.data["status"] in ("graded", "resolved")
    assert hook_calls == [
        ("return_received", delivered_return.pk),
        ("return_graded", delivered_return.pk),
    ]


def test_stale_save_is_409_with_the_current_grade(as_grader, delivered_return, grader, grader2):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader2, inspection_id=inspection.pk, expected_version=0, grade_code="B")
    resp = as_grader.post(
        f"{API}/inspections/{inspection.pk}/",
        {"expected_version": 0, "grade": "D"},
        format="json",
    )
    assert resp.status_code == 409
    assert resp.data["code"] == "conflict"
    assert resp.data["detail"] == "Graded B by grader2 a moment ago — your change was not saved."
    current = resp.data["details"]["current"]
    assert (current["grade"], current["version"], current["inspector"]) == ("B", 1, "grader2")
    inspection.refresh_from_db()
    assert inspection.grade.code == "B"


def test_save_by_line_opens_the_inspection(as_grader, delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    line = delivered_return.lines.order_by("pk").last()
    Inspection.objects.filter(return_line=line).delete()  # e.g. a line added after receipt
    resp = as_grader.post(
        f"{API}/lines/{line.pk}/inspection/", {"expected_version": 0, "grade": "A"}, format="json"
    )
    assert resp.status_code == 200
    assert resp.data["return_line_id"] == line.pk and resp.data["grade"] == "A"


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"expected_version": "x"},
        {"expected_version": -1},
        {"expected_version": 0, "grade": "ZZ"},
        {"expected_version": 0, "grade": "A" * 50},
        {"expected_version": 0, "quantity_received": 50},
        {"expected_version": 0, "quantity_received": -2},
        {"expected_version": 0, "arrived_as": "lost"},
        {"expected_version": 0, "checklist": {"sparkly": True}},
        {"expected_version": 0, "checklist": ["unused"]},
        {"expected_version": 0, "minutes_spent": "NaN"},
        {"expected_version": 0, "minutes_spent": "1e400"},
        {"expected_version": 0, "minutes_spent": 10000},
        {"expected_version": 0, "started_at": "yesterday"},
        {"expected_version": 0, "notes": "x" * 5000},
        {"expected_version": 99999999999999999999},
    ],
)
def test_bad_input_is_a_clear_400_never_a_500(as_grader, delivered_return, grader, body):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    resp = as_grader.post(f"{API}/inspections/{inspection.pk}/", body, format="json")
    assert resp.status_code == 400, resp.content
    inspection.refresh_from_db()
    assert inspection.version == 0


@pytest.mark.parametrize(
    ("code", "status"),
    [("", 400), ("RMA-2026-424242", 404), ("x" * 300, 400), ("REQ-0", 404), ("1Z999", 404)],
)
def test_lookup_errors(as_grader, code, status):
    resp = as_grader.get(f"{API}/lookup/", {"code": code})
    assert resp.status_code == status
    assert resp.data["detail"]


def test_complete_before_all_graded_is_400(as_grader, delivered_return, grader):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    resp = as_grader.post(f"{API}/returns/{delivered_return.pk}/complete/")
    assert resp.status_code == 400
    assert "2 item(s) still need a grade" in resp.data["detail"]
    assert len(resp.data["details"]["line_ids"]) == 2


def test_receive_unknown_return_is_404(as_grader):
    assert as_grader.post(f"{API}/returns/987654/receive/").status_code == 404


def test_exceptions_over_the_api(as_grader, delivered_return):
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4)).save(buffer, "PNG")
    photo = SimpleUploadedFile("p.png", buffer.getvalue(), content_type="image/png")
    resp = as_grader.post(
        f"{API}/exceptions/",
        {"found": "Two socks", "carrier_tracking": "1z abc", "photos": [photo]},
        format="multipart",
    )
    assert resp.status_code == 201, resp.data
    assert resp.data["carrier_tracking"] == "1ZABC" and resp.data["photos"] == 1
    parcel_id = resp.data["id"]
    listed = as_grader.get(f"{API}/exceptions/", {"status": "open"})
    assert [p["id"] for p in listed.data] == [parcel_id]
    assert as_grader.get(f"{API}/exceptions/", {"status": "nope"}).status_code == 400
    bad = as_grader.post(f"{API}/exceptions/{parcel_id}/match/", {"code": "RMA-2026-111111"})
    assert bad.status_code == 404
    matched = as_grader.post(
        f"{API}/exceptions/{parcel_id}/match/", {"code": delivered_return.rma_number}
    )
    assert matched.status_code == 200
    assert matched.data["status"] == "matched" and matched.data["return_id"] == delivered_return.pk
    delivered_return.refresh_from_db()
    assert delivered_return.status == "received"
    twice = as_grader.post(f"{API}/exceptions/{parcel_id}/unidentified/", {})
    assert twice.status_code == 409


def test_exception_create_needs_a_description(as_grader):
    resp = as_grader.post(f"{API}/exceptions/", {"found": ""}, format="json")
    assert resp.status_code == 400
    assert not ParcelException.objects.exists()


def test_qc_queue_is_blind_and_excludes_own_items(
    api_client, delivered_return, grader, grader2, qc_rate
):
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    first = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    inspection_save(actor=grader, inspection_id=first.pk, expected_version=0, grade_code="B")
    api_client.force_authenticate(grader)
    assert api_client.get(f"{API}/qc/queue/").data == []
    api_client.force_authenticate(grader2)
    queue = api_client.get(f"{API}/qc/queue/").data
    assert len(queue) == 1
    assert "grade" not in queue[0] and queue[0]["return_line_id"] == first.return_line_id
    # the first grader cannot do the QC check of their own item through the API either
    api_client.force_authenticate(grader)
    resp = api_client.post(
        f"{API}/inspections/{queue[0]['id']}/", {"expected_version": 0, "grade": "B"}, format="json"
    )
    assert resp.status_code == 403
    assert "different grader" in resp.data["detail"]


def test_schema_documents_the_warehouse_api(as_grader, admin_user, api_client):
    api_client.force_authenticate(admin_user)
    resp = api_client.get("/api/schema/", {"format": "json"})
    assert resp.status_code == 200
    paths = resp.json()["paths"]
    assert "/api/v1/warehouse/inspections/{inspection_id}/" in paths
    post = paths["/api/v1/warehouse/inspections/{inspection_id}/"]["post"]
    assert {"200", "400", "404", "409"} <= set(post["responses"])
