"""Shipping REST API: the same services as the pages, behind the same viewer checks."""

from django.http import FileResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.identity import viewer_for_request
from returns_portal.errors import NotFound
from rma.models import ReturnEvent
from rma.shipping import selectors, services
from rma.states import ReturnKind


class ShipmentOut(serializers.Serializer):
    return_id = serializers.IntegerField(source="return_request_id")
    rma_number = serializers.CharField(source="return_request.rma_number")
    status = serializers.CharField()
    destination = serializers.CharField(source="destination.name")
    destination_kind = serializers.CharField(source="destination.kind")
    routing_rule = serializers.CharField()
    routing_reason = serializers.CharField()
    label_payer = serializers.CharField()
    carrier = serializers.CharField()
    service = serializers.CharField()
    tracking_number = serializers.CharField(allow_null=True)
    weight_grams = serializers.IntegerField()
    reimbursement_capped = serializers.DecimalField(
        max_digits=12, decimal_places=2, allow_null=True
    )
    has_label = serializers.SerializerMethodField()
    events = serializers.SerializerMethodField()

    def get_has_label(self, obj) -> bool:
        return bool(obj.label_pdf)

    def get_events(self, obj) -> list[dict]:
        return [
            {
                "status": e.status,
                "occurred_at": e.occurred_at,
                "location": e.location,
                "description": e.description,
            }
            for e in obj.events.all()
        ]


def _viewer_shipment(request, return_id: int):
    return selectors.shipment_for_viewer(viewer=viewer_for_request(request), return_id=return_id)


PDF = OpenApiResponse(OpenApiTypes.BINARY, description="application/pdf")


class ShipmentDetailApi(APIView):
    @extend_schema(
        tags=["shipping"],
        responses={200: ShipmentOut},
        summary="Shipment of a return: destination, payer, tracking and events",
    )
    def get(self, request, return_id: int):
        return Response(ShipmentOut(_viewer_shipment(request, return_id)).data)


class LabelApi(APIView):
    @extend_schema(
        tags=["shipping"],
        request=None,
        responses={201: ShipmentOut},
        summary="Create the return label (idempotent)",
    )
    def post(self, request, return_id: int):
        viewer = viewer_for_request(request)
        _viewer_shipment(request, return_id)
        shipment = services.label_create(
            return_id=return_id,
            actor=request.user,
            actor_kind=ReturnEvent.ActorKind.STAFF
            if viewer.is_staff
            else ReturnEvent.ActorKind.CUSTOMER,
        )
        return Response(ShipmentOut(shipment).data, status=status.HTTP_201_CREATED)

    @extend_schema(tags=["shipping"], responses={200: PDF}, summary="Download the label PDF")
    def get(self, request, return_id: int):
        shipment = _viewer_shipment(request, return_id)
        if not shipment.tracking_number:
            raise NotFound("No label has been created for this return yet.")
        shipment = services.label_create(return_id=return_id, actor=request.user)
        return FileResponse(
            shipment.label_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"label-{shipment.return_request.reference}.pdf",
        )


class PackingSlipApi(APIView):
    @extend_schema(tags=["shipping"], responses={200: PDF}, summary="Download the packing slip")
    def get(self, request, return_id: int):
        _viewer_shipment(request, return_id)
        shipment = services.packing_slip_create(return_id=return_id)
        return FileResponse(
            shipment.packing_slip_pdf.open("rb"),
            content_type="application/pdf",
            filename=f"packing-slip-{shipment.return_request.reference}.pdf",
        )


class OwnCarrierIn(serializers.Serializer):
    tracking_number = serializers.CharField(max_length=40)
    carrier = serializers.CharField(max_length=60)
    claim_amount = serializers.DecimalField(max_digits=12, decimal_places=2, min_value=0)


class OwnCarrierApi(APIView):
    @extend_schema(
        tags=["shipping"],
        request=OwnCarrierIn,
        responses={200: ShipmentOut},
        summary="Record the customer's own-carrier tracking number and postage claim",
    )
    def post(self, request, return_id: int):
        data = OwnCarrierIn(data=request.data)
        data.is_valid(raise_exception=True)
        _viewer_shipment(request, return_id)
        shipment = services.own_carrier_record(
            return_id=return_id,
            tracking_number=data.validated_data["tracking_number"],
            carrier_name=data.validated_data["carrier"],
            claim_amount=data.validated_data["claim_amount"],
            actor=request.user,
        )
        return Response(ShipmentOut(shipment).data)


class CanBulkLabel(BasePermission):
    def has_permission(self, request, view) -> bool:
        return selectors.user_can_bulk_label(request.user)


class BatchOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    total = serializers.IntegerField()
    done = serializers.IntegerField()
    failed = serializers.IntegerField()
    percent = serializers.IntegerField()
    errors = serializers.JSONField()
    result_url = serializers.SerializerMethodField()

    def get_result_url(self, obj) -> str | None:
        from django.urls import reverse

        return reverse("shipping:bulk_result", args=[obj.pk]) if obj.result else None


class LabelBatchIn(serializers.Serializer):
    rma_numbers = serializers.ListField(
        child=serializers.CharField(max_length=20), required=False, default=list, max_length=5000
    )
    kind = serializers.ChoiceField(
        choices=ReturnKind.choices, required=False, default="", allow_blank=True
    )


class LabelBatchCreateApi(APIView):
    permission_classes = [IsAuthenticated, CanBulkLabel]

    @extend_schema(
        tags=["shipping"],
        request=LabelBatchIn,
        responses={202: BatchOut},
        summary="Make labels for many approved returns in one background task",
    )
    def post(self, request):
        data = LabelBatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        ids = selectors.return_ids_for_bulk_labels(
            rma_numbers=data.validated_data["rma_numbers"], kind=data.validated_data["kind"]
        )
        batch = services.label_batch_create(actor=request.user, return_ids=ids)
        return Response(BatchOut(batch).data, status=status.HTTP_202_ACCEPTED)


class LabelBatchDetailApi(APIView):
    permission_classes = [IsAuthenticated, CanBulkLabel]

    @extend_schema(tags=["shipping"], responses={200: BatchOut}, summary="Label batch progress")
    def get(self, request, batch_id: int):
        return Response(BatchOut(selectors.label_batch_get(batch_id=batch_id)).data)
