"""Order intake and order reads.

POST /api/v1/orders/ takes a JSON list of orders (`catalog.import_orders`). Each order is
validated and stored on its own (`catalog.services.order_upsert`, its own savepoint), and
the answer lists one result per order, in the order sent:

    {"summary": {"created": 1, "unchanged": 0, "updated": 0, "invalid": 1, "conflict": 0},
     "results": [{"index": 0, "number": "A-1", "status": "created", "http_status": 201},
                 {"index": 1, "number": "A-2", "status": "invalid", "http_status": 400,
                  "errors": {"lines[0].sku": ["Unknown SKU 'NOPE'."]}}]}

The response is 200 when every order was accepted (created, unchanged or updated) and 207
Multi-Status when any was refused; a body that is not a list of at most MAX_ORDERS orders
is refused whole with 400. Resending an order is safe: see `catalog.services`.

GET /api/v1/orders/ and /api/v1/orders/<number>/ list and show orders the caller may see
(customers: their own; staff: all), through `catalog.selectors.orders_for_viewer`.
"""

from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.identity import viewer_for_request
from catalog.selectors import orders_for_viewer
from catalog.serializers import ImportOut, OrderIn, OrderOut, order_input_from
from catalog.services import order_upsert
from returns_portal.api import Pagination
from returns_portal.errors import Conflict, DomainError, NotFound

TAGS = ["orders"]
MAX_ORDERS = 500


class CanImportOrders(BasePermission):
    def has_permission(self, request, view) -> bool:
        if request.method in ("GET", "HEAD", "OPTIONS"):
            return True
        return request.user.has_perm("catalog.import_orders")


def flatten_errors(errors, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"lines[1].sku": ["…"]}: one readable path per message."""
    flat: dict[str, list[str]] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            if isinstance(key, int):  # DRF keys a nested list's errors by position
                path = f"{prefix}[{key}]"
            else:
                path = f"{prefix}.{key}" if prefix else str(key)
            if key == "non_field_errors" and prefix:
                path = prefix
            for k, v in flatten_errors(value, path).items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list) and any(isinstance(e, dict | list) for e in errors):
        for i, value in enumerate(errors):
            for k, v in flatten_errors(value, f"{prefix}[{i}]").items():
                flat.setdefault(k, []).extend(v)
    elif isinstance(errors, list):
        flat[prefix or "non_field_errors"] = [str(e) for e in errors]
    elif errors:
        flat[prefix or "non_field_errors"] = [str(errors)]
    return flat


def _import_one(index: int, payload) -> dict:
    number = payload.get("number") if isinstance(payload, dict) else None
    result = {"index": index, "number": number if isinstance(number, str) else None}
    serializer = OrderIn(data=payload)
    if not serializer.is_valid():
        return {
            **result,
            "status": "invalid",
            "http_status": 400,
            "errors": flatten_errors(serializer.errors),
        }
    try:
        outcome = order_upsert(data=order_input_from(serializer.validated_data))
    except Conflict as exc:
        return {
            **result,
            "status": "conflict",
            "http_status": 409,
            "errors": {exc.field or "non_field_errors": [exc.message]},
            "differs": exc.details.get("differs", []),
        }
    except DomainError as exc:
        return {
            **result,
            "status": "invalid",
            "http_status": exc.status,
            "errors": {exc.field or "non_field_errors": [exc.message]},
        }
    http_status = 201 if outcome.status == "created" else 200
    body = {**result, "status": outcome.status, "http_status": http_status}
    if outcome.changed:
        body["changed"] = list(outcome.changed)
    return body


def _orders(request):
    return (
        orders_for_viewer(viewer_for_request(request))
        .prefetch_related("lines__product", "lines__batch")
        .order_by("-placed_at", "-pk")
    )


class OrderListApi(APIView):
    permission_classes = [IsAuthenticated, CanImportOrders]

    @extend_schema(
        tags=TAGS,
        summary="Orders you may see (customers: their own)",
        parameters=[
            OpenApiParameter("number", str, description="Exact order number"),
            OpenApiParameter("customer_email", str, description="Customer e-mail (any case)"),
        ],
        responses=OrderOut(many=True),
    )
    def get(self, request):
        orders = _orders(request)
        if number := request.query_params.get("number"):
            orders = orders.filter(number=number)
        if email := request.query_params.get("customer_email"):
            orders = orders.filter(customer__email__iexact=email)
        paginator = Pagination()
        page = paginator.paginate_queryset(orders, request, view=self)
        return paginator.get_paginated_response(OrderOut(page, many=True).data)

    @extend_schema(
        tags=TAGS,
        summary="Send orders from the store (bulk, idempotent on the order number)",
        request=OrderIn(many=True),
        responses={
            200: OpenApiResponse(ImportOut, description="Every order accepted"),
            207: OpenApiResponse(ImportOut, description="Some orders refused; see results"),
            400: OpenApiResponse(description="The body is not a list of orders"),
        },
    )
    def post(self, request):
        payload = request.data
        if not isinstance(payload, list):
            raise DomainError("Send a JSON list of orders.")
        if not payload:
            raise DomainError("The list of orders is empty.")
        if len(payload) > MAX_ORDERS:
            raise DomainError(f"Send at most {MAX_ORDERS} orders per request.")
        results = [_import_one(i, item) for i, item in enumerate(payload)]
        summary = dict.fromkeys(("created", "unchanged", "updated", "invalid", "conflict"), 0)
        for result in results:
            summary[result["status"]] += 1
        refused = summary["invalid"] + summary["conflict"]
        return Response(
            {"summary": summary, "results": results},
            status=status.HTTP_207_MULTI_STATUS if refused else status.HTTP_200_OK,
        )


class OrderDetailApi(APIView):
    permission_classes = [IsAuthenticated]

    @extend_schema(tags=TAGS, summary="One order you may see", responses=OrderOut)
    def get(self, request, number: str):
        order = _orders(request).filter(number=number).first()
        if order is None:
            raise NotFound("Order not found.")
        return Response(OrderOut(order).data)
