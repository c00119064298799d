"""Returns REST API: the same services and viewer-checked selectors as the pages.

Every object is fetched through the caller's `Viewer`, so another customer's return or order
is a 404 (its existence is not confirmed); a visible object the caller may not act on is a
403. Domain errors become 4xx in `returns_portal.api.exception_handler`.
"""

import json
import re

from django.db.models import Count
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.authentication import SessionAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.identity import viewer_for_request
from catalog.models import OrderLine, Product
from catalog.selectors import order_get_for_viewer, orders_for_viewer
from returns_portal.api import TokenPermissionsAuthentication
from returns_portal.errors import DomainError, NotFound, PermissionDenied
from rma import selectors, services
from rma.filters import DEFAULT_ORDERING, ReturnFilter
from rma.serializers import (
    ApiErrorOut,
    ApiValidationErrorOut,
    EventOut,
    QuoteOut,
    ReasonOut,
    ReturnableOrderOut,
    ReturnListItemOut,
    ReturnOut,
    event_data,
    kind_field,
    outcome_field,
    quote_data,
)
from rma.states import CUSTOMER_CANCELLABLE, Outcome, ReturnKind, ReturnStatus

TAGS = ["returns"]
DB_INT_MAX = 2**31 - 1
ITEMS_MAX = 100
PHOTO_FIELD = re.compile(r"^items\[(\d{1,3})\]\.photos$")

ERR_400 = OpenApiResponse(ApiValidationErrorOut, description="Invalid input.")
ERR_401 = OpenApiResponse(ApiErrorOut, description="Not signed in (send a token or session).")
ERR_403 = OpenApiResponse(ApiErrorOut, description="Visible to you, but not yours to do.")
ERR_404 = OpenApiResponse(ApiErrorOut, description="No such object among those you may see.")
ERR_409 = OpenApiResponse(ApiErrorOut, description="Not allowed in the return's current status.")


class ReturnsApiView(APIView):
    # Token first: an anonymous call gets 401 with `WWW-Authenticate: Token`, not a bare 403.
    # Session callers still need the CSRF token on writes (SessionAuthentication checks it).
    authentication_classes = [TokenPermissionsAuthentication, SessionAuthentication]
    permission_classes = [IsAuthenticated]


# --- Input -----------------------------------------------------------------------------
class ReturnItemIn(serializers.Serializer):
    order_line_id = serializers.IntegerField(
        min_value=1, max_value=DB_INT_MAX, required=False, help_text="Or `line_number`."
    )
    line_number = serializers.IntegerField(
        min_value=1, max_value=32767, required=False, help_text="The line's number on the order."
    )
    quantity = serializers.IntegerField(min_value=1, max_value=100_000)
    reason_code = serializers.CharField(max_length=40, help_text="From GET /api/v1/reasons/.")
    note = serializers.CharField(
        max_length=services.NOTE_MAX, required=False, allow_blank=True, default=""
    )
    exchange_sku = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        allow_null=True,
        help_text="For an exchange: the variant wanted instead.",
    )

    def validate(self, data):
        if ("order_line_id" in data) == ("line_number" in data):
            raise ValidationError("Give either order_line_id or line_number.")
        return data


class ReturnRequestIn(serializers.Serializer):
    order_id = serializers.IntegerField(
        min_value=1, max_value=DB_INT_MAX, required=False, help_text="Or `order_number`."
    )
    order_number = serializers.CharField(max_length=40, required=False)
    kind = kind_field(default=ReturnKind.STANDARD)
    preferred_outcome = outcome_field(default=Outcome.REFUND)
    items = ReturnItemIn(many=True, allow_empty=False, max_length=ITEMS_MAX)

    def validate(self, data):
        if ("order_id" in data) == ("order_number" in data):
            raise ValidationError("Give either order_id or order_number.")
        return data


class ReturnCreateMultipartIn(serializers.Serializer):
    """The same request with photos: the JSON document in `payload`, and each item's photos
    as file fields named `items[<index>].photos` (repeat the field for several)."""

    payload = serializers.CharField(help_text="ReturnRequestIn as a JSON string.")
    photos = serializers.ListField(
        child=serializers.FileField(),
        required=False,
        help_text="Really sent as `items[0].photos`, `items[1].photos`, …: JPEG, PNG, WebP or "
        "HEIC, at most 5 per item and 8 MB each.",
    )


class ReviewIn(serializers.Serializer):
    reason = serializers.CharField(max_length=280, help_text="For the customer and the audit log.")


class CancelIn(serializers.Serializer):
    reason = serializers.CharField(max_length=280, required=False, allow_blank=True, default="")


