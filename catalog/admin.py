"""Admin for the store mirror: reference data is editable; orders arrive from the store.

Orders and their lines come from the store feed (API or CSV import) and returns point at
them, so order lines are read-only here: a change belongs in the store, then resent.
"""

from django.contrib import admin
from django.db.models import Count

from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier

ADDRESS_FIELDSET = (
    "Address",
    {
        "fields": (
            "address_name",
            "address_line1",
            "address_line2",
            ("city", "region", "postal_code"),
            "country",
        )
    },
)


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "code",
        "is_dropship",
        "accepts_returns_for_credit",
        "credit_rate_percent",
        "product_count",
    )
    list_filter = ("is_dropship", "accepts_returns_for_credit", "country")
    search_fields = ("name", "code", "email", "city")
    prepopulated_fields = {"code": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "code", "email", "is_dropship")}),
        (
            "Returns for credit",
            {"fields": ("accepts_returns_for_credit", "credit_rate_percent", "credit_terms")},
        ),
        ADDRESS_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_products=Count("products"))

    @admin.display(description="products", ordering="_products")
    def product_count(self, obj) -> int:
        return obj._products


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "product_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(_products=Count("products"))

    @admin.display(description="products", ordering="_products")
    def product_count(self, obj) -> int:
        return obj._products


class BatchInline(admin.TabularInline):
    model = Batch
    extra = 0
    fields = ("lot_code", "manufactured_on")


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = (
        "sku",
        "name",
        "variant",
        "category",
        "supplier",
        "price",
        "unit_cost",
        "stock_on_hand",
        "is_returnable",
        "warranty_months",
    )
    list_filter = ("category", "supplier", "is_returnable", "warranty_months")
    search_fields = ("sku", "name", "family", "variant", "batches__lot_code")
    list_select_related = ("category", "supplier")
    autocomplete_fields = ("category", "supplier")
    inlines = [BatchInline]
    fieldsets = (
        (None, {"fields": ("sku", "name", ("family", "variant"), "category", "supplier")}),
        ("Money and stock", {"fields": ("price", "unit_cost", "stock_on_hand")}),
        ("Returns", {"fields": ("is_returnable", "warranty_months", "weight_grams")}),
    )

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False  # a lot search joins batches


@admin.register(Batch)
class BatchAdmin(admin.ModelAdmin):
    list_display = ("lot_code", "product", "manufactured_on")
    list_filter = ("product__category", "product__supplier")
    search_fields = ("lot_code", "product__sku", "product__name")
    list_select_related = ("product",)
    autocomplete_fields = ("product",)
    date_hierarchy = "manufactured_on"


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("email", "name", "city", "country", "has_account", "is_trusted", "created_at")
    list_filter = ("is_trusted", "country", ("user", admin.EmptyFieldListFilter))
    search_fields = ("email", "name", "phone", "postal_code", "orders__number")
    raw_id_fields = ("user",)
    readonly_fields = ("created_at",)
    fieldsets = (
        (None, {"fields": ("email", "name", "phone", "user", "is_trusted", "created_at")}),
        ADDRESS_FIELDSET,
    )

    @admin.display(boolean=True, description="account", ordering="user")
    def has_account(self, obj) -> bool:
        return obj.user_id is not None

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False


class OrderLineInline(admin.TabularInline):
    model = OrderLine
    extra = 0
    can_delete = False
    fields = ("line_number", "product", "batch", "quantity", "unit_price", "delivered_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("product", "batch__product")


class DeliveredFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivered"

    def lookups(self, request, model_admin):
        return [("yes", "Every line delivered"), ("no", "Not (fully) delivered")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.exclude(lines__delivered_at__isnull=True)
        if self.value() == "no":
            return queryset.filter(lines__delivered_at__isnull=True).distinct()
        return queryset


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = ("number", "customer", "placed_at", "channel", "currency", "shipping_paid")
    list_filter = (DeliveredFilter, "channel", "currency", "placed_at", "country")
    search_fields = (
        "number",
        "payment_reference",
        "customer__email",
        "customer__name",
        "lines__product__sku",
        "lines__batch__lot_code",
    )
    list_select_related = ("customer",)
    raw_id_fields = ("customer",)
    date_hierarchy = "placed_at"
    readonly_fields = ("number", "placed_at", "created_at", "total_paid")
    inlines = [OrderLineInline]
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "number",
                    "customer",
                    "placed_at",
                    ("currency", "shipping_paid", "total_paid"),
                    "payment_reference",
                    "channel",
                    "created_at",
                )
            },
        ),
        ("Shipping address", ADDRESS_FIELDSET[1]),
    )

    def get_search_results(self, request, queryset, search_term):
        queryset, _ = super().get_search_results(request, queryset, search_term)
        return queryset.distinct(), False
