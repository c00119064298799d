"""Demo data for resolution: dispositions, route work, customer outcomes and money movements.

Runs after the warehouse demo, which graded the returns the returns demo left in graded,
resolved or closed. Each of those goes through the real services, oldest grading first:
graded returns are resolved by `return_resolve` (what the grading hook does), one is
declined on inspection and sent back (`return_no_refund`), and returns the demo history
already shows as resolved or closed get their dispositions and outcome from the same
services under the same row lock. Part-way through, staff finish refurbishment jobs, sell
the liquidation lot and ship and credit supplier claims, so the later items open new ones.

Money movements are stored pending with the enqueue held (`enqueue_held`), then paid by
the service the worker task calls; a few recent ones stay pending (one of them past its
SLA, for the overdue flag) and one is refused by the gateway. Goodwill payments, a
store-credit spend and customer-service minutes follow. Finally every row this step made
is put at the time it "happened" (after the grading the warehouse demo recorded).

Rerunnable: returns that already have an outcome are skipped; goodwill and spends carry
fixed idempotency keys; settings rows are looked up by natural key.
"""

import datetime as dt
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils import timezone

from assessment.models import Inspection
from catalog.models import Category, Customer, Order, Supplier
from resolution.models import (
    CategoryDispositionRate,
    CostEntry,
    CustomerOutcome,
    Disposition,
    ExchangeOrder,
    ExtraHoliday,
    GatewayLedgerEntry,
    LiquidationLot,
    MoneyMovement,
    RefurbishmentJob,
    StoreCreditEntry,
    SupplierClaim,
    SupplierReturnTerms,
)
from resolution.selectors import disposition_settings, store_credit_balance
from resolution.services import (
    cs_minutes_log,
    dispositions_apply,
    goodwill_issue,
    liquidation_lot_sell,
    money_movement_execute,
    outcome_issue,
    refurbishment_complete,
    return_no_refund,
    return_resolve,
    store_credit_spend,
    supplier_claim_credit,
    supplier_claim_ship,
)
from resolution.services.movements import _failed, enqueue_held, goodwill_key
from returns_portal.money import money
from rma.models import ReturnEvent, ReturnRequest
from rma.states import ReturnStatus

S = ReturnStatus
M = MoneyMovement
DONE = (S.GRADED, S.RESOLVED, S.CLOSED)
DEMO_CUSTOMER_EMAIL = "customer@example.com"
FOLLOW_UP_AT = 0.7  # share of the returns resolved before staff work the queues
PENDING_RECENT = 3  # recent movements the worker has not got to yet
GOODWILL = [
    # key, amount, as credit, reason, with the declined return, stays pending
    ("demo-goodwill-late-order", "15.00", False, "Order arrived a week late", False, False),
    ("demo-goodwill-welcome-back", "10.00", True, "Sorry about the sizing trouble", False, False),
    (
        "demo-goodwill-declined",
        "5.00",
        True,
        "Courtesy credit after a declined return",
        True,
        False,
    ),
    ("demo-goodwill-price-match", "12.50", False, "Price match agreed by phone", False, True),
]


def seed(*, stdout, today: dt.date) -> None:
    now = timezone.now()
    rng = random.Random(6006)
    manager = get_user_model().objects.filter(username="manager").first()
    with transaction.atomic(), enqueue_held():
        _settings_seed(today)
        clock = _Clock(now=now, rng=rng, marks=_marks())
        todo = _returns_to_resolve(clock)
        movements_before = M.objects.aggregate(n=Max("pk"))["n"] or 0
        declined = _decline_pick(todo, manager)
        follow_up_at = int(len(todo) * FOLLOW_UP_AT)
        follow_ups = None
        for n, rr in enumerate(todo):
            if n == follow_up_at and manager is not None:
                follow_ups = _follow_ups(manager, at=clock.graded(rr.pk))
            _resolve(rr, declined=declined, manager=manager)
        new = list(M.objects.filter(pk__gt=movements_before).order_by("pk"))
        held, failed = _pay(new, clock=clock, today=today)
        goodwill = _goodwill_seed(manager, declined=declined, today=today, clock=clock)
        extras = _extras_seed(manager, declined=declined, todo=todo)
        clock.backdate(todo=todo, follow_ups=follow_ups)
        _returnless_backdate()
    _report(stdout, todo=todo, held=held, failed=failed, goodwill=goodwill, extras=extras)


