"""Admin: the tunable numbers (settings, category rates, supplier terms, holidays) are
editable; money, ledgers and route work are read-only (they change only through services)."""

from django.contrib import admin

from resolution import models as m
from returns_portal.admin import ReadOnlyAdmin


@admin.register(m.DispositionSettings)
class DispositionSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "handling_cost",
        "refurbish_cost",
        "refurbished_resale_percent",
        "liquidation_rate_percent",
        "supplier_shipping_cost",
        "disposal_fee",
        "recycler_name",
        "updated_at",
    ]

    def has_add_permission(self, request):  # one row
        return not m.DispositionSettings.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(m.CategoryDispositionRate)
class CategoryDispositionRateAdmin(admin.ModelAdmin):
    list_display = [
        "category",
        "refurbishable",
        "refurbished_resale_percent",
        "liquidation_rate_percent",
    ]


@admin.register(m.SupplierReturnTerms)
class SupplierReturnTermsAdmin(admin.ModelAdmin):
    list_display = ["supplier", "accepts_non_defective", "notes"]


@admin.register(m.ExtraHoliday)
class ExtraHolidayAdmin(admin.ModelAdmin):
    list_display = ["date", "name"]


@admin.register(m.MoneyMovement)
class MoneyMovementAdmin(ReadOnlyAdmin):
    list_display = ["id", "kind", "status", "amount", "currency", "customer", "due_on", "gateway"]
    list_filter = ["status", "kind", "gateway"]
    search_fields = ["idempotency_key", "gateway_reference", "customer__email"]


@admin.register(m.StoreCreditEntry)
class StoreCreditEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "customer", "kind", "amount", "created_at"]
    search_fields = ["customer__email"]


@admin.register(m.GatewayLedgerEntry)
class GatewayLedgerEntryAdmin(ReadOnlyAdmin):
    list_display = ["reference", "amount", "currency", "payment_reference", "created_at"]
    search_fields = ["idempotency_key", "reference", "payment_reference"]


@admin.register(m.Disposition)
class DispositionAdmin(ReadOnlyAdmin):
    list_display = ["id", "return_request", "route", "quantity", "recovered_value", "decided_at"]
    list_filter = ["route"]


@admin.register(m.CostEntry)
class CostEntryAdmin(ReadOnlyAdmin):
    list_display = ["id", "return_request", "kind", "amount", "created_at"]
    list_filter = ["kind"]


for model in (
    m.RefurbishmentJob,
    m.LiquidationLot,
    m.SupplierClaim,
    m.StockUnit,
    m.CustomerOutcome,
):
    admin.site.register(model, ReadOnlyAdmin)
