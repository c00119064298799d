"""Blind QC: the second grader sees nothing of the first grading until they submit theirs.

Personas: `grader` grades first, `grader2` may do the blind check, `manager` sees both. Every
path is checked: the REST API (return, lookup, inspection, saves) and the HTML pages (return
page, QC page, photos, the staff panel).
"""

import html
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.loader import render_to_string
from PIL import Image

from assessment import selectors
from assessment.models import Inspection, InspectionPhoto
from assessment.services import inspection_save, parcel_receive
from returns_portal.errors import Conflict, PermissionDenied
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/warehouse"
SECRET = "FIRST-GRADER-SECRET-NOTE"


def _jpeg() -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "blue").save(buffer, "JPEG")
    return SimpleUploadedFile("first.jpg", buffer.getvalue(), content_type="image/jpeg")


@pytest.fixture
def sampled(delivered_return, grader, qc_rate):
    """`grader` graded the first line B (notes, checklist, a photo); it is sampled for QC."""
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    primary = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    inspection_save(
        actor=grader,
        inspection_id=primary.pk,
        expected_version=0,
        quantity_received=1,
        grade_code="B",
        checklist={"damaged": True, "original_packaging": True},
        notes=SECRET,
        photos=(_jpeg(),),
    )
    primary.refresh_from_db()
    qc = Inspection.objects.get(return_line=primary.return_line, kind="qc")
    return primary, qc


def _leaks(text: str, primary: Inspection) -> list[str]:
    """What of the first grading shows in `text`."""
    photo = InspectionPhoto.objects.get(inspection=primary)
    found = []
    if SECRET in text:
        found.append("notes")
    if f"/warehouse/photos/inspection/{photo.pk}/" in text:
        found.append("photo")
    if '"inspector":"grader"' in text.replace(" ", "") or "by grader<" in text:
        found.append("inspector")
    return found


# --- API --------------------------------------------------------------------------------
def test_api_hides_the_first_grading_from_a_possible_checker(
    api_client, sampled, grader2, delivered_return
):
    primary, _ = sampled
    api_client.force_authenticate(grader2)

    resp = api_client.get(f"{API}/inspections/{primary.pk}/")
    assert resp.status_code == 403
    assert "blind QC check" in resp.data["detail"]
    assert SECRET not in resp.content.decode()

    for url in (f"{API}/returns/{delivered_return.pk}/", f"{API}/lookup/"):
        resp = api_client.get(url, {"code": delivered_return.rma_number})
        assert resp.status_code == 200
        line = next(x for x in resp.data["lines"] if x["id"] == primary.return_line_id)
        assert line["inspection"] is None and line["inspection_hidden"] is True
        assert line["qc"] is None
        assert _leaks(resp.content.decode(), primary) == []
        # the other line, not sampled yet, is shown as usual
        other = next(x for x in resp.data["lines"] if x["id"] != primary.return_line_id)
        assert other["inspection"] is not None and other["inspection_hidden"] is False


def test_api_first_grader_and_manager_still_see_the_first_grading(
    api_client, sampled, grader, manager, delivered_return
):
    primary, _ = sampled
    for who in (grader, manager):
        api_client.force_authenticate(who)
        resp = api_client.get(f"{API}/inspections/{primary.pk}/")
        assert resp.status_code == 200
        assert resp.data["grade"] == "B" and resp.data["notes"] == SECRET
        line = next(
            x
            for x in api_client.get(f"{API}/returns/{delivered_return.pk}/").data["lines"]
            if x["id"] == primary.return_line_id
        )
        assert line["inspection"]["grade"] == "B" and line["inspection_hidden"] is False


