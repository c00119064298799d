"""The one door through which a return changes status."""

from contextlib import nullcontext

from django.db import connection, transaction
from django.utils import timezone

from returns_portal.errors import IllegalTransition, NotFound
from rma.events import event_record
from rma.models import ReturnEvent, ReturnRequest
from rma.states import ReturnStatus, can_move


def return_transition(
    *,
    return_id: int,
    to_status: str,
    actor=None,
    actor_kind: str = ReturnEvent.ActorKind.SYSTEM,
    message: str = "",
    details: dict | None = None,
    expected_from: frozenset[str] | None = None,
    changes: dict | None = None,
    notify: bool = True,
    locked: ReturnRequest | None = None,
) -> ReturnRequest:
    """Move a return to `to_status`, locking the row and writing the audit event.

    `expected_from` narrows the legal starting states for this caller (e.g. a customer may
    only cancel before dispatch). `changes` are extra field values saved with the move.
    `locked` is the return when the caller's transaction already holds its row (it inserted
    it, or locked it): it is not read again. Raises IllegalTransition for a move the table
    (or the caller) does not allow.
    """
    if locked is not None and (locked.pk != return_id or not connection.in_atomic_block):
        raise ValueError("`locked` must be the return's row, held by an open transaction.")
    # Inside a caller's transaction no savepoint is needed: NotFound and IllegalTransition
    # are raised before anything is written, so a caller that catches them (receiving
    # turns one into a clearer message) goes on with an untouched transaction.
    with nullcontext() if connection.in_atomic_block else transaction.atomic():
        if locked is not None:
            rr = locked
        else:
            try:
                rr = ReturnRequest.objects.select_for_update().get(pk=return_id)
            except ReturnRequest.DoesNotExist:
                raise NotFound("Return not found.") from None
        from_status = rr.status
        allowed = can_move(from_status, to_status) and (
            expected_from is None or from_status in expected_from
        )
        if not allowed:
            raise IllegalTransition(
                f"A return that is {ReturnStatus(from_status).label.lower()} cannot become "
                f"{ReturnStatus(to_status).label.lower()}.",
                details={"from": from_status, "to": to_status},
            )
        now = timezone.now()
        fields = {"status": to_status, "status_changed_at": now, **(changes or {})}
        for name, value in fields.items():
            setattr(rr, name, value)
        rr.save(update_fields=[*fields.keys(), "updated_at"])
        event = event_record(
            return_request=rr,
            kind="status",
            actor=actor,
            actor_kind=actor_kind,
            from_status=from_status,
            to_status=to_status,
            message=message,
            details=details,
        )
        if notify:
            from rma.tasks import return_event_notify

            transaction.on_commit(lambda: return_event_notify.delay(event.pk))
    return rr
