"""Return requests, their lines, photos and the append-only event log; the return policy."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from catalog.models import Category, Customer, Order, OrderLine, Product
from rma.states import Decision, LabelPayer, Outcome, ReturnKind, ReturnStatus

PERCENT = [MinValueValidator(0), MaxValueValidator(100)]
MONEY = {"max_digits": 12, "decimal_places": 2}


class RefundTrigger(models.TextChoices):
    ON_RECEIPT = "on_receipt", "When the parcel is received"
    ON_GRADING = "on_grading", "When the items are graded"
    FIRST_SCAN_TRUSTED = "first_scan_trusted", "On the first carrier scan for trusted customers"


class ReturnPolicy(models.Model):
    """One immutable version of the return policy; exactly one is active.

    Editing in the admin publishes a new version (see `rma.services.policy_publish`), so
    every past decision keeps pointing at the rules it was made under.
    """

    version = models.PositiveIntegerField(unique=True, editable=False)
    name = models.CharField(max_length=100, default="Standard policy")
    is_active = models.BooleanField(default=False, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, editable=False
    )
    notes = models.TextField(blank=True, help_text="What changed in this version.")

    window_days = models.PositiveIntegerField(default=30, help_text="Days from delivery.")
    warranty_claims_enabled = models.BooleanField(default=True)
    final_sale_categories = models.ManyToManyField(Category, blank=True, related_name="+")
    final_sale_products = models.ManyToManyField(Product, blank=True, related_name="+")

    restocking_fee_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("10.00"),
        validators=PERCENT,
        help_text="Charged on returns that are not the merchant's fault.",
    )
    non_fault_label_payer = models.CharField(
        max_length=20,
        choices=[
            (LabelPayer.CUSTOMER, LabelPayer.CUSTOMER.label),
            (LabelPayer.OWN_CARRIER, LabelPayer.OWN_CARRIER.label),
            (LabelPayer.MERCHANT, LabelPayer.MERCHANT.label),
        ],
        default=LabelPayer.CUSTOMER,
        help_text="Who pays the label when the reason is not the merchant's fault.",
    )
    customer_label_fee = models.DecimalField(
        **MONEY,
        default=Decimal("6.95"),
        help_text="Deducted from the refund for a customer-paid label.",
    )
    own_carrier_reimbursement_limit = models.DecimalField(**MONEY, default=Decimal("15.00"))

    returnless_enabled = models.BooleanField(default=True)
    label_cost_estimate = models.DecimalField(**MONEY, default=Decimal("7.50"))
    handling_cost_estimate = models.DecimalField(**MONEY, default=Decimal("4.00"))

    auto_approve_max_order_value = models.DecimalField(
        **MONEY, default=Decimal("500.00"), help_text="Returns worth more go to manual review."
    )
    max_returns_in_period = models.PositiveIntegerField(
        default=5, help_text="More returns than this by one customer in the period: manual review."
    )
    returns_period_days = models.PositiveIntegerField(default=90)

    store_credit_bonus_percent = models.DecimalField(
        max_digits=5, decimal_places=2, default=Decimal("10.00"), validators=PERCENT
    )
    refund_trigger = models.CharField(
        max_length=20, choices=RefundTrigger.choices, default=RefundTrigger.ON_GRADING
    )
    refund_sla_business_days = models.PositiveSmallIntegerField(default=3)

    class Meta:
        ordering = ["-version"]
        verbose_name_plural = "return policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_active"], condition=Q(is_active=True), name="one_active_policy"
            ),
        ]

    def __str__(self) -> str:
        return f"v{self.version} {self.name}{' (active)' if self.is_active else ''}"


class PolicyCategoryWindow(models.Model):
    policy = models.ForeignKey(
        ReturnPolicy, on_delete=models.CASCADE, related_name="category_windows"
    )
    category = models.ForeignKey(Category, on_delete=models.CASCADE, related_name="+")
    window_days = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["policy", "category"], name="one_window_per_category")
        ]


class PolicyListEntry(models.Model):
    """Block / allow lists and the serial-returner flag, by email, order or product."""

    class ListKind(models.TextChoices):
        BLOCK = "block", "Block (always decline)"
        ALLOW = "allow", "Allow (skip auto-approval limits)"
        SERIAL_RETURNER = "serial_returner", "Serial returner (always manual review)"

    class MatchOn(models.TextChoices):
        EMAIL = "email", "Customer email"
        ORDER = "order", "Order number"
        PRODUCT = "product", "Product SKU"

    list_kind = models.CharField(max_length=20, choices=ListKind.choices)
    match_on = models.CharField(max_length=10, choices=MatchOn.choices)
    value = models.CharField(max_length=200, help_text="Compared case-insensitively.")
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "policy list entries"
        constraints = [
            models.UniqueConstraint(
                fields=["list_kind", "match_on", "value"], name="policy_list_entry_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_list_kind_display()}: {self.match_on}={self.value}"


class ReturnReason(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    label = models.CharField(max_length=120)
    is_merchant_fault = models.BooleanField(default=False)
    is_defect = models.BooleanField(default=False, help_text="Valid for warranty claims.")
    requires_photo = models.BooleanField(default=False)
    is_active = models.BooleanField(default=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "label"]

    def __str__(self) -> str:
        return self.label


class ReturnRequest(models.Model):
    rma_number = models.CharField(max_length=20, unique=True, null=True, blank=True)
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="returns")
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="returns")
    kind = models.CharField(max_length=20, choices=ReturnKind.choices, default=ReturnKind.STANDARD)
    status = models.CharField(
        max_length=20, choices=ReturnStatus.choices, default=ReturnStatus.REQUESTED, editable=False
    )
    preferred_outcome = models.CharField(
        max_length=20, choices=Outcome.choices, default=Outcome.REFUND
    )
    channel = models.CharField(max_length=20, default="portal")  # portal, api, staff, recall
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    policy = models.ForeignKey(ReturnPolicy, null=True, blank=True, on_delete=models.PROTECT)
    decision = models.CharField(max_length=10, choices=Decision.choices, blank=True)
    decision_summary = models.CharField(max_length=300, blank=True)
    decision_rules = models.JSONField(default=list, blank=True)

    label_payer = models.CharField(
        max_length=20, choices=LabelPayer.choices, default=LabelPayer.MERCHANT
    )
    refund_without_return = models.BooleanField(default=False)
    items_value = models.DecimalField(**MONEY, default=Decimal("0.00"))
    restocking_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    label_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    store_credit_bonus = models.DecimalField(**MONEY, default=Decimal("0.00"))
    expected_refund = models.DecimalField(**MONEY, default=Decimal("0.00"))

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)  # nightly rollup scan
    status_changed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-created_at"]),
            models.Index(fields=["status", "-created_at"]),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(expected_refund__gte=0), name="return_refund_gte_0"),
            models.CheckConstraint(condition=Q(restocking_fee__gte=0), name="return_fee_gte_0"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        """The RMA number once approved; a request reference before that."""
        return self.rma_number or f"REQ-{self.pk:06d}"


class ReturnLine(models.Model):
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="lines"
    )
    order_line = models.ForeignKey(OrderLine, on_delete=models.PROTECT, related_name="return_lines")
    quantity = models.PositiveIntegerField()
    reason = models.ForeignKey(ReturnReason, on_delete=models.PROTECT, related_name="+")
    customer_note = models.TextField(blank=True, max_length=2000)
    exchange_product = models.ForeignKey(
        Product, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    unit_price = models.DecimalField(
        **MONEY, help_text="Paid per unit, copied from the order line."
    )
    restocking_fee = models.DecimalField(**MONEY, default=Decimal("0.00"))
    expected_refund = models.DecimalField(**MONEY, default=Decimal("0.00"))

    class Meta:
        ordering = ["return_request_id", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="returnline_quantity_gt_0"),
            models.UniqueConstraint(
                fields=["return_request", "order_line"], name="returnline_one_per_order_line"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.return_request} × {self.quantity} {self.order_line.product.sku}"


def _photo_path(instance, filename: str) -> str:
    return f"return-photos/{instance.line.return_request_id}/{filename}"


class ReturnPhoto(models.Model):
    line = models.ForeignKey(ReturnLine, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(upload_to=_photo_path)
    uploaded_at = models.DateTimeField(auto_now_add=True)


class ReturnEvent(models.Model):
    """Append-only audit trail and customer timeline; KPIs read stage times from it."""

    class ActorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"
        CARRIER = "carrier", "Carrier"

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="events"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(
        max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    kind = models.CharField(max_length=30, default="status", help_text="status, note, tracking, …")
    from_status = models.CharField(max_length=20, choices=ReturnStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ReturnStatus.choices, blank=True)
    message = models.TextField(blank=True)
    details = models.JSONField(default=dict, blank=True)
    visible_to_customer = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["return_request", "created_at"])]

    def __str__(self) -> str:
        return f"{self.return_request_id} {self.from_status}→{self.to_status} {self.kind}"


# Shipping (destinations, labels, tracking) lives in its own module of the same app.
from rma.shipping.models import *  # noqa: E402, F403
