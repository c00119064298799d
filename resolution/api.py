"""Resolution REST API: money movements, goodwill, store credit, overrides, CS time.

The same services and selectors as the pages. Customers see only their own movements and
credit; writes that move money take an `Idempotency-Key` header so a retried request pays
once.
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.identity import viewer_for_request
from resolution import selectors, services
from resolution.models import ExchangePreference, MoneyMovement, Route, StoreCreditEntry
from returns_portal.api import permission_class
from returns_portal.errors import DomainError, NotFound, PermissionDenied
from rma.models import ReturnRequest

TAGS = ["resolution"]
IDEMPOTENCY_HEADER = OpenApiParameter(
    "Idempotency-Key",
    str,
    location=OpenApiParameter.HEADER,
    required=True,
    description="Any unique string per intended payment; repeating it never pays twice.",
)
MONEY = {"max_digits": 12, "decimal_places": 2}


def _idempotency_key(request, *, required: bool) -> str | None:
    key = request.headers.get("Idempotency-Key", "").strip()
    if required and not key:
        raise DomainError("Send an Idempotency-Key header.", field="idempotency_key")
    return key or None


def _valid(serializer_class, data):
    s = serializer_class(data=data)
    s.is_valid(raise_exception=True)
    return s.validated_data


# --- Output ----------------------------------------------------------------------------------
class MoneyMovementOut(serializers.ModelSerializer):
    return_id = serializers.IntegerField(source="return_request_id", allow_null=True)
    return_reference = serializers.SerializerMethodField()
    overdue = serializers.SerializerMethodField()

    class Meta:
        model = MoneyMovement
        fields = [
            "id",
            "kind",
            "status",
            "amount",
            "currency",
            "return_id",
            "return_reference",
            "reason",
            "gateway",
            "gateway_reference",
            "due_on",
            "overdue",
            "created_at",
            "completed_at",
        ]

    def get_return_reference(self, obj) -> str | None:
        return obj.return_request.reference if obj.return_request_id else None

    def get_overdue(self, obj) -> bool:
        from resolution.templatetags.resolution_tags import is_overdue

        return is_overdue(obj)


class MoneyMovementStaffOut(MoneyMovementOut):
    customer_id = serializers.IntegerField()
    attempts = serializers.IntegerField()
    last_error = serializers.CharField()
    idempotency_key = serializers.CharField()

    class Meta(MoneyMovementOut.Meta):
        fields = [
            *MoneyMovementOut.Meta.fields,
            "customer_id",
            "attempts",
            "last_error",
            "idempotency_key",
        ]


def _movement_out(request, movement):
    staff = selectors.viewer_is_money_staff(viewer_for_request(request))
    return (MoneyMovementStaffOut if staff else MoneyMovementOut)(movement).data


class StoreCreditEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    note = serializers.CharField()
    created_at = serializers.DateTimeField()


class StoreCreditOut(serializers.Serializer):
    customer_id = serializers.IntegerField()
    balance = serializers.DecimalField(**MONEY)
    entries = StoreCreditEntryOut(many=True)


class DispositionOut(serializers.Serializer):
    id = serializers.IntegerField()
    return_line_id = serializers.IntegerField()
    route = serializers.CharField()
    quantity = serializers.IntegerField()
    expected_recovery = serializers.DecimalField(**MONEY)
    expected_cost = serializers.DecimalField(**MONEY)
    recovered_value = serializers.DecimalField(**MONEY)
    route_cost = serializers.DecimalField(**MONEY)
    write_down = serializers.DecimalField(**MONEY)
    reason = serializers.CharField()
    alternatives = serializers.ListField(child=serializers.DictField())
    overridden_by = serializers.CharField(
        source="overridden_by.username", allow_null=True, default=None
    )
    override_reason = serializers.CharField()


class CostEntryOut(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    amount = serializers.DecimalField(**MONEY)
    minutes = serializers.DecimalField(max_digits=7, decimal_places=2, allow_null=True)
    note = serializers.CharField()


# --- Money movements -------------------------------------------------------------------------
class MoneyMovementListApi(ListAPIView):
    """Customers: their own refunds and credits. Staff: everyone's."""

    permission_classes = [IsAuthenticated]
    serializer_class = MoneyMovementStaffOut

    def get_queryset(self):
        qs = selectors.movements_for_viewer(viewer_for_request(self.request))
        for name in ("status", "kind"):
            value = self.request.query_params.get(name)
            if value:
                qs = qs.filter(**{name: value})
        return qs

    def get_serializer_class(self):
        staff = selectors.viewer_is_money_staff(viewer_for_request(self.request))
        return MoneyMovementStaffOut if staff else MoneyMovementOut

    @extend_schema(
        tags=TAGS,
        summary="List refunds and credits (customers: their own)",
        parameters=[
            OpenApiParameter("status", str, enum=MoneyMovement.Status.values),
            OpenApiParameter("kind", str, enum=MoneyMovement.Kind.values),
        ],
        responses=MoneyMovementStaffOut(many=True),
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MoneyMovementDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="One refund or credit", responses=MoneyMovementStaffOut)
    def get(self, request, movement_id: int):
        movement = selectors.movement_get_for_viewer(
            viewer=viewer_for_request(request), movement_id=movement_id
        )
        return Response(_movement_out(request, movement))


