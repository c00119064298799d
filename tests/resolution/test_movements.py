"""The one money path: request (keyed), execute (locked, gateway, once), sweep, retry."""

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from resolution.models import GatewayLedgerEntry, MoneyMovement
from resolution.services import (
    money_movement_execute,
    money_movement_retry,
    movements_sweep,
    refund_request,
)
from returns_portal.errors import Conflict, DomainError, PermissionDenied

pytestmark = pytest.mark.django_db


def _request(customer, key="goodwill:abc", amount="25.00", **kw):
    return refund_request(
        customer_id=customer.pk,
        amount=D(amount),
        kind=kw.pop("kind", "refund"),
        idempotency_key=key,
        payment_reference="ch_test_1",
        **kw,
    )


def test_the_same_cause_is_requested_once(customer, policy):
    first = _request(customer)
    again = _request(customer)
    assert first.pk == again.pk and MoneyMovement.objects.count() == 1
    assert first.status == "pending" and first.gateway == "ledger"
    assert first.due_on is not None
    with pytest.raises(Conflict, match=r"already used for 25\.00"):
        _request(customer, amount="26.00")


@pytest.mark.parametrize("amount", ["0", "-1", "abc", "NaN", "Infinity", "1e9", ""])
def test_bad_amounts_are_refused(customer, policy, amount):
    with pytest.raises(DomainError):
        refund_request(customer_id=customer.pk, amount=amount, kind="refund", idempotency_key="k")
    assert not MoneyMovement.objects.exists()


def test_execute_pays_once_however_often_it_runs(customer, policy):
    movement = _request(customer)
    for _ in range(3):
        money_movement_execute(movement_id=movement.pk)
    movement.refresh_from_db()
    assert (movement.status, movement.attempts) == ("succeeded", 1)
    entry = GatewayLedgerEntry.objects.get()
    assert (entry.idempotency_key, entry.amount, entry.payment_reference) == (
        "goodwill:abc",
        D("25.00"),
        "ch_test_1",
    )
    assert movement.gateway_reference == entry.reference and movement.completed_at


def test_the_ledger_gateway_replays_a_key_instead_of_paying_again(customer, policy):
    from resolution.gateways.ledger import LedgerGateway

    gw = LedgerGateway()
    one = gw.refund(payment_reference="ch_1", amount=D("5"), currency="USD", idempotency_key="k1")
    two = gw.refund(payment_reference="ch_1", amount=D("5"), currency="USD", idempotency_key="k1")
    assert one.reference == two.reference and two.replayed
    assert GatewayLedgerEntry.objects.count() == 1
    from resolution.gateways import GatewayDeclined

    with pytest.raises(GatewayDeclined):
        gw.refund(payment_reference="ch_1", amount=D("6"), currency="USD", idempotency_key="k1")


def test_the_task_runs_on_commit(customer, policy, on_commit):
    with on_commit():
        movement = _request(customer)
    movement.refresh_from_db()
    assert movement.status == "succeeded"


def test_the_sweeper_re_enqueues_movements_left_pending(customer, policy):
    # given a movement whose task was lost (requested without on-commit running)
    old = _request(customer, key="goodwill:old")
    MoneyMovement.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=30)
    )
    fresh = _request(customer, key="goodwill:fresh")
    # when the sweeper runs (eager tasks execute at once here)
    swept = movements_sweep(older_than=dt.timedelta(minutes=10))
    # then only the old one is re-enqueued, and it is paid
    assert swept == [old.pk]
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("succeeded", "pending")


def test_the_beat_task_sweeps_with_the_configured_age(customer, policy):
    from resolution.tasks import refunds_sweep

    movement = _request(customer)
    assert refunds_sweep.delay(older_than_minutes=0).get() == 1
    movement.refresh_from_db()
    assert movement.status == "succeeded"


def test_a_failed_refund_can_be_retried_as_a_new_movement(customer, policy, manager, grader):
    movement = _request(customer)
    MoneyMovement.objects.filter(pk=movement.pk).update(status="failed", last_error="declined")
    with pytest.raises(PermissionDenied):
        money_movement_retry(movement_id=movement.pk, actor=grader)
    retry = money_movement_retry(movement_id=movement.pk, actor=manager)
    assert retry.idempotency_key == "goodwill:abc:retry1" and retry.amount == D("25.00")
    assert retry.pk != movement.pk and retry.status == "pending"
    with pytest.raises(Conflict):
        money_movement_retry(movement_id=retry.pk, actor=manager)  # not failed
