"""Money movements: every refund and store credit goes through this one exactly-once path.

1. `refund_request` stores a pending MoneyMovement whose idempotency key names its cause
   (unique constraint: one cause, one movement) and enqueues the task on commit.
   The movements one transaction requested go out as one task message (`_CommitBatch`).
2. The task calls `money_movement_execute` per movement, which locks the row, skips anything
   not pending, and asks the gateway with the same key — so a retry after a crash, a
   duplicate delivery or the sweeper's re-enqueue can never pay twice: the gateway answers a
   replayed key with the first refund, and our row records it once.
3. `movements_sweep` (beat) re-enqueues movements left pending, e.g. after a worker was killed.
"""

import contextlib
import contextvars
import datetime as dt
import logging
import uuid
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from resolution.gateways import GatewayDeclined, GatewayError, default_gateway_name, gateway_for
from resolution.models import MoneyMovement, StoreCreditEntry
from resolution.services.sla import refund_due_on
from returns_portal.errors import Conflict, DomainError, NotFound, permission_require
from returns_portal.money import money
from rma.events import event_record
from rma.models import ReturnEvent

log = logging.getLogger(__name__)
M = MoneyMovement
CREDIT_KINDS = frozenset({M.Kind.STORE_CREDIT, M.Kind.GOODWILL_CREDIT})
STORE_CREDIT_GATEWAY = "store_credit"
AMOUNT_MAX = Decimal("1000000")


def amount_parse(value, *, field: str = "amount") -> Decimal:
    """A positive amount of money from user input, or a clear 400."""
    try:
        amount = money(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError, TypeError, AttributeError):
        raise DomainError("Enter an amount such as 12.50.", field=field) from None
    if not amount.is_finite() or amount <= 0:
        raise DomainError("The amount must be more than zero.", field=field)
    if amount >= AMOUNT_MAX:
        raise DomainError("That amount is too large.", field=field)
    return amount


def refund_request(
    *,
    customer_id: int,
    amount: Decimal,
    kind: str,
    idempotency_key: str,
    return_id: int | None = None,
    order_id: int | None = None,
    payment_reference: str = "",
    currency: str = "USD",
    reason: str = "",
    due_on: dt.date | None = None,
    actor=None,
) -> MoneyMovement:
    """Store a pending movement for this cause (or return the one already stored).

    Asking twice for the same cause is harmless; asking for the same cause with a different
    amount or customer is a Conflict.
    """
    amount = amount_parse(amount)
    if kind not in M.Kind.values:
        raise DomainError("Unknown kind of money movement.", field="kind")
    if not idempotency_key or len(idempotency_key) > 100:
        raise DomainError("An idempotency key of 1 to 100 characters is required.")
    values = {
        "kind": kind,
        "customer_id": customer_id,
        "return_request_id": return_id,
        "order_id": order_id,
        "amount": amount,
        "currency": currency,
        "gateway": STORE_CREDIT_GATEWAY if kind in CREDIT_KINDS else default_gateway_name(),
        "payment_reference": payment_reference if kind not in CREDIT_KINDS else "",
        "reason": reason[:300],
        "due_on": due_on or refund_due_on(start=timezone.localdate()),
        "created_by": actor if getattr(actor, "is_authenticated", False) else None,
    }
    candidate = M(idempotency_key=idempotency_key, **values)
    # INSERT … ON CONFLICT DO NOTHING, then read the key back: two round trips and no
    # savepoint. A concurrent request for the same cause waits for the first to commit and
    # then finds its row. Ours if it carries our creation time; should two requests ever
    # share one, both enqueue — harmless, paying checks the row's state under its lock.
    M.objects.bulk_create([candidate], ignore_conflicts=True)
    existing = M.objects.get(idempotency_key=idempotency_key)
    if existing.created_at == candidate.created_at:
        _enqueue_on_commit(existing.pk)
        return existing
    if (existing.customer_id, existing.amount, existing.kind) != (customer_id, amount, kind):
        raise Conflict(
            f"{idempotency_key} was already used for {existing.amount} {existing.currency} "
            f"({existing.get_kind_display().lower()}).",
            details={"movement_id": existing.pk},
        )
    return existing


# Set by `enqueue_held()`: movements are stored pending but not sent to the workers.
_HELD: contextvars.ContextVar[bool] = contextvars.ContextVar("refund_enqueue_held", default=False)


