from abc import ABC, abstractmethod
from dataclasses import dataclass
from decimal import Decimal


class GatewayError(Exception):
    """A failure worth retrying: timeout, connection, rate limit, gateway 5xx."""


class GatewayDeclined(Exception):
    """A refusal retrying cannot fix: invalid payment, already refunded, bad request."""


@dataclass(frozen=True)
class GatewayResult:
    reference: str
    replayed: bool = False


class PaymentGateway(ABC):
    name: str

    @abstractmethod
    def refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        """Refund `amount`; the same `idempotency_key` must never pay twice."""
