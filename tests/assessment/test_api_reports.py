"""Manager API views for the QC report and throughput, and one parcel exception, called
through their routes."""

import pytest
from rest_framework.test import APIClient

from assessment.models import Inspection, ParcelException
from assessment.services import inspection_save, parcel_receive

pytestmark = pytest.mark.django_db


BASE = "/api/v1/warehouse/"
QC_REPORT, THROUGHPUT = f"{BASE}qc/report/", f"{BASE}throughput/"


def _call(url, user=None, query=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client.get(url, query or {})


def _exception(pk: int) -> str:
    return f"{BASE}exceptions/{pk}/"


@pytest.fixture
def checked(delivered_return, grader, grader2, qc_rate):
    """grader graded both lines (B, then A, 6 minutes each); grader2 checked one as C."""
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    for inspection, code in zip(
        Inspection.objects.filter(return_request=delivered_return).order_by("pk"), "BA", strict=True
    ):
        inspection_save(
            actor=grader,
            inspection_id=inspection.pk,
            expected_version=0,
            grade_code=code,
            minutes_spent="6",
        )
    qc = Inspection.objects.filter(kind="qc").order_by("pk").first()
    inspection_save(
        actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="C", minutes_spent="3"
    )
    return qc


@pytest.mark.parametrize("view", [QC_REPORT, THROUGHPUT])
def test_reports_are_for_managers_only(view, customer, grader, checked):
    assert _call(view).status_code in (401, 403)
    assert _call(view, customer.user).status_code == 403
    assert _call(view, grader).status_code == 403


def test_qc_report_counts_disagreements_per_first_grader(manager, checked):
    resp = _call(QC_REPORT, manager)
    assert resp.status_code == 200
    assert resp.data["waiting"] == 1  # the second line's check is still open
    assert [dict(row) for row in resp.data["per_grader"]] == [
        {"grader": "grader", "checked": 1, "disagreements": 1, "agreement_percent": "0.0"}
    ]
    [row] = resp.data["disagreements"]
    assert (row["first_grade"], row["first_grader"]) == ("B", "grader")
    assert (row["qc_grade"], row["qc_grader"]) == ("C", "grader2")
    assert row["qc_inspection_id"] == checked.pk


def test_throughput_lists_items_and_minutes_per_inspector(manager, checked):
    resp = _call(THROUGHPUT, manager, {"days": "1"})
    assert resp.status_code == 200
    rows = {row["grader"]: row for row in resp.data}
    assert (rows["grader"]["items"], rows["grader"]["minutes"]) == (2, "12.00")
    assert rows["grader"]["minutes_per_item"] == "6.0"
    assert (rows["grader2"]["items"], rows["grader2"]["minutes"]) == (1, "3.00")


@pytest.mark.parametrize("days", ["0", "-3", "abc", "100000", "1e9", "NaN"])
def test_throughput_bad_days_is_400(manager, days):
    assert _call(THROUGHPUT, manager, {"days": days}).status_code == 400


def test_parcel_exception_detail(grader, customer):
    parcel = ParcelException.objects.create(found="two shoes, no label", carrier_tracking="1Z9")
    resp = _call(_exception(parcel.pk), grader)
    assert resp.status_code == 200
    assert (resp.data["found"], resp.data["status"]) == ("two shoes, no label", "open")
    assert _call(_exception(10**9), grader).status_code == 404
    assert _call(_exception(parcel.pk), customer.user).status_code == 403
    assert _call(_exception(parcel.pk)).status_code in (401, 403)
