"""Read-only KPI API for managers (`catalog.view_dashboard`), same selectors as the pages."""

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import permissions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.models import Supplier
from reporting import selectors
from reporting.forms import FilterForm
from returns_portal.api import permission_class

FILTER_PARAMS = [
    OpenApiParameter(
        "start", str, description="First local day, YYYY-MM-DD (default: 90 days ago)"
    ),
    OpenApiParameter("end", str, description="Last local day, YYYY-MM-DD (default: today)"),
    OpenApiParameter("supplier", str, description="Supplier code"),
    OpenApiParameter("category", str, description="Category slug"),
    OpenApiParameter("product", str, description="Product SKU"),
]


def _filters(request):
    form = FilterForm(request.query_params)
    if request.query_params and not form.is_valid():
        raise serializers.ValidationError(form.errors)
    return form.filters()


def _cycles(cycles: dict) -> dict:
    return {
        name: {"average_hours": avg, "p90_hours": p90, "count": n}
        for name, (avg, p90, n) in cycles.items()
    }


class ReportsView(APIView):
    permission_classes = [permissions.IsAuthenticated, permission_class("view_dashboard")]


class OverviewApi(ReportsView):
    class ReportOverviewSerializer(serializers.Serializer):
        returns = serializers.IntegerField()
        returned_units = serializers.IntegerField()
        sold_units = serializers.IntegerField()
        return_rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
        refunded = serializers.DecimalField(max_digits=14, decimal_places=2)
        costs = serializers.DictField(
            child=serializers.DecimalField(max_digits=14, decimal_places=2)
        )
        total_cost = serializers.DecimalField(max_digits=14, decimal_places=2)
        cost_per_return = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
        original_value = serializers.DecimalField(max_digits=14, decimal_places=2)
        recovered_value = serializers.DecimalField(max_digits=14, decimal_places=2)
        recovery_rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
        refunds_due = serializers.IntegerField()
        refunds_on_time = serializers.IntegerField()
        sla = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
        grading_minutes_per_return = serializers.DecimalField(
            max_digits=12, decimal_places=4, allow_null=True
        )
        cycles = serializers.DictField(child=serializers.DictField())

    @extend_schema(
        tags=["reports"],
        summary="Headline KPIs for a period (from the nightly rollups)",
        parameters=FILTER_PARAMS,
        responses=ReportOverviewSerializer,
    )
    def get(self, request):
        data = selectors.overview(_filters(request))
        data["cycles"] = _cycles(data["cycles"])
        return Response(self.ReportOverviewSerializer(data).data)


TABLE = inline_serializer(
    "ReportTable",
    {
        "name": serializers.CharField(),
        "title": serializers.CharField(),
        "columns": serializers.ListField(child=serializers.CharField()),
        "rows": serializers.ListField(child=serializers.ListField()),
    },
)


def _table_json(table) -> dict:
    rows = [
        [str(v) if v is not None and not isinstance(v, int) else v for v in row]
        for row in table.rows
    ]
    return {"name": table.name, "title": table.title, "columns": table.columns, "rows": rows}


class TableApi(ReportsView):
    @extend_schema(
        tags=["reports"],
        summary="One KPI table: trend, product-rates, supplier-rates, category-rates, reasons, "
        "grades, dispositions, graders, breaches, alerts, suppliers",
        parameters=FILTER_PARAMS,
        responses=TABLE,
    )
    def get(self, request, name: str):
        lazy = selectors.tables(_filters(request))
        if name not in lazy:
            raise Http404("No such table.")
        return Response(_table_json(lazy[name]()))


class SupplierScorecardApi(ReportsView):
    class SupplierScorecardSerializer(serializers.Serializer):
        code = serializers.CharField(source="supplier.code")
        name = serializers.CharField(source="supplier.name")
        returns = serializers.IntegerField()
        returned_units = serializers.IntegerField()
        sold_units = serializers.IntegerField()
        return_rate = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
        defect_returns = serializers.IntegerField()
        defect_share = serializers.DecimalField(max_digits=9, decimal_places=4, allow_null=True)
        sampling_rate = serializers.DecimalField(max_digits=9, decimal_places=4)
        claimed = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
        received = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)

    @extend_schema(
        tags=["reports"],
        summary="Supplier scorecard",
        parameters=FILTER_PARAMS[:2],
        responses=SupplierScorecardSerializer,
    )
    def get(self, request, code: str):
        supplier = Supplier.objects.filter(code=code).first()
        if supplier is None:
            raise Http404("No such supplier.")
        return Response(
            self.SupplierScorecardSerializer(
                selectors.supplier_scorecard(supplier, _filters(request))
            ).data
        )