class GoodwillApi(APIView):
    permission_classes = [IsAuthenticated, permission_class("issue_goodwill")]

    class GoodwillIn(serializers.Serializer):
        customer_id = serializers.IntegerField()
        amount = serializers.DecimalField(**MONEY)
        pay_as = serializers.ChoiceField(choices=["refund", "credit"])
        reason = serializers.CharField(max_length=280)
        order_id = serializers.IntegerField(required=False, allow_null=True)
        return_id = serializers.IntegerField(required=False, allow_null=True)

    @extend_schema(
        tags=TAGS,
        summary="Goodwill refund or store credit without a return",
        parameters=[IDEMPOTENCY_HEADER],
        request=GoodwillIn,
        responses={201: MoneyMovementStaffOut, 200: MoneyMovementStaffOut},
    )
    def post(self, request):
        data = _valid(self.GoodwillIn, request.data)
        key = _idempotency_key(request, required=True)
        existed = MoneyMovement.objects.filter(idempotency_key=f"goodwill:{key}").exists()
        movement = services.goodwill_issue(
            actor=request.user,
            customer_id=data["customer_id"],
            amount=data["amount"],
            as_credit=data["pay_as"] == "credit",
            reason=data["reason"],
            order_id=data.get("order_id"),
            return_id=data.get("return_id"),
            idempotency_key=key,
        )
        code = status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        return Response(MoneyMovementStaffOut(movement).data, status=code)


# --- Store credit ---------------------------------------------------------------------------
def _credit_customer_id(request, requested) -> int:
    """A customer's own id; staff / the store platform may name a customer."""
    viewer = viewer_for_request(request)
    if requested not in (None, ""):
        if not (
            selectors.viewer_is_money_staff(viewer)
            or request.user.has_perm("catalog.import_orders")
        ):
            raise PermissionDenied("You may only use your own store credit.")
        try:
            customer_id = int(requested)
        except (TypeError, ValueError):
            customer_id = 0
        if not 0 < customer_id < 2**63:  # a bigint key: larger would overflow in the database
            raise DomainError("customer_id must be a customer's number.", field="customer_id")
        return customer_id
    if not viewer.customer_id:
        raise NotFound("No customer account is linked to this login.")
    return viewer.customer_id


def _store_credit(customer_id: int) -> dict:
    return {
        "customer_id": customer_id,
        "balance": selectors.store_credit_balance(customer_id=customer_id),
        "entries": list(selectors.store_credit_entries(customer_id=customer_id)[:50]),
    }


class StoreCreditApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(
        tags=TAGS,
        summary="Store credit balance and latest entries (customers: their own)",
        parameters=[OpenApiParameter("customer_id", int, description="Staff only")],
        responses=StoreCreditOut,
    )
    def get(self, request):
        customer_id = _credit_customer_id(request, request.query_params.get("customer_id"))
        return Response(StoreCreditOut(_store_credit(customer_id)).data)


class StoreCreditSpendApi(APIView):
    permission_classes = [IsAuthenticated]

    class SpendIn(serializers.Serializer):
        amount = serializers.DecimalField(**MONEY)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)
        customer_id = serializers.IntegerField(required=False, help_text="Store platform only")

    @extend_schema(
        tags=TAGS,
        summary="Spend store credit (never below zero; the same key spends once)",
        parameters=[IDEMPOTENCY_HEADER],
        request=SpendIn,
        responses={201: StoreCreditOut, 200: StoreCreditOut, 409: None},
    )
    def post(self, request):
        data = _valid(self.SpendIn, request.data)
        key = _idempotency_key(request, required=True)
        customer_id = _credit_customer_id(request, data.get("customer_id"))
        replay = StoreCreditEntry.objects.filter(idempotency_key=f"spend:{key}").exists()
        services.store_credit_spend(
            customer_id=customer_id,
            amount=data["amount"],
            idempotency_key=key,
            note=data.get("note", ""),
            actor=request.user,
        )
        code = status.HTTP_200_OK if replay else status.HTTP_201_CREATED
        return Response(StoreCreditOut(_store_credit(customer_id)).data, status=code)


