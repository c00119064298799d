"""Shipping pages: label / packing-slip downloads, own-carrier form, bulk labels, webhook."""

import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import FileResponse, Http404, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.identity import viewer_for_request
from returns_portal.errors import DomainError, NotFound
from rma.models import ReturnEvent
from rma.shipping import selectors, services, webhook
from rma.shipping.models import LabelBatch
from rma.states import ReturnKind

log = logging.getLogger(__name__)


def _back(request, return_id: int):
    target = request.POST.get("next") or request.META.get("HTTP_REFERER", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("shipping:panel", return_id=return_id)


def _actor_kind(viewer) -> str:
    return ReturnEvent.ActorKind.STAFF if viewer.is_staff else ReturnEvent.ActorKind.CUSTOMER


def _pdf(field, filename: str) -> FileResponse:
    return FileResponse(field.open("rb"), content_type="application/pdf", filename=filename)


@require_http_methods(["GET", "POST"])
def label(request, return_id: int):
    """POST: buy and store the label. GET: the stored PDF (rendered on first download)."""
    viewer = viewer_for_request(request)
    try:
        shipment = selectors.shipment_for_viewer(viewer=viewer, return_id=return_id)
        if request.method == "GET" and not shipment.tracking_number:
            raise NotFound("No label has been created for this return yet.")
        shipment = services.label_create(
            return_id=return_id, actor=request.user, actor_kind=_actor_kind(viewer)
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        if request.method == "GET":
            return render(
                request, "shipping/error.html", {"message": exc.message}, status=exc.status
            )
        messages.error(request, exc.message)
        return _back(request, return_id)
    if request.method == "POST":
        return redirect("shipping:label", return_id=return_id)
    return _pdf(shipment.label_pdf, f"label-{shipment.return_request.reference}.pdf")


@require_GET
def packing_slip(request, return_id: int):
    viewer = viewer_for_request(request)
    try:
        selectors.shipment_for_viewer(viewer=viewer, return_id=return_id)
        shipment = services.packing_slip_create(return_id=return_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        return render(request, "shipping/error.html", {"message": exc.message}, status=exc.status)
    return _pdf(shipment.packing_slip_pdf, f"packing-slip-{shipment.return_request.reference}.pdf")


@require_POST
def own_carrier(request, return_id: int):
    viewer = viewer_for_request(request)
    try:
        selectors.shipment_for_viewer(viewer=viewer, return_id=return_id)
        services.own_carrier_record(
            return_id=return_id,
            tracking_number=request.POST.get("tracking_number", ""),
            carrier_name=request.POST.get("carrier", ""),
            claim_amount=request.POST.get("claim_amount", "") or "0",
            actor=request.user,
        )
    except NotFound as exc:
        raise Http404(exc.message) from None
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Thanks: your tracking number is recorded.")
    return _back(request, return_id)


@require_GET
def panel(request, return_id: int):
    viewer = viewer_for_request(request)
    try:
        return_request = selectors.return_for_viewer(viewer=viewer, return_id=return_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    return render(request, "shipping/panel_page.html", {"return_request": return_request})


# --- Bulk labels (staff) -------------------------------------------------------------
def _require_bulk_staff(user) -> None:
    if not selectors.user_can_bulk_label(user):
        raise DjangoPermissionDenied


@login_required
@require_http_methods(["GET", "POST"])
def bulk(request):
    _require_bulk_staff(request.user)
    form = {"rma_numbers": "", "kind": ""}
    if request.method == "POST":
        form = {k: request.POST.get(k, "") for k in form}
        numbers = [n for n in form["rma_numbers"].replace(",", " ").split() if n]
        kind = form["kind"] if form["kind"] in ReturnKind.values else ""
        ids = selectors.return_ids_for_bulk_labels(rma_numbers=numbers, kind=kind)
        try:
            batch = services.label_batch_create(actor=request.user, return_ids=ids)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            return redirect("shipping:bulk_batch", batch_id=batch.pk)
    return render(
        request,
        "shipping/bulk.html",
        {"form": form, "kinds": ReturnKind.choices, "batches": LabelBatch.objects.all()[:10]},
    )


@login_required
@require_GET
def bulk_batch(request, batch_id: int):
    _require_bulk_staff(request.user)
    try:
        batch = selectors.label_batch_get(batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    template = "shipping/bulk_batch.html"
    if request.htmx:
        template += "#progress"
    return render(request, template, {"batch": batch})


@login_required
@require_GET
def bulk_result(request, batch_id: int):
    _require_bulk_staff(request.user)
    try:
        batch = selectors.label_batch_get(batch_id=batch_id)
    except NotFound as exc:
        raise Http404(exc.message) from None
    if not batch.result:
        raise Http404("The batch has not finished yet.")
    return FileResponse(
        batch.result.open("rb"),
        content_type="application/zip",
        filename=f"labels-batch-{batch.pk}.zip",
        as_attachment=True,
    )


# --- Carrier webhook -----------------------------------------------------------------
@csrf_exempt
def tracking_webhook(request):
    """Signed carrier events. 401 bad/old signature, 400 bad body, 404 unknown parcel."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    body = request.body
    try:
        webhook.signature_verify(
            secret=getattr(settings, "TRACKING_WEBHOOK_SECRET", ""),
            header=request.headers.get("X-Carrier-Signature"),
            body=body,
        )
    except webhook.SignatureError as exc:
        return JsonResponse({"detail": str(exc), "code": "bad_signature"}, status=401)
    try:
        event = webhook.payload_parse(body)
    except webhook.PayloadError as exc:
        return JsonResponse({"detail": str(exc), "code": "invalid"}, status=400)
    try:
        recorded, created = services.tracking_event_ingest(
            tracking_number=event.tracking_number,
            event_id=event.event_id,
            status=event.status,
            occurred_at=event.occurred_at,
            location=event.location,
            description=event.description,
        )
    except DomainError as exc:
        return JsonResponse({"detail": exc.message, "code": exc.code}, status=exc.status)
    return JsonResponse(
        {
            "id": recorded.pk,
            "duplicate": not created,
            "shipment": reverse(
                "shipping_api:shipment", args=[recorded.shipment.return_request_id]
            ),
        },
        status=201 if created else 200,
    )
