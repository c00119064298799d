"""Warehouse pages: who may see them, scanning, receiving, saving, completing, exceptions."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from assessment.models import Inspection, ParcelException
from assessment.services import inspection_save, parcel_receive
from resolution.models import CostEntry

pytestmark = pytest.mark.django_db

GRADER_PAGES = [
    "/warehouse/",
    "/warehouse/exceptions/",
    "/warehouse/qc/queue/",
    "/warehouse/returns/{rr}/",
]
MANAGER_PAGES = ["/warehouse/qc/", "/warehouse/throughput/"]


def _jpeg(name="photo.jpg") -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "JPEG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/jpeg")


@pytest.mark.parametrize("url", GRADER_PAGES + MANAGER_PAGES)
def test_anonymous_is_sent_to_login(client, url, delivered_return):
    resp = client.get(url.format(rr=delivered_return.pk))
    assert resp.status_code == 302
    assert resp["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("url", GRADER_PAGES + MANAGER_PAGES)
def test_customers_are_refused(client, url, customer, delivered_return):
    client.force_login(customer.user)
    assert client.get(url.format(rr=delivered_return.pk)).status_code == 403


@pytest.mark.parametrize(
    ("url", "method"),
    [
        ("/warehouse/returns/{rr}/receive/", "post"),
        ("/warehouse/returns/{rr}/complete/", "post"),
        ("/warehouse/exceptions/", "post"),
    ],
)
def test_customers_cannot_post_either(client, url, method, customer, delivered_return):
    client.force_login(customer.user)
    resp = getattr(client, method)(url.format(rr=delivered_return.pk), {"found": "x"})
    assert resp.status_code == 403
    delivered_return.refresh_from_db()
    assert delivered_return.status == "delivered"
    assert not ParcelException.objects.exists()


@pytest.mark.parametrize("url", GRADER_PAGES)
def test_graders_see_the_warehouse(client, url, grader, delivered_return):
    client.force_login(grader)
    assert client.get(url.format(rr=delivered_return.pk)).status_code == 200


@pytest.mark.parametrize("url", MANAGER_PAGES)
def test_manager_reports_are_for_managers(client, url, grader, manager):
    client.force_login(grader)
    assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


def test_scanning_an_rma_number_opens_the_return(client, grader, delivered_return):
    client.force_login(grader)
    resp = client.get("/warehouse/", {"code": delivered_return.rma_number.lower() + "\r\n"})
    assert resp.status_code == 302
    assert resp["Location"] == f"/warehouse/returns/{delivered_return.pk}/"


@pytest.mark.parametrize("code", ["RMA-2026-777777", "NOT A CODE", "x" * 200, "' OR 1=1 --"])
def test_unknown_scans_offer_an_exception_and_never_500(client, grader, code):
    client.force_login(grader)
    resp = client.get("/warehouse/", {"code": code})
    assert resp.status_code in (400, 404)
    assert b"Log this parcel as an exception" in resp.content


def test_the_return_page_shows_expected_items_with_the_claim(client, grader, delivered_return):
    line = delivered_return.lines.first()
    line.customer_note = "Too small for me"
    line.save()
    client.force_login(grader)
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert "Receive parcel" in page
    assert "Too small for me" in page
    assert line.reason.label in page


def test_receive_then_grade_then_complete_through_the_pages(
    client, grader, delivered_return, hook_calls
):
    client.force_login(grader)
    # when the grader taps "Receive parcel"
    resp = client.post(f"/warehouse/returns/{delivered_return.pk}/receive/")
    assert resp.status_code == 302
    delivered_return.refresh_from_db()
    assert delivered_return.status == "received"
    page = client.get(f"/warehouse/returns/{delivered_return.pk}/").content.decode()
    assert "Complete grading" in page and "0 of 2" in page
    # and saves each item through htmx
    for n, inspection in enumerate(Inspection.objects.filter(return_request=delivered_return)):
        resp = client.post(
            f"/warehouse/inspections/{inspection.pk}/",
            {
                "expected_version": "0",
                "quantity_received": str(inspection.return_line.quantity),
                "arrived_as": "as_expected",
                "checklist": ["unused", "complete", "as_described"],
                "grade": "A",
                "notes": "",
                "minutes_spent": "3.5",
                "started_at": "2026-11-23T06:00:00Z",
                "photos": [_jpeg()],
            },
            headers={"HX-Request": "true"},
        )
        assert resp.status_code == 200
        body = resp.content.decode()
        assert "Saved." in body
        assert f"{n + 1} of 2" in body  # the complete bar is swapped out of band
        assert 'hx-swap-oob="true"' in body
    assert Inspection.objects.filter(grade__code="A").count() == 2
    assert Inspection.objects.filter(photos__isnull=False).count() == 2
    assert CostEntry.objects.filter(kind="labor").count() == 2
    # when the grader taps "Complete grading"
    resp = client.post(f"/warehouse/returns/{delivered_return.pk}/complete/")
    assert resp.status_code == 302
    delivered_return.refresh_from_db()
    assert delivered_return.events.filter(to_status="graded").exists()
    assert hook_calls[-1] == ("return_graded", delivered_return.pk)


def test_a_stale_save_shows_who_won_and_keeps_their_grade(
    client, grader, grader2, delivered_return
):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader2, inspection_id=inspection.pk, expected_version=0, grade_code="B")
    client.force_login(grader)
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/",
        {"expected_version": "0", "grade": "A", "arrived_as": "as_expected"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 409
    body = resp.content.decode()
    assert "Graded B by grader2 a moment ago — your change was not saved." in body
    assert 'name="expected_version" value="1"' in body  # the panel now holds the winner's row
    inspection.refresh_from_db()
    assert inspection.grade.code == "B"


@pytest.mark.parametrize(
    "data",
    [
        {"expected_version": "zero", "grade": "A"},
        {"expected_version": "0", "grade": "Q"},
        {"expected_version": "0", "quantity_received": "99"},
        {"expected_version": "0", "minutes_spent": "lots"},
        {"expected_version": "0", "arrived_as": "<script>"},
        {},
    ],
)
def test_bad_form_input_is_a_clear_4xx(client, grader, delivered_return, data):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    client.force_login(grader)
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/", data, headers={"HX-Request": "true"}
    )
    assert resp.status_code == 400
    assert b'class="notice bad"' in resp.content
    inspection.refresh_from_db()
    assert inspection.version == 0


def test_a_non_photo_upload_is_refused(client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    client.force_login(grader)
    fake = SimpleUploadedFile("x.jpg", b"not an image", content_type="image/jpeg")
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/",
        {"expected_version": "0", "grade": "A", "photos": [fake]},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 400
    assert b"not a photo we can read" in resp.content


def test_saving_without_javascript_redirects_back(client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    client.force_login(grader)
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/",
        {"expected_version": "0", "grade": "C", "arrived_as": "as_expected"},
    )
    assert resp.status_code == 302
    assert resp["Location"].endswith(f"#line-{inspection.return_line_id}")
    inspection.refresh_from_db()
    assert inspection.grade.code == "C"


def test_unknown_ids_are_404(client, grader):
    client.force_login(grader)
    assert client.get("/warehouse/returns/999999/").status_code == 404
    assert client.post("/warehouse/inspections/999999/", {}).status_code == 404
    assert client.get("/warehouse/exceptions/999999/").status_code == 404
    assert client.post("/warehouse/returns/999999/receive/").status_code == 404


def test_exception_parcel_is_logged_then_matched_and_received(
    client, grader, delivered_return, hook_calls
):
    client.force_login(grader)
    # when a parcel without a label is logged with a photo
    resp = client.post(
        "/warehouse/exceptions/",
        {
            "found": "One blue trail boot, no paperwork",
            "carrier_tracking": "",
            "label_text": "…ain Street, Portl…",
            "notes": "Box crushed",
            "photos": [_jpeg()],
        },
    )
    parcel = ParcelException.objects.get()
    assert resp.status_code == 302
    assert parcel.status == "open" and parcel.photos.count() == 1
    assert b"One blue trail boot" in client.get("/warehouse/exceptions/").content
    # and later matched to the return by its RMA number
    resp = client.post(
        f"/warehouse/exceptions/{parcel.pk}/match/", {"code": delivered_return.rma_number}
    )
    assert resp.status_code == 302
    parcel.refresh_from_db()
    delivered_return.refresh_from_db()
    # then the parcel is matched and the return received
    assert (parcel.status, parcel.return_request_id) == ("matched", delivered_return.pk)
    assert delivered_return.status == "received"
    assert ("return_received", delivered_return.pk) in hook_calls
    # and it cannot be matched twice
    client.post(f"/warehouse/exceptions/{parcel.pk}/match/", {"code": delivered_return.rma_number})
    assert ParcelException.objects.get().status == "matched"


def test_exception_can_be_logged_as_unidentified(client, grader):
    client.force_login(grader)
    client.post("/warehouse/exceptions/", {"found": "A toaster"})
    parcel = ParcelException.objects.get()
    resp = client.post(f"/warehouse/exceptions/{parcel.pk}/unidentified/", {"notes": "No clue"})
    assert resp.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == "unidentified" and "No clue" in parcel.notes
    assert parcel.resolved_by == grader


def test_exception_form_errors_are_shown(client, grader):
    client.force_login(grader)
    resp = client.post("/warehouse/exceptions/", {"found": "   "})
    assert resp.status_code == 400
    assert b"Describe what was in the parcel" in resp.content
    assert not ParcelException.objects.exists()


def test_match_with_an_unknown_code_is_refused(client, grader):
    client.force_login(grader)
    client.post("/warehouse/exceptions/", {"found": "A toaster"})
    parcel = ParcelException.objects.get()
    resp = client.post(f"/warehouse/exceptions/{parcel.pk}/match/", {"code": "RMA-2026-404404"})
    assert resp.status_code == 302
    parcel.refresh_from_db()
    assert parcel.status == "open"


def test_qc_page_is_blind_and_report_lists_disagreements(
    client, grader, grader2, manager, delivered_return, qc_rate
):
    qc_rate(100)
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    primary = Inspection.objects.filter(return_request=delivered_return).order_by("pk").first()
    inspection_save(
        actor=grader,
        inspection_id=primary.pk,
        expected_version=0,
        grade_code="B",
        notes="PRIMARY-NOTE-SECRET",
    )
    qc = Inspection.objects.get(kind="qc")
    # the first grader does not get their own item in the queue
    client.force_login(grader)
    assert f"/warehouse/qc/{qc.pk}/" not in client.get("/warehouse/qc/queue/").content.decode()
    # a second grader sees it, without the first grade
    client.force_login(grader2)
    assert f"/warehouse/qc/{qc.pk}/" in client.get("/warehouse/qc/queue/").content.decode()
    page = client.get(f"/warehouse/qc/{qc.pk}/").content.decode()
    assert "PRIMARY-NOTE-SECRET" not in page
    assert 'value="B" checked' not in page
    assert "grade-chip" not in page
    resp = client.post(
        f"/warehouse/inspections/{qc.pk}/",
        {"expected_version": "0", "grade": "D", "arrived_as": "as_expected"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    # the manager sees the disagreement and the count for the first grader
    client.force_login(manager)
    report = client.get("/warehouse/qc/").content.decode()
    assert delivered_return.rma_number in report
    assert '<td>grader</td><td class="num">1</td><td class="num">1</td>' in report


def test_throughput_counts_items_and_hours(client, grader, manager, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    for inspection in Inspection.objects.filter(return_request=delivered_return):
        inspection_save(
            actor=grader,
            inspection_id=inspection.pk,
            expected_version=0,
            grade_code="A",
            minutes_spent="15",
        )
    client.force_login(manager)
    page = client.get("/warehouse/throughput/", {"days": "1"}).content.decode()
    # 2 items in 30 minutes: 4 an hour, 15 minutes each
    assert '<td>grader</td><td class="num">2</td><td class="num">30.00</td>' in page
    assert '<td class="num">4.0</td><td class="num">15.0</td>' in page


def test_staff_return_panel_lists_inspections(rf, grader, delivered_return):
    from django.template.loader import render_to_string

    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=0,
        grade_code="C",
        minutes_spent="7",
    )
    request = rf.get("/")
    request.user = grader
    html = render_to_string(
        "assessment/_return_panel.html", {"return_request": delivered_return}, request=request
    )
    assert "Receiving and grading" in html
    assert "Damaged by the customer" in html
    assert "7.00" in html and "grader" in html
    assert str(Decimal("24.00")) in html  # 30 % of 2 × 40.00


@pytest.mark.parametrize(
    ("url", "data"),
    [
        ("/warehouse/exceptions/", {"found": "box\x00"}),
        ("/warehouse/exceptions/", {"found": "box", "notes": "a\x00b"}),
        ("/warehouse/exceptions/", {"found": "box", "carrier_tracking": "1Z" * 40}),
    ],
)
def test_hostile_exception_input_is_4xx(client, grader, url, data):
    client.force_login(grader)
    resp = client.post(url, data)
    assert resp.status_code == 400
    assert not ParcelException.objects.exists()


def test_hostile_grading_input_is_4xx_or_ignored(client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    client.force_login(grader)
    # a NUL in the notes is refused
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/",
        {"expected_version": "0", "grade": "A", "notes": "x\x00y"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 400
    # an impossible start time is ignored (the server times it) and the save goes through
    resp = client.post(
        f"/warehouse/inspections/{inspection.pk}/",
        {"expected_version": "0", "grade": "A", "started_at": "2026-13-45T99:00:00Z"},
        headers={"HX-Request": "true"},
    )
    assert resp.status_code == 200
    # a scan with control bytes still finds nothing and says so
    resp = client.get("/warehouse/", {"code": "RMA-2026-\x00000001"})
    assert resp.status_code in (302, 404)


def test_panel_appears_on_the_staff_return_page(client, grader, delivered_return):
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    inspection = Inspection.objects.filter(return_request=delivered_return).first()
    inspection_save(actor=grader, inspection_id=inspection.pk, expected_version=0, grade_code="B")
    client.force_login(grader)
    resp = client.get(f"/staff/returns/{delivered_return.pk}/")
    assert resp.status_code == 200
    body = resp.content.decode()
    assert 'id="warehouse-panel"' in body
    assert "<strong>B</strong> Good" in body


def test_the_customer_reads_why_on_their_timeline(client, grader, customer, order, grades, policy):
    from tests.factories import warehouse_reason_make, warehouse_return_make

    # given alice said her item was defective, but it arrived unused and working
    reason = warehouse_reason_make("defective", defect=True)
    rr = warehouse_return_make(order=order, reason=reason, lines=[order.lines.first()])
    parcel_receive(return_id=rr.pk, actor=grader)
    inspection = Inspection.objects.get(return_request=rr)
    inspection_save(
        actor=grader,
        inspection_id=inspection.pk,
        expected_version=0,
        grade_code="A",
        checklist={"unused": True, "as_described": True, "complete": True},
    )
    # when she opens her return
    client.force_login(customer.user)
    body = client.get(f"/returns/{rr.rma_number}/").content.decode()
    # then she reads the plain-language reason, but not the staff-only audit lines
    assert "our inspection found it unused, working and as described" in body
    assert "Primary grading of" not in body


def test_staff_return_panel_queries_do_not_grow_with_inspections(
    rf, grader, delivered_return, django_assert_max_num_queries
):
    # given: a received return, every line with an open inspection
    from django.template.loader import render_to_string

    parcel_receive(return_id=delivered_return.pk, actor=grader)
    assert Inspection.objects.filter(return_request=delivered_return).count() >= 1
    request = rf.get("/")
    request.user = grader
    render_to_string(  # warm the permission cache
        "assessment/_return_panel.html", {"return_request": delivered_return}, request=request
    )
    # when / then: inspections with their grade, inspector, product and photos in two queries
    with django_assert_max_num_queries(2):
        render_to_string(
            "assessment/_return_panel.html", {"return_request": delivered_return}, request=request
        )