_INPUT_SERIALIZERS: dict[type, serializers.Serializer] = {}


def _validated(serializer_class, data) -> dict:
    """`serializer_class(data=data).is_valid(raise_exception=True)`, same data and errors,
    with one instance per class: DRF deep-copies the declared fields for every new instance
    (a few ms for the nested return), and `run_validation` keeps no state between calls."""
    serializer = _INPUT_SERIALIZERS.get(serializer_class)
    if serializer is None:
        serializer = _INPUT_SERIALIZERS[serializer_class] = serializer_class()
    try:
        return serializer.run_validation(data)
    except ValidationError:
        # the errors exactly as is_valid words them (it rewords a missing body)
        serializer_class(data=data).is_valid(raise_exception=True)
        raise


def _order_for(viewer, data: dict):
    """The order the request names, by id or number, among those the viewer may see."""
    if "order_id" in data:
        return order_get_for_viewer(viewer=viewer, order_id=data["order_id"])
    order = orders_for_viewer(viewer).filter(number__iexact=data["order_number"]).first()
    if order is None:
        raise NotFound("Order not found.")
    return order


def _service_input(viewer, data: dict, photos: dict | None = None, order=None):
    """The order id and the service's items: line numbers and SKUs to ids.

    The order is looked up here only when needed (by number, or to map line numbers); the
    service checks the viewer may see it in any case.
    """
    items = data["items"]
    if order is None and ("order_id" not in data or any("line_number" in i for i in items)):
        order = _order_for(viewer, data)
    order_id = order.pk if order is not None else data["order_id"]
    photos = photos or {}
    extra = sorted(set(photos) - set(range(len(items))))
    if extra:
        raise DomainError("Photos for an item that is not in the request.", field="photos")
    numbers = [item["line_number"] for item in items if "line_number" in item]
    by_number = (
        dict(
            OrderLine.objects.filter(order_id=order_id, line_number__in=numbers).values_list(
                "line_number", "pk"
            )
        )
        if numbers
        else {}
    )
    skus = [item["exchange_sku"] for item in items if item.get("exchange_sku")]
    by_sku = dict(Product.objects.filter(sku__in=skus).values_list("sku", "pk")) if skus else {}
    result = []
    for i, item in enumerate(items):
        line_id = item.get("order_line_id") or by_number.get(item.get("line_number"))
        if line_id is None:
            raise DomainError("That item is not on this order.", field=f"items[{i}].line_number")
        exchange_id = None
        if item.get("exchange_sku"):
            exchange_id = by_sku.get(item["exchange_sku"])
            if exchange_id is None:
                raise DomainError("Unknown product SKU.", field=f"items[{i}].exchange_sku")
        result.append(
            services.ReturnItemInput(
                order_line_id=line_id,
                quantity=item["quantity"],
                reason_code=item["reason_code"],
                note=item.get("note") or "",
                exchange_product_id=exchange_id,
                photos=tuple(photos.get(i, ())),
            )
        )
    return order_id, result


def _actions(viewer, rr) -> list[str]:
    actions = []
    owner = selectors.return_owned_by(viewer, rr)
    reviewer = viewer.can("review_return")
    if rr.status in CUSTOMER_CANCELLABLE and (owner or reviewer):
        actions.append("cancel")
    if rr.status == ReturnStatus.PENDING_REVIEW and reviewer:
        actions += ["approve", "decline"]
    return actions


def _return_data(viewer, return_id: int) -> dict:
    """The detail shape, read back through the viewer (2 queries: return, lines)."""
    rr = selectors.return_get_for_viewer(viewer=viewer, return_id=return_id, with_policy=True)
    return _detail(viewer, rr)


# Built once per process: DRF deep-copies a serializer's declared fields for every new
# instance (a few ms for this nested shape), and `to_representation` keeps no state.
_RETURN_OUT = ReturnOut()


def _created_data(viewer, rr, items) -> dict:
    """The detail shape of a return this request just filed, from what it wrote (no
    read-back). A return resolved without a parcel changed on the way: it is read back."""
    if rr.refund_without_return:
        return _return_data(viewer, rr.pk)
    for line, item in zip(rr.created_lines, items, strict=True):
        line.photo_count = len(item.photos or ())
    rr.api_lines = rr.created_lines
    rr.api_actions = _actions(viewer, rr)
    return _RETURN_OUT.to_representation(rr)


def _detail(viewer, rr) -> dict:
    rr.api_lines = list(
        rr.lines.select_related("order_line__product", "reason", "exchange_product").annotate(
            photo_count=Count("photos")
        )
    )
    rr.api_actions = _actions(viewer, rr)
    return _RETURN_OUT.to_representation(rr)


