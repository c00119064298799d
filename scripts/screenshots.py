"""Regenerate the README screenshots against a running, seeded server.

    .venv/bin/python scripts/screenshots.py http://127.0.0.1:8000 [--out docs/screenshots]

The server must hold the demo data (`manage.py seed_demo`); the demo logins are used unless
SCREENSHOT_<ROLE>_USER / SCREENSHOT_<ROLE>_PASSWORD are set (ROLE: CUSTOMER, GRADER, MANAGER).
Nothing is written on the server: the return form is previewed, never submitted, and the
grading page is tapped, never saved. Uses Debian's Chromium (override with --chromium).
"""

import argparse
import os
import sys
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}
TABLET = {"viewport": {"width": 800, "height": 1280}, "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 1000}}
DEMO_LOGINS = {
    "customer": ("customer@example.com", "demo-customer-pass"),
    "grader": ("grader", "demo-grader-pass"),
    "manager": ("manager", "demo-manager-pass"),
}


class ShotError(RuntimeError):
    """The server does not have what a screenshot needs (not seeded, wrong login, …)."""


def _login(role: str) -> tuple[str, str]:
    user, password = DEMO_LOGINS[role]
    prefix = f"SCREENSHOT_{role.upper()}_"
    return os.environ.get(prefix + "USER", user), os.environ.get(prefix + "PASSWORD", password)


def _signed_in_page(browser: Browser, base: str, role: str, device: dict) -> Page:
    page = browser.new_context(**device).new_page()
    user, password = _login(role)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=username]", user)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.locator("main form button").click()
    if "/accounts/login/" in page.url:
        raise ShotError(f"Could not sign in as {user}: is the demo data seeded?")
    return page


def _hrefs(page: Page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "links => links.map(a => a.href)")


def customer_return(browser: Browser, base: str, out: Path) -> Path:
    """The return form on a phone: two items picked, reasons chosen, the live review shown."""
    page = _signed_in_page(browser, base, "customer", PHONE)
    page.goto(f"{base}/my/orders/")
    best, best_count = None, 0
    for href in _hrefs(page, "article.order-card h2 a"):
        page.goto(href)
        # items that can be picked and are still inside their return window
        count = page.locator(".item:has(input[name$=_pick]) .item-window:has-text('Return by')")
        if count.count() > best_count:
            best, best_count = href, count.count()
    if best is None:
        raise ShotError("The customer has no order with anything left to return in time.")
    page.goto(best)
    picks = page.locator(".item:has(.item-window:has-text('Return by')) input[name$=_pick]")
    for i in range(min(2, picks.count())):
        pick = picks.nth(i)
        pick.check()
        line = pick.get_attribute("name").removesuffix("_pick")
        # a reason that needs no photo, so the preview can say "Submit return"
        reason = page.locator(f"select[name={line}_reason] option[value]:not([data-photo])")
        codes = [c for c in reason.evaluate_all("os => os.map(o => o.value)") if c]
        page.select_option(f"select[name={line}_reason]", codes[-1 if i else 0])
    page.get_by_label("Store credit", exact=False).check()
    page.locator("#quote [data-testid=expected-amount]").wait_for()
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "customer-return.png", full_page=True)
    page.context.close()
    return out / "customer-return.png"


def customer_status(browser: Browser, base: str, out: Path) -> Path:
    """The customer's return with the longest timeline."""
    page = _signed_in_page(browser, base, "customer", PHONE)
    page.goto(f"{base}/my/returns/")
    best, best_events = None, -1
    for href in _hrefs(page, "article.return-card h2 a"):
        page.goto(href)
        events = page.locator("ol.timeline > li").count()
        if events > best_events:
            best, best_events = href, events
    if best is None:
        raise ShotError("The customer has no returns.")
    page.goto(best)
    page.screenshot(path=out / "customer-status.png", full_page=True)
    page.context.close()
    return out / "customer-status.png"


def grading_tablet(browser: Browser, base: str, out: Path) -> Path:
    """A received return on a portrait 10-inch tablet, an item being graded (not saved)."""
    page = _signed_in_page(browser, base, "grader", TABLET)
    page.goto(f"{base}/warehouse/")
    on_bench = _hrefs(page, "h2:has-text('On the benches') + ul .bench-item")
    if not on_bench:
        raise ShotError("No received return is waiting to be graded.")
    page.goto(on_bench[0])
    panel = page.locator("[data-item-panel][open]").first
    if not panel.count():
        raise ShotError("The return on the bench has no item left to grade.")
    for label in ("Unused", "Original packaging", "Complete"):
        panel.locator("label.toggle.check", has_text=label).tap()
    panel.locator("label.toggle.grade").first.tap()
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=out / "grading-tablet.png")
    page.context.close()
    return out / "grading-tablet.png"


def staff_review(browser: Browser, base: str, out: Path) -> Path:
    page = _signed_in_page(browser, base, "manager", DESKTOP)
    page.goto(f"{base}/staff/review/")
    if not page.locator("article.review-card").count():
        raise ShotError("The review queue is empty.")
    page.screenshot(path=out / "staff-review.png")
    page.context.close()
    return out / "staff-review.png"


def manager_dashboard(browser: Browser, base: str, out: Path) -> Path:
    page = _signed_in_page(browser, base, "manager", DESKTOP)
    response = page.goto(f"{base}/reports/")
    if response is None or response.status != 200:
        raise ShotError(f"/reports/ answered {response and response.status}.")
    page.wait_for_load_state("networkidle")
    page.screenshot(path=out / "manager-dashboard.png")
    page.context.close()
    return out / "manager-dashboard.png"


SHOTS = [customer_return, customer_status, grading_tablet, staff_review, manager_dashboard]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base_url", help="e.g. http://127.0.0.1:8000")
    default_out = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
    parser.add_argument("--out", default=str(default_out))
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args(argv)
    base, out = args.base_url.rstrip("/"), Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    failed = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=args.chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            for shot in SHOTS:
                try:
                    written = shot(browser, base, out)
                except ShotError as exc:
                    failed += 1
                    sys.stderr.write(f"{shot.__name__}: {exc}\n")
                else:
                    sys.stdout.write(f"{written}\n")
        finally:
            browser.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
