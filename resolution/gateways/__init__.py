"""Payment gateways: refund a payment once per idempotency key.

`gateway_for(name)` returns the configured implementation; every money movement records
the gateway's name so a retry goes to the gateway that was first asked.
"""

from resolution.gateways.base import GatewayDeclined, GatewayError, GatewayResult, PaymentGateway


def gateway_for(name: str) -> PaymentGateway:
    if name == "ledger":
        from resolution.gateways.ledger import LedgerGateway

        return LedgerGateway()
    if name == "stripe":
        from resolution.gateways.stripe import StripeGateway

        return StripeGateway()
    raise GatewayDeclined(f"Unknown payment gateway {name!r}.")


def default_gateway_name() -> str:
    from resolution.conf import setting

    return str(setting("PAYMENT_GATEWAY"))


__all__ = [
    "GatewayDeclined",
    "GatewayError",
    "GatewayResult",
    "PaymentGateway",
    "default_gateway_name",
    "gateway_for",
]