@contextlib.contextmanager
def enqueue_held():
    """Store movements without enqueueing them: the caller pays them itself (the demo, which
    makes history rather than living it) or leaves them for `movements_sweep` to pick up."""
    token = _HELD.set(True)
    try:
        yield
    finally:
        _HELD.reset(token)


ENQUEUE_CHUNK = 100  # movement ids per task message


class _CommitBatch:
    """The movements requested at one savepoint level of one transaction: one task message
    (per ENQUEUE_CHUNK ids) on commit instead of one per movement.

    Keyed by the savepoint stack, so the batch is dropped exactly when Django drops an
    on-commit callback registered there (a rolled-back savepoint takes its ids with it).
    """

    def __init__(self, batches: dict, key: tuple):
        self.batches, self.key, self.ids, self.sent = batches, key, [], False

    def send(self) -> None:
        self.sent = True
        if self.batches.get(self.key) is self:
            del self.batches[self.key]
        _send(self.ids)

    def open_in(self, connection) -> bool:
        """Still waiting for its commit (not sent, not dropped with a rolled-back block)."""
        return not self.sent and any(f == self.send for _, f, _ in connection.run_on_commit)


def _send(ids: list[int]) -> None:
    from resolution.tasks import money_movements_execute as task

    for first in range(0, len(ids), ENQUEUE_CHUNK):
        task.delay(ids[first : first + ENQUEUE_CHUNK])


def _enqueue_on_commit(movement_id: int) -> None:
    if _HELD.get():
        return
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _send([movement_id])  # autocommit: the row is committed already
        return
    batches = connection.__dict__.setdefault("_money_movement_batches", {})
    key = tuple(connection.savepoint_ids)
    batch = batches.get(key)
    # A batch whose callback is gone (its transaction ended) must not swallow new ids.
    if batch is None or not batch.open_in(connection):
        # forget batches whose transaction rolled back, so a long-lived worker never grows
        for stale in [k for k, b in batches.items() if not b.open_in(connection)]:
            del batches[stale]
        batch = batches[key] = _CommitBatch(batches, key)
        # robust: a broker hiccup must not undo the committed request; the sweeper retries it.
        transaction.on_commit(batch.send, robust=True)
    batch.ids.append(movement_id)


def money_movement_execute(*, movement_id: int) -> MoneyMovement | None:
    """Pay one pending movement. Returns None when another worker holds it right now.

    The row stays locked while the gateway is asked, so two workers never ask at once; if
    this process dies mid-call the lock dies with its connection, the row is still pending,
    and the retry replays the same idempotency key.
    """
    transient = None
    with transaction.atomic():
        movement = (
            M.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("return_request")
            .filter(pk=movement_id)
            .first()
        )
        if movement is None:
            if not M.objects.filter(pk=movement_id).exists():
                raise NotFound("Money movement not found.")
            return None
        if movement.status != M.Status.PENDING:
            return movement
        movement.attempts += 1
        try:
            reference = _pay(movement)
        except GatewayDeclined as exc:
            _failed(movement, str(exc))
        except GatewayError as exc:
            movement.last_error = str(exc)[:2000]
            movement.save(update_fields=["attempts", "last_error"])
            transient = exc
        else:
            _succeeded(movement, reference)
    if transient is not None:
        raise transient
    return movement


def money_movements_pay(*, movement_ids: list[int]) -> dict[str, int]:
    """Pay a batch, each movement in its own transaction through `money_movement_execute`.

    A transient gateway error hands that one movement to the single-movement task, which
    retries it with backoff; the rest of the batch goes on. Ids that no longer exist (a
    rolled-back request) are skipped.
    """
    from resolution.tasks import money_movement_execute as retry_task

    counts = {"succeeded": 0, "failed": 0, "retrying": 0, "busy": 0, "missing": 0}
    for movement_id in movement_ids:
        try:
            movement = money_movement_execute(movement_id=movement_id)
        except NotFound:
            counts["missing"] += 1
            continue
        except GatewayError:
            retry_task.apply_async(args=[movement_id], countdown=2)
            counts["retrying"] += 1
            continue
        if movement is None:  # another worker holds it and finishes it
            counts["busy"] += 1
        elif movement.status == M.Status.PENDING:
            counts["retrying"] += 1
        else:
            counts[movement.status] += 1
    return counts


