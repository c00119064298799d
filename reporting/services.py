"""Writes from the dashboard: acknowledging alerts and opening a recall from one."""

from django.db import transaction

from catalog.models import Batch
from reporting.models import Recall, SpikeAlert
from returns_portal.errors import Conflict, DomainError, NotFound


def recall_open_from_alert(*, alert_id: int, actor) -> Recall:
    """A minimal Recall for the alert's batch (the recall workflow is a later issue)."""
    with transaction.atomic():
        alert = SpikeAlert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None:
            raise NotFound("No such alert.")
        if alert.batch_id is None:
            raise DomainError("This alert is for a SKU, not a batch: pick a batch to recall.")
        if alert.status == SpikeAlert.Status.RECALLED:
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
        alert.status = SpikeAlert.Status.RECALLED
        alert.save(update_fields=["status", "updated_at"])
    return recall


def alert_acknowledge(*, alert_id: int) -> SpikeAlert:
    updated = SpikeAlert.objects.filter(pk=alert_id, status=SpikeAlert.Status.OPEN).update(
        status=SpikeAlert.Status.ACKNOWLEDGED
    )
    if not updated:
        raise Conflict("Only an open alert can be acknowledged.")
    return SpikeAlert.objects.get(pk=alert_id)
