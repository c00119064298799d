"""Warehouse REST API: the same services as the tablet pages, behind `catalog.grade_item`.

A save carries the `expected_version` the client last saw; a stale one gets 409 with the
current inspection in `details.current`, so a scanner app can show who won and refresh.
"""

import datetime as dt

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from assessment import selectors, services
from assessment.models import ArrivedAs, ParcelException
from assessment.rules import CHECKLIST_KEYS
from returns_portal.api import permission_class
from returns_portal.errors import DomainError

TAGS = ["warehouse"]


class WarehouseApi(APIView):
    permission_classes = [IsAuthenticated, permission_class("grade_item")]


# --- Output ----------------------------------------------------------------------------------
class InspectionOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    version = serializers.IntegerField()
    return_line_id = serializers.IntegerField()
    quantity_received = serializers.IntegerField()
    arrived_as = serializers.CharField()
    checklist = serializers.DictField(child=serializers.BooleanField())
    grade = serializers.CharField(source="grade.code", allow_null=True, default=None)
    notes = serializers.CharField()
    minutes_spent = serializers.DecimalField(max_digits=7, decimal_places=2)
    inspector = serializers.CharField(source="inspector.username", allow_null=True, default=None)
    started_at = serializers.DateTimeField(allow_null=True)
    graded_at = serializers.DateTimeField(allow_null=True)
    dispute = serializers.CharField()
    deduction = serializers.DecimalField(max_digits=12, decimal_places=2)


class QcResultOut(InspectionOut):
    """A submitted QC check next to the first grading it was compared with (managers)."""

    compared_grade = serializers.CharField(
        source="compared_grade.code", allow_null=True, default=None
    )
    compared_inspector = serializers.CharField(
        source="compared_inspector.username", allow_null=True, default=None
    )


class QcInspectionOut(serializers.Serializer):
    """A QC item as the second grader sees it: no trace of the first grading."""

    id = serializers.IntegerField()
    version = serializers.IntegerField()
    return_id = serializers.IntegerField(source="return_request_id")
    reference = serializers.CharField(source="return_request.reference")
    return_line_id = serializers.IntegerField()
    product = serializers.CharField(source="return_line.order_line.product.name")
    sku = serializers.CharField(source="return_line.order_line.product.sku")
    quantity = serializers.IntegerField(source="return_line.quantity")


class WarehouseLineOut(serializers.Serializer):
    id = serializers.IntegerField(source="line.pk")
    product = serializers.CharField(source="line.order_line.product.name")
    sku = serializers.CharField(source="line.order_line.product.sku")
    quantity = serializers.IntegerField(source="line.quantity")
    reason = serializers.CharField(source="line.reason.label")
    reason_is_fault = serializers.SerializerMethodField()
    customer_note = serializers.CharField(source="line.customer_note")
    inspection = InspectionOut(
        source="primary",
        allow_null=True,
        help_text="The first grading; null while it is hidden for a blind QC check.",
    )
    inspection_hidden = serializers.BooleanField(
        source="primary_hidden",
        help_text="Graded, and waiting for a blind QC check this user could do.",
    )
    qc = QcResultOut(
        source="qc_shown",
        allow_null=True,
        help_text="The submitted QC check (managers only; null otherwise).",
    )

    def get_reason_is_fault(self, obj) -> bool:
        return bool(obj.line.reason.is_merchant_fault or obj.line.reason.is_defect)


class WarehouseReturnOut(serializers.Serializer):
    id = serializers.IntegerField(source="rr.pk")
    reference = serializers.CharField(source="rr.reference")
    status = serializers.CharField(source="rr.status")
    customer = serializers.CharField(source="rr.customer.name")
    order_number = serializers.CharField(source="rr.order.number")
    receivable = serializers.BooleanField()
    graded = serializers.IntegerField()
    lines = WarehouseLineOut(many=True)


