"""The store's mirror: suppliers, products, batches, customers and orders."""

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower


class Address(models.Model):
    """Postal address fields shared by suppliers, customers and destinations."""

    address_name = models.CharField("addressee", max_length=200, blank=True)
    address_line1 = models.CharField(max_length=200, blank=True)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=2, default="US", help_text="ISO 3166 alpha-2")

    class Meta:
        abstract = True

    @property
    def address_lines(self) -> list[str]:
        locality = " ".join(p for p in (self.city, self.region, self.postal_code) if p)
        lines = [self.address_name, self.address_line1, self.address_line2, locality, self.country]
        return [line for line in lines if line]


class Supplier(Address):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)
    email = models.EmailField(blank=True)
    accepts_returns_for_credit = models.BooleanField(
        default=False, help_text="Takes defective or unsold goods back against a credit note."
    )
    credit_rate_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=Decimal("0"),
        validators=[MinValueValidator(0)],
        help_text="Share of unit cost credited for an accepted return.",
    )
    credit_terms = models.TextField(
        blank=True, help_text="Terms in words, e.g. 'defects only, 60 days'."
    )
    is_dropship = models.BooleanField(default=False, help_text="Ships to customers directly.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(credit_rate_percent__gte=0) & Q(credit_rate_percent__lte=100),
                name="supplier_credit_rate_0_100",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Category(models.Model):
    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    sku = models.CharField("SKU", max_length=64, unique=True)
    name = models.CharField(max_length=200)
    family = models.CharField(
        max_length=64,
        blank=True,
        db_index=True,
        help_text="Products sharing a family are variants.",
    )
    variant = models.CharField(max_length=100, blank=True, help_text="e.g. 'Blue / M'")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="products")
    supplier = models.ForeignKey(Supplier, on_delete=models.PROTECT, related_name="products")
    price = models.DecimalField(max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(max_digits=12, decimal_places=2)
    weight_grams = models.PositiveIntegerField(default=500)
    is_returnable = models.BooleanField(default=True)
    warranty_months = models.PositiveSmallIntegerField(default=0)
    stock_on_hand = models.IntegerField(default=0, help_text="Sellable new stock.")

    class Meta:
        ordering = ["sku"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="product_price_gte_0"),
            models.CheckConstraint(condition=Q(unit_cost__gte=0), name="product_cost_gte_0"),
            models.CheckConstraint(condition=Q(stock_on_hand__gte=0), name="product_stock_gte_0"),
        ]

    def __str__(self) -> str:
        return f"{self.sku} {self.name}"


class Batch(models.Model):
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="batches")
    lot_code = models.CharField(max_length=64)
    manufactured_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["product_id", "lot_code"]
        verbose_name_plural = "batches"
        constraints = [
            models.UniqueConstraint(
                fields=["product", "lot_code"], name="batch_unique_lot_per_product"
            )
        ]

    def __str__(self) -> str:
        return f"{self.product.sku} lot {self.lot_code}"


class Customer(Address):
    """A buyer. `user` is set when they have an account; guests are matched by email."""

    email = models.EmailField()
    name = models.CharField(max_length=200)
    phone = models.CharField(max_length=40, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="customer",
    )
    is_trusted = models.BooleanField(default=False, help_text="Refunds may go out on first scan.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customer_unique_email_ci"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Order(Address):
    """A delivered (or undelivered) store order. Address fields are the shipping address."""

    number = models.CharField(max_length=40, unique=True)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="orders")
    placed_at = models.DateTimeField()
    currency = models.CharField(max_length=3, default="USD")
    payment_reference = models.CharField(
        max_length=100, blank=True, help_text="The payment provider's charge / payment intent id."
    )
    shipping_paid = models.DecimalField(max_digits=12, decimal_places=2, default=Decimal("0"))
    channel = models.CharField(max_length=40, default="web", help_text="web, retail partner, …")
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-placed_at"]
        indexes = [models.Index(fields=["customer", "-placed_at"])]

    def __str__(self) -> str:
        return self.number

    @property
    def total_paid(self) -> Decimal:
        return sum((line.line_total for line in self.lines.all()), Decimal("0.00"))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    line_number = models.PositiveSmallIntegerField()
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="order_lines")
    batch = models.ForeignKey(
        Batch, null=True, blank=True, on_delete=models.PROTECT, related_name="order_lines"
    )
    quantity = models.PositiveIntegerField()
    unit_price = models.DecimalField(
        "unit price paid", max_digits=12, decimal_places=2, help_text="After discounts."
    )
    delivered_at = models.DateTimeField(null=True, blank=True, help_text="Empty: not delivered.")

    class Meta:
        ordering = ["order_id", "line_number"]
        constraints = [
            models.UniqueConstraint(
                fields=["order", "line_number"], name="orderline_unique_number"
            ),
            models.CheckConstraint(condition=Q(quantity__gt=0), name="orderline_quantity_gt_0"),
            models.CheckConstraint(condition=Q(unit_price__gte=0), name="orderline_price_gte_0"),
        ]
        indexes = [models.Index(fields=["product", "delivered_at"])]

    def __str__(self) -> str:
        return f"{self.order.number}/{self.line_number}"

    @property
    def line_total(self) -> Decimal:
        return self.unit_price * self.quantity


class Access(models.Model):
    """Holds the portal's role permissions in one place (no table).

    Roles (groups) are granted these in `catalog.roles`; pages and API views check them
    with `user.has_perm("catalog.<codename>")`.
    """

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [
            ("view_all_returns", "See every customer's returns and orders"),
            ("review_return", "Approve or decline returns in manual review"),
            ("grade_item", "Receive and grade returned items"),
            ("resolve_return", "Choose dispositions and apply customer outcomes"),
            ("issue_goodwill", "Issue a refund or credit without a return"),
            ("view_dashboard", "See KPI dashboards and supplier scorecards"),
            ("import_orders", "Send orders to the store mirror through the API"),
            ("manage_recalls", "Start and run recalls"),
        ]
