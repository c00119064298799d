"""Receiving and grading: what arrived, in what condition, graded by whom and how long it took."""

from decimal import Decimal

from django.conf import settings
from django.db import models

from rma.models import ReturnLine, ReturnRequest


class Grade(models.Model):
    """One step of the configurable grading scale (e.g. A like new … D unusable)."""

    code = models.CharField(max_length=4, unique=True)
    label = models.CharField(max_length=60)
    criteria = models.TextField(help_text="Shown to the grader next to the grade.")
    position = models.PositiveSmallIntegerField(default=0)
    resale_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Resale value at this grade, as % of the product price.",
    )
    is_sellable = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)
    damage_deduction_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        help_text=(
            "Deducted from the refund when an item comes back at this grade on a reason that "
            "is not the merchant's fault (customer damage)."
        ),
    )

    class Meta:
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return f"{self.code} — {self.label}"


class ArrivedAs(models.TextChoices):
    AS_EXPECTED = "as_expected", "As expected"
    WRONG_ITEM = "wrong_item", "Wrong item"
    MISSING_PARTS = "missing_parts", "Missing parts"
    EMPTY_BOX = "empty_box", "Empty box"


class Inspection(models.Model):
    """The grading of one return line. A QC sample adds a second, blind inspection."""

    class Kind(models.TextChoices):
        PRIMARY = "primary", "Primary grading"
        QC = "qc", "Blind second grading (quality control)"

    return_line = models.ForeignKey(
        ReturnLine, on_delete=models.CASCADE, related_name="inspections"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="inspections"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.PRIMARY)
    quantity_received = models.PositiveIntegerField(default=0)
    arrived_as = models.CharField(
        max_length=20, choices=ArrivedAs.choices, default=ArrivedAs.AS_EXPECTED
    )
    checklist = models.JSONField(
        default=dict,
        blank=True,
        help_text="unused, original_packaging, complete, damaged, as_described → bool",
    )
    grade = models.ForeignKey(Grade, null=True, blank=True, on_delete=models.PROTECT)
    notes = models.TextField(blank=True, max_length=4000)
    dispute = models.CharField(
        max_length=20,
        choices=[
            ("", "No dispute"),
            ("not_defective", "Claimed defective; arrived unused and working"),
            ("customer_damage", "Damaged by the customer"),
            ("not_as_returned", "Wrong item, missing parts or empty box"),
        ],
        blank=True,
    )
    deduction = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        default=Decimal("0"),
        help_text="Condition deduction from the refund for this line, per the policy.",
    )
    minutes_spent = models.DecimalField(max_digits=7, decimal_places=2, default=Decimal("0"))
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    version = models.PositiveIntegerField(
        default=0, help_text="Optimistic lock for concurrent edits."
    )
    # A QC row only: the first grading as it stood when this blind check was submitted, so a
    # later correction of the first grade does not erase the disagreement or move it to
    # whoever corrected it.
    compared_grade = models.ForeignKey(
        Grade, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    compared_inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    graded_at = models.DateTimeField(null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["return_request_id", "return_line_id", "kind"]
        constraints = [
            models.UniqueConstraint(fields=["return_line", "kind"], name="one_inspection_per_kind"),
        ]

    def __str__(self) -> str:
        return f"{self.return_line} {self.kind} {self.grade.code if self.grade else '—'}"


def _inspection_photo_path(instance, filename: str) -> str:
    return f"inspection-photos/{instance.inspection.return_request_id}/{filename}"


class InspectionPhoto(models.Model):
    inspection = models.ForeignKey(Inspection, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_inspection_photo_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)


# --- Added by WAREHOUSE (migration 0002): settings, deductions, parcel exceptions ----------
PERCENT_FIELD = {"max_digits": 5, "decimal_places": 2}


class GradingSettings(models.Model):
    """The warehouse's tunable numbers (one row; edit it in the admin).

    Kept in the database rather than Django settings so a manager can change the QC rate or
    the labour rate without a deploy; `grading_settings()` creates the row with defaults.
    """

    qc_sample_percent = models.DecimalField(
        **PERCENT_FIELD,
        default=Decimal("5.00"),
        help_text="Share of primary-graded items sent for a blind second grading.",
    )
    labor_hourly_rate = models.DecimalField(
        max_digits=8,
        decimal_places=2,
        default=Decimal("24.00"),
        help_text="Loaded cost of one warehouse hour, booked per inspection.",
    )
    missing_parts_deduction_percent = models.DecimalField(
        **PERCENT_FIELD,
        default=Decimal("30.00"),
        help_text="Deducted from the received units' value when parts are missing.",
    )
    wrong_item_deduction_percent = models.DecimalField(
        **PERCENT_FIELD,
        default=Decimal("100.00"),
        help_text="Deducted from the line's value when a different item came back.",
    )
    empty_box_deduction_percent = models.DecimalField(
        **PERCENT_FIELD,
        default=Decimal("100.00"),
        help_text="Deducted from the line's value when the box was empty.",
    )
    damaged_flag_deduction_percent = models.DecimalField(
        **PERCENT_FIELD,
        default=Decimal("20.00"),
        help_text=(
            "Minimum deduction when the 'damaged' box is ticked on a reason that is not the "
            "merchant's fault (the grade's own deduction applies if it is higher)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "grading settings"
        verbose_name_plural = "grading settings"

    def __str__(self) -> str:
        return "Grading settings"


class ParcelException(models.Model):
    """A parcel that could not be matched on arrival: no RMA, unreadable label, unknown tracking."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        MATCHED = "matched", "Matched to a return"
        UNIDENTIFIED = "unidentified", "Logged as unidentified"

    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    found = models.TextField(max_length=2000, help_text="What was in the parcel.")
    carrier_tracking = models.CharField(max_length=60, blank=True)
    label_text = models.CharField(
        max_length=200, blank=True, help_text="Whatever could be read on the label."
    )
    notes = models.TextField(blank=True, max_length=2000)
    return_request = models.ForeignKey(
        ReturnRequest,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="parcel_exceptions",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "-created_at"])]

    def __str__(self) -> str:
        return f"Parcel exception #{self.pk} ({self.status})"


def _parcel_photo_path(instance, filename: str) -> str:
    return f"parcel-exceptions/{instance.parcel_id}/{filename}"


class ParcelExceptionPhoto(models.Model):
    parcel = models.ForeignKey(ParcelException, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_parcel_photo_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)
