"""The built-in gateway: refunds are booked in `GatewayLedgerEntry`, one per key.

For merchants who pay refunds out by hand or in a bank batch. Booked in the same database
transaction that marks the movement succeeded, so the two cannot disagree.
"""

import time
import uuid
from decimal import Decimal

from resolution.conf import setting
from resolution.gateways.base import GatewayDeclined, GatewayResult, PaymentGateway
from returns_portal.money import money


class LedgerGateway(PaymentGateway):
    name = "ledger"

    def refund(
        self, *, payment_reference: str, amount: Decimal, currency: str, idempotency_key: str
    ) -> GatewayResult:
        from resolution.models import GatewayLedgerEntry

        delay = float(setting("LEDGER_GATEWAY_DELAY_SECONDS") or 0)
        if delay:  # lets tests and benchmarks stand in for a slow provider
            time.sleep(delay)
        amount = money(amount)
        reference = f"ldg_{uuid.uuid4().hex[:24]}"
        # INSERT … ON CONFLICT DO NOTHING, then read back: the key's first refund wins, a
        # replay (or a racing duplicate) finds it; two round trips, no savepoint.
        GatewayLedgerEntry.objects.bulk_create(
            [
                GatewayLedgerEntry(
                    idempotency_key=idempotency_key,
                    reference=reference,
                    payment_reference=payment_reference,
                    amount=amount,
                    currency=currency,
                )
            ],
            ignore_conflicts=True,
        )
        existing = GatewayLedgerEntry.objects.get(idempotency_key=idempotency_key)
        if existing.reference == reference:
            return GatewayResult(reference=reference)
        if existing.amount != amount or existing.currency != currency:
            raise GatewayDeclined(
                f"Idempotency key {idempotency_key} was used for {existing.amount} "
                f"{existing.currency}, not {amount} {currency}."
            )
        return GatewayResult(reference=existing.reference, replayed=True)
