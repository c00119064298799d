"""The one writer of the audit trail."""

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction

from audit.models import AuditEntry

NOTE_MAX = 2000


def _kind_for(actor) -> str:
    # The audited services are staff operations; the system acts when there is no user.
    return AuditEntry.ActorKind.STAFF if actor is not None else AuditEntry.ActorKind.SYSTEM


def audit_record(
    *,
    obj: models.Model,
    action: str,
    actor=None,
    from_state: str = "",
    to_state: str = "",
    note: str = "",
    data: dict | None = None,
    actor_kind: str | None = None,
) -> AuditEntry:
    """Append one entry for a change of `obj`, inside the transaction that made the change
    (so a rolled-back change leaves no entry, and a committed one always has its entry).

    `actor` is the user who acted (None: the system). `actor_kind` defaults to staff for a
    user and system for none; pass it for customers and API clients."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit_record must run inside the transaction of the change.")
    if obj.pk is None:
        raise ValueError("Record the audit entry after the object is saved.")
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    entry = AuditEntry(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=obj.pk,
        action=action,
        actor=actor,
        actor_kind=actor_kind or _kind_for(actor),
        from_state=from_state or "",
        to_state=to_state or "",
        note=(note or "")[:NOTE_MAX],
        data=data or {},
    )
    entry.save(force_insert=True)
    return entry
