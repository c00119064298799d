"""Writes from the dashboard: acknowledging alerts and opening a recall from one."""

from django.db import transaction
from django.utils import timezone

from audit.services import audit_record
from catalog.models import Batch
from reporting.models import Recall, SpikeAlert
from returns_portal.errors import Conflict, DomainError, NotFound, permission_require

A = SpikeAlert.Status


def recall_open_from_alert(*, alert_id: int, actor) -> Recall:
    """A minimal Recall for the alert's batch (the recall workflow is a later issue)."""
    permission_require(actor, "catalog.manage_recalls", "You may not start recalls.")
    with transaction.atomic():
        alert = SpikeAlert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.batch_id is None:
            raise DomainError("This alert is for a SKU, not a batch: pick a batch to recall.")
        if alert.status == A.RECALLED:
            raise Conflict("A recall was already started for this alert.")
        batch = Batch.objects.filter(pk=alert.batch_id).first()
        if batch is None:
            raise NotFound("The alert's batch no longer exists.")
        recall = Recall.objects.create(
            batch=batch,
            reason_code=alert.reason_code,
            alert=alert,
            opened_by=actor,
        )
        from_status = alert.status
        alert.status = A.RECALLED
        alert.save(update_fields=["status", "updated_at"])
        origin = {"alert_id": alert.pk, "batch_id": batch.pk, "reason_code": alert.reason_code}
        audit_record(
            obj=recall,
            action="opened",
            actor=actor,
            to_state=recall.status,
            note=f"Recall of batch {batch.lot_code} opened from spike alert #{alert.pk} "
            f"({alert.count} × “{alert.reason_code}”).",
            data=origin,
        )
        audit_record(
            obj=alert,
            action="recall_opened",
            actor=actor,
            from_state=from_status,
            to_state=A.RECALLED,
            note=f"Recall #{recall.pk} opened for batch {batch.lot_code}.",
            data={**origin, "recall_id": recall.pk},
        )
    return recall


def alert_acknowledge(*, alert_id: int, actor) -> SpikeAlert:
    permission_require(actor, "catalog.view_dashboard", "You may not acknowledge alerts.")
    with transaction.atomic():
        updated = SpikeAlert.objects.filter(pk=alert_id, status=A.OPEN).update(
            status=A.ACKNOWLEDGED, updated_at=timezone.now()
        )
        if not updated:
            if not SpikeAlert.objects.filter(pk=alert_id).exists():
                raise NotFound("No such alert.")
            raise Conflict("Only an open alert can be acknowledged.")
        alert = SpikeAlert.objects.get(pk=alert_id)
        audit_record(
            obj=alert,
            action="acknowledged",
            actor=actor,
            from_state=A.OPEN,
            to_state=A.ACKNOWLEDGED,
            note="Acknowledged: seen, no recall for now.",
        )
    return alert


# What a recall may become next. The recall workflow (notices, recall returns) is a later
# issue; until then a manager closes a recall when it is dealt with, or reopens it.
RECALL_MOVES = {"open": ("closed",), "closed": ("open",)}


def recall_status_change(*, recall_id: int, to_status: str, actor, note: str = "") -> Recall:
    """Move a recall to `to_status` with a reason (the one door for a recall's status)."""
    permission_require(actor, "catalog.manage_recalls", "You may not change recalls.")
    if to_status not in RECALL_MOVES:
        raise DomainError("Choose open or closed.", field="status")
    note = (note or "").strip()
    if not note:
        raise DomainError("Say why the recall changes.", field="note")
    if len(note) > 1000 or "\x00" in note:
        raise DomainError("Keep the reason under 1000 characters.", field="note")
    with transaction.atomic():
        recall = Recall.objects.select_for_update().filter(pk=recall_id).first()
        if recall is None:
            raise NotFound("No such recall.")
        from_status = recall.status
        if to_status not in RECALL_MOVES.get(from_status, ()):
            raise Conflict(f"A recall that is {from_status} cannot become {to_status}.")
        recall.status = to_status
        recall.save(update_fields=["status"])
        audit_record(
            obj=recall,
            action="closed" if to_status == "closed" else "reopened",
            actor=actor,
            from_state=from_status,
            to_state=to_status,
            note=note,
        )
    return recall
