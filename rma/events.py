"""Writers for the return audit log: one function per kind of event."""

from contextlib import contextmanager
from contextvars import ContextVar

from rma.models import ReturnEvent, ReturnRequest

_batch: ContextVar[list[ReturnEvent] | None] = ContextVar("return_event_batch", default=None)


def event_record(
    *,
    return_request: ReturnRequest,
    kind: str,
    message: str = "",
    actor=None,
    actor_kind: str = ReturnEvent.ActorKind.SYSTEM,
    from_status: str = "",
    to_status: str = "",
    details: dict | None = None,
    visible_to_customer: bool = True,
) -> ReturnEvent:
    """Append one event. Call inside the transaction that made the change it records.

    Inside `events_batched()` the row is written with the others of the batch (its pk is
    set when the batch is written, before the transaction commits)."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    event = ReturnEvent(
        return_request=return_request,
        kind=kind,
        message=message,
        actor=actor,
        actor_kind=actor_kind,
        from_status=from_status,
        to_status=to_status,
        details=details or {},
        visible_to_customer=visible_to_customer,
    )
    batch = _batch.get()
    if batch is None:
        event.save(force_insert=True)
    else:
        batch.append(event)
    return event


def events_flush() -> None:
    """Write the events batched so far (before code that reads the log back)."""
    batch = _batch.get()
    if batch:
        ReturnEvent.objects.bulk_create(batch)
        batch.clear()


@contextmanager
def events_batched():
    """Events recorded inside are written in one INSERT when the block ends, in order.

    Use inside a transaction, around code that does not read the events back (or calls
    `events_flush()` first). On an exception nothing is written: the transaction rolls back.
    """
    if _batch.get() is not None:  # nested: the outer batch writes them
        yield
        return
    token = _batch.set([])
    try:
        yield
        events_flush()
    finally:
        _batch.reset(token)
