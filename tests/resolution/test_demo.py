"""`seed_demo` fills resolution through the real services: routes, outcomes and money."""

import io

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.utils import timezone

from assessment.models import Inspection
from resolution.models import (
    CostEntry,
    CustomerOutcome,
    Disposition,
    ExchangeOrder,
    GatewayLedgerEntry,
    LiquidationItem,
    LiquidationLot,
    MoneyMovement,
    RefurbishmentJob,
    Route,
    StockUnit,
    StoreCreditEntry,
    SupplierClaim,
    SupplierClaimItem,
)
from rma.models import ReturnEvent, ReturnRequest

M = MoneyMovement
MODELS = [
    CostEntry,
    CustomerOutcome,
    Disposition,
    ExchangeOrder,
    GatewayLedgerEntry,
    LiquidationItem,
    LiquidationLot,
    MoneyMovement,
    RefurbishmentJob,
    StockUnit,
    StoreCreditEntry,
    SupplierClaim,
    SupplierClaimItem,
]


def _snapshot() -> dict:
    return {
        "counts": {model.__name__: model.objects.count() for model in MODELS},
        "movements": list(
            M.objects.order_by("idempotency_key").values_list("idempotency_key", "status", "amount")
        ),
        "statuses": list(ReturnRequest.objects.order_by("pk").values_list("pk", "status")),
        "stock": list(StockUnit.objects.order_by("pk").values_list("pk", "quantity")),
    }


@pytest.mark.django_db(transaction=True)
def test_seed_demo_resolves_graded_returns_through_the_real_flow_once():
    # given the whole demo seeded
    out = io.StringIO()
    call_command("seed_demo", "--small", stdout=out)
    first = _snapshot()
    # when it is seeded again
    call_command("seed_demo", "--small", stdout=io.StringIO())
    # then nothing is duplicated and nothing changed
    assert _snapshot() == first
    assert "resolution:" in out.getvalue()
    _assert_demo_shape()


def _assert_demo_shape():

    # every graded return went on to resolved, with its outcome decided once
    assert not ReturnRequest.objects.filter(status="graded").exists()
    done = ReturnRequest.objects.filter(status__in=["resolved", "closed"])
    assert done.count() > 20
    assert not done.filter(customer_outcome__isnull=True).exists()

    # every graded line has a disposition, except items sent back after a declined inspection
    # (and refunds without a return: nothing comes back to route)
    declined = CustomerOutcome.objects.get(kind=CustomerOutcome.Kind.NO_REFUND)
    assert declined.breakdown == {"send_back": True}
    graded_lines = (
        Inspection.objects.filter(kind="primary", grade__isnull=False, return_request__in=done)
        .exclude(return_request=declined.return_request)
        .exclude(return_request__refund_without_return=True)
    )
    routed = set(Disposition.objects.values_list("return_line_id", flat=True))
    assert set(graded_lines.values_list("return_line_id", flat=True)) <= routed
    assert not Disposition.objects.filter(return_request=declined.return_request).exists()

    # each route did its work
    routes = set(Disposition.objects.values_list("route", flat=True))
    assert {Route.RESTOCK, Route.REFURBISH, Route.LIQUIDATE} <= routes
    for d in Disposition.objects.filter(quantity__gt=0):
        if d.route == Route.REFURBISH:
            assert RefurbishmentJob.objects.filter(disposition=d).exists()
        elif d.route == Route.LIQUIDATE:
            assert LiquidationItem.objects.filter(disposition=d).exists()
        elif d.route == Route.RETURN_TO_SUPPLIER:
            assert SupplierClaimItem.objects.filter(disposition=d).exists()
        elif d.route == Route.DISPOSE:
            assert d.write_down > 0 and d.recycler
    assert StockUnit.objects.filter(quantity__gt=0).exists()
    jobs = RefurbishmentJob.objects
    assert jobs.filter(status="open").exists() and jobs.filter(status="restocked").exists()
    assert LiquidationLot.objects.filter(status="sold", sold_amount__gt=0).exists()
    assert SupplierClaim.objects.filter(status="credited").exists()

    # money: mostly paid, a few pending (one past its SLA), one refused by the gateway
    assert M.objects.filter(status="succeeded").count() > 40
    pending = M.objects.filter(status="pending")
    assert pending.count() >= 2
    assert pending.filter(due_on__lt=timezone.localdate()).count() == 1
    failed = M.objects.get(status="failed")
    assert failed.kind == M.Kind.REFUND and failed.last_error
    # paid exactly once: one ledger row per paid refund, one credit entry per paid credit
    paid = M.objects.filter(status="succeeded")
    credit_kinds = [M.Kind.STORE_CREDIT, M.Kind.GOODWILL_CREDIT]
    refunds = paid.exclude(kind__in=credit_kinds)
    assert GatewayLedgerEntry.objects.count() == refunds.count()
    assert set(GatewayLedgerEntry.objects.values_list("idempotency_key", flat=True)) == set(
        refunds.values_list("idempotency_key", flat=True)
    )
    issued = StoreCreditEntry.objects.filter(kind="issue")
    assert issued.count() == paid.filter(kind__in=credit_kinds).count()
    # the outcome's amount is what went out, and never more than was paid
    for outcome in CustomerOutcome.objects.filter(kind__in=["refund", "store_credit"]):
        moved = M.objects.filter(
            return_request=outcome.return_request, kind__in=[M.Kind.REFUND, M.Kind.STORE_CREDIT]
        ).aggregate(t=Sum("amount"))["t"]
        assert moved == outcome.amount
    for outcome in CustomerOutcome.objects.filter(kind="refund"):
        assert outcome.amount <= outcome.return_request.items_value
    # store credit with the policy's bonus, a spend, an exchange, goodwill without a return
    bonus = CustomerOutcome.objects.filter(kind="store_credit").first()
    assert bonus is not None and bonus.breakdown["bonus"] != "0.00"
    assert StoreCreditEntry.objects.filter(kind="spend").count() == 1
    assert ExchangeOrder.objects.exists()
    goodwill = M.objects.filter(kind__in=[M.Kind.GOODWILL_REFUND, M.Kind.GOODWILL_CREDIT])
    assert goodwill.count() >= 3 and goodwill.filter(return_request__isnull=True).exists()
    assert CostEntry.objects.filter(kind="customer_service").exists()

    # audited, and placed in the demo's history rather than at seeding time
    for d in Disposition.objects.all()[:20]:
        assert ReturnEvent.objects.filter(return_request=d.return_request, kind="disposition")
    for m in paid.filter(return_request__isnull=False):
        event = ReturnEvent.objects.get(
            kind="money", details__movement_id=m.pk, actor_kind=ReturnEvent.ActorKind.SYSTEM
        )
        assert event.created_at == m.completed_at
        assert m.created_at <= m.completed_at
    for outcome in CustomerOutcome.objects.exclude(trigger="returnless"):
        resolved = ReturnEvent.objects.get(
            return_request=outcome.return_request, kind="status", to_status="resolved"
        )
        assert outcome.decided_at <= resolved.created_at
