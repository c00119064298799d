"""Stripe refunds through the official library, with Stripe's own idempotency keys.

`STRIPE_API_BASE` points the client elsewhere (the tests' local fake speaks the same HTTP
API). A payment reference starting with "ch_" is a charge; anything else a payment intent.
"""

from decimal import Decimal

import stripe

from resolution.conf import setting
from resolution.gateways.base import GatewayDeclined, GatewayError, GatewayResult, PaymentGateway
from returns_portal.money import money

# Retrying cannot fix these; the rest (connection, rate limit, 5xx, idempotency conflict
# while the first request is still in flight) are retried with the same key.
PERMANENT = (
    stripe.CardError,
    stripe.InvalidRequestError,
    stripe.AuthenticationError,
    stripe.PermissionError,
)


def _client() -> stripe.StripeClient:
    api_key = str(setting("STRIPE_API_KEY") or "")
    if not api_key:
        raise GatewayDeclined("Stripe is not configured: set STRIPE_API_KEY.")
    return stripe.StripeClient(
        api_key,
        base_addresses={"api": str(setting("STRIPE_API_BASE")).rstrip("/")},
        max_network_retries=int(setting("STRIPE_MAX_NETWORK_RETRIES")),
        http_client=stripe.RequestsClient(timeout=float(setting("STRIPE_TIMEOUT_SECONDS"))),
    )


def to_minor_units(amount: Decimal) -> int:
    return int(money(amount) * 100)


class StripeGateway(PaymentGateway):
    name = "stripe"

    def refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        if not payment_reference:
            raise GatewayDeclined("The order has no Stripe payment to refund.")
        target = "charge" if payment_reference.startswith("ch_") else "payment_intent"
        params = {
            target: payment_reference,
            "amount": to_minor_units(amount),
            "metadata": {"idempotency_key": idempotency_key},
        }
        try:
            refund = _client().v1.refunds.create(
                params=params, options={"idempotency_key": idempotency_key}
            )
        except PERMANENT as exc:
            raise GatewayDeclined(_message(exc)) from exc
        except stripe.IdempotencyError as exc:
            if exc.http_status == 409:  # the first request with this key is still running
                raise GatewayError(_message(exc)) from exc
            raise GatewayDeclined(_message(exc)) from exc  # key reused with other parameters
        except stripe.StripeError as exc:
            raise GatewayError(_message(exc)) from exc
        if refund.status in ("failed", "canceled"):
            raise GatewayDeclined(f"Stripe refund {refund.id} {refund.status}.")
        return GatewayResult(reference=refund.id)


def _message(exc: stripe.StripeError) -> str:
    status = f" (HTTP {exc.http_status})" if exc.http_status else ""
    return f"Stripe: {exc.user_message or str(exc) or type(exc).__name__}{status}"
