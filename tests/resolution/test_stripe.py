"""The Stripe adapter against a local server speaking Stripe's refunds API."""

from decimal import Decimal as D

import pytest

from resolution.gateways import GatewayDeclined, GatewayError
from resolution.gateways.stripe import StripeGateway
from resolution.models import MoneyMovement
from resolution.services import refund_request
from tests.resolution.fake_stripe import FakeStripe


@pytest.fixture
def fake_stripe(settings):
    with FakeStripe() as fake:
        settings.PAYMENT_GATEWAY = "stripe"
        settings.STRIPE_API_BASE = fake.url
        settings.STRIPE_API_KEY = "sk_test_fake"
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        yield fake


def _refund(ref="pi_123", amount="12.34", key="return:1:refund"):
    return StripeGateway().refund(
        payment_reference=ref, amount=D(amount), currency="USD", idempotency_key=key
    )


def test_a_refund_is_created_in_cents_with_the_idempotency_key(fake_stripe):
    result = _refund()
    (refund,) = fake_stripe.refunds
    assert result.reference == refund["id"] and refund["id"].startswith("re_")
    assert (refund["amount"], refund["payment_intent"]) == (1234, "pi_123")
    assert refund["metadata"] == {"idempotency_key": "return:1:refund"}
    assert fake_stripe.requests[0]["key"] == "return:1:refund"


def test_a_charge_reference_refunds_the_charge(fake_stripe):
    _refund(ref="ch_abc")
    assert fake_stripe.refunds[0]["charge"] == "ch_abc"
    assert "payment_intent" not in fake_stripe.requests[0]["params"]


def test_the_same_key_never_refunds_twice(fake_stripe):
    first = _refund()
    second = _refund()
    assert first.reference == second.reference
    assert len(fake_stripe.refunds) == 1 and len(fake_stripe.requests) == 2


def test_a_key_reused_with_another_amount_is_refused_for_good(fake_stripe):
    _refund(amount="10.00")
    with pytest.raises(GatewayDeclined, match="same parameters"):
        _refund(amount="11.00")
    assert len(fake_stripe.refunds) == 1


@pytest.mark.parametrize(
    ("ref", "message"),
    [("pi_declined_1", "declined"), ("pi_missing_1", "No such payment_intent"), ("", "no Stripe")],
)
def test_refusals_are_permanent(fake_stripe, ref, message):
    with pytest.raises(GatewayDeclined, match=message):
        _refund(ref=ref)
    assert not fake_stripe.refunds


def test_server_errors_are_transient(fake_stripe):
    fake_stripe.fail_next["pi_123"] = [500]
    with pytest.raises(GatewayError, match="HTTP 500"):
        _refund()
    assert _refund().reference == fake_stripe.refunds[0]["id"]  # the key can be tried again


def test_a_wrong_api_key_is_permanent(fake_stripe, settings):
    settings.STRIPE_API_KEY = "pk_wrong"
    with pytest.raises(GatewayDeclined, match="Invalid API Key"):
        _refund()


def test_an_unreachable_stripe_is_transient(settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused
    settings.STRIPE_API_KEY = "sk_test_fake"
    with pytest.raises(GatewayError):
        _refund()


# --- Through the money path (eager task, retries with backoff) ------------------------------
@pytest.fixture
def eager_retries():
    """Celery runs an eager task's retries only when eager errors do not propagate."""
    from returns_portal.celery import app

    previous = app.conf.get("task_eager_propagates")
    app.conf.task_eager_propagates = False
    yield
    app.conf.task_eager_propagates = previous


@pytest.mark.django_db
def test_errors_are_retried_by_the_task_until_stripe_answers(
    fake_stripe, customer, policy, on_commit, eager_retries
):
    # given Stripe failing twice with 500s
    fake_stripe.fail_next["pi_777"] = [500, 503]
    # when a refund is requested (the task runs on commit and retries)
    with on_commit():
        movement = refund_request(
            customer_id=customer.pk,
            amount=D("40.00"),
            kind="refund",
            idempotency_key="return:9:refund",
            payment_reference="pi_777",
        )
    # then the third attempt succeeds and exactly one refund exists at Stripe
    movement.refresh_from_db()
    assert (movement.status, movement.attempts, movement.gateway) == ("succeeded", 3, "stripe")
    (refund,) = fake_stripe.refunds_for("pi_777")
    assert movement.gateway_reference == refund["id"] and refund["amount"] == 4000


@pytest.mark.django_db
def test_a_declined_refund_marks_the_movement_failed(fake_stripe, customer, policy, on_commit):
    with on_commit():
        movement = refund_request(
            customer_id=customer.pk,
            amount=D("40.00"),
            kind="refund",
            idempotency_key="return:10:refund",
            payment_reference="pi_declined_9",
        )
    movement.refresh_from_db()
    assert (movement.status, movement.attempts) == ("failed", 1)
    assert "declined" in movement.last_error
    assert MoneyMovement.objects.filter(status="succeeded").count() == 0