# --- Configuration --------------------------------------------------------------------------
def _settings_seed(today: dt.date) -> None:
    disposition_settings()
    supplier = (
        Supplier.objects.filter(accepts_returns_for_credit=True, is_dropship=False)
        .order_by("pk")
        .first()
    )
    if supplier is not None:
        SupplierReturnTerms.objects.get_or_create(
            supplier=supplier,
            defaults={
                "accepts_non_defective": True,
                "notes": "Takes back unsold, non-defective stock within 90 days.",
            },
        )
    apparel = Category.objects.filter(slug__icontains="apparel").order_by("pk").first()
    if apparel is not None:
        CategoryDispositionRate.objects.get_or_create(
            category=apparel,
            defaults={"refurbishable": False, "handling_cost": Decimal("1.50")},
        )
    for day, name in [((12, 24), "Company day off"), ((12, 31), "Stocktake")]:
        ExtraHoliday.objects.get_or_create(date=dt.date(today.year, *day), defaults={"name": name})


# --- Resolving ------------------------------------------------------------------------------
def _marks() -> dict:
    """(return id, status) → when the returns demo moved it there."""
    marks = {}
    for rr_id, to_status, at in (
        ReturnEvent.objects.filter(
            kind="status",
            to_status__in=[S.RECEIVED, S.GRADED, S.RESOLVED],
            return_request__status__in=[*DONE],
        )
        .order_by("created_at", "pk")
        .values_list("return_request_id", "to_status", "created_at")
    ):
        marks.setdefault((rr_id, to_status), at)
    return marks


def _returns_to_resolve(clock) -> list[ReturnRequest]:
    graded = Inspection.objects.filter(kind=Inspection.Kind.PRIMARY, grade__isnull=False)
    todo = list(
        ReturnRequest.objects.filter(status__in=DONE, customer_outcome__isnull=True)
        .filter(pk__in=graded.values("return_request_id"))
        .order_by("pk")
    )
    return sorted(todo, key=lambda rr: (clock.graded(rr.pk), rr.pk))


def _decline_pick(todo: list[ReturnRequest], manager) -> ReturnRequest | None:
    """The graded return with the biggest deduction is declined and sent back (the latest
    graded one when no grading found a deduction: which returns are graded depends on the
    demo's date, and the demo always shows one declined on inspection)."""
    graded = [rr.pk for rr in todo if rr.status == S.GRADED]
    if manager is None or not graded:
        return None
    found = (
        Inspection.objects.filter(return_request_id__in=graded, kind=Inspection.Kind.PRIMARY)
        .order_by("-deduction", "-return_request_id")
        .values_list("return_request_id", flat=True)
        .first()
    )
    return next((rr for rr in todo if rr.pk == found), None)


def _resolve(rr: ReturnRequest, *, declined, manager) -> None:
    if declined is not None and rr.pk == declined.pk:
        return_no_refund(
            return_id=rr.pk,
            actor=manager,
            reason="Declined on inspection: the item does not match what was described.",
            send_back=True,
            notify=False,
        )
    elif rr.status == S.GRADED:
        return_resolve(return_id=rr.pk, notify=False)  # what the grading hook does
    else:
        # The history already shows it resolved: route its lines and issue its outcome.
        with transaction.atomic():
            locked = (
                ReturnRequest.objects.select_for_update(of=("self",))
                .select_related("order", "customer", "policy")
                .get(pk=rr.pk)
            )
            dispositions_apply(rr=locked)
            outcome_issue(rr=locked, trigger="graded")


