"""Destinations, routing rules, shipments (labels), carrier tracking events and label batches."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Address, Category, Product, Supplier
from rma.states import LabelPayer

__all__ = ["Destination", "DestinationRule", "LabelBatch", "Shipment", "TrackingEvent"]

MONEY = {"max_digits": 12, "decimal_places": 2}


class Destination(Address):
    """Where a returned parcel goes: our warehouse, a supplier, or a third-party returns center."""

    class Kind(models.TextChoices):
        WAREHOUSE = "warehouse", "Warehouse"
        SUPPLIER = "supplier", "Supplier"
        RETURNS_CENTER = "returns_center", "Third-party returns center"

    code = models.SlugField(max_length=60, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.WAREHOUSE)
    name = models.CharField(max_length=200)
    supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.PROTECT, related_name="destinations"
    )
    is_default = models.BooleanField(
        default=False, help_text="The warehouse used when no rule sends the parcel elsewhere."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_destination"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()})"


class DestinationRule(models.Model):
    """'Returns matching all of these conditions go there.' Lowest priority number wins.

    Empty conditions match anything. Built-in defaults (dropship → supplier; defect and the
    supplier takes credit → supplier; else the default warehouse) apply after these rules.
    """

    name = models.CharField(max_length=120)
    priority = models.PositiveIntegerField(default=100)
    active = models.BooleanField(default=True)
    match_product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match_supplier = models.ForeignKey(
        Supplier, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match_category = models.ForeignKey(
        Category, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match_reason = models.ForeignKey(
        "rma.ReturnReason", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    match_defect = models.BooleanField(
        null=True, blank=True, help_text="Only returns whose reason is (or is not) a defect."
    )
    match_dropship = models.BooleanField(
        null=True, blank=True, help_text="Only products of dropship suppliers (or not)."
    )
    match_supplier_accepts_credit = models.BooleanField(
        null=True, blank=True, help_text="Only suppliers that take returns for credit (or not)."
    )
    destination = models.ForeignKey(
        Destination, null=True, blank=True, on_delete=models.PROTECT, related_name="rules"
    )
    to_product_supplier = models.BooleanField(
        default=False, help_text="Send to the product's supplier instead of a fixed destination."
    )

    class Meta:
        ordering = ["priority", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(destination__isnull=False, to_product_supplier=False)
                | Q(destination__isnull=True, to_product_supplier=True),
                name="rule_exactly_one_target",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.priority} {self.name}"


class Shipment(models.Model):
    """The parcel of one return: where it goes, who pays, the label and its tracking."""

    class Status(models.TextChoices):
        PLANNED = "planned", "Planned (no label yet)"
        LABEL_CREATED = "label_created", "Label created"
        IN_TRANSIT = "in_transit", "In transit"
        OUT_FOR_DELIVERY = "out_for_delivery", "Out for delivery"
        DELIVERED = "delivered", "Delivered"
        EXCEPTION = "exception", "Carrier exception"
        VOIDED = "voided", "Label voided"

    return_request = models.OneToOneField(
        "rma.ReturnRequest", on_delete=models.CASCADE, related_name="shipment"
    )
    destination = models.ForeignKey(Destination, on_delete=models.PROTECT, related_name="+")
    routing_rule = models.CharField(max_length=200, blank=True)
    routing_reason = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PLANNED)
    label_payer = models.CharField(max_length=20, choices=LabelPayer.choices)
    carrier = models.CharField(max_length=40, blank=True)
    service = models.CharField(max_length=60, blank=True)
    tracking_number = models.CharField(max_length=40, unique=True, null=True, blank=True)
    cost = models.DecimalField(**MONEY, null=True, blank=True, help_text="What the carrier bills.")
    weight_grams = models.PositiveIntegerField(default=0)
    label_pdf = models.FileField(upload_to="shipping/labels/", blank=True)
    packing_slip_pdf = models.FileField(upload_to="shipping/slips/", blank=True)
    own_carrier_name = models.CharField(max_length=60, blank=True)
    reimbursement_claim = models.DecimalField(**MONEY, null=True, blank=True)
    reimbursement_capped = models.DecimalField(**MONEY, null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    label_created_at = models.DateTimeField(null=True, blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Shipment {self.pk} {self.tracking_number or '(no label)'}"

    @property
    def voided(self) -> bool:
        return self.status == self.Status.VOIDED


class TrackingEvent(models.Model):
    """One carrier scan. (carrier, event_id) is unique so a redelivered webhook is a no-op."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="events")
    carrier = models.CharField(max_length=40)
    event_id = models.CharField(max_length=100)
    status = models.CharField(max_length=20, choices=Shipment.Status.choices)
    occurred_at = models.DateTimeField()
    location = models.CharField(max_length=200, blank=True)
    description = models.CharField(max_length=300, blank=True)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["occurred_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["carrier", "event_id"], name="tracking_event_once")
        ]


class LabelBatch(models.Model):
    """Labels for many returns made by one Celery task (e.g. a recall)."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    return_ids = models.JSONField(default=list)
    total = models.PositiveIntegerField(default=0)
    done = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)
    result = models.FileField(upload_to="shipping/batches/", blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "label batches"

    @property
    def percent(self) -> int:
        if not self.total:
            return 100
        return int(100 * (self.done + self.failed) / self.total)

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)


# The rma app has no admin/tasks module of its own for shipping: load ours with the models so
# the admin site and the Celery worker both see them.
from rma.shipping import admin as _admin  # noqa: E402, F401
from rma.shipping import tasks as _tasks  # noqa: E402, F401