# --- Staff: one return -----------------------------------------------------------------------
class ResolverApi(APIView):
    permission_classes = [IsAuthenticated, permission_class("resolve_return")]


class ReturnResolutionApi(ResolverApi):
    class ReturnResolutionOut(serializers.Serializer):
        return_id = serializers.IntegerField()
        reference = serializers.CharField()
        status = serializers.CharField()
        outcome = serializers.DictField(allow_null=True)
        money_movements = MoneyMovementStaffOut(many=True)
        dispositions = DispositionOut(many=True)
        costs = CostEntryOut(many=True)
        total_costs = serializers.DecimalField(**MONEY)
        recovered = serializers.DecimalField(**MONEY)

    @extend_schema(
        tags=TAGS,
        summary="A return's outcome, money, dispositions and costs",
        responses=ReturnResolutionOut,
    )
    def get(self, request, return_id: int):
        rr = ReturnRequest.objects.filter(pk=return_id).first()
        if rr is None:
            raise NotFound("Return not found.")
        outcome = selectors.outcome_for(return_id=rr.pk)
        summary = selectors.return_costs_summary(rr.pk)
        data = {
            "return_id": rr.pk,
            "reference": rr.reference,
            "status": rr.status,
            "outcome": None
            if outcome is None
            else {
                "kind": outcome.kind,
                "amount": str(outcome.amount),
                "trigger": outcome.trigger,
                "reason": outcome.reason,
                "breakdown": outcome.breakdown,
            },
            "money_movements": rr.money_movements.all(),
            "dispositions": rr.dispositions.select_related("overridden_by"),
            "costs": rr.costs.all(),
            "total_costs": summary.total_costs,
            "recovered": summary.recovered,
        }
        return Response(self.ReturnResolutionOut(data).data)


class DispositionOverrideApi(ResolverApi):
    class OverrideIn(serializers.Serializer):
        route = serializers.ChoiceField(choices=Route.values)
        reason = serializers.CharField(max_length=1000)

    @extend_schema(
        tags=TAGS,
        summary="Send an item to another route (staff override with a reason)",
        request=OverrideIn,
        responses=DispositionOut,
    )
    def post(self, request, disposition_id: int):
        data = _valid(self.OverrideIn, request.data)
        d = services.disposition_override(
            disposition_id=disposition_id,
            route=data["route"],
            reason=data["reason"],
            actor=request.user,
        )
        return Response(DispositionOut(d).data)


class CsMinutesApi(ResolverApi):
    class MinutesIn(serializers.Serializer):
        minutes = serializers.DecimalField(max_digits=7, decimal_places=2)
        note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    @extend_schema(
        tags=TAGS,
        summary="Log customer-service minutes on a return (booked as a cost)",
        request=MinutesIn,
        responses={201: CostEntryOut},
    )
    def post(self, request, return_id: int):
        data = _valid(self.MinutesIn, request.data)
        entry = services.cs_minutes_log(
            return_id=return_id,
            minutes=data["minutes"],
            note=data.get("note", ""),
            actor=request.user,
        )
        return Response(CostEntryOut(entry).data, status=status.HTTP_201_CREATED)


class NoRefundApi(ResolverApi):
    class NoRefundIn(serializers.Serializer):
        reason = serializers.CharField(max_length=1000)
        send_back = serializers.BooleanField()

    @extend_schema(
        tags=TAGS,
        summary="Resolve a received return without a refund (declined on inspection)",
        request=NoRefundIn,
        responses={200: None},
    )
    def post(self, request, return_id: int):
        data = _valid(self.NoRefundIn, request.data)
        rr = services.return_no_refund(
            return_id=return_id,
            actor=request.user,
            reason=data["reason"],
            send_back=data["send_back"],
        )
        return Response({"return_id": rr.pk, "status": rr.status})


class ExchangeFallbackApi(APIView):
    """The customer says what an out-of-stock exchange should become."""

    permission_classes = [IsAuthenticated]

    class FallbackIn(serializers.Serializer):
        fallback = serializers.ChoiceField(choices=ExchangePreference.Fallback.values)

    @extend_schema(
        tags=TAGS,
        summary="Choose refund or store credit if the exchange is out of stock",
        request=FallbackIn,
        responses=FallbackIn,
    )
    def put(self, request, return_id: int):
        data = _valid(self.FallbackIn, request.data)
        pref = services.exchange_preference_set(
            viewer=viewer_for_request(request), return_id=return_id, fallback=data["fallback"]
        )
        return Response({"fallback": pref.fallback})
