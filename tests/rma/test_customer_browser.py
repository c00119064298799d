"""A guest on a phone files a return in Chromium: find the order, pick, see the live quote,
submit, follow the status page and cancel."""

import re

import pytest
from django.core.cache import cache
from PIL import Image
from playwright.sync_api import expect

from rma.models import ReturnPhoto, ReturnRequest
from rma.states import ReturnStatus
from tests.conftest import browser_login

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


def test_guest_on_a_phone_returns_one_item_for_store_credit_and_cancels(
    live_server, phone_page, order, reasons, policy
):
    page = phone_page
    first, second = order.lines.order_by("line_number")
    failed = []
    page.on("requestfailed", lambda r: failed.append(r.url))

    # given a guest who finds alice's order by its number and email
    page.goto(f"{live_server.url}/returns/start/")
    page.get_by_label("Order number").fill(order.number)
    page.get_by_label("Email used for the order").fill("alice@example.com")
    page.get_by_role("button", name="Find my order").click()
    page.wait_for_url(f"**/orders/{order.pk}/return/")
    expect(page.locator("h1")).to_contain_text(order.number)
    expect(page.get_by_text(second.product.name)).to_be_visible()

    # the details of a line appear only once it is ticked
    reason = page.locator(f"#id_line_{first.pk}_reason")
    expect(reason).to_be_hidden()
    page.locator(f"#id_line_{first.pk}_pick").check()
    expect(reason).to_be_visible()
    # the photo field appears only for a reason that needs one
    photos = page.locator(f"#id_line_{first.pk}_photos")
    reason.select_option("arrived-damaged")
    expect(photos).to_be_visible()

    # when they return 1 of the 2 because they changed their mind, for store credit
    reason.select_option("changed-mind")
    expect(photos).to_be_hidden()
    page.locator(f"#id_line_{first.pk}_qty").fill("1")
    page.get_by_label("Store credit (+10%)").check()

    # then the review shows, before anything is sent, the decision and the amount:
    # $40 − $4.00 restocking − $6.95 label = $29.05, +10% = $31.96 in store credit
    quote = page.locator("#quote")
    expect(quote).to_contain_text("Approved straight away")
    expect(quote.get_by_test_id("expected-amount")).to_have_text("$31.96")
    expect(quote).to_contain_text("Store credit")
    assert ReturnRequest.objects.count() == 0
    # and the page fits the phone's width
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # when they submit
    page.get_by_role("button", name="Submit return").click()
    page.wait_for_url("**/submitted/")
    rr = ReturnRequest.objects.get()
    # then they see the RMA number and the next steps
    expect(page.locator(".rma-number")).to_have_text(rr.rma_number)
    assert re.fullmatch(r"RMA-\d{4}-\d{6}", rr.rma_number)
    assert rr.preferred_outcome == "store_credit"
    assert [(ln.order_line_id, ln.quantity) for ln in rr.lines.all()] == [(first.pk, 1)]

    # and on the status page they can cancel it
    page.get_by_role("link", name="Open the return page").click()
    page.wait_for_url(f"**/returns/{rr.rma_number}/")
    expect(page.get_by_test_id("status")).to_have_text("Approved")
    page.get_by_role("link", name="Cancel this return").click()
    page.get_by_role("button", name="Yes, cancel my return").click()
    page.wait_for_url(f"**/returns/{rr.rma_number}/")
    expect(page.get_by_test_id("status")).to_have_text("Cancelled")
    expect(page.locator(".timeline")).to_contain_text("Cancelled at your request.")
    rr.refresh_from_db()
    assert rr.status == ReturnStatus.CANCELLED
    assert failed == []


