"""Daily fact tables (rebuilt by `reporting.rollups`), stage targets, spike alerts and recalls.

Fact rows are derived data: a day's rows are deleted and re-inserted in one transaction,
so they carry no identity of their own and nothing points at them.
"""

from decimal import Decimal

from django.conf import settings
from django.db import models

MONEY = {"max_digits": 14, "decimal_places": 2, "default": Decimal("0")}
OPEN_STATUSES = (
    "requested",
    "pending_review",
    "approved",
    "label_issued",
    "in_transit",
    "delivered",
    "received",
    "graded",
)


class LineDaily(models.Model):
    """Returned lines by day × product × batch × reason × grade × disposition route."""

    day = models.DateField(db_index=True)
    product_id = models.IntegerField()
    supplier_id = models.IntegerField()
    category_id = models.IntegerField()
    batch_id = models.IntegerField(null=True)
    reason_code = models.CharField(max_length=40)
    is_defect = models.BooleanField(default=False)
    grade_code = models.CharField(max_length=4, blank=True, default="")
    route = models.CharField(max_length=20, blank=True, default="")
    returns = models.IntegerField(default=0, help_text="Distinct returns.")
    units = models.IntegerField(default=0)
    original_value = models.DecimalField(**MONEY)
    recovered_value = models.DecimalField(**MONEY)
    route_cost = models.DecimalField(**MONEY)
    write_down = models.DecimalField(**MONEY)

    class Meta:
        indexes = [
            models.Index(fields=["supplier_id", "day"]),
            models.Index(fields=["product_id", "day"]),
        ]


class ReturnFact(models.Model):
    """One row per return: its day, stage timestamps, money and costs.

    Averages, p90 cycle times, stage breaches and refund SLA all read this table.
    Product, supplier and category are those of the return's first line.
    """

    return_id = models.IntegerField(primary_key=True)
    day = models.DateField(db_index=True)
    kind = models.CharField(max_length=20)
    status = models.CharField(max_length=20)
    product_id = models.IntegerField(null=True)
    supplier_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    requested_at = models.DateTimeField()
    approved_at = models.DateTimeField(null=True)
    label_at = models.DateTimeField(null=True)
    first_scan_at = models.DateTimeField(null=True)
    received_at = models.DateTimeField(null=True)
    graded_at = models.DateTimeField(null=True)
    resolved_at = models.DateTimeField(null=True)
    refunded_at = models.DateTimeField(null=True, help_text="First succeeded refund or credit.")
    refund_due_on = models.DateField(null=True)
    refund_amount = models.DecimalField(**MONEY)
    cost_label = models.DecimalField(**MONEY)
    cost_labor = models.DecimalField(**MONEY)
    cost_write_down = models.DecimalField(**MONEY)
    cost_customer_service = models.DecimalField(**MONEY)
    cost_other = models.DecimalField(**MONEY)
    grading_minutes = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))

    class Meta:
        indexes = [
            models.Index(fields=["supplier_id", "day"]),
            models.Index(fields=["product_id", "day"]),
            # Only returns still moving through a stage: the stage-breach list reads these.
            models.Index(
                fields=["status", "day"],
                condition=models.Q(status__in=OPEN_STATUSES),
                name="returnfact_open_status_day",
            ),
        ]


class SalesDaily(models.Model):
    day = models.DateField(db_index=True)
    product_id = models.IntegerField()
    supplier_id = models.IntegerField()
    category_id = models.IntegerField()
    units = models.IntegerField(default=0)


class GraderDaily(models.Model):
    day = models.DateField(db_index=True)
    inspector_id = models.IntegerField(null=True)
    inspections = models.IntegerField(default=0)
    returns = models.IntegerField(default=0)
    minutes = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))


class DailyTotals(models.Model):
    """Additive KPIs for one day and one slice; dashboards sum these and never scan facts.

    Return-based columns follow the return's first line (like ReturnFact), line-based ones
    each line (like LineDaily), sold units each order line (like SalesDaily).
    """

    day = models.DateField()
    supplier_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    # from ReturnFact
    returns = models.IntegerField(default=0)
    refunded = models.DecimalField(**MONEY)
    cost_label = models.DecimalField(**MONEY)
    cost_labor = models.DecimalField(**MONEY)
    cost_write_down = models.DecimalField(**MONEY)
    cost_customer_service = models.DecimalField(**MONEY)
    cost_other = models.DecimalField(**MONEY)
    grading_minutes = models.DecimalField(max_digits=14, decimal_places=2, default=Decimal("0"))
    refunds_due = models.IntegerField(default=0)
    refunds_on_time = models.IntegerField(default=0)
    # from LineDaily
    line_returns = models.IntegerField(default=0, help_text="Sum of LineDaily.returns.")
    defect_returns = models.IntegerField(default=0)
    returned_units = models.IntegerField(default=0)
    original_value = models.DecimalField(**MONEY)
    recovered_value = models.DecimalField(**MONEY)
    write_down = models.DecimalField(**MONEY)
    # from SalesDaily
    sold_units = models.IntegerField(default=0)

    class Meta:
        abstract = True


