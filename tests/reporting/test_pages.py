import csv
import io

import pytest
from django.urls import reverse

from reporting.models import Recall, SpikeAlert


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/reports/",
        "/reports/suppliers/",
        "/reports/suppliers/acme/",
        "/reports/breaches/",
        "/reports/alerts/",
        "/reports/product-rates.csv",
    ],
)
def test_only_managers_see_reports(client, customer, grader, manager, rolled_up, url):
    # anonymous → sign in
    assert client.get(url).status_code == 302
    for user in (customer.user, grader):
        client.force_login(user)
        assert client.get(url).status_code == 403
    client.force_login(manager)
    assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_api_managers_only(api_client, grader, manager, rolled_up):
    assert api_client.get("/api/v1/reports/overview/").status_code in (401, 403)
    api_client.force_authenticate(grader)
    assert api_client.get("/api/v1/reports/overview/").status_code == 403
    api_client.force_authenticate(manager)
    body = api_client.get("/api/v1/reports/overview/").json()
    assert body["returns"] == 3
    assert body["returned_units"] == 3
    assert body["sold_units"] == 33
    assert body["refunds_due"] == 3 and body["refunds_on_time"] == 3
    table = api_client.get("/api/v1/reports/tables/reasons/").json()
    assert table["rows"][0][:2] == ["changed-mind", 2]
    assert api_client.get("/api/v1/reports/tables/nope/").status_code == 404
    assert api_client.get("/api/v1/reports/overview/?start=nope").status_code == 400
    card = api_client.get("/api/v1/reports/suppliers/acme/").json()
    assert card["defect_returns"] == 1 and card["returns"] == 2


@pytest.mark.django_db
def test_overview_numbers_and_drilldown(client, manager, rolled_up):
    client.force_login(manager)
    page = client.get("/reports/").content.decode()
    assert 'id="kpi-returns">3<' in page
    # 3 returned of 10+20+3 sold
    assert 'id="kpi-return-rate">9.1%<' in page
    assert "/staff/returns/?created_after=" in page and "reason=defective" in page
    assert 'id="report-data"' in page and "chart.umd.min.js" in page
    # stage clocks read as words, not field names
    assert "Requested → received (hours)" in page and "requested_to" not in page


@pytest.mark.django_db
def test_product_rates_csv_export(client, manager, rolled_up):
    client.force_login(manager)
    response = client.get("/reports/product-rates.csv")
    assert response["Content-Disposition"] == 'attachment; filename="product-rates.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Name", "Returns", "Returned units", "Sold units", "Return rate"]
    by_name = {r[0].split()[0]: r for r in rows[1:]}
    assert by_name["BOOT-1"][1:] == ["2", "2", "12", "0.1667"]
    assert by_name["SOCK-1"][1:] == ["1", "1", "21", "0.0476"]
    assert client.get("/reports/nope.csv").status_code == 404


@pytest.mark.django_db
def test_filters_narrow_to_supplier_and_bad_dates_do_not_500(client, manager, rolled_up):
    client.force_login(manager)
    page = client.get("/reports/", {"supplier": "zeta"}).content.decode()
    assert 'id="kpi-returns">1<' in page
    response = client.get("/reports/", {"start": "2026-13-45", "end": "x", "product": "NOPE"})
    assert response.status_code == 200
    assert "No product with this SKU." in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("params", [{"start": "0001-01-01"}, {"end": "9999-12-31"}])
def test_one_sided_range_is_capped_at_ten_years(client, api_client, manager, rolled_up, params):
    client.force_login(manager)
    response = client.get("/reports/", params)
    assert response.status_code == 200
    assert "Pick at most ten years." in response.content.decode()
    api_client.force_authenticate(manager)
    assert api_client.get("/api/v1/reports/tables/trend/", params).status_code == 400


@pytest.mark.django_db
def test_supplier_scorecard_page(client, manager, rolled_up):
    client.force_login(manager)
    page = client.get("/reports/suppliers/acme/").content.decode()
    # 2 of 12 units returned, half defects → 2% + 4 × 16.67% × 50% = 35.3%
    assert 'id="supplier-return-rate">16.7%<' in page
    assert 'id="supplier-sampling">35.3%<' in page
    assert ">L1<" in page
    assert client.get("/reports/suppliers/nobody/").status_code == 404
    rows = list(
        csv.reader(io.StringIO(client.get("/reports/suppliers/?format=csv").content.decode()))
    )
    assert rows[0][0] == "Code" and {r[0] for r in rows[1:]} == {"acme", "zeta"}


@pytest.mark.django_db
def test_recall_from_alert_needs_manage_recalls(client, grader, manager, rolled_up):
    alert = SpikeAlert.objects.create(
        scope="batch",
        product_id=rolled_up["boot"].pk,
        batch_id=rolled_up["batch"].pk,
        reason_code="defective",
        window_start="2026-01-01",
        window_end="2026-01-30",
        count=9,
        baseline=1,
    )
    url = reverse("reporting:alert_recall", args=[alert.pk])
    client.force_login(grader)
    assert client.post(url).status_code == 403
    client.force_login(manager)
    assert manager.has_perm("catalog.manage_recalls")
    response = client.post(url)
    recall = Recall.objects.get()
    assert response.url == f"/reports/recalls/{recall.pk}/"
    assert (
        recall.batch == rolled_up["batch"] and recall.opened_by == manager and recall.alert == alert
    )
    alert.refresh_from_db()
    assert alert.status == "recalled"
    assert "later issue" in client.get(response.url).content.decode()
    # a second click does not open a second recall
    client.post(url)
    assert Recall.objects.count() == 1


def test_recall_for_a_batch_that_no_longer_exists_says_so(client, manager, rolled_up):
    alert = SpikeAlert.objects.create(
        scope="batch",
        product_id=rolled_up["boot"].pk,
        batch_id=987654,  # a plain id: the batch was deleted since the alert fired
        reason_code="defective",
        window_start="2026-01-01",
        window_end="2026-01-30",
        count=9,
        baseline=1,
    )
    client.force_login(manager)
    response = client.post(reverse("reporting:alert_recall", args=[alert.pk]), follow=True)
    assert response.status_code == 200
    assert "no longer exists" in response.content.decode()
    assert not Recall.objects.exists()