def _follow_ups(manager, *, at: dt.datetime) -> dict:
    """Staff work the queues: refurbishments done, the lot sold, claims shipped and credited."""
    jobs = list(RefurbishmentJob.objects.filter(status=RefurbishmentJob.Status.OPEN).order_by("pk"))
    done = []
    for n, job in enumerate(jobs):
        if job.for_customer:
            result, note = RefurbishmentJob.Status.RETURNED, "Repaired under warranty."
        elif n % 4 == 3:
            result, note = RefurbishmentJob.Status.DISPOSED, "Fault could not be fixed."
        else:
            result, note = RefurbishmentJob.Status.RESTOCKED, "Cleaned, tested, repackaged."
        refurbishment_complete(job_id=job.pk, result=result, actor=manager, note=note)
        done.append(job.pk)
    lots = []
    for lot in LiquidationLot.objects.filter(status=LiquidationLot.Status.OPEN):
        expected = sum((i.expected_value for i in lot.items.all()), Decimal("0"))
        if expected > 0:
            amount = money(expected * Decimal("1.08"))
            liquidation_lot_sell(
                lot_id=lot.pk, amount=amount, buyer="Bluewater Liquidators", actor=manager
            )
            lots.append(lot.pk)
    claims = []
    open_claims = SupplierClaim.objects.filter(status=SupplierClaim.Status.OPEN).order_by("pk")
    for n, claim in enumerate(open_claims):
        if not claim.items.exists():
            continue
        supplier_claim_ship(
            claim_id=claim.pk, tracking_number=f"1ZRTV{claim.pk:08d}", actor=manager
        )
        if n % 2 == 0:
            expected = sum((i.expected_credit for i in claim.items.all()), Decimal("0"))
            # the first supplier pays in full, the next one short
            amount = expected if n % 4 == 0 else money(expected * Decimal("0.9"))
            supplier_claim_credit(
                claim_id=claim.pk,
                amount=amount if amount > 0 else "0",
                credit_note=f"CN-{claim.pk:05d}",
                actor=manager,
            )
        claims.append(claim.pk)
    return {"at": at, "jobs": done, "lots": lots, "claims": claims}


