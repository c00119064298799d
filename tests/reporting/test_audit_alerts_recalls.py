"""Spike alerts and recalls: each change writes one audit entry, refused changes none; the
alert and recall pages show the history to managers only."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from audit.selectors import audit_for
from reporting.models import Recall, SpikeAlert
from reporting.services import alert_acknowledge, recall_open_from_alert, recall_status_change
from returns_portal.errors import Conflict, DomainError, NotFound, PermissionDenied
from tests.factories import BatchFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(db):
    return BatchFactory(lot_code="L7")


def _alert(batch, **extra) -> SpikeAlert:
    values = {
        "scope": "batch",
        "product_id": batch.product_id,
        "batch_id": batch.pk,
        "reason_code": "defective",
        "window_start": "2026-01-01",
        "window_end": "2026-01-30",
        "count": 9,
        "baseline": 1,
        **extra,
    }
    return SpikeAlert.objects.create(**values)


def _trail(obj) -> list[tuple]:
    return [
        (e.action, e.actor.username if e.actor else None, e.actor_kind, e.from_state, e.to_state)
        for e in audit_for(obj)
    ]


def test_acknowledging_records_the_manager(batch, manager):
    alert = _alert(batch)
    alert_acknowledge(alert_id=alert.pk, actor=manager)
    assert _trail(alert) == [("acknowledged", "manager", "staff", "open", "acknowledged")]
    assert audit_for(alert)[0].note == "Acknowledged: seen, no recall for now."


def test_refused_acknowledgements_write_nothing(batch, manager, grader):
    alert = _alert(batch)
    with pytest.raises(PermissionDenied):
        alert_acknowledge(alert_id=alert.pk, actor=grader)
    with pytest.raises(NotFound):
        alert_acknowledge(alert_id=alert.pk + 999, actor=manager)
    alert_acknowledge(alert_id=alert.pk, actor=manager)
    with pytest.raises(Conflict):
        alert_acknowledge(alert_id=alert.pk, actor=manager)
    assert AuditEntry.objects.count() == 1


def test_opening_a_recall_records_the_recall_and_the_alert(batch, manager):
    alert = _alert(batch)
    recall = recall_open_from_alert(alert_id=alert.pk, actor=manager)
    assert _trail(recall) == [("opened", "manager", "staff", "", "open")]
    assert _trail(alert) == [("recall_opened", "manager", "staff", "open", "recalled")]
    opened = audit_for(recall)[0]
    assert (
        opened.note == f"Recall of batch L7 opened from spike alert #{alert.pk} (9 × “defective”)."
    )
    assert opened.data == {"alert_id": alert.pk, "batch_id": batch.pk, "reason_code": "defective"}
    assert audit_for(alert)[0].data["recall_id"] == recall.pk


def test_an_acknowledged_alert_can_still_be_recalled(batch, manager):
    alert = _alert(batch)
    alert_acknowledge(alert_id=alert.pk, actor=manager)
    recall_open_from_alert(alert_id=alert.pk, actor=manager)
    assert [t[3:] for t in _trail(alert)] == [
        ("open", "acknowledged"),
        ("acknowledged", "recalled"),
    ]


def test_refused_recalls_write_nothing_and_open_nothing(batch, manager, grader):
    alert = _alert(batch)
    sku_alert = _alert(batch, scope="sku", batch_id=None)
    with pytest.raises(PermissionDenied):
        recall_open_from_alert(alert_id=alert.pk, actor=grader)
    with pytest.raises(DomainError):
        recall_open_from_alert(alert_id=sku_alert.pk, actor=manager)
    recall_open_from_alert(alert_id=alert.pk, actor=manager)
    with pytest.raises(Conflict):
        recall_open_from_alert(alert_id=alert.pk, actor=manager)
    assert Recall.objects.count() == 1
    assert AuditEntry.objects.count() == 2


def test_closing_and_reopening_a_recall_is_recorded_with_the_reason(batch, manager):
    recall = recall_open_from_alert(alert_id=_alert(batch).pk, actor=manager)
    recall_status_change(
        recall_id=recall.pk, to_status="closed", note="Batch collected", actor=manager
    )
    recall_status_change(recall_id=recall.pk, to_status="open", note="More found", actor=manager)
    assert _trail(recall)[1:] == [
        ("closed", "manager", "staff", "open", "closed"),
        ("reopened", "manager", "staff", "closed", "open"),
    ]
    assert [e.note for e in audit_for(recall)[1:]] == ["Batch collected", "More found"]


def test_refused_recall_changes_write_nothing(batch, manager, grader):
    recall = recall_open_from_alert(alert_id=_alert(batch).pk, actor=manager)
    before = AuditEntry.objects.count()
    for kwargs, error in [
        ({"to_status": "open", "note": "again", "actor": manager}, Conflict),  # already open
        ({"to_status": "closed", "note": "  ", "actor": manager}, DomainError),
        ({"to_status": "deleted", "note": "x", "actor": manager}, DomainError),
        ({"to_status": "closed", "note": "x", "actor": grader}, PermissionDenied),
    ]:
        with pytest.raises(error):
            recall_status_change(recall_id=recall.pk, **kwargs)
    with pytest.raises(NotFound):
        recall_status_change(recall_id=recall.pk + 99, to_status="closed", note="x", actor=manager)
    assert AuditEntry.objects.count() == before
    recall.refresh_from_db()
    assert recall.status == "open"


def test_a_failed_audit_write_undoes_the_recall(batch, manager, monkeypatch):
    from reporting import services

    alert = _alert(batch)

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(services, "audit_record", broken)
    with pytest.raises(RuntimeError):
        recall_open_from_alert(alert_id=alert.pk, actor=manager)
    alert.refresh_from_db()
    assert alert.status == "open" and not Recall.objects.exists()


# --- Pages ------------------------------------------------------------------------------------
def test_alert_page_shows_its_history(client, batch, manager):
    alert = _alert(batch)
    client.force_login(manager)
    client.post(reverse("reporting:alert_acknowledge", args=[alert.pk]))
    page = client.get(reverse("reporting:alerts")).content.decode()
    assert "History (1)" in page and "Acknowledged: seen, no recall for now." in page
    assert _trail(alert) == [("acknowledged", "manager", "staff", "open", "acknowledged")]


def test_recall_page_shows_and_changes_its_history(client, batch, manager):
    alert = _alert(batch)
    client.force_login(manager)
    recall_url = client.post(reverse("reporting:alert_recall", args=[alert.pk])).url
    page = client.get(recall_url).content.decode()
    assert "Recall of batch L7 opened from spike alert" in page
    assert f"Recall #{Recall.objects.get().pk} opened for batch L7." in page  # the alert's
    response = client.post(recall_url, {"status": "closed", "note": ""}, follow=True)
    assert "Say why the recall changes." in response.content.decode()
    response = client.post(recall_url, {"status": "closed", "note": "All units back"}, follow=True)
    page = response.content.decode()
    assert "All units back" in page and "Reopen the recall" in page
    assert Recall.objects.get().status == "closed"


def test_recall_page_is_for_managers_only(client, batch, manager, grader, customer):
    recall = recall_open_from_alert(alert_id=_alert(batch).pk, actor=manager)
    url = reverse("reporting:recall", args=[recall.pk])
    assert client.get(url).status_code == 302  # to the login page
    for user in (customer.user, grader):
        client.force_login(user)
        assert client.get(url).status_code == 403
        assert client.get(reverse("reporting:alerts")).status_code == 403
        assert client.post(url, {"status": "closed", "note": "x"}).status_code == 403
    assert Recall.objects.get().status == "open"
    client.force_login(manager)
    assert client.get(reverse("reporting:recall", args=[recall.pk + 99])).status_code == 404
    assert client.post(reverse("reporting:recall", args=[recall.pk + 99]), {}).status_code == 404


def test_admin_shows_alerts_and_recalls_but_cannot_change_them(client, batch, admin_user):
    # given a recall opened through its service (with its audit entries)
    alert = _alert(batch)
    recall = recall_open_from_alert(alert_id=alert.pk, actor=admin_user)
    admin_user.is_staff = admin_user.is_superuser = True  # even a superuser
    admin_user.save()
    client.force_login(admin_user)
    # then the admin lists them, but a status can only change through the audited services
    assert client.get("/admin/reporting/recall/").status_code == 200
    assert client.get("/admin/reporting/spikealert/").status_code == 200
    page = client.get(f"/admin/reporting/recall/{recall.pk}/change/")
    assert page.status_code == 200 and 'name="status"' not in page.content.decode()
    resp = client.post(f"/admin/reporting/recall/{recall.pk}/change/", {"status": "closed"})
    assert resp.status_code == 403
    recall.refresh_from_db()
    assert recall.status == "open"
    assert (
        client.post(f"/admin/reporting/recall/{recall.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