def _return_out(return_id: int, *, viewer) -> dict:
    rr = selectors.return_for_grading(return_id=return_id)
    graded, _ = selectors.grading_progress(return_request=rr)
    return WarehouseReturnOut(
        {
            "rr": rr,
            "receivable": rr.status in services.RECEIVABLE,
            "graded": graded,
            "lines": selectors.lines_for_grading(return_request=rr, viewer=viewer),
        }
    ).data


class WarehouseErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField()


class WarehouseConflictDetails(serializers.Serializer):
    current = InspectionOut()


class WarehouseConflictOut(WarehouseErrorOut):
    details = WarehouseConflictDetails()


# --- Scan, receive, complete --------------------------------------------------------------
class LookupApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter(
                "code",
                str,
                required=True,
                description="RMA number, request reference (REQ-…) or carrier tracking number",
            )
        ],
        responses={200: WarehouseReturnOut, 400: WarehouseErrorOut, 404: WarehouseErrorOut},
        summary="Find the return a scanned code names",
    )
    def get(self, request):
        return_id = selectors.return_id_for_scan(code=request.query_params.get("code", ""))
        return Response(_return_out(return_id, viewer=request.user))


class ReturnDetailApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        responses={200: WarehouseReturnOut, 404: WarehouseErrorOut},
        summary="A return being graded",
    )
    def get(self, request, return_id: int):
        return Response(_return_out(return_id, viewer=request.user))


class ReceiveApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={200: WarehouseReturnOut, 404: WarehouseErrorOut, 409: WarehouseErrorOut},
        summary="Receive the parcel: the return becomes received",
    )
    def post(self, request, return_id: int):
        services.parcel_receive(return_id=return_id, actor=request.user)
        return Response(_return_out(return_id, viewer=request.user))


class CompleteApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        request=None,
        responses={
            200: WarehouseReturnOut,
            400: WarehouseErrorOut,
            404: WarehouseErrorOut,
            409: WarehouseErrorOut,
        },
        summary="Finish grading (every line graded): the return becomes graded",
    )
    def post(self, request, return_id: int):
        services.return_grading_complete(return_id=return_id, actor=request.user)
        return Response(_return_out(return_id, viewer=request.user))


# --- Inspections --------------------------------------------------------------------------
class InspectionIn(serializers.Serializer):
    expected_version = serializers.IntegerField(min_value=0)
    quantity_received = serializers.IntegerField(min_value=0, required=False)
    arrived_as = serializers.ChoiceField(choices=ArrivedAs.choices, required=False)
    checklist = serializers.DictField(child=serializers.BooleanField(), required=False)
    grade = serializers.CharField(max_length=4, required=False)
    notes = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    minutes_spent = serializers.DecimalField(
        max_digits=7, decimal_places=2, min_value=0, max_value=480, required=False
    )
    started_at = serializers.DateTimeField(required=False)
    photos = serializers.ListField(
        child=serializers.ImageField(), required=False, max_length=5, write_only=True
    )

    def validate_checklist(self, value):
        unknown = set(value) - set(CHECKLIST_KEYS)
        if unknown:
            raise serializers.ValidationError(f"Unknown checklist items: {sorted(unknown)}.")
        return value


def _save(request, **target) -> Response:
    data = InspectionIn(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    saved = services.inspection_save(
        actor=request.user,
        expected_version=v["expected_version"],
        quantity_received=v.get("quantity_received"),
        arrived_as=v.get("arrived_as"),
        checklist=v.get("checklist"),
        grade_code=v.get("grade"),
        notes=v.get("notes"),
        minutes_spent=v.get("minutes_spent"),
        started_at=v.get("started_at"),
        photos=tuple(v.get("photos", ())),
        **target,
    )
    return Response(InspectionOut(saved).data)


INSPECTION_RESPONSES = {
    200: InspectionOut,
    400: WarehouseErrorOut,
    403: WarehouseErrorOut,
    404: WarehouseErrorOut,
    409: WarehouseConflictOut,
}


class InspectionApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        responses={200: InspectionOut, 403: WarehouseErrorOut, 404: WarehouseErrorOut},
        summary="An inspection (403 while it is a first grading hidden for a blind QC check)",
    )
    def get(self, request, inspection_id: int):
        inspection = selectors.inspection_get_for_viewer(
            inspection_id=inspection_id, viewer=request.user
        )
        return Response(InspectionOut(inspection).data)

    @extend_schema(
        tags=TAGS,
        request=InspectionIn,
        responses=INSPECTION_RESPONSES,
        summary="Save an inspection (409 if someone saved since expected_version)",
    )
    def post(self, request, inspection_id: int):
        return _save(request, inspection_id=inspection_id)


class LineInspectionApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        request=InspectionIn,
        responses=INSPECTION_RESPONSES,
        summary="Save the primary inspection of a return line (opened if missing)",
    )
    def post(self, request, line_id: int):
        return _save(request, line_id=line_id)


class QcQueueApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        responses={200: QcInspectionOut(many=True)},
        summary="Blind QC gradings waiting for this user (never their own items)",
    )
    def get(self, request):
        return Response(QcInspectionOut(selectors.qc_queue(user=request.user), many=True).data)


# --- Manager reports: QC agreement and labour (`catalog.view_dashboard`) -----------------
class ManagerApi(APIView):
    permission_classes = [IsAuthenticated, permission_class("view_dashboard")]


class GraderQcOut(serializers.Serializer):
    grader = serializers.CharField(help_text="The first grader of the checked items.")
    checked = serializers.IntegerField()
    disagreements = serializers.IntegerField()
    agreement_percent = serializers.DecimalField(max_digits=5, decimal_places=1)


class DisagreementOut(serializers.Serializer):
    qc_inspection_id = serializers.IntegerField(source="qc.pk")
    return_id = serializers.IntegerField(source="qc.return_request_id")
    reference = serializers.CharField(source="qc.return_request.reference")
    return_line_id = serializers.IntegerField(source="qc.return_line_id")
    product = serializers.CharField(source="qc.return_line.order_line.product.name")
    first_grade = serializers.CharField(source="primary_grade")
    first_grader = serializers.CharField(source="primary_inspector")
    qc_grade = serializers.CharField(source="qc.grade.code")
    qc_grader = serializers.CharField(source="qc.inspector.username", default=None)
    graded_at = serializers.DateTimeField(source="qc.graded_at")


class QcReportOut(serializers.Serializer):
    sample_percent = serializers.DecimalField(max_digits=5, decimal_places=2)
    waiting = serializers.IntegerField()
    per_grader = GraderQcOut(many=True)
    disagreements = DisagreementOut(many=True)


class QcReportApi(ManagerApi):
    @extend_schema(
        tags=TAGS,
        responses={200: QcReportOut},
        summary="QC: checks and disagreements per first grader, latest disagreements",
    )
    def get(self, request):
        return Response(
            QcReportOut(
                {
                    "sample_percent": selectors.grading_settings().qc_sample_percent,
                    "waiting": selectors.qc_waiting_count(),
                    "per_grader": selectors.qc_counts_per_grader(),
                    "disagreements": selectors.qc_disagreements(),
                }
            ).data
        )


class ThroughputOut(serializers.Serializer):
    grader = serializers.CharField()
    items = serializers.IntegerField()
    minutes = serializers.DecimalField(max_digits=12, decimal_places=2)
    items_per_hour = serializers.DecimalField(max_digits=12, decimal_places=1)
    minutes_per_item = serializers.DecimalField(max_digits=12, decimal_places=1)


class ThroughputIn(serializers.Serializer):
    days = serializers.IntegerField(min_value=1, max_value=366, default=7)


class ThroughputApi(ManagerApi):
    @extend_schema(
        tags=TAGS,
        parameters=[ThroughputIn],
        responses={200: ThroughputOut(many=True), 400: WarehouseErrorOut},
        summary="Items graded and minutes booked per inspector over the last `days` days",
    )
    def get(self, request):
        data = ThroughputIn(data=request.query_params)
        data.is_valid(raise_exception=True)
        since = timezone.now() - dt.timedelta(days=data.validated_data["days"])
        rows = selectors.throughput_per_grader(since=since)
        return Response(ThroughputOut(rows, many=True).data)


