"""The built-in gateway: refunds are booked in `GatewayLedgerEntry`, one per key.

For merchants who pay refunds out by hand or in a bank batch. Booked in the same database
transaction that marks the movement succeeded, so the two cannot disagree.
"""

import time
import uuid
from decimal import Decimal

from django.db import IntegrityError, transaction

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
        existing = GatewayLedgerEntry.objects.filter(idempotency_key=idempotency_key).first()
        if existing is None:
            try:
                with transaction.atomic():
                    existing = GatewayLedgerEntry.objects.create(
                        idempotency_key=idempotency_key,
                        reference=f"ldg_{uuid.uuid4().hex[:24]}",
                        payment_reference=payment_reference,
                        amount=amount,
                        currency=currency,
                    )
                return GatewayResult(reference=existing.reference)
            except IntegrityError:
                existing = GatewayLedgerEntry.objects.get(idempotency_key=idempotency_key)
        if existing.amount != amount or existing.currency != currency:
            raise GatewayDeclined(
                f"Idempotency key {idempotency_key} was used for {existing.amount} "
                f"{existing.currency}, not {amount} {currency}."
            )
        return GatewayResult(reference=existing.reference, replayed=True)
