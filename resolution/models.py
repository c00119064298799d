"""Disposition of graded items, money movements (refunds, store credit) and return costs."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q

from catalog.models import Category, Customer, Order, Product, Supplier
from rma.models import ReturnLine, ReturnRequest

MONEY = {"max_digits": 12, "decimal_places": 2}


class Route(models.TextChoices):
    RESTOCK = "restock", "Restock"
    REFURBISH = "refurbish", "Refurbish"
    LIQUIDATE = "liquidate", "Liquidate"
    RETURN_TO_SUPPLIER = "return_to_supplier", "Return to supplier"
    DISPOSE = "dispose", "Dispose / recycle"


class Disposition(models.Model):
    """Where one graded return line goes, why, and what it recovered and cost."""

    return_line = models.OneToOneField(
        ReturnLine, on_delete=models.CASCADE, related_name="disposition"
    )
    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="dispositions"
    )
    route = models.CharField(max_length=20, choices=Route.choices)
    quantity = models.PositiveIntegerField(default=1)
    expected_recovery = models.DecimalField(**MONEY, default=Decimal("0"))
    expected_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    recovered_value = models.DecimalField(**MONEY, default=Decimal("0"))
    route_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    write_down = models.DecimalField(**MONEY, default=Decimal("0"))
    reason = models.TextField()
    alternatives = models.JSONField(default=list, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    override_reason = models.TextField(blank=True)
    decided_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Added by RESOLUTION (0002): who takes disposed items away; the open-box stock restocked
    # into (empty for a restock to new stock), so an override can take it back out.
    recycler = models.CharField(max_length=120, blank=True)
    stock_unit = models.ForeignKey(
        "StockUnit", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )


class MoneyMovement(models.Model):
    """Every refund, store-credit issue or goodwill payment: one exactly-once path.

    `idempotency_key` is unique: the same cause can never pay twice.
    """

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund to original payment"
        STORE_CREDIT = "store_credit", "Store credit"
        GOODWILL_REFUND = "goodwill_refund", "Goodwill refund"
        GOODWILL_CREDIT = "goodwill_credit", "Goodwill store credit"
        REIMBURSEMENT = "reimbursement", "Shipping reimbursement"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    idempotency_key = models.CharField(max_length=100, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="money_movements")
    return_request = models.ForeignKey(
        ReturnRequest,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="money_movements",
    )
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3, default="USD")
    gateway = models.CharField(max_length=20, default="ledger")
    gateway_reference = models.CharField(max_length=100, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    due_on = models.DateField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True, db_index=True)
    # Added by RESOLUTION (0002): the order and charge / payment intent refunded.
    order = models.ForeignKey(
        Order, null=True, blank=True, on_delete=models.PROTECT, related_name="money_movements"
    )
    payment_reference = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="money_movement_amount_gt_0"),
        ]
        # Added by RESOLUTION (0002): the sweeper and the overdue list read pending rows.
        indexes = [models.Index(fields=["status", "due_on"], name="movement_status_due")]


class CostEntry(models.Model):
    """One cost booked against a return (the KPIs sum these by kind)."""

    class Kind(models.TextChoices):
        LABEL = "label", "Return label"
        LABOR = "labor", "Warehouse labor"
        WRITE_DOWN = "write_down", "Write-down"
        CUSTOMER_SERVICE = "customer_service", "Customer service"
        SHIPPING = "shipping", "Onward shipping"
        HANDLING = "handling", "Handling"

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.CASCADE, related_name="costs"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(**MONEY)
    minutes = models.DecimalField(max_digits=7, decimal_places=2, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    source_key = models.CharField(
        max_length=100,
        unique=True,
        null=True,
        blank=True,
        help_text="Set when the cost comes from a system event, so it is booked once.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)


# --- Added by RESOLUTION (migration 0002+): settings, route work, outcomes, ledgers ----------
PERCENT = {"max_digits": 5, "decimal_places": 2}


class DispositionSettings(models.Model):
    """Rates and costs the disposition engine weighs (one row; edit it in the admin).

    Kept in the database so a manager can retune them without a deploy; a category may
    override any of them (`CategoryDispositionRate`). `disposition_settings()` makes the row.
    """

    handling_cost = models.DecimalField(
        **MONEY, default=Decimal("2.50"), help_text="Per unit, whatever the route."
    )
    refurbish_cost = models.DecimalField(**MONEY, default=Decimal("12.00"), help_text="Per unit.")
    refurbished_resale_percent = models.DecimalField(
        **PERCENT, default=Decimal("75.00"), help_text="Resale of a refurbished unit, % of price."
    )
    liquidation_rate_percent = models.DecimalField(
        **PERCENT, default=Decimal("20.00"), help_text="What a liquidator pays, % of price."
    )
    supplier_shipping_cost = models.DecimalField(
        **MONEY, default=Decimal("4.00"), help_text="Per unit sent back to the supplier."
    )
    disposal_fee = models.DecimalField(**MONEY, default=Decimal("1.50"), help_text="Per unit.")
    recycler_name = models.CharField(max_length=120, default="Certified e-waste recycler")
    new_stock_grades = models.CharField(
        max_length=60,
        default="A",
        help_text="Grade codes (comma-separated) that go back to new stock; other sellable "
        "grades are restocked as open box.",
    )
    customer_service_hourly_rate = models.DecimalField(
        max_digits=8, decimal_places=2, default=Decimal("30.00")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "disposition settings"
        verbose_name_plural = "disposition settings"

    def __str__(self) -> str:
        return "Disposition settings"

    @property
    def new_stock_grade_codes(self) -> frozenset[str]:
        return frozenset(c.strip().upper() for c in self.new_stock_grades.split(",") if c.strip())


class CategoryDispositionRate(models.Model):
    """Per-category overrides of the disposition settings (empty: use the default)."""

    category = models.OneToOneField(
        Category, on_delete=models.CASCADE, related_name="disposition_rate"
    )
    refurbishable = models.BooleanField(default=True)
    handling_cost = models.DecimalField(**MONEY, null=True, blank=True)
    refurbish_cost = models.DecimalField(**MONEY, null=True, blank=True)
    refurbished_resale_percent = models.DecimalField(**PERCENT, null=True, blank=True)
    liquidation_rate_percent = models.DecimalField(**PERCENT, null=True, blank=True)
    supplier_shipping_cost = models.DecimalField(**MONEY, null=True, blank=True)
    disposal_fee = models.DecimalField(**MONEY, null=True, blank=True)

    def __str__(self) -> str:
        return f"Rates for {self.category}"


class SupplierReturnTerms(models.Model):
    """What a supplier takes back beyond defects (the credit rate is on the supplier)."""

    supplier = models.OneToOneField(Supplier, on_delete=models.CASCADE, related_name="rtv_terms")
    accepts_non_defective = models.BooleanField(
        default=False, help_text="Also credits unsold / non-defective returns."
    )
    notes = models.CharField(max_length=300, blank=True)

    class Meta:
        verbose_name_plural = "supplier return terms"

    def __str__(self) -> str:
        return f"Return terms of {self.supplier}"


class StockUnit(models.Model):
    """Sellable second-hand stock of a product: open box at a grade, or refurbished."""

    class Condition(models.TextChoices):
        OPEN_BOX = "open_box", "Open box"
        REFURBISHED = "refurbished", "Refurbished"

    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="stock_units")
    condition = models.CharField(max_length=20, choices=Condition.choices)
    grade = models.ForeignKey(
        "assessment.Grade", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    quantity = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["product_id", "condition", "grade_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "condition", "grade"],
                condition=Q(grade__isnull=False),
                name="stockunit_one_per_product_condition_grade",
            ),
            models.UniqueConstraint(
                fields=["product", "condition"],
                condition=Q(grade__isnull=True),
                name="stockunit_one_per_product_condition",
            ),
        ]

    def __str__(self) -> str:
        grade = f" {self.grade.code}" if self.grade_id else ""
        return f"{self.product.sku} {self.get_condition_display()}{grade} × {self.quantity}"


class RefurbishmentJob(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Waiting for refurbishment"
        RESTOCKED = "restocked", "Refurbished and restocked"
        DISPOSED = "disposed", "Could not be fixed: disposed"
        RETURNED = "returned", "Repaired and sent back to the customer"

    disposition = models.OneToOneField(
        Disposition, on_delete=models.CASCADE, related_name="refurbishment"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    for_customer = models.BooleanField(
        default=False, help_text="A warranty repair: the item goes back to the customer."
    )
    estimated_cost = models.DecimalField(**MONEY, default=Decimal("0"))
    actual_cost = models.DecimalField(**MONEY, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"Refurbishment #{self.pk} ({self.status})"


class LiquidationLot(models.Model):
    """Items sold to a liquidator as one lot; the sale price is spread over the items."""

    class Status(models.TextChoices):
        OPEN = "open", "Open (collecting items)"
        SOLD = "sold", "Sold"

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    buyer = models.CharField(max_length=200, blank=True)
    sold_amount = models.DecimalField(**MONEY, null=True, blank=True)
    sold_at = models.DateTimeField(null=True, blank=True)
    sold_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=Q(status="open"), name="one_open_liquidation_lot"
            ),
        ]

    def __str__(self) -> str:
        return f"Lot L-{self.pk:05d}"

    @property
    def reference(self) -> str:
        return f"L-{self.pk:05d}"


class LiquidationItem(models.Model):
    lot = models.ForeignKey(LiquidationLot, on_delete=models.PROTECT, related_name="items")
    disposition = models.OneToOneField(
        Disposition, on_delete=models.CASCADE, related_name="liquidation_item"
    )
    expected_value = models.DecimalField(**MONEY)
    recovered_value = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["lot_id", "id"]


class SupplierClaim(models.Model):
    """Return to vendor: the items going back to one supplier and the credit expected."""

    class Status(models.TextChoices):
        OPEN = "open", "Open (collecting items)"
        SHIPPED = "shipped", "Shipped to the supplier"
        CREDITED = "credited", "Credited"

    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="claims")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    tracking_number = models.CharField(max_length=60, blank=True)
    shipped_at = models.DateTimeField(null=True, blank=True)
    credited_amount = models.DecimalField(**MONEY, null=True, blank=True)
    credit_note = models.CharField(max_length=100, blank=True)
    credited_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["supplier"], condition=Q(status="open"), name="one_open_claim_per_supplier"
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"RTV-{self.pk:05d}"


class SupplierClaimItem(models.Model):
    claim = models.ForeignKey(SupplierClaim, on_delete=models.PROTECT, related_name="items")
    disposition = models.OneToOneField(
        Disposition, on_delete=models.CASCADE, related_name="claim_item"
    )
    quantity = models.PositiveIntegerField()
    expected_credit = models.DecimalField(**MONEY)
    credited = models.DecimalField(**MONEY, null=True, blank=True)

    class Meta:
        ordering = ["claim_id", "id"]


class CustomerOutcome(models.Model):
    """What the customer got for a return, decided once (refund, credit, exchange, none)."""

    class Kind(models.TextChoices):
        REFUND = "refund", "Refund to original payment"
        STORE_CREDIT = "store_credit", "Store credit"
        EXCHANGE = "exchange", "Exchange"
        EXCHANGE_PARTIAL = "exchange_partial", "Exchange, rest refunded or credited"
        REPAIR = "repair", "Warranty repair"
        NO_REFUND = "no_refund", "No refund (staff decision)"
        NOTHING_DUE = "nothing_due", "Nothing due"

    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.CASCADE, related_name="customer_outcome"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    amount = models.DecimalField(
        **MONEY, default=Decimal("0"), help_text="Refunded or credited (bonus included)."
    )
    trigger = models.CharField(max_length=20, blank=True)
    reason = models.TextField(blank=True)
    breakdown = models.JSONField(default=dict, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.return_request_id}: {self.kind} {self.amount}"


class ExchangePreference(models.Model):
    """What an exchange turns into when the replacement is out of stock."""

    class Fallback(models.TextChoices):
        REFUND = "refund", "Refund to original payment"
        STORE_CREDIT = "store_credit", "Store credit"

    return_request = models.OneToOneField(
        ReturnRequest, on_delete=models.CASCADE, related_name="exchange_preference"
    )
    fallback = models.CharField(
        max_length=20, choices=Fallback.choices, default=Fallback.STORE_CREDIT
    )
    updated_at = models.DateTimeField(auto_now=True)


class ExchangeOrder(models.Model):
    """The outbound replacement for one exchanged line (stock already taken)."""

    class Status(models.TextChoices):
        PLACED = "placed", "Placed"
        SHIPPED = "shipped", "Shipped"

    return_request = models.ForeignKey(
        ReturnRequest, on_delete=models.PROTECT, related_name="exchange_orders"
    )
    return_line = models.OneToOneField(
        ReturnLine, on_delete=models.PROTECT, related_name="exchange_order"
    )
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="+")
    quantity = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLACED)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    @property
    def reference(self) -> str:
        return f"EX-{self.pk:06d}"


class StoreCreditEntry(models.Model):
    """Store credit ledger: the balance is the sum; spends are negative and keyed."""

    class Kind(models.TextChoices):
        ISSUE = "issue", "Issued"
        SPEND = "spend", "Spent"
        ADJUST = "adjust", "Adjustment"

    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="store_credit")
    amount = models.DecimalField(**MONEY)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    money_movement = models.OneToOneField(
        MoneyMovement,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="store_credit_entry",
    )
    idempotency_key = models.CharField(max_length=100, unique=True, null=True, blank=True)
    note = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "store credit entries"
        constraints = [
            models.CheckConstraint(condition=~Q(amount=0), name="store_credit_amount_not_0"),
        ]


class GatewayLedgerEntry(models.Model):
    """The built-in gateway's book of refunds paid: one row per idempotency key."""

    idempotency_key = models.CharField(max_length=100, unique=True)
    reference = models.CharField(max_length=40, unique=True)
    payment_reference = models.CharField(max_length=100, blank=True)
    amount = models.DecimalField(**MONEY)
    currency = models.CharField(max_length=3)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "gateway ledger entries"


class ExtraHoliday(models.Model):
    """A non-working day on top of the public holidays (refund SLA counts business days)."""

    date = models.DateField(unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