def _pay(movement: MoneyMovement) -> str:
    if movement.kind in CREDIT_KINDS:
        entry, _ = StoreCreditEntry.objects.get_or_create(
            money_movement=movement,
            defaults={
                "customer_id": movement.customer_id,
                "amount": movement.amount,
                "kind": StoreCreditEntry.Kind.ISSUE,
                "note": movement.reason[:300],
                "created_by_id": movement.created_by_id,
            },
        )
        return f"credit_{entry.pk}"
    result = gateway_for(movement.gateway).refund(
        payment_reference=movement.payment_reference,
        amount=movement.amount,
        currency=movement.currency,
        idempotency_key=movement.idempotency_key,
    )
    return result.reference


def _succeeded(movement: MoneyMovement, reference: str) -> None:
    movement.status = M.Status.SUCCEEDED
    movement.gateway_reference = reference[:100]
    movement.completed_at = timezone.now()
    movement.last_error = ""
    movement.save(
        update_fields=["status", "gateway_reference", "completed_at", "attempts", "last_error"]
    )
    if movement.return_request_id:
        where = (
            "to your store credit"
            if movement.kind in CREDIT_KINDS
            else "to your original payment method"
        )
        event_record(
            return_request=movement.return_request,
            kind="money",
            message=f"We sent {movement.amount} {movement.currency} {where}.",
            details={"movement_id": movement.pk, "kind": movement.kind, "reference": reference},
        )


def _failed(movement: MoneyMovement, error: str) -> None:
    movement.status = M.Status.FAILED
    movement.last_error = error[:2000]
    movement.save(update_fields=["status", "attempts", "last_error"])
    log.warning("money movement %s failed: %s", movement.pk, error)
    if movement.return_request_id:
        event_record(
            return_request=movement.return_request,
            kind="money",
            message=f"Refund of {movement.amount} {movement.currency} failed: {error}"[:1000],
            details={"movement_id": movement.pk, "kind": movement.kind},
            visible_to_customer=False,
        )


def movements_sweep(*, older_than: dt.timedelta) -> list[int]:
    """Re-enqueue movements still pending after `older_than` (lost message, killed worker)."""
    cutoff = timezone.now() - older_than
    ids = list(
        M.objects.filter(status=M.Status.PENDING, created_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    _send(ids)
    return ids


def money_movement_retry(*, movement_id: int, actor) -> MoneyMovement:
    """Staff try a failed refund again. The gateway remembers the old key's refusal, so the
    new attempt is a new movement for the same amount with the key suffixed `:retry<n>`."""
    permission_require(actor, "catalog.resolve_return", "You may not retry refunds.")
    with transaction.atomic():
        old = M.objects.select_for_update().filter(pk=movement_id).first()
        if old is None:
            raise NotFound("Money movement not found.")
        if old.status != M.Status.FAILED:
            raise Conflict("Only a failed movement can be retried.")
        base = old.idempotency_key.split(":retry")[0]
        n = M.objects.filter(idempotency_key__startswith=f"{base}:retry").count() + 1
        movement = refund_request(
            customer_id=old.customer_id,
            amount=old.amount,
            kind=old.kind,
            idempotency_key=f"{base}:retry{n}"[:100],
            return_id=old.return_request_id,
            order_id=old.order_id,
            payment_reference=old.payment_reference,
            currency=old.currency,
            reason=f"Retry of #{old.pk}: {old.reason}",
            due_on=old.due_on,
            actor=actor,
        )
        if old.return_request_id:
            event_record(
                return_request=old.return_request,
                kind="money",
                actor=actor,
                actor_kind=ReturnEvent.ActorKind.STAFF,
                message=f"Failed refund #{old.pk} retried as #{movement.pk}.",
                visible_to_customer=False,
            )
    return movement


def goodwill_key(client_key: str | None) -> str:
    """A caller's key (API Idempotency-Key, or the form's hidden token) scoped to goodwill."""
    client_key = (client_key or "").strip()
    if client_key and (len(client_key) > 80 or not client_key.isprintable()):
        raise DomainError("The idempotency key must be at most 80 printable characters.")
    return f"goodwill:{client_key or uuid.uuid4().hex}"
