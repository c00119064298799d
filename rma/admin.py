"""Admin for the return policy (versioned: saving publishes), lists, reasons and returns.

Returns are read-only here: their status changes only through the services, which audit
every move.
"""

from django.contrib import admin

import rma.shipping.admin  # noqa: F401  (only `rma.admin` is autodiscovered; it registers shipping)
from returns_portal.admin import ReadOnlyAdmin
from rma.models import (
    PolicyCategoryWindow,
    PolicyListEntry,
    ReturnEvent,
    ReturnLine,
    ReturnPolicy,
    ReturnReason,
    ReturnRequest,
)
from rma.services import POLICY_FIELDS, policy_publish


def _is_old_version(obj) -> bool:
    return obj is not None and obj.pk is not None and not obj.is_active


class PolicyCategoryWindowInline(admin.TabularInline):
    model = PolicyCategoryWindow
    extra = 1
    verbose_name = "return window for a category"

    def has_add_permission(self, request, obj=None):
        return not _is_old_version(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not _is_old_version(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not _is_old_version(obj) and super().has_delete_permission(request, obj)


@admin.register(ReturnPolicy)
class ReturnPolicyAdmin(admin.ModelAdmin):
    """Saving never edits a version in place: it publishes the next version."""

    list_display = [
        "version",
        "name",
        "is_active",
        "window_days",
        "restocking_fee_percent",
        "auto_approve_max_order_value",
        "created_at",
        "created_by",
    ]
    list_filter = ["is_active"]
    readonly_fields = ["version", "is_active", "created_at", "created_by"]
    filter_horizontal = ["final_sale_categories", "final_sale_products"]
    inlines = [PolicyCategoryWindowInline]
    save_as = False
    fieldsets = [
        (None, {"fields": ["version", "is_active", "name", "notes", "created_at", "created_by"]}),
        (
            "Eligibility",
            {
                "fields": [
                    "window_days",
                    "warranty_claims_enabled",
                    "final_sale_categories",
                    "final_sale_products",
                ]
            },
        ),
        (
            "Fees and shipping",
            {
                "fields": [
                    "restocking_fee_percent",
                    "non_fault_label_payer",
                    "customer_label_fee",
                    "own_carrier_reimbursement_limit",
                    "returnless_enabled",
                    "label_cost_estimate",
                    "handling_cost_estimate",
                ]
            },
        ),
        (
            "Automatic approval limits",
            {
                "fields": [
                    "auto_approve_max_order_value",
                    "max_returns_in_period",
                    "returns_period_days",
                ]
            },
        ),
        (
            "Outcomes",
            {
                "fields": [
                    "store_credit_bonus_percent",
                    "refund_trigger",
                    "refund_sla_business_days",
                ]
            },
        ),
    ]

    def has_change_permission(self, request, obj=None):
        # Old versions are history: viewable, never editable.
        return not _is_old_version(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        """Nothing is saved here: `save_related` publishes the new version with its windows."""

    def save_related(self, request, form, formsets, change):
        if change and not form.has_changed() and not any(f.has_changed() for f in formsets):
            return  # nothing changed: no new version
        windows = {}
        for formset in formsets:
            for inline_form in formset.forms:
                data = getattr(inline_form, "cleaned_data", None) or {}
                if data.get("DELETE") or not data.get("category"):
                    continue
                windows[data["category"].pk] = data["window_days"]
        data = form.cleaned_data
        published = policy_publish(
            actor=request.user,
            notes=data.get("notes", ""),
            final_sale_categories=data.get("final_sale_categories", []),
            final_sale_products=data.get("final_sale_products", []),
            category_windows=windows,
            **{name: data[name] for name in POLICY_FIELDS if name in data},
        )
        # The admin logs and redirects to `form.instance`: point it at the new version.
        form.instance.pk = published.pk
        form.instance.version = published.version
        form.instance.is_active = True

    def construct_change_message(self, request, form, formsets, add=False):
        # The inline formsets were not saved (the new version got copies), so describe it.
        return f"Published version {form.instance.version}."

    def get_changeform_initial_data(self, request):
        """A new version starts from the active one."""
        initial = super().get_changeform_initial_data(request)
        active = ReturnPolicy.objects.filter(is_active=True).first()
        if active is None:
            return initial
        values = {name: getattr(active, name) for name in POLICY_FIELDS}
        values["final_sale_categories"] = list(
            active.final_sale_categories.values_list("pk", flat=True)
        )
        values["final_sale_products"] = list(
            active.final_sale_products.values_list("pk", flat=True)
        )
        return {**values, **initial}


@admin.register(PolicyListEntry)
class PolicyListEntryAdmin(admin.ModelAdmin):
    list_display = ["list_kind", "match_on", "value", "reason", "created_at"]
    list_filter = ["list_kind", "match_on"]
    search_fields = ["value", "reason"]


@admin.register(ReturnReason)
class ReturnReasonAdmin(admin.ModelAdmin):
    list_display = [
        "label",
        "code",
        "is_merchant_fault",
        "is_defect",
        "requires_photo",
        "is_active",
        "position",
    ]
    list_editable = ["is_active", "position"]
    list_filter = ["is_active", "is_merchant_fault", "is_defect", "requires_photo"]
    search_fields = ["code", "label"]
    prepopulated_fields = {"code": ["label"]}


class _ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class ReturnLineInline(_ReadOnlyInline):
    model = ReturnLine
    fields = [
        "order_line",
        "quantity",
        "reason",
        "unit_price",
        "restocking_fee",
        "expected_refund",
        "exchange_product",
        "customer_note",
    ]
    readonly_fields = fields


class ReturnEventInline(_ReadOnlyInline):
    model = ReturnEvent
    fields = [
        "created_at",
        "kind",
        "from_status",
        "to_status",
        "actor",
        "actor_kind",
        "message",
        "visible_to_customer",
    ]
    readonly_fields = fields
    ordering = ["created_at", "id"]


@admin.register(ReturnRequest)
class ReturnRequestAdmin(ReadOnlyAdmin):
    """Read-only: statuses change through the services (and their audit trail) only."""

    list_display = [
        "reference",
        "order",
        "customer",
        "kind",
        "status",
        "decision",
        "expected_refund",
        "created_at",
    ]
    list_filter = ["status", "kind", "decision", "channel", "refund_without_return"]
    search_fields = ["rma_number", "order__number", "customer__email"]
    list_select_related = ["order", "customer"]
    date_hierarchy = "created_at"
    inlines = [ReturnLineInline, ReturnEventInline]

    @admin.display(description="reference", ordering="rma_number")
    def reference(self, obj):
        return obj.reference
