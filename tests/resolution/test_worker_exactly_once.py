"""Exactly once, proven on the real stack: Redis, a Celery worker process, PostgreSQL.

The worker is SIGKILLed while the gateway is answering slowly — the refund exists at the
gateway but our row was never marked — then a new worker and the sweeper finish the job.
"""

import datetime as dt
import os
import signal
import time
from decimal import Decimal as D

import pytest
from django.db import transaction

from resolution.models import GatewayLedgerEntry, MoneyMovement
from resolution.services import movements_sweep, refund_request
from resolution.tasks import money_movement_execute
from tests.resolution.fake_stripe import FakeStripe
from tests.worker import celery_worker

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def _wait_for(predicate, timeout: float = 40.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _status(movement_id: int) -> str:
    return MoneyMovement.objects.get(pk=movement_id).status


def _being_paid(movement_id: int) -> bool:
    """True while another connection holds the movement's row lock (a worker is paying)."""
    with transaction.atomic():
        free = MoneyMovement.objects.select_for_update(skip_locked=True).filter(pk=movement_id)
        return not free.exists()


def _kill(proc) -> None:
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(10)


def _finish_with_a_new_worker(env: dict, movement_id: int) -> None:
    with celery_worker(extra_env=env) as (queue, proc):
        # the killed worker's message is stuck unacknowledged; the beat sweeper re-enqueues
        assert movements_sweep(older_than=dt.timedelta(0)) == [movement_id]
        assert _wait_for(lambda: _status(movement_id) == "succeeded"), "never succeeded"
        # a late duplicate delivery (e.g. the broker's redelivery) changes nothing
        result = money_movement_execute.apply_async(args=[movement_id], queue=queue)
        assert result.get(timeout=20) == "succeeded"
        assert proc.poll() is None


@pytest.mark.django_db(transaction=True)
def test_stripe_refund_survives_a_worker_killed_mid_request_and_is_paid_once(
    customer, policy, settings
):
    with FakeStripe() as fake:
        env = {
            "PAYMENT_GATEWAY": "stripe",
            "STRIPE_API_BASE": fake.url,
            "STRIPE_API_KEY": "sk_test_fake",
            "STRIPE_MAX_NETWORK_RETRIES": "0",
        }
        settings.PAYMENT_GATEWAY = "stripe"
        # given Stripe that refunds at once but answers only after 3 s
        fake.slow["pi_kill_me"] = 3.0
        with celery_worker(extra_env=env) as (_queue, proc):
            # when a refund is requested (enqueued on commit) ...
            movement = refund_request(
                customer_id=customer.pk,
                amount=D("59.90"),
                kind="refund",
                idempotency_key="return:424242:refund",
                payment_reference="pi_kill_me",
            )
            # ... and the worker is killed while Stripe is still answering
            assert fake.request_seen.wait(30), "the worker never called Stripe"
            _kill(proc)
        # then Stripe has the refund but our row is still pending (nobody marked it)
        assert len(fake.refunds_for("pi_kill_me")) == 1
        assert _status(movement.pk) == "pending"

        # when a new worker picks the movement up again
        _finish_with_a_new_worker(env, movement.pk)

        # then there is exactly one refund at Stripe and one succeeded movement, linked
        (refund,) = fake.refunds_for("pi_kill_me")
        assert refund["amount"] == 5990
        movement.refresh_from_db()
        assert movement.gateway_reference == refund["id"]
        assert MoneyMovement.objects.filter(status="succeeded").count() == 1
        # the retry replayed the same idempotency key
        assert {r["key"] for r in fake.requests} == {"return:424242:refund"}
        assert len(fake.requests) >= 2


@pytest.mark.django_db(transaction=True)
def test_ledger_refund_survives_a_worker_killed_mid_refund_and_is_booked_once(customer, policy):
    env = {"PAYMENT_GATEWAY": "ledger", "LEDGER_GATEWAY_DELAY_SECONDS": "3"}
    with celery_worker(extra_env=env) as (_queue, proc):
        movement = refund_request(
            customer_id=customer.pk,
            amount=D("12.00"),
            kind="refund",
            idempotency_key="return:434343:refund",
        )
        # the worker holds the row lock while the (slow) gateway works: kill it then
        assert _wait_for(lambda: _being_paid(movement.pk)), "the worker never started"
        _kill(proc)
    assert _status(movement.pk) == "pending"
    assert GatewayLedgerEntry.objects.count() == 0  # rolled back with the dead transaction

    _finish_with_a_new_worker({"PAYMENT_GATEWAY": "ledger"}, movement.pk)

    entry = GatewayLedgerEntry.objects.get()
    assert (entry.idempotency_key, entry.amount) == ("return:434343:refund", D("12.00"))
    movement.refresh_from_db()
    assert movement.gateway_reference == entry.reference and movement.status == "succeeded"
