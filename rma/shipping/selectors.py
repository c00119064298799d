"""Shipping reads, always through the viewer check for customer-facing ones."""

from django.db.models import Q

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
    from rma.models import ReturnRequest

    try:
        from rma.selectors import return_get_for_viewer
    except ImportError:  # RMA-CORE's selector not there yet: same rule, written here
        return_get_for_viewer = None
    if return_get_for_viewer is not None:
        return return_get_for_viewer(viewer=viewer, return_id=return_id)
    qs = ReturnRequest.objects.select_related("customer", "order")
    if not viewer.is_staff:
        scope = Q(pk__in=[])
        if viewer.customer_id:
            scope |= Q(customer_id=viewer.customer_id)
        if viewer.guest_order_ids:
            scope |= Q(order_id__in=viewer.guest_order_ids)
        qs = qs.filter(scope)
    found = qs.filter(pk=return_id).first()
    if found is None:
        raise NotFound("Return not found.")
    return found


def shipment_for_viewer(*, viewer, return_id: int):
    from rma.shipping.models import Shipment

    return_request = return_for_viewer(viewer=viewer, return_id=return_id)
    shipment = (
        Shipment.objects.select_related("destination").filter(return_request=return_request).first()
    )
    if shipment is None:
        raise NotFound("This return has no shipment.")
    return shipment


def shipment_panel(*, return_request) -> dict:
    """What the return panel shows; empty when the return has no shipment."""
    from rma.shipping.models import Shipment

    shipment = (
        Shipment.objects.select_related("destination")
        .filter(return_request_id=return_request.pk)
        .first()
    )
    if shipment is None:
        return {"shipment": None, "events": []}
    return {"shipment": shipment, "events": list(shipment.events.all())}


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
