import io
import time
import zipfile

import pytest
from django.conf import settings as django_settings

from rma.shipping.carriers import OfflineCarrier
from rma.shipping.models import LabelBatch
from rma.shipping.services import label_batch_create, shipment_plan_for_return
from tests.factories import (
    DestinationFactory,
    OrderFactory,
    OrderLineFactory,
    ReturnPolicyFactory,
    shipping_return_make,
)
from tests.worker import celery_worker

SEEN_PROGRESS: list[tuple[int, int]] = []


class ProgressProbeCarrier(OfflineCarrier):
    """The offline carrier, noting the batch's stored progress each time a label is bought."""

    def create_shipment(self, request):
        batch = LabelBatch.objects.order_by("-pk").first()
        SEEN_PROGRESS.append((batch.done, batch.failed))
        return super().create_shipment(request)


def _approved_returns(customer, n: int, **kwargs):
    made = []
    for _ in range(n):
        order = OrderFactory(customer=customer)
        OrderLineFactory(order=order)
        rr = shipping_return_make(order=order, **kwargs)
        shipment_plan_for_return(return_id=rr.pk)
        made.append(rr)
    return made


@pytest.mark.django_db
def test_a_batch_counts_progress_as_it_goes_and_zips_the_labels(
    customer, warehouse, policy, settings, django_capture_on_commit_callbacks
):
    # given three approved returns and one that ships with its own carrier
    settings.SHIPPING_CARRIER_BACKEND = "tests.shipping.test_bulk.ProgressProbeCarrier"
    SEEN_PROGRESS.clear()
    returns = _approved_returns(customer, 3)
    own = _approved_returns(customer, 1, label_payer="own_carrier")[0]
    # when one batch is run (eagerly) for all four
    with django_capture_on_commit_callbacks(execute=True):
        batch = label_batch_create(actor=None, return_ids=[r.pk for r in [*returns, own]])
    batch.refresh_from_db()
    # then progress was stored before each label, and the end state is counted
    assert SEEN_PROGRESS == [(0, 0), (1, 0), (2, 0)]
    assert (batch.status, batch.total, batch.done, batch.failed) == ("done", 4, 3, 1)
    assert batch.errors[0]["return_id"] == own.pk and "own carrier" in batch.errors[0]["error"]
    for rr in returns:
        rr.refresh_from_db()
        assert rr.status == "label_issued"
    with zipfile.ZipFile(io.BytesIO(batch.result.read())) as archive:
        assert sorted(archive.namelist()) == sorted(f"{r.rma_number}.pdf" for r in returns)
        assert all(archive.read(n).startswith(b"%PDF") for n in archive.namelist())
    # and running the task again does nothing
    from rma.shipping.services import label_batch_run

    assert label_batch_run(batch_id=batch.pk).done == 3
    assert len(SEEN_PROGRESS) == 3


@pytest.mark.django_db
def test_staff_bulk_page_starts_a_batch_and_polls_a_progress_partial(
    client, manager, customer, warehouse, policy, django_capture_on_commit_callbacks
):
    returns = _approved_returns(customer, 2)
    client.force_login(manager)
    assert client.get("/shipping/bulk/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        resp = client.post(
            "/shipping/bulk/", {"rma_numbers": "\n".join(r.rma_number for r in returns)}
        )
    batch = LabelBatch.objects.get()
    assert resp.status_code == 302 and resp["Location"] == f"/shipping/bulk/{batch.pk}/"
    page = client.get(resp["Location"]).content.decode()
    assert "<html" in page and "batch-progress" in page
    partial = client.get(resp["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and "100%" in partial and "2 made" in partial
    assert 'hx-trigger="every 1s"' not in partial  # finished: polling stops
    zipped = client.get(f"/shipping/bulk/{batch.pk}/result/")
    assert zipped.status_code == 200 and zipped["Content-Type"] == "application/zip"


@pytest.mark.django_db
def test_a_running_batch_partial_keeps_polling(client, manager):
    batch = LabelBatch.objects.create(return_ids=[1, 2], total=2, done=1, status="running")
    client.force_login(manager)
    partial = client.get(f"/shipping/bulk/{batch.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert 'hx-trigger="every 1s"' in partial and "50%" in partial


@pytest.mark.django_db
def test_nothing_selected_is_a_form_error(client, manager, warehouse):
    client.force_login(manager)
    resp = client.post("/shipping/bulk/", {"rma_numbers": "RMA-2026-999999"}, follow=True)
    assert resp.status_code == 200 and "No approved returns" in resp.content.decode()
    assert not LabelBatch.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["grader", "customer"])
def test_bulk_labels_need_staff_with_recall_or_resolve_rights(client, api_client, request, who):
    user = request.getfixturevalue(who)
    user = getattr(user, "user", user)
    client.force_login(user)
    assert client.get("/shipping/bulk/").status_code == 403
    api_client.force_authenticate(user)
    assert api_client.post("/api/v1/shipping/batches/", {}, format="json").status_code == 403


@pytest.mark.django_db
def test_bulk_api_creates_and_reports_a_batch(
    api_client, manager, customer, warehouse, policy, django_capture_on_commit_callbacks
):
    returns = _approved_returns(customer, 2, kind="recall")
    _approved_returns(customer, 1)  # standard: not selected
    api_client.force_authenticate(manager)
    with django_capture_on_commit_callbacks(execute=True):
        resp = api_client.post("/api/v1/shipping/batches/", {"kind": "recall"}, format="json")
    assert resp.status_code == 202 and resp.json()["total"] == 2
    status = api_client.get(f"/api/v1/shipping/batches/{resp.json()['id']}/").json()
    assert (status["done"], status["status"]) == (2, "done")
    assert status["result_url"].endswith("/result/")
    assert {r.pk for r in returns} == set(LabelBatch.objects.get().return_ids)


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_makes_a_small_batch(customer):
    # given approved returns in PostgreSQL and a real worker on Redis
    DestinationFactory(code="main", name="Main warehouse", is_default=True)
    ReturnPolicyFactory()
    returns = _approved_returns(customer, 3)
    media = str(django_settings.MEDIA_ROOT)
    with celery_worker(extra_env={"MEDIA_ROOT": media}):
        # when the batch is created (enqueued on commit)
        batch = label_batch_create(actor=None, return_ids=[r.pk for r in returns])
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            batch.refresh_from_db()
            if batch.finished:
                break
            time.sleep(0.3)
    # then the worker made every label and the zip
    assert (batch.status, batch.done, batch.failed) == ("done", 3, 0)
    for rr in returns:
        rr.refresh_from_db()
        assert rr.status == "label_issued"
    assert batch.result.name.endswith(".zip")
