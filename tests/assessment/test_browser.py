"""A grader on a 10-inch tablet: scan, receive, grade two items with taps only, complete."""

import pytest
from PIL import Image
from playwright.sync_api import expect

from assessment.models import Inspection
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _grade_item_with_taps(page, panel, *, grade: str, checks: list[str], photo=None):
    # the item to grade is already open: the page opens the next one after each save
    assert panel.get_attribute("open") is not None
    if photo is not None:  # what the camera hands the page after "Add photos"
        panel.locator("input[type=file]").set_input_files(str(photo))
        expect(panel.locator("[data-photo-count]")).to_have_text(
            "1 photo chosen — saved with the item"
        )
    for label in checks:
        panel.locator("label.toggle.check", has_text=label).tap()
    panel.locator("label.toggle", has_text="As expected").tap()
    panel.locator(f"label.toggle.grade:has(input[value='{grade}'])").tap()
    panel.get_by_role("button", name="One minute more").tap()
    with page.expect_response(lambda r: "/warehouse/inspections/" in r.url) as response:
        panel.locator("button[type=submit]").tap()
    assert response.value.status == 200


@pytest.fixture(params=[(800, 1280), (1280, 800)], ids=["portrait", "landscape"])
def tablet(request, browser):
    """A 10-inch tablet, touch enabled, held either way."""
    width, height = request.param
    context = browser.new_context(
        viewport={"width": width, "height": height}, is_mobile=True, has_touch=True
    )
    yield context.new_page()
    context.close()


def test_scan_receive_grade_two_items_and_complete_by_touch(
    live_server, tablet, grader, delivered_return, tmp_path
):
    page = tablet
    browser_login(page, live_server, "grader")
    page.goto(f"{live_server.url}/warehouse/")
    # given the scan field has the focus, a hand scanner "types" the RMA number and Enter
    assert page.evaluate("document.activeElement.name") == "code"
    page.keyboard.type(delivered_return.rma_number)
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/warehouse/returns/{delivered_return.pk}/")
    assert page.get_by_text("Changed mind").first.is_visible()
    # when the grader taps "Receive parcel"
    page.get_by_role("button", name="Receive parcel").tap()
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-return-status=received]").is_visible()
    # and grades both items with taps only
    panels = page.locator("[data-item-panel]")
    assert panels.count() == 2
    line_ids = [panels.nth(i).get_attribute("id") for i in range(2)]
    photo = tmp_path / "item.png"
    Image.new("RGB", (24, 16), (200, 40, 40)).save(photo)
    _grade_item_with_taps(
        page,
        page.locator(f"#{line_ids[0]}"),
        grade="A",
        checks=["Unused", "Complete"],
        photo=photo,
    )
    # then the saved item folds away showing its grade, and the next item opens by itself
    first_panel = page.locator(f"#{line_ids[0]}")
    expect(first_panel.locator("[data-saved]")).to_have_text("Saved")
    assert first_panel.locator("[data-grade-chip]").inner_text() == "A"
    expect(first_panel).not_to_have_attribute("open", "")
    expect(page.locator(f"#{line_ids[1]}")).to_have_attribute("open", "")
    expect(page.locator(f"#{line_ids[1]} > summary")).to_be_focused()
    # and the photo went up with it and shows as a thumbnail (served to staff only)
    expect(first_panel.locator("[data-photo-count]")).to_have_text("1 photo saved")
    thumb = first_panel.locator("img.thumb")
    assert thumb.get_attribute("src").startswith("/warehouse/photos/inspection/")
    page.wait_for_function("document.querySelector('img.thumb').complete")
    assert thumb.evaluate("img => img.naturalWidth") == 24
    assert page.get_by_role("button", name="Complete grading").is_disabled()
    _grade_item_with_taps(page, page.locator(f"#{line_ids[1]}"), grade="C", checks=["Damaged"])
    assert page.locator("[data-progress]").inner_text() == "2 of 2"
    # and taps "Complete grading"
    with page.expect_navigation():
        page.get_by_role("button", name="Complete grading").tap()
    assert page.get_by_text(f"{delivered_return.rma_number} is graded.").is_visible()
    # then the return is graded (or already resolved, once resolution runs on the hook)
    delivered_return.refresh_from_db()
    assert delivered_return.events.filter(to_status="graded").exists()
    status = page.locator("[data-return-status]").get_attribute("data-return-status")
    assert status in ("graded", "resolved")
    grades = dict(
        # (the primary grading: a random QC sample may have queued a blind second one)
        Inspection.objects.filter(return_request=delivered_return, kind="primary").values_list(
            "return_line_id", "grade__code"
        )
    )
    assert sorted(grades.values()) == ["A", "C"]
    first = Inspection.objects.get(return_line_id=int(line_ids[0].split("-")[1]), kind="primary")
    assert first.checklist["unused"] and first.checklist["complete"]
    assert first.minutes_spent >= 1  # the + tap on top of the automatic timer
    assert first.started_at is not None
    # the customer-damage grade on "changed my mind" became a dispute
    assert Inspection.objects.get(grade__code="C", kind="primary").dispute == "customer_damage"