def test_api_checker_cannot_save_the_first_grading_while_it_is_hidden(api_client, sampled, grader2):
    primary, _ = sampled
    api_client.force_authenticate(grader2)
    for url in (
        f"{API}/inspections/{primary.pk}/",
        f"{API}/lines/{primary.return_line_id}/inspection/",
    ):
        resp = api_client.post(
            url, {"expected_version": primary.version, "grade": "A"}, format="json"
        )
        assert resp.status_code == 403, url
        assert SECRET not in resp.content.decode() and "details" not in resp.data
    # even a stale version reveals nothing (no 409 with the current row)
    resp = api_client.post(
        f"{API}/inspections/{primary.pk}/", {"expected_version": 0, "grade": "A"}, format="json"
    )
    assert resp.status_code == 403 and "details" not in resp.data
    primary.refresh_from_db()
    assert primary.grade.code == "B" and primary.inspector.username == "grader"


def test_api_blind_check_then_both_are_visible_and_the_check_is_final(
    api_client, sampled, grader2, manager, delivered_return
):
    primary, qc = sampled
    api_client.force_authenticate(grader2)
    resp = api_client.post(
        f"{API}/inspections/{qc.pk}/", {"expected_version": 0, "grade": "C"}, format="json"
    )
    assert resp.status_code == 200 and resp.data["grade"] == "C"

    # submitted: now the checker may read the first grading
    resp = api_client.get(f"{API}/inspections/{primary.pk}/")
    assert resp.status_code == 200 and resp.data["notes"] == SECRET
    # but not change their blind grade after seeing it
    resp = api_client.post(
        f"{API}/inspections/{qc.pk}/", {"expected_version": 1, "grade": "B"}, format="json"
    )
    assert resp.status_code == 409
    assert "final" in resp.data["detail"] and resp.data["details"]["current"]["grade"] == "C"
    # nor take over the first grading (the two gradings stay two people's)
    resp = api_client.post(
        f"{API}/inspections/{primary.pk}/",
        {"expected_version": primary.version, "grade": "C"},
        format="json",
    )
    assert resp.status_code == 403
    primary.refresh_from_db()
    assert primary.grade.code == "B"

    # the manager sees both, with what the check was compared with
    api_client.force_authenticate(manager)
    line = next(
        x
        for x in api_client.get(f"{API}/returns/{delivered_return.pk}/").data["lines"]
        if x["id"] == primary.return_line_id
    )
    assert line["inspection"]["grade"] == "B"
    assert line["qc"]["grade"] == "C" and line["qc"]["inspector"] == "grader2"
    assert line["qc"]["compared_grade"] == "B" and line["qc"]["compared_inspector"] == "grader"


def test_qc_row_starts_from_the_line_not_the_first_count(sampled):
    primary, qc = sampled
    assert primary.quantity_received == 1
    assert qc.quantity_received == primary.return_line.quantity == 2
    assert qc.checklist == {} and qc.notes == "" and qc.inspector is None


# --- Different person ----------------------------------------------------------------------
def test_anyone_who_saved_the_first_grading_cannot_check_it(
    api_client, delivered_return, grader, grader2, qc_rate
):
    """grader2 typed notes first; grader gave the grade (and is the row's inspector)."""
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    primary = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    inspection_save(actor=grader2, inspection_id=primary.pk, expected_version=0, notes="lid?")
    inspection_save(actor=grader, inspection_id=primary.pk, expected_version=1, grade_code="A")
    qc = Inspection.objects.get(kind="qc")

    assert selectors.qc_queue(user=grader2) == []
    assert selectors.qc_queue_count(user=grader2) == 0
    with pytest.raises(PermissionDenied, match="different grader"):
        inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="A")
    # grader2 helped grade it, so it is not hidden from them either
    api_client.force_authenticate(grader2)
    assert api_client.get(f"{API}/inspections/{primary.pk}/").status_code == 200
    # a third grader can do the check
    grader3 = UserFactory(username="grader3")
    from catalog.roles import Role, user_role_add

    user_role_add(user=grader3, role=Role.WAREHOUSE)
    assert [q.pk for q in selectors.qc_queue(user=grader3)] == [qc.pk]
    inspection_save(actor=grader3, inspection_id=qc.pk, expected_version=0, grade_code="A")


def test_first_grader_may_still_correct_their_grade_while_the_check_waits(sampled, grader):
    primary, _ = sampled
    saved = inspection_save(
        actor=grader, inspection_id=primary.pk, expected_version=primary.version, grade_code="C"
    )
    assert saved.grade.code == "C"


