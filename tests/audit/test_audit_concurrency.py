"""Two people, one change, the same moment (two real PostgreSQL connections): one change
lands with exactly one audit entry; the other is refused and writes none."""

import threading

import pytest
from django.db import connection

from assessment.services import parcel_exception_create, parcel_exception_unidentified
from audit.selectors import audit_for
from catalog.roles import Role, user_role_add
from reporting.models import Recall, SpikeAlert
from reporting.services import alert_acknowledge, recall_open_from_alert
from returns_portal.errors import Conflict
from tests.factories import BatchFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(*calls) -> list[tuple[str, object]]:
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = ("ok", fn())
        except Exception as exc:  # the test inspects what each side got
            results[i] = ("error", exc)
        finally:
            connection.close()  # each thread has its own connection

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


@pytest.fixture
def managers(db):
    users = [UserFactory(username=f"manager{i}") for i in (1, 2)]
    for user in users:
        user_role_add(user=user, role=Role.MANAGER)
    return users


def _alert() -> SpikeAlert:
    batch = BatchFactory()
    return SpikeAlert.objects.create(
        scope="batch",
        product_id=batch.product_id,
        batch_id=batch.pk,
        reason_code="defective",
        window_start="2026-01-01",
        window_end="2026-01-30",
        count=9,
        baseline=1,
    )


def _one_winner(results) -> None:
    assert sorted(kind for kind, _ in results) == ["error", "ok"], results
    assert isinstance(next(v for kind, v in results if kind == "error"), Conflict)


def test_simultaneous_acknowledgements_write_one_entry(managers):
    alert = _alert()
    _one_winner(
        _race(*(lambda u=u: alert_acknowledge(alert_id=alert.pk, actor=u) for u in managers))
    )
    assert [e.action for e in audit_for(alert)] == ["acknowledged"]


def test_simultaneous_recalls_open_one_recall_with_one_entry(managers):
    alert = _alert()
    _one_winner(
        _race(*(lambda u=u: recall_open_from_alert(alert_id=alert.pk, actor=u) for u in managers))
    )
    recall = Recall.objects.get()
    assert [e.action for e in audit_for(alert)] == ["recall_opened"]
    assert [(e.action, e.actor) for e in audit_for(recall)] == [("opened", recall.opened_by)]


def test_simultaneous_closes_of_a_parcel_write_one_entry(managers):
    parcel = parcel_exception_create(actor=managers[0], found="A toaster")
    _one_winner(
        _race(
            *(
                lambda u=u: parcel_exception_unidentified(exception_id=parcel.pk, actor=u)
                for u in managers
            )
        )
    )
    assert [e.action for e in audit_for(parcel)] == ["logged", "unidentified"]