@pytest.mark.parametrize("viewport", [(800, 1280), (1280, 800)])
def test_touch_targets_are_large_in_portrait_and_landscape(
    browser, live_server, grader, delivered_return, viewport
):
    from assessment.services import parcel_receive

    parcel_receive(return_id=delivered_return.pk, actor=grader)
    context = browser.new_context(
        viewport={"width": viewport[0], "height": viewport[1]}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        browser_login(page, live_server, "grader")
        page.goto(f"{live_server.url}/warehouse/returns/{delivered_return.pk}/")
        panel = page.locator("[data-item-panel][open]")
        # every control in the open item panel is at least 48 × 48 CSS pixels
        small = panel.evaluate(
            """panel => [...panel.querySelectorAll(
                    'summary, label.toggle, button, .stepper input, .photo-btn')]
                .map(el => [el.textContent.trim().slice(0, 30), el.getBoundingClientRect()])
                .filter(([, r]) => r.width < 48 || r.height < 48)
                .map(([t, r]) => `${t}: ${r.width}x${r.height}`)"""
        )
        assert small == []
        # nothing is wider than the screen
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport[0]
    finally:
        context.close()


def _tablet(browser):
    return browser.new_context(
        viewport={"width": 800, "height": 1280}, is_mobile=True, has_touch=True
    ).new_page()


def test_the_loser_of_a_race_sees_who_won_on_the_tablet(
    browser, live_server, grader, grader2, delivered_return
):
    from assessment.services import parcel_receive

    # given two graders with the same item open on two tablets
    parcel_receive(return_id=delivered_return.pk, actor=grader)
    first, second = _tablet(browser), _tablet(browser)
    try:
        for page, who in ((first, "grader"), (second, "grader2")):
            browser_login(page, live_server, who)
            page.goto(f"{live_server.url}/warehouse/returns/{delivered_return.pk}/")
        panel_id = first.locator("[data-item-panel][open]").get_attribute("id")
        # when grader2 saves grade B first
        theirs = second.locator(f"#{panel_id}")
        theirs.locator("label.toggle.grade:has(input[value='B'])").tap()
        with second.expect_response(lambda r: "/warehouse/inspections/" in r.url):
            theirs.locator("button[type=submit]").tap()
        # and grader taps A and saves on the stale page
        mine = first.locator(f"#{panel_id}")
        mine.locator("label.toggle.grade:has(input[value='A'])").tap()
        with first.expect_response(lambda r: "/warehouse/inspections/" in r.url) as response:
            mine.locator("button[type=submit]").tap()
        # then the save is refused and the panel shows grader2's grade and who made it
        assert response.value.status == 409
        notice = first.locator(f"#{panel_id} [data-notice]")
        assert notice.inner_text() == (
            "Graded B by grader2 a moment ago — your change was not saved."
        )
        assert first.locator(f"#{panel_id} input[name=grade][value=B]").is_checked()
        assert first.locator(f"#{panel_id} [data-grade-chip]").inner_text() == "B"
    finally:
        first.context.close()
        second.context.close()
    inspection = Inspection.objects.get(return_line_id=int(panel_id.split("-")[1]))
    assert (inspection.grade.code, inspection.inspector.username) == ("B", "grader2")


def test_camera_button_only_where_barcode_detection_exists(browser, live_server, grader):
    plain = _tablet(browser)
    capable = _tablet(browser)
    # a browser that has the BarcodeDetector API (Chrome on Android); Chromium on Linux has not
    capable.add_init_script("window.BarcodeDetector = class { detect() { return []; } };")
    try:
        for page in (plain, capable):
            browser_login(page, live_server, "grader")
            page.goto(f"{live_server.url}/warehouse/")
        assert plain.evaluate("'BarcodeDetector' in window") is False
        assert plain.locator("[data-camera-scan]").is_hidden()
        assert capable.locator("[data-camera-scan]").is_visible()
    finally:
        plain.context.close()
        capable.context.close()