def test_disagreement_stays_counted_after_the_first_grade_is_corrected(sampled, grader2, manager):
    primary, qc = sampled
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="C")
    # a manager settles it by correcting the first grading to the checker's grade
    inspection_save(
        actor=manager, inspection_id=primary.pk, expected_version=primary.version, grade_code="C"
    )
    counts = {
        row.grader: (row.checked, row.disagreements) for row in selectors.qc_counts_per_grader()
    }
    assert counts == {"grader": (1, 1)}
    [row] = selectors.qc_disagreements()
    assert (row.primary_grade, row.primary_inspector) == ("B", "grader")
    assert row.qc.grade.code == "C"


def test_agreement_counts_as_checked_without_disagreement(sampled, grader2):
    _, qc = sampled
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="B")
    assert [(r.grader, r.checked, r.disagreements) for r in selectors.qc_counts_per_grader()] == [
        ("grader", 1, 0)
    ]
    assert selectors.qc_disagreements() == []


def test_concurrent_checkers_one_wins(sampled, grader2):
    """Two graders open the same check; the second save is told who won, and with what."""
    _, qc = sampled
    grader3 = UserFactory(username="grader3")
    from catalog.roles import Role, user_role_add

    user_role_add(user=grader3, role=Role.WAREHOUSE)
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="C")
    with pytest.raises(Conflict) as lost:
        inspection_save(actor=grader3, inspection_id=qc.pk, expected_version=0, grade_code="A")
    assert "grader2" in lost.value.message
    assert lost.value.details["current"]["grade"] == "C"


# --- HTML ------------------------------------------------------------------------------------
def test_return_page_hides_the_first_grading_from_a_possible_checker(
    client, sampled, grader2, delivered_return
):
    primary, _ = sampled
    client.force_login(grader2)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert "data-blind-panel" in page
    assert _leaks(page, primary) == []
    assert f'action="/warehouse/inspections/{primary.pk}/"' not in page


@pytest.mark.usefixtures("sampled")
def test_return_page_shows_it_to_the_first_grader(client, grader, delivered_return):
    client.force_login(grader)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert "data-blind-panel" not in page and SECRET in page


def test_first_photos_are_refused_to_a_possible_checker(client, sampled, grader, grader2):
    primary, _ = sampled
    photo = InspectionPhoto.objects.get(inspection=primary)
    client.force_login(grader2)
    assert client.get(f"/warehouse/photos/inspection/{photo.pk}/").status_code == 403
    client.force_login(grader)
    assert client.get(f"/warehouse/photos/inspection/{photo.pk}/").status_code == 200


