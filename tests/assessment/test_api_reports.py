"""Manager API views for the QC report and throughput, and one parcel exception.

`assessment/api_urls.py` is not this change's to edit, so these views are called through
DRF's request factory (the routes to add are reported to the URL file's owner).
"""

import pytest
from rest_framework.test import APIRequestFactory, force_authenticate

from assessment import api
from assessment.models import Inspection, ParcelException
from assessment.services import inspection_save, parcel_receive

pytestmark = pytest.mark.django_db


def _call(view, user=None, query=None, **kwargs):
    request = APIRequestFactory().get("/", query or {})
    if user is not None:
        force_authenticate(request, user=user)
    return view.as_view()(request, **kwargs)


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


@pytest.mark.parametrize("view", [api.QcReportApi, api.ThroughputApi])
def test_reports_are_for_managers_only(view, customer, grader, checked):
    assert _call(view).status_code in (401, 403)
    assert _call(view, customer.user).status_code == 403
    assert _call(view, grader).status_code == 403


def test_qc_report_counts_disagreements_per_first_grader(manager, checked):
    resp = _call(api.QcReportApi, manager)
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
    resp = _call(api.ThroughputApi, manager, {"days": "1"})
    assert resp.status_code == 200
    rows = {row["grader"]: row for row in resp.data}
    assert (rows["grader"]["items"], rows["grader"]["minutes"]) == (2, "12.00")
    assert rows["grader"]["minutes_per_item"] == "6.0"
    assert (rows["grader2"]["items"], rows["grader2"]["minutes"]) == (1, "3.00")


@pytest.mark.parametrize("days", ["0", "-3", "abc", "100000", "1e9", "NaN"])
def test_throughput_bad_days_is_400(manager, days):
    assert _call(api.ThroughputApi, manager, {"days": days}).status_code == 400


def test_parcel_exception_detail(grader, customer):
    parcel = ParcelException.objects.create(found="two shoes, no label", carrier_tracking="1Z9")
    resp = _call(api.ParcelExceptionDetailApi, grader, exception_id=parcel.pk)
    assert resp.status_code == 200
    assert (resp.data["found"], resp.data["status"]) == ("two shoes, no label", "open")
    assert _call(api.ParcelExceptionDetailApi, grader, exception_id=10**9).status_code == 404
    assert (
        _call(api.ParcelExceptionDetailApi, customer.user, exception_id=parcel.pk).status_code
        == 403
    )
    assert _call(api.ParcelExceptionDetailApi, exception_id=parcel.pk).status_code in (401, 403)
