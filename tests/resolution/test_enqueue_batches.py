"""Movements requested in one transaction go to the workers as one task message, and the
batching never loses or invents one: savepoint rollbacks, ended transactions, retries."""

from decimal import Decimal as D

import pytest
from django.db import transaction

from resolution.gateways import GatewayError
from resolution.models import GatewayLedgerEntry, MoneyMovement
from resolution.services import movements, refund_request
from resolution.services.movements import money_movements_pay

pytestmark = pytest.mark.django_db


def _request(customer, key: str, amount: str = "10.00"):
    return refund_request(
        customer_id=customer.pk,
        amount=D(amount),
        kind="refund",
        idempotency_key=key,
        payment_reference="ch_batch",
    )


@pytest.fixture
def sent(monkeypatch):
    """The batches handed to the broker, in order (not run)."""
    batches = []
    monkeypatch.setattr(movements, "_send", lambda ids: batches.append(list(ids)))
    return batches


def test_one_transactions_refunds_go_out_as_one_message(customer, policy, sent, on_commit):
    # when three refunds are requested in one transaction
    with on_commit(), transaction.atomic():
        made = [_request(customer, f"k{i}") for i in range(3)]
    # then one message carries all three ids, in order
    assert sent == [[m.pk for m in made]]


def test_a_rolled_back_savepoint_takes_its_refund_out_of_the_batch(
    customer, policy, sent, on_commit
):
    with on_commit(), transaction.atomic():
        kept = _request(customer, "kept")
        try:
            with transaction.atomic():
                _request(customer, "undone")
                raise RuntimeError("the caller gave up")
        except RuntimeError:
            pass
        later = _request(customer, "later")
    # only the surviving requests are sent; the undone one never existed
    assert [pk for batch in sent for pk in batch] == [kept.pk, later.pk]
    assert not MoneyMovement.objects.filter(idempotency_key="undone").exists()


def test_a_batch_already_sent_never_swallows_a_later_request(customer, policy, sent, on_commit):
    with on_commit():
        first = _request(customer, "first")
    with on_commit():
        second = _request(customer, "second")
    assert sent == [[first.pk], [second.pk]]


def test_a_batch_is_paid_each_once_and_skips_what_is_gone_or_done(customer, policy, on_commit):
    # given two requests in one transaction, paid by the batch task on commit (eager here)
    with on_commit(), transaction.atomic():
        a, b = _request(customer, "a"), _request(customer, "b", "11.00")
    assert set(MoneyMovement.objects.values_list("status", flat=True)) == {"succeeded"}
    # when the same batch arrives again with an id that no longer exists
    counts = money_movements_pay(movement_ids=[a.pk, b.pk, 999999])
    # then nothing is paid twice
    assert counts == {"succeeded": 2, "failed": 0, "retrying": 0, "busy": 0, "missing": 1}
    assert GatewayLedgerEntry.objects.count() == 2


def test_a_transient_gateway_error_hands_that_refund_to_the_retrying_task(
    customer, policy, monkeypatch
):
    # given a batch where the gateway times out on the first refund only
    a, b = _request(customer, "slow"), _request(customer, "fine")
    from resolution.gateways.ledger import LedgerGateway

    real = LedgerGateway.refund
    retried = []

    def flaky(self, **kw):
        if kw["idempotency_key"] == "slow":
            raise GatewayError("timeout")
        return real(self, **kw)

    monkeypatch.setattr(LedgerGateway, "refund", flaky)
    from resolution import tasks

    monkeypatch.setattr(
        tasks.money_movement_execute,
        "apply_async",
        lambda args, countdown: retried.append((args, countdown)),
    )
    # when the batch runs
    counts = money_movements_pay(movement_ids=[a.pk, b.pk])
    # then the other refund is paid, and the slow one is handed to the task that backs off
    assert counts["succeeded"] == 1 and counts["retrying"] == 1
    assert retried == [([a.pk], 2)]
    a.refresh_from_db()
    assert (a.status, a.attempts, a.last_error) == ("pending", 1, "timeout")


def test_batches_of_rolled_back_transactions_are_forgotten(customer, policy, sent, on_commit):
    from django.db import connection

    # given many requests whose transactions were rolled back
    for i in range(5):
        try:
            with transaction.atomic():
                _request(customer, f"gone{i}")
                raise RuntimeError("rolled back")
        except RuntimeError:
            pass
    # when a request finally commits
    with on_commit(), transaction.atomic():
        kept = _request(customer, "kept")
    # then only it is sent, and no dead batch is kept around
    assert sent == [[kept.pk]]
    assert len(connection.__dict__.get("_money_movement_batches", {})) <= 1