# --- Paying ---------------------------------------------------------------------------------
def _pay(new: list[MoneyMovement], *, clock, today: dt.date) -> tuple[list[int], list[int]]:
    """Pay what the workers would have paid by now; keep a few pending and let one fail."""
    day = min(today, timezone.localdate())
    open_returns = set(
        ReturnRequest.objects.filter(
            pk__in=[m.return_request_id for m in new], status=S.RESOLVED
        ).values_list("pk", flat=True)
    )
    candidates = [
        m for m in new if m.return_request_id in open_returns and m.kind != M.Kind.REIMBURSEMENT
    ]
    by_recency = sorted(candidates, key=lambda m: (clock.graded(m.return_request_id), m.pk))
    held = [m.pk for m in by_recency if m.due_on and m.due_on >= day][-PENDING_RECENT:]
    late = [m for m in by_recency if m.due_on and m.due_on < day and m.pk not in held]
    if late:
        held.append(late[-1].pk)  # past its due date: flagged overdue on the staff pages
    refunds = [m for m in by_recency if m.pk not in held and m.kind == M.Kind.REFUND]
    failed = [refunds[len(refunds) // 2].pk] if refunds else []
    for movement in new:
        if movement.pk in held:
            continue
        if movement.pk in failed:
            locked = M.objects.select_for_update().get(pk=movement.pk)
            locked.attempts += 1
            _failed(locked, "Declined by the card issuer: the card was closed.")
        else:
            money_movement_execute(movement_id=movement.pk)  # what the worker task calls
    return held, failed


def _goodwill_seed(manager, *, declined, today: dt.date, clock) -> list[int]:
    if manager is None:
        return []
    returned = ReturnRequest.objects.values("order_id")
    orders = list(
        Order.objects.exclude(pk__in=returned)
        .exclude(customer__email__iexact=DEMO_CUSTOMER_EMAIL)
        .filter(lines__delivered_at__isnull=False)
        .distinct()
        .order_by("pk")[:2]
    )
    demo_customer = Customer.objects.filter(email__iexact=DEMO_CUSTOMER_EMAIL).first()
    made = []
    for n, (key, amount, as_credit, reason, on_declined, stays_pending) in enumerate(GOODWILL):
        if on_declined:
            if declined is None:
                continue
            customer_id, order_id, return_id = declined.customer_id, None, declined.pk
        elif as_credit:
            customer = demo_customer or (orders[0].customer if orders else None)
            if customer is None:
                continue
            customer_id, order_id, return_id = customer.pk, None, None
        else:
            if not orders:
                continue
            order = orders[n % len(orders)]
            customer_id, order_id, return_id = order.customer_id, order.pk, None
        fresh = not M.objects.filter(idempotency_key=goodwill_key(key)).exists()
        movement = goodwill_issue(
            actor=manager,
            customer_id=customer_id,
            amount=amount,
            as_credit=as_credit,
            reason=reason,
            order_id=order_id,
            return_id=return_id,
            idempotency_key=key,
        )
        if not stays_pending:
            money_movement_execute(movement_id=movement.pk)
        if fresh:
            clock.goodwill[movement.pk] = n
        made.append(movement.pk)
    return made


def _extras_seed(manager, *, declined, todo) -> dict:
    """A store-credit spend by the demo customer; customer-service minutes on hard cases."""
    extras = {"spent": Decimal("0"), "cs": 0}
    customer = Customer.objects.filter(email__iexact=DEMO_CUSTOMER_EMAIL).first()
    if customer is not None:
        balance = store_credit_balance(customer_id=customer.pk)
        spent = StoreCreditEntry.objects.filter(idempotency_key="spend:demo-checkout-1").first()
        if spent is None and balance > 0:
            spent = store_credit_spend(
                customer_id=customer.pk,
                amount=min(balance, Decimal("8.00")),
                idempotency_key="demo-checkout-1",
                note="Spent at checkout on a new order",
            )
        extras["spent"] = -spent.amount if spent else Decimal("0")
    if manager is None or CostEntry.objects.filter(kind=CostEntry.Kind.CUSTOMER_SERVICE).exists():
        return extras
    disputed = list(
        Inspection.objects.filter(
            return_request_id__in=[rr.pk for rr in todo], kind=Inspection.Kind.PRIMARY
        )
        .exclude(dispute="")
        .order_by("return_request_id")
        .values_list("return_request_id", flat=True)
        .distinct()[:4]
    )
    if declined is not None and declined.pk not in disputed:
        disputed.append(declined.pk)
    for n, return_id in enumerate(disputed):
        cs_minutes_log(
            return_id=return_id,
            minutes=Decimal(8 + 7 * n),
            actor=manager,
            note="Phone call about the inspection result",
        )
        extras["cs"] += 1
    return extras


# --- Putting rows at the time they happened -------------------------------------------------
class _Clock:
    """When each return was graded, and where this step's rows belong on the timeline."""

    def __init__(self, *, now: dt.datetime, rng: random.Random, marks: dict):
        self.now, self.rng, self.marks = now, rng, marks
        self.events_before = ReturnEvent.objects.aggregate(n=Max("pk"))["n"] or 0
        self.goodwill: dict[int, int] = {}

    def graded(self, return_id: int) -> dt.datetime:
        at = self.marks.get((return_id, S.GRADED)) or self.marks.get((return_id, S.RECEIVED))
        return at or self.now

    def _cap(self, at: dt.datetime) -> dt.datetime:
        return min(at, self.now)

    def backdate(self, *, todo: list[ReturnRequest], follow_ups: dict | None) -> None:
        ids = [rr.pk for rr in todo]
        decided = {pk: self._cap(self.graded(pk) + dt.timedelta(minutes=5)) for pk in ids}
        resolved = {
            pk: self.marks.get((pk, S.RESOLVED))
            or self._cap(self.graded(pk) + dt.timedelta(hours=2))
            for pk in ids
        }
        moved = self._movements(decided)
        self._rows(decided, follow_ups)
        self._events(decided, resolved, moved)
        newly = [pk for pk in ids if (pk, S.RESOLVED) not in self.marks]
        for rr in ReturnRequest.objects.filter(pk__in=newly).only("pk"):
            at = resolved[rr.pk]
            ReturnRequest.objects.filter(pk=rr.pk).update(updated_at=at, status_changed_at=at)

    def _movements(self, decided: dict) -> dict[int, tuple]:
        moved = {}
        movements = list(
            M.objects.filter(
                Q(return_request_id__in=list(decided)) | Q(pk__in=list(self.goodwill))
            ).order_by("pk")
        )
        for m in movements:
            if m.pk in self.goodwill:
                created = self.now - dt.timedelta(days=9 - 2 * self.goodwill[m.pk], hours=3)
            else:
                created = decided[m.return_request_id] + dt.timedelta(minutes=1)
            completed = None
            if m.status == M.Status.SUCCEEDED:
                completed = self._cap(created + dt.timedelta(minutes=self.rng.randint(2, 600)))
            moved[m.pk] = (created, completed)
            m.created_at, m.completed_at = created, completed
        M.objects.bulk_update(movements, ["created_at", "completed_at"], batch_size=500)
        paid_at = {m.idempotency_key: m.completed_at or m.created_at for m in movements}
        _times_set(
            GatewayLedgerEntry.objects.filter(idempotency_key__in=list(paid_at)),
            lambda e: paid_at[e.idempotency_key],
        )
        by_pk = {m.pk: m.completed_at or m.created_at for m in movements}
        _times_set(
            StoreCreditEntry.objects.filter(money_movement_id__in=list(by_pk)),
            lambda e: by_pk[e.money_movement_id],
        )
        return moved

    def _rows(self, decided: dict, follow_ups: dict | None) -> None:
        ids = list(decided)
        for model, field in [
            (Disposition, "decided_at"),
            (CustomerOutcome, "decided_at"),
            (ExchangeOrder, "created_at"),
        ]:
            _times_set(
                model.objects.filter(return_request_id__in=ids),
                lambda row: decided[row.return_request_id],
                field=field,
            )
        _times_set(
            RefurbishmentJob.objects.filter(disposition__return_request_id__in=ids).select_related(
                "disposition"
            ),
            lambda job: decided[job.disposition.return_request_id],
        )
        _times_set(
            CostEntry.objects.filter(
                return_request_id__in=ids, source_key__startswith="disposition:"
            ),
            lambda entry: decided[entry.return_request_id],
        )
        if follow_ups is None:
            return
        at = follow_ups["at"]
        jobs = RefurbishmentJob.objects.filter(pk__in=follow_ups["jobs"])
        jobs.update(completed_at=at)
        # the refurbishment's own cost was booked when the job was done
        CostEntry.objects.filter(
            source_key__in=[
                f"disposition:{d}:{part}"
                for d in jobs.values_list("disposition_id", flat=True)
                for part in ("refurbish", "disposal", "write_down")
            ],
        ).update(created_at=at)
        LiquidationLot.objects.filter(pk__in=follow_ups["lots"]).update(sold_at=at)
        claims = SupplierClaim.objects.filter(pk__in=follow_ups["claims"])
        claims.update(shipped_at=at)
        claims.filter(status=SupplierClaim.Status.CREDITED).update(
            credited_at=self._cap(at + dt.timedelta(days=10))
        )
        # the lots and claims opened after these were sold or shipped
        for model in (LiquidationLot, SupplierClaim):
            model.objects.filter(status="open").update(created_at=at + dt.timedelta(minutes=1))
        first = min(decided.values(), default=at)
        LiquidationLot.objects.filter(pk__in=follow_ups["lots"]).update(created_at=first)
        claims.update(created_at=first)

    def _events(self, decided: dict, resolved: dict, moved: dict) -> None:
        events = list(
            ReturnEvent.objects.filter(pk__gt=self.events_before)
            .filter(Q(return_request_id__in=list(decided)) | Q(kind="money"))
            .order_by("pk")
        )
        step: dict[int, int] = {}
        for event in events:
            movement = moved.get((event.details or {}).get("movement_id"))
            if event.kind == "money" and movement is not None:
                # staff asked (goodwill) when it was created; the payment when it was paid
                staff = event.actor_kind == ReturnEvent.ActorKind.STAFF
                event.created_at = movement[0] if staff else (movement[1] or movement[0])
            elif event.return_request_id not in decided:
                continue
            elif event.kind == "status" and event.to_status == S.RESOLVED:
                event.created_at = resolved[event.return_request_id]
            else:
                step[event.return_request_id] = step.get(event.return_request_id, 0) + 1
                event.created_at = decided[event.return_request_id] + dt.timedelta(
                    seconds=step[event.return_request_id]
                )
        ReturnEvent.objects.bulk_update(events, ["created_at"], batch_size=500)


def _times_set(queryset, when, *, field: str = "created_at") -> None:
    rows = list(queryset)
    for row in rows:
        setattr(row, field, when(row))
    queryset.model.objects.bulk_update(rows, [field], batch_size=500)


def _returnless_backdate() -> None:
    """Refunds without a return were paid by the approval hook "now": put them at the time
    the returns demo says the return was resolved."""
    outcomes = CustomerOutcome.objects.filter(trigger="returnless")
    for outcome in outcomes.select_related("return_request"):
        at = (
            ReturnEvent.objects.filter(
                return_request_id=outcome.return_request_id, kind="status", to_status=S.RESOLVED
            )
            .order_by("created_at")
            .values_list("created_at", flat=True)
            .first()
        )
        if at is None:
            continue
        CustomerOutcome.objects.filter(pk=outcome.pk).update(decided_at=at)
        for m in M.objects.filter(return_request_id=outcome.return_request_id):
            completed = at + dt.timedelta(hours=1) if m.completed_at else None
            M.objects.filter(pk=m.pk).update(created_at=at, completed_at=completed)
            GatewayLedgerEntry.objects.filter(idempotency_key=m.idempotency_key).update(
                created_at=completed or at
            )
            StoreCreditEntry.objects.filter(money_movement_id=m.pk).update(
                created_at=completed or at
            )
            ReturnEvent.objects.filter(kind="money", details__movement_id=m.pk).update(
                created_at=completed or at
            )


def _report(stdout, *, todo, held, failed, goodwill, extras) -> None:
    routes = dict(
        Disposition.objects.values_list("route").annotate(n=Count("pk")).order_by("route")
    )
    statuses = dict(M.objects.values_list("status").annotate(n=Count("pk")).order_by("status"))
    overdue = M.objects.filter(status=M.Status.PENDING, due_on__lt=timezone.localdate()).count()
    stdout.write(
        f"resolution: {len(todo)} returns resolved now; dispositions "
        f"({', '.join(f'{k} {v}' for k, v in routes.items()) or 'none'}); money movements "
        f"({', '.join(f'{k} {v}' for k, v in statuses.items()) or 'none'}, {overdue} overdue); "
        f"{ExchangeOrder.objects.count()} exchange orders; "
        f"{RefurbishmentJob.objects.count()} refurbishment jobs; "
        f"{LiquidationLot.objects.count()} liquidation lots; "
        f"{SupplierClaim.objects.count()} supplier claims; {len(goodwill)} goodwill; "
        f"{extras['spent']} store credit spent; {extras['cs']} customer-service logs\n"
    )