def test_signed_in_customer_adds_a_photo_and_submits_it_once(
    live_server, phone_page, order, reasons, policy, tmp_path
):
    page = phone_page
    first, _ = order.lines.order_by("line_number")
    photo = tmp_path / "scratch.png"
    Image.new("RGB", (16, 16), (10, 120, 200)).save(photo)
    quote_posts = []
    page.on(
        "request",
        lambda r: (
            quote_posts.append(r.post_data_buffer or b"")
            if r.method == "POST" and r.headers.get("hx-request")
            else None
        ),
    )

    # given alice signed in, starting from her orders
    browser_login(page, live_server, "alice")
    page.goto(f"{live_server.url}/my/orders/")
    page.get_by_role("link", name="Return items").first.click()
    page.wait_for_url(f"**/orders/{order.pk}/return/")

    # when she picks a reason that needs a photo, the preview asks for one
    page.locator(f"#id_line_{first.pk}_pick").check()
    page.locator(f"#id_line_{first.pk}_reason").select_option("arrived-damaged")
    quote = page.locator("#quote")
    expect(quote).to_contain_text("Add a photo before you submit")
    # the merchant's fault: no restocking fee, prepaid label, the full $40 back
    expect(quote.get_by_test_id("expected-amount")).to_have_text("$40.00")
    expect(quote).to_contain_text("Prepaid by the merchant")

    # and once she chooses a photo the warning goes, without uploading it yet
    page.locator(f"#id_line_{first.pk}_photos").set_input_files(str(photo))
    expect(quote).not_to_contain_text("Add a photo before you submit")
    assert quote_posts and all(b"\x89PNG" not in body for body in quote_posts)

    # when she submits, the photo goes with it, once
    page.get_by_role("button", name="Submit return").click()
    page.wait_for_url("**/submitted/")
    rr = ReturnRequest.objects.get()
    assert rr.status == ReturnStatus.APPROVED
    stored = ReturnPhoto.objects.get(line__return_request=rr)
    # then the status page shows it through the owner-only photo view
    page.goto(f"{live_server.url}/returns/{rr.reference}/")
    image = page.locator(".photos img")
    expect(image).to_have_attribute("src", f"/returns/{rr.reference}/photos/{stored.pk}/")
    # (lazy-loaded: wait until the browser has decoded it, then check it is her 16×16 picture)
    page.wait_for_function("document.querySelector('.photos img').complete")
    assert page.evaluate("document.querySelector('.photos img').naturalWidth") == 16


def test_the_return_form_reads_well_on_a_phone(live_server, phone_page, order, reasons, policy):
    """What the audit found at 390 px: no stray template text, amounts on one line, the
    step titles inside their cards and a one-row top bar."""
    page = phone_page
    first, second = order.lines.order_by("line_number")
    for line, name in ((first, "Insulated Bottle"), (second, "Merino Wool Hoodie")):
        line.product.name = name  # names long enough to squeeze the amounts' column
        line.product.save(update_fields=["name"])
    # given alice signed in, previewing a two-item return for store credit
    browser_login(page, live_server, "alice")
    page.goto(f"{live_server.url}/orders/{order.pk}/return/")
    for line in (first, second):
        page.locator(f"#id_line_{line.pk}_pick").check()
        page.locator(f"#id_line_{line.pk}_reason").select_option("changed-mind")
    page.get_by_label("Store credit (+10%)").check()
    quote = page.locator("#quote")
    expect(quote.get_by_test_id("expected-amount")).to_be_visible()
    # then no template comment is printed on the page
    assert "{#" not in page.inner_text("main")
    # and every amount sits on one line (a wrapped "−$4.00" would be twice as tall)
    lines = page.eval_on_selector_all(
        "#quote .num",
        """els => els.map(e => {
            const range = document.createRange();
            range.selectNodeContents(e);
            const tops = new Set([...range.getClientRects()].map(r => Math.round(r.top)));
            return [e.textContent.trim(), tops.size];
        })""",
    )
    assert lines and all(n == 1 for _, n in lines), lines
    # and each step's title lies inside its card
    outside = page.eval_on_selector_all(
        "fieldset.card",
        # a legend on the border starts where the fieldset's box starts; inside, below it
        "fs => fs.filter(f => f.querySelector('legend').getBoundingClientRect().top"
        " <= f.getBoundingClientRect().top).map(f => f.querySelector('legend').textContent)",
    )
    assert outside == []
    # and the top bar is one row, and nothing is wider than the phone
    assert page.locator("header.topbar").bounding_box()["height"] < 64
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_on_a_desktop_the_review_panel_stays_in_view_with_its_submit_button(
    live_server, browser, customer, order, reasons, policy
):
    context = browser.new_context(viewport={"width": 1366, "height": 700})
    page = context.new_page()
    try:
        first, second = order.lines.order_by("line_number")
        # given alice on a laptop screen, previewing a two-item return (a long review panel)
        browser_login(page, live_server, "alice")
        page.goto(f"{live_server.url}/orders/{order.pk}/return/")
        for line in (first, second):
            page.locator(f"#id_line_{line.pk}_pick").check()
            page.locator(f"#id_line_{line.pk}_reason").select_option("arrived-damaged")
        quote = page.locator("#quote")
        expect(quote).to_contain_text("Add a photo before you submit")
        # when she scrolls the form a little, so the panel beside it sticks
        page.evaluate("window.scrollTo(0, 300)")
        # then the panel fits the window, and scrolls inside itself down to Submit
        side = page.locator("aside.return-side")
        box = side.bounding_box()
        assert 0 <= box["y"] <= 20 and box["y"] + box["height"] <= 700
        side.evaluate("el => el.scrollTo(0, el.scrollHeight)")
        submit = quote.get_by_role("button", name="Submit return")
        submit_box = submit.bounding_box()
        assert submit_box["y"] >= 0 and submit_box["y"] + submit_box["height"] <= 700
        assert page.evaluate("window.scrollY") == 300
    finally:
        context.close()