# --- Quote and create ------------------------------------------------------------------
QUOTE_EXAMPLE = OpenApiExample(
    "Two of line 1, changed mind",
    value={
        "order_number": "ORD-100001",
        "kind": "standard",
        "preferred_outcome": "refund",
        "items": [{"line_number": 1, "quantity": 2, "reason_code": "changed-mind"}],
    },
    request_only=True,
)


class ReturnQuoteApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_quote",
        summary="Preview the policy decision and money, writing nothing",
        request=ReturnRequestIn,
        responses={200: QuoteOut, 400: ERR_400, 401: ERR_401, 404: ERR_404},
        examples=[QUOTE_EXAMPLE],
    )
    def post(self, request):
        viewer = viewer_for_request(request)
        data = _validated(ReturnRequestIn, request.data)
        order = _order_for(viewer, data)
        order_id, items = _service_input(viewer, data, order=order)
        quote = services.return_quote(
            viewer=viewer,
            order_id=order_id,
            items=items,
            kind=data["kind"],
            preferred_outcome=data["preferred_outcome"],
        )
        return Response(quote_data(quote, currency=order.currency))


class ReturnsApi(ReturnsApiView, generics.ListAPIView):
    """GET: the caller's returns (staff: all), filtered and paginated. POST: file one."""

    serializer_class = ReturnListItemOut
    filterset_class = ReturnFilter
    filter_backends = [DjangoFilterBackend]
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self):
        return selectors.return_list_rows_for_viewer(viewer_for_request(self.request))

    def filter_queryset(self, queryset):
        # No filter asked for (the most frequent call): the filter set would only build and
        # validate an empty form to order the rows as `DEFAULT_ORDERING` does.
        if self.request.query_params.keys().isdisjoint(ReturnFilter.base_filters):
            return queryset.order_by(*DEFAULT_ORDERING)
        return super().filter_queryset(queryset)

    def list(self, request, *args, **kwargs):
        # Rows, then their lines in one query: the page costs the same queries at any size.
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        rows = selectors.return_list_lines(list(page))
        return self.get_paginated_response(ReturnListItemOut(rows, many=True).data)

    @extend_schema(
        tags=TAGS,
        operation_id="returns_list",
        summary="List returns (customers: their own; staff: all)",
        responses={200: ReturnListItemOut(many=True), 400: ERR_400, 401: ERR_401, 404: ERR_404},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        tags=TAGS,
        operation_id="returns_create",
        summary="File a return: validate, decide under the active policy, store",
        description="JSON, or multipart with the JSON in `payload` and photos as "
        "`items[<index>].photos` files (needed for reasons that require a photo).",
        request={
            "application/json": ReturnRequestIn,
            "multipart/form-data": ReturnCreateMultipartIn,
        },
        responses={201: ReturnOut, 400: ERR_400, 401: ERR_401, 404: ERR_404, 409: ERR_409},
        examples=[QUOTE_EXAMPLE],
    )
    def post(self, request, *args, **kwargs):
        viewer = viewer_for_request(request)
        raw, photos = _create_payload(request)
        data = _validated(ReturnRequestIn, raw)
        order_id, items = _service_input(viewer, data, photos)
        rr = services.return_create(
            viewer=viewer,
            order_id=order_id,
            items=items,
            kind=data["kind"],
            preferred_outcome=data["preferred_outcome"],
            channel="api",
            actor=request.user,
        )
        body = _created_data(viewer, rr, items)
        location = request.build_absolute_uri(f"{request.path}{rr.pk}/")
        return Response(body, status=status.HTTP_201_CREATED, headers={"Location": location})


def _create_payload(request) -> tuple:
    """(the JSON document, {item index: [uploaded photos]}) from a JSON or multipart body."""
    if not (request.content_type or "").startswith("multipart/"):
        return request.data, {}
    try:
        raw = json.loads(request.data.get("payload") or "")
    except ValueError:
        raise ValidationError({"payload": ["Send the return as a JSON document."]}) from None
    photos = {}
    for key in request.FILES:
        match = PHOTO_FIELD.match(key)
        if match is None:
            raise ValidationError({key: ["Unexpected file: name it items[<index>].photos."]})
        photos[int(match.group(1))] = request.FILES.getlist(key)
    return raw, photos


# --- Read one --------------------------------------------------------------------------
class ReturnDetailApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_retrieve",
        summary="One return with its decision, rules, money and lines",
        responses={200: ReturnOut, 401: ERR_401, 404: ERR_404},
    )
    def get(self, request, return_id: int):
        return Response(_return_data(viewer_for_request(request), return_id))


class ReturnByReferenceApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_by_reference",
        summary="One return by RMA number (RMA-2026-000123) or request reference (REQ-000123)",
        responses={200: ReturnOut, 401: ERR_401, 404: ERR_404},
    )
    def get(self, request, reference: str):
        viewer = viewer_for_request(request)
        rr = selectors.return_get_by_reference_for_viewer(viewer=viewer, reference=reference)
        return Response(_detail(viewer, rr))


class ReturnEventsApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_events",
        summary="The return's timeline (customers: the events meant for them; staff: all, less a "
        "first grading hidden from a possible blind-QC checker)",
        responses={200: EventOut(many=True), 401: ERR_401, 404: ERR_404},
    )
    def get(self, request, return_id: int):
        viewer = viewer_for_request(request)
        rr = selectors.return_get_for_viewer(viewer=viewer, return_id=return_id)
        staff = viewer.is_staff
        if staff:
            events = selectors.staff_timeline(user=request.user, return_request=rr)
        else:
            events = selectors.return_timeline(return_request=rr, for_customer=True)
        return Response([event_data(event, for_staff=staff) for event in events])


# --- Staff review and cancel -----------------------------------------------------------
class ReturnApproveApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_approve",
        summary="Approve a return in manual review (staff with review_return)",
        request=ReviewIn,
        responses={
            200: ReturnOut,
            400: ERR_400,
            401: ERR_401,
            403: ERR_403,
            404: ERR_404,
            409: ERR_409,
        },
    )
    def post(self, request, return_id: int):
        viewer = viewer_for_request(request)
        rr = _review_target(viewer, return_id)
        data = _validated(ReviewIn, request.data)
        services.return_approve(return_id=rr.pk, actor=request.user, reason=data["reason"])
        return Response(_return_data(viewer, rr.pk))


class ReturnDeclineApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_decline",
        summary="Decline a return in manual review (staff with review_return)",
        request=ReviewIn,
        responses={
            200: ReturnOut,
            400: ERR_400,
            401: ERR_401,
            403: ERR_403,
            404: ERR_404,
            409: ERR_409,
        },
    )
    def post(self, request, return_id: int):
        viewer = viewer_for_request(request)
        rr = _review_target(viewer, return_id)
        data = _validated(ReviewIn, request.data)
        services.return_decline(return_id=rr.pk, actor=request.user, reason=data["reason"])
        return Response(_return_data(viewer, rr.pk))


def _review_target(viewer, return_id):
    """404 for a return the caller cannot see, then 403 if they may not review it."""
    rr = selectors.return_get_for_viewer(viewer=viewer, return_id=return_id)
    if not viewer.can("review_return"):
        raise PermissionDenied("You may not approve or decline returns.")
    return rr


class ReturnCancelApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="returns_cancel",
        summary="Cancel before the parcel is handed to the carrier (owner or review staff)",
        request=CancelIn,
        responses={
            200: ReturnOut,
            400: ERR_400,
            401: ERR_401,
            403: ERR_403,
            404: ERR_404,
            409: ERR_409,
        },
    )
    def post(self, request, return_id: int):
        viewer = viewer_for_request(request)
        data = _validated(CancelIn, request.data)
        rr = services.return_cancel(viewer=viewer, return_id=return_id, reason=data["reason"])
        return Response(_return_data(viewer, rr.pk))


# --- Reference data --------------------------------------------------------------------
class ReasonsApi(ReturnsApiView):
    # Reason codes are not customer data; a storefront may render the picker before sign-in.
    permission_classes = [AllowAny]

    @extend_schema(
        tags=TAGS,
        operation_id="reasons_list",
        summary="Active return reasons, in display order",
        responses={200: ReasonOut(many=True)},
    )
    def get(self, request):
        return Response(ReasonOut(selectors.reasons_active(), many=True).data)


class ReturnableLinesApi(ReturnsApiView):
    @extend_schema(
        tags=TAGS,
        operation_id="orders_returnable_lines",
        summary="An order's lines with how many can still be returned and their windows",
        responses={200: ReturnableOrderOut, 401: ERR_401, 404: ERR_404},
    )
    def get(self, request, order_id: int):
        viewer = viewer_for_request(request)
        order = order_get_for_viewer(viewer=viewer, order_id=order_id)
        lines = selectors.returnable_lines(order=order)
        return Response(
            ReturnableOrderOut({"order": order, "currency": order.currency, "lines": lines}).data
        )
