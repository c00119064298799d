import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_page_renders_in_chromium_with_local_assets(live_server, phone_page):
    # given the portal served locally; when a phone opens the home page
    failed = []
    phone_page.on("requestfailed", lambda r: failed.append(r.url))
    phone_page.goto(live_server.url + "/")
    # then it renders, loads htmx from our own static files, and nothing failed to load
    assert phone_page.locator("h1").inner_text() == "Send something back"
    assert phone_page.evaluate("typeof window.htmx") == "object"
    assert failed == []