# --- Exceptions ---------------------------------------------------------------------------
class ParcelExceptionOut(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    found = serializers.CharField()
    carrier_tracking = serializers.CharField()
    label_text = serializers.CharField()
    notes = serializers.CharField()
    return_id = serializers.IntegerField(source="return_request_id", allow_null=True)
    created_at = serializers.DateTimeField()
    resolved_at = serializers.DateTimeField(allow_null=True)
    photos = serializers.SerializerMethodField()

    def get_photos(self, obj) -> int:
        return obj.photos.count()


class ParcelExceptionIn(serializers.Serializer):
    found = serializers.CharField(max_length=2000)
    carrier_tracking = serializers.CharField(max_length=60, required=False, allow_blank=True)
    label_text = serializers.CharField(max_length=200, required=False, allow_blank=True)
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    photos = serializers.ListField(
        child=serializers.ImageField(), required=False, max_length=5, write_only=True
    )


class WarehouseMatchIn(serializers.Serializer):
    code = serializers.CharField(max_length=80)


class WarehouseUnidentifiedIn(serializers.Serializer):
    notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class ParcelExceptionListApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        parameters=[
            OpenApiParameter("status", str, enum=ParcelException.Status.values, required=False)
        ],
        responses={200: ParcelExceptionOut(many=True)},
        summary="Parcel exceptions (newest first, up to 200)",
    )
    def get(self, request):
        wanted = request.query_params.get("status", "")
        if wanted and wanted not in ParcelException.Status.values:
            raise DomainError("Unknown status.", field="status")
        return Response(
            ParcelExceptionOut(selectors.exceptions_list(status=wanted), many=True).data
        )

    @extend_schema(
        tags=TAGS,
        request=ParcelExceptionIn,
        responses={201: ParcelExceptionOut, 400: WarehouseErrorOut},
        summary="Log a parcel with no RMA or an unreadable label",
    )
    def post(self, request):
        data = ParcelExceptionIn(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
        parcel = services.parcel_exception_create(
            actor=request.user,
            found=v["found"],
            carrier_tracking=v.get("carrier_tracking", ""),
            label_text=v.get("label_text", ""),
            notes=v.get("notes", ""),
            photos=tuple(v.get("photos", ())),
        )
        return Response(ParcelExceptionOut(parcel).data, status=status.HTTP_201_CREATED)


class ParcelExceptionDetailApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        responses={200: ParcelExceptionOut, 404: WarehouseErrorOut},
        summary="One parcel exception",
    )
    def get(self, request, exception_id: int):
        return Response(ParcelExceptionOut(selectors.exception_get(exception_id=exception_id)).data)


class ParcelExceptionMatchApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        request=WarehouseMatchIn,
        responses={
            200: ParcelExceptionOut,
            400: WarehouseErrorOut,
            404: WarehouseErrorOut,
            409: WarehouseErrorOut,
        },
        summary="Match the parcel to a return (by scan code) and receive it",
    )
    def post(self, request, exception_id: int):
        data = WarehouseMatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        parcel = services.parcel_exception_match(
            exception_id=exception_id, code=data.validated_data["code"], actor=request.user
        )
        return Response(ParcelExceptionOut(parcel).data)


class ParcelExceptionUnidentifiedApi(WarehouseApi):
    @extend_schema(
        tags=TAGS,
        request=WarehouseUnidentifiedIn,
        responses={200: ParcelExceptionOut, 404: WarehouseErrorOut, 409: WarehouseErrorOut},
        summary="Close the parcel as unidentified",
    )
    def post(self, request, exception_id: int):
        data = WarehouseUnidentifiedIn(data=request.data)
        data.is_valid(raise_exception=True)
        parcel = services.parcel_exception_unidentified(
            exception_id=exception_id,
            actor=request.user,
            notes=data.validated_data.get("notes", ""),
        )
        return Response(ParcelExceptionOut(parcel).data)
