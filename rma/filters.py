"""Filters for the returns list. Applied to a queryset already scoped to the viewer."""

import datetime as dt

import django_filters
from django.db.models import Exists, OuterRef
from django.utils import timezone

from rma.models import ReturnLine, ReturnRequest
from rma.states import ReturnKind, ReturnStatus

EARLIEST, LATEST = dt.date(1900, 1, 1), dt.date(9000, 1, 1)  # far from datetime's edges
# Newest first, with a stable tie-breaker so a page never repeats or skips a row.
DEFAULT_ORDERING = ("-created_at", "-id")


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight of `day` in the portal's time zone: whole local days, and the index is used."""
    day = min(max(day, EARLIEST), LATEST)
    return timezone.make_aware(dt.datetime.combine(day, dt.time()))


class ReturnFilter(django_filters.FilterSet):
    # distinct=False: a return's own column never duplicates rows, and DISTINCT would make
    # the database build every matching row (with its subqueries) before taking a page.
    status = django_filters.MultipleChoiceFilter(
        choices=ReturnStatus.choices,
        distinct=False,
        help_text="Repeat for several: ?status=a&status=b.",
    )
    kind = django_filters.MultipleChoiceFilter(choices=ReturnKind.choices, distinct=False)
    created_after = django_filters.DateFilter(
        method="filter_created_after", help_text="Filed on or after this day (YYYY-MM-DD)."
    )
    created_before = django_filters.DateFilter(
        method="filter_created_before", help_text="Filed on or before this day (YYYY-MM-DD)."
    )
    reason = django_filters.CharFilter(
        method="filter_lines", help_text="A line has this reason code."
    )
    sku = django_filters.CharFilter(method="filter_lines", help_text="A line is this product SKU.")
    supplier = django_filters.CharFilter(
        method="filter_lines", help_text="A line's product comes from this supplier (code)."
    )
    ordering = django_filters.OrderingFilter(
        fields=(("created_at", "created_at"), ("status", "status"), ("expected_refund", "refund")),
        help_text="Default: newest first.",
    )

    class Meta:
        model = ReturnRequest
        fields = ["status", "kind"]

    LINE_LOOKUPS = {
        "reason": "reason__code",
        "sku": "order_line__product__sku__iexact",
        "supplier": "order_line__product__supplier__code__iexact",
    }

    def filter_created_after(self, queryset, name, value):
        return queryset.filter(created_at__gte=_day_start(value))

    def filter_created_before(self, queryset, name, value):
        day = min(value, LATEST) + dt.timedelta(days=1)
        return queryset.filter(created_at__lt=_day_start(day))

    def filter_lines(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        # EXISTS, not a join: one row per return whatever its lines, so pages stay exact.
        lines = ReturnLine.objects.filter(
            return_request=OuterRef("pk"), **{self.LINE_LOOKUPS[name]: value}
        )
        return queryset.filter(Exists(lines))

    @property
    def qs(self):
        queryset = super().qs
        if not queryset.query.order_by:
            return queryset.order_by(*DEFAULT_ORDERING)
        # A stable tie-breaker so a page never repeats or skips a row.
        return queryset.order_by(*queryset.query.order_by, "-id")