def test_htmx_save_of_a_hidden_first_grading_is_refused_without_showing_it(
    client, sampled, grader2
):
    primary, _ = sampled
    client.force_login(grader2)
    resp = client.post(
        f"/warehouse/inspections/{primary.pk}/",
        {"expected_version": "0", "grade": "A", "arrived_as": "as_expected"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 403
    body = resp.content.decode()
    assert "data-blind-panel" in body and _leaks(body, primary) == []
    primary.refresh_from_db()
    assert primary.grade.code == "B"


def test_qc_page_blind_then_compared_after_submitting(client, sampled, grader2):
    primary, qc = sampled
    client.force_login(grader2)
    page = client.get(f"/warehouse/qc/{qc.pk}/").content.decode()
    assert _leaks(page, primary) == []
    assert 'name="quantity_received" value="2"' in page  # not the first count (1)
    assert "data-qc-compare" not in page

    resp = client.post(
        f"/warehouse/inspections/{qc.pk}/",
        {"expected_version": "0", "grade": "D", "arrived_as": "as_expected"},
    )
    assert resp.status_code == 302
    page = client.get(f"/warehouse/qc/{qc.pk}/").content.decode()
    assert "data-qc-compare" in page
    assert "the first grading was <strong>B</strong> by grader" in page
    assert "Submitted by you: QC grade <strong>D</strong>" in page
    assert "they disagree" in page
    # final: the form is disabled and has no save button
    assert "<fieldset disabled>" in page and "Save " not in page


def test_qc_page_refuses_anyone_who_saved_the_first_grading(client, sampled, grader):
    _, qc = sampled
    client.force_login(grader)
    resp = client.get(f"/warehouse/qc/{qc.pk}/")
    assert resp.status_code == 302 and resp["Location"] == "/warehouse/qc/queue/"


def test_manager_return_page_shows_both_gradings(
    client, sampled, grader2, manager, delivered_return
):
    _, qc = sampled
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="C")
    client.force_login(manager)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert SECRET in page
    assert "QC check: <strong>C</strong> by grader2" in page
    assert "disagrees with the first grading (B by grader)" in page


@pytest.mark.usefixtures("sampled")
def test_manager_sees_both_even_while_the_check_waits(client, manager, delivered_return):
    client.force_login(manager)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert SECRET in page and "data-blind-panel" not in page


def test_staff_panel_hides_the_first_grading_until_checked(
    rf, sampled, grader, grader2, manager, delivered_return
):
    primary, qc = sampled

    def panel(user):
        request = rf.get("/")
        request.user = user
        return render_to_string(
            "assessment/_return_panel.html", {"return_request": delivered_return}, request=request
        )

    html = panel(grader2)
    assert "data-blind-row" in html and _leaks(html, primary) == []
    assert "<strong>B</strong>" not in html
    assert "<strong>B</strong>" in panel(manager)
    assert "<strong>B</strong>" in panel(grader)  # the first grader sees their own work

    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="B")
    html = panel(grader2)
    assert "data-blind-row" not in html and "<strong>B</strong>" in html


def test_timeline_events_that_would_reveal_the_first_grading_are_named(
    sampled, grader, grader2, manager, delivered_return
):
    """For the staff timeline (rma): which events to leave out for a possible checker."""
    primary, qc = sampled
    events = list(delivered_return.events.all())

    def revealing(user):
        return selectors.events_revealing_hidden_grading(
            viewer=user, return_request=delivered_return, events=events
        )

    hidden = revealing(grader2)
    about_first = [
        e.pk
        for e in events
        if e.kind == "inspection" and e.details.get("inspection_id") == primary.pk
    ]
    assert about_first and set(about_first) <= hidden
    assert all(SECRET not in e.message for e in events if e.pk not in hidden)
    assert revealing(grader) == set() and revealing(manager) == set()
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="B")
    assert revealing(grader2) == set()


def test_staff_return_timeline_leaves_out_the_first_grading_for_a_possible_checker(
    client, sampled, grader2, manager, delivered_return
):
    primary, qc = sampled
    revealing = [
        e.message
        for e in delivered_return.events.all()
        if e.kind == "inspection" and e.details.get("inspection_id") == primary.pk
    ]
    assert revealing
    url = f"/staff/returns/{delivered_return.pk}/"
    client.force_login(grader2)
    page = html.unescape(client.get(url).content.decode())
    assert [m for m in revealing if m in page] == []
    client.force_login(manager)
    page = html.unescape(client.get(url).content.decode())
    assert all(m in page for m in revealing)
    # once the check is in, the checker sees the whole timeline
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="B")
    client.force_login(grader2)
    page = html.unescape(client.get(url).content.decode())
    assert all(m in page for m in revealing)


def test_staff_events_api_leaves_out_the_first_grading_for_a_possible_checker(
    api_client, sampled, grader2, manager, delivered_return
):
    primary, qc = sampled
    url = f"/api/v1/returns/{delivered_return.pk}/events/"

    def about_first(user):
        api_client.force_authenticate(user)
        resp = api_client.get(url)
        assert resp.status_code == 200
        return [
            e
            for e in resp.json()
            if e.get("details", {}).get("inspection_id") == primary.pk or SECRET in str(e)
        ]

    assert about_first(grader2) == []
    assert about_first(manager) != []
    inspection_save(actor=grader2, inspection_id=qc.pk, expected_version=0, grade_code="B")
    assert about_first(grader2) != []
