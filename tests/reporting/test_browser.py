from pathlib import Path

import pytest

from tests.conftest import browser_login


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_manager_sees_charts_filters_and_downloads_csv(live_server, page, rolled_up, manager):
    # given a signed-in manager
    browser_login(page, live_server, "manager")
    # when they open the dashboard
    page.goto(f"{live_server.url}/reports/")
    # then every chart canvas was drawn by Chart.js
    page.wait_for_function("document.querySelectorAll('canvas').length === 6")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas')).map(c => Chart.getChart(c) != null)"
    )
    assert drawn == [True] * 6
    assert page.locator("#kpi-returns").inner_text() == "3"
    # when they filter to one supplier
    page.select_option("select[name=supplier]", "zeta")
    page.click("#report-filters button[type=submit]")
    page.wait_for_url("**supplier=zeta**")
    assert page.locator("#kpi-returns").inner_text() == "1"
    # then they can download a table as CSV with the filter applied
    with page.expect_download() as download_info:
        page.click("#table-product-rates a.csv")
    download = download_info.value
    assert download.suggested_filename == "product-rates.csv"
    text = Path(download.path()).read_text(encoding="utf-8")
    assert "SOCK-1" in text and "BOOT-1" not in text
