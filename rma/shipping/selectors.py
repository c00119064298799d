"""Shipping reads, always through the viewer check for customer-facing ones."""

from returns_portal.errors import NotFound


def return_id_for_tracking(tracking_number: str) -> int | None:
    from rma.shipping.models import Shipment

    number = (tracking_number or "").strip().upper()
    if not number:
        return None
    return (
        Shipment.objects.filter(tracking_number=number)
        .values_list("return_request_id", flat=True)
        .first()
    )


def return_for_viewer(*, viewer, return_id: int):
    """The return if this viewer may see it (owner, guest who proved the order, staff)."""
    from rma.selectors import return_get_for_viewer

    return return_get_for_viewer(viewer=viewer, return_id=return_id)


def shipment_for_viewer(*, viewer, return_id: int):
    from rma.shipping.models import Shipment

    return_request = return_for_viewer(viewer=viewer, return_id=return_id)
    shipment = (
        Shipment.objects.select_related("destination").filter(return_request=return_request).first()
    )
    if shipment is None:
        raise NotFound("This return has no shipment.")
    return shipment


def user_can_bulk_label(user) -> bool:
    """Bulk labels are for staff who see every return and recall or resolve them."""
    return user.has_perm("catalog.view_all_returns") and (
        user.has_perm("catalog.manage_recalls") or user.has_perm("catalog.resolve_return")
    )


def label_batch_get(*, batch_id: int):
    from rma.shipping.models import LabelBatch

    batch = LabelBatch.objects.filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("Batch not found.")
    return batch


def return_ids_for_bulk_labels(*, rma_numbers: list[str], kind: str = "") -> list[int]:
    """Approved returns waiting for a label: the listed RMA numbers, or all (of a kind)."""
    from rma.models import ReturnRequest
    from rma.states import ReturnStatus

    qs = ReturnRequest.objects.filter(status=ReturnStatus.APPROVED, shipment__isnull=False).exclude(
        label_payer__in=["own_carrier", "none"]
    )
    if rma_numbers:
        qs = qs.filter(rma_number__in=[n.strip().upper() for n in rma_numbers if n.strip()])
    if kind:
        qs = qs.filter(kind=kind)
    return list(qs.order_by("pk").values_list("pk", flat=True))