class ProductDaily(DailyTotals):
    """DailyTotals per day × product (product_id is NULL for a return without lines)."""

    product_id = models.IntegerField(null=True)

    class Meta:
        indexes = [
            models.Index(fields=["day", "product_id"]),
            models.Index(fields=["product_id", "day"]),
        ]


class SegmentDaily(DailyTotals):
    """DailyTotals per day × supplier × category: what unfiltered pages read."""

    class Meta:
        indexes = [models.Index(fields=["day", "supplier_id", "category_id"])]


class MixDaily(models.Model):
    """LineDaily.returns per day × supplier × category × (reason | grade | route) value."""

    class Dimension(models.TextChoices):
        REASON = "reason", "Reason"
        GRADE = "grade", "Grade"
        ROUTE = "route", "Disposition route"

    day = models.DateField()
    supplier_id = models.IntegerField()
    category_id = models.IntegerField()
    dimension = models.CharField(max_length=10, choices=Dimension.choices)
    value = models.CharField(max_length=40, blank=True)
    returns = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["day", "dimension"])]


class CycleDaily(models.Model):
    """Histogram of cycle times per day, in 0.1 h buckets, over all returns (scope "all")
    and per supplier and per category (scope_id = that supplier's or category's id).

    Averages come from `seconds`; the p90 is read off the cumulative counts, which gives
    the exact duration rounded to 0.1 h (the precision the dashboard shows). Narrower
    slices (a product, or supplier and category together) bucket their ReturnFact rows.
    """

    class Scope(models.TextChoices):
        ALL = "all", "All returns"
        SUPPLIER = "supplier", "One supplier"
        CATEGORY = "category", "One category"

    day = models.DateField()
    scope = models.CharField(max_length=10, choices=Scope.choices, default=Scope.ALL)
    scope_id = models.IntegerField(null=True)
    cycle = models.CharField(max_length=30)
    tenth_hours = models.IntegerField()
    returns = models.IntegerField(default=0)
    seconds = models.FloatField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["day", "cycle"]),
            models.Index(fields=["scope", "scope_id", "day"]),
        ]


class ProductRunning(models.Model):
    """Running totals per product up to and including `day`, one row per ProductDaily row.

    A range's totals for every product are two index probes per product (the last row on
    or before its end minus the last row before its start), whatever the range's length.
    """

    day = models.DateField()
    product_id = models.IntegerField()
    supplier_id = models.IntegerField(null=True)
    category_id = models.IntegerField(null=True)
    line_returns = models.IntegerField(default=0)
    returned_units = models.IntegerField(default=0)
    sold_units = models.IntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["product_id", "day"]), models.Index(fields=["day"])]


class RollupState(models.Model):
    """Watermark of the last incremental run: source rows changed after it mark their days."""

    name = models.CharField(max_length=40, unique=True)
    last_run_at = models.DateTimeField(null=True)


class Stage(models.TextChoices):
    APPROVAL = "approval", "Requested → approved"
    LABEL = "label", "Approved → label issued"
    FIRST_SCAN = "first_scan", "Label issued → first carrier scan"
    TRANSIT = "transit", "First scan → received"
    GRADING = "grading", "Received → graded"
    REFUND = "refund", "Graded → refunded / resolved"


class StageTarget(models.Model):
    stage = models.CharField(max_length=20, choices=Stage.choices, unique=True)
    hours = models.PositiveIntegerField()

    class Meta:
        ordering = ["stage"]

    def __str__(self) -> str:
        return f"{self.get_stage_display()}: {self.hours} h"


class SpikeRule(models.Model):
    """Thresholds for spike detection (one active row; defaults apply when there is none)."""

    window_days = models.PositiveIntegerField(default=30)
    baseline_days = models.PositiveIntegerField(default=180)
    min_count = models.PositiveIntegerField(default=8)
    factor = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("3"))
    min_baseline = models.DecimalField(
        max_digits=7,
        decimal_places=2,
        default=Decimal("1"),
        help_text="Floor for the baseline per window, so a new batch needs a real cluster.",
    )

    def __str__(self) -> str:
        return f"≥ {self.min_count} and ≥ {self.factor}× baseline in {self.window_days} days"


class SpikeAlert(models.Model):
    class Scope(models.TextChoices):
        BATCH = "batch", "Batch"
        SKU = "sku", "SKU"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RECALLED = "recalled", "Recall started"

    scope = models.CharField(max_length=10, choices=Scope.choices)
    product_id = models.IntegerField()
    batch_id = models.IntegerField(null=True)
    reason_code = models.CharField(max_length=40)
    window_start = models.DateField()
    window_end = models.DateField()
    count = models.IntegerField()
    baseline = models.DecimalField(max_digits=9, decimal_places=2)
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["scope", "product_id", "batch_id", "reason_code"],
                condition=models.Q(status="open"),
                name="spike_one_open_per_scope_reason",
            )
        ]


class Recall(models.Model):
    """Minimal recall record; the recall workflow itself is a later issue."""

    batch = models.ForeignKey("catalog.Batch", on_delete=models.PROTECT, related_name="recalls")
    reason_code = models.CharField(max_length=40)
    alert = models.ForeignKey(SpikeAlert, null=True, on_delete=models.SET_NULL)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, default="open")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Recall {self.pk} of batch {self.batch_id}"
