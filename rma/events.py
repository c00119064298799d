"""Writers for the return audit log: one function per kind of event."""

from rma.models import ReturnEvent, ReturnRequest


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
    """Append one event. Call inside the transaction that made the change it records."""
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return ReturnEvent.objects.create(
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
