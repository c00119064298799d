"""Manager dashboard pages: thin, reading `reporting.selectors` (fact tables only)."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from audit.selectors import audit_for_many
from catalog.models import Supplier
from reporting import selectors, services
from reporting.csv_export import table_csv
from reporting.forms import FilterForm
from reporting.models import Recall
from returns_portal.errors import DomainError

PAGE_PRODUCTS = 50


def dashboard_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not request.user.has_perm("catalog.view_dashboard"):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _filters(request):
    form = FilterForm(request.GET or None)
    return form, form.filters()


def _wants_csv(request) -> bool:
    return request.GET.get("format") == "csv"


def _chart_data(tables: dict) -> dict:
    def pairs(table, value_index):
        return {
            "labels": [str(r[0]) for r in table.rows],
            "values": [float(r[value_index] or 0) for r in table.rows],
        }

    return {
        "trend": {
            "labels": [r[0] for r in tables["trend"].rows],
            "returns": [r[1] for r in tables["trend"].rows],
            "refunds": [float(r[2]) for r in tables["trend"].rows],
        },
        "categoryRates": pairs(tables["category-rates"], 4),
        "supplierRates": pairs(tables["supplier-rates"], 4),
        "reasons": pairs(tables["reasons"], 1),
        "grades": pairs(tables["grades"], 1),
        "dispositions": pairs(tables["dispositions"], 1),
    }


@dashboard_required
def overview(request):
    form, filters = _filters(request)
    lazy = selectors.tables(filters)
    names = (
        "trend",
        "category-rates",
        "supplier-rates",
        "product-rates",
        "reasons",
        "grades",
        "dispositions",
        "graders",
    )
    tables = {name: lazy[name]() for name in names}
    # Thousands of SKUs do not fit a page: the worst rates here, every SKU in the CSV.
    tables["product-rates"] = tables["product-rates"].head(PAGE_PRODUCTS)
    breaches = selectors.breaches_table(filters=filters)
    context = {
        "form": form,
        "filters": filters,
        "query": request.GET.urlencode(),
        "kpi": selectors.overview(filters),
        "tables": tables,
        "breaches": breaches,
        "alerts": selectors.alerts_open(),
        "chart_data": _chart_data(tables),
        "drill_all": filters.drill(),
    }
    return render(request, "reporting/overview.html", context)


@dashboard_required
def table_export(request, name: str):
    _, filters = _filters(request)
    lazy = selectors.tables(filters)
    if name not in lazy:
        raise Http404("No such table.")
    return table_csv(lazy[name]())


@dashboard_required
def suppliers(request):
    form, filters = _filters(request)
    table = selectors.suppliers_table(filters)
    if _wants_csv(request):
        return table_csv(table)
    return render(
        request,
        "reporting/suppliers.html",
        {"form": form, "table": table, "query": request.GET.urlencode()},
    )


@dashboard_required
def supplier_detail(request, code: str):
    supplier = get_object_or_404(Supplier, code=code)
    form, filters = _filters(request)
    batches = selectors.batch_table(supplier, filters)
    if _wants_csv(request):
        return table_csv(batches, filename_suffix=f"-{supplier.code}")
    context = {
        "form": form,
        "card": selectors.supplier_scorecard(supplier, filters),
        "batches": batches,
        "csv_url": "?" + "&".join(p for p in (request.GET.urlencode(), "format=csv") if p),
    }
    return render(request, "reporting/supplier_detail.html", context)


@dashboard_required
def breaches(request):
    form, filters = _filters(request)
    table = selectors.breaches_table(filters=filters)
    if _wants_csv(request):
        return table_csv(table)
    return render(
        request,
        "reporting/breaches.html",
        {
            "form": form,
            "table": table,
            "targets": selectors.stage_targets(),
            "query": request.GET.urlencode(),
        },
    )


@dashboard_required
def alerts(request):
    if _wants_csv(request):
        return table_csv(selectors.alerts_table())
    alerts = selectors.alerts_open()
    history = audit_for_many(a["alert"] for a in alerts)
    return render(request, "reporting/alerts.html", {"alerts": alerts, "history": history})


@require_POST
@dashboard_required
def alert_recall(request, alert_id: int):
    if not request.user.has_perm("catalog.manage_recalls"):
        raise PermissionDenied
    try:
        recall = services.recall_open_from_alert(alert_id=alert_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
        return redirect("reporting:alerts")
    return redirect("reporting:recall", recall_id=recall.pk)


@require_POST
@dashboard_required
def alert_acknowledge(request, alert_id: int):
    try:
        services.alert_acknowledge(alert_id=alert_id, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc))
    return redirect("reporting:alerts")


@require_http_methods(["GET", "POST"])
@dashboard_required
def recall_detail(request, recall_id: int):
    """The recall, its history and its alert's; managers of recalls close or reopen it here."""
    recall = get_object_or_404(
        Recall.objects.select_related("batch__product", "alert", "opened_by"), pk=recall_id
    )
    if request.method == "POST":
        if not request.user.has_perm("catalog.manage_recalls"):
            raise PermissionDenied
        try:
            services.recall_status_change(
                recall_id=recall.pk,
                to_status=request.POST.get("status", ""),
                note=request.POST.get("note", ""),
                actor=request.user,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Recall updated.")
        return redirect("reporting:recall", recall_id=recall.pk)
    history = audit_for_many([recall, recall.alert] if recall.alert else [recall])
    return render(
        request,
        "reporting/recall.html",
        {
            "recall": recall,
            "history": history,
            "moves": services.RECALL_MOVES.get(recall.status, ()),
        },
    )
