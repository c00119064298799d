"""Admin: the grading scale and the warehouse settings are edited here; inspections and
parcel exceptions are read-only (they change only through the services, which audit)."""

from django.contrib import admin

from assessment.models import Grade, GradingSettings, Inspection, ParcelException
from returns_portal.admin import ReadOnlyAdmin


@admin.register(Grade)
class GradeAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "label",
        "position",
        "resale_percent",
        "damage_deduction_percent",
        "is_sellable",
        "is_active",
    ]
    list_editable = ["position", "is_active"]
    ordering = ["position", "code"]


@admin.register(GradingSettings)
class GradingSettingsAdmin(admin.ModelAdmin):
    list_display = [
        "__str__",
        "qc_sample_percent",
        "labor_hourly_rate",
        "missing_parts_deduction_percent",
        "damaged_flag_deduction_percent",
    ]

    def has_add_permission(self, request) -> bool:
        # one row: `grading_settings()` creates it on first use
        return not GradingSettings.objects.exists()

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = [
        "return_request",
        "return_line",
        "kind",
        "grade",
        "dispute",
        "deduction",
        "minutes_spent",
        "inspector",
        "graded_at",
    ]
    list_filter = ["kind", "grade", "dispute"]
    list_select_related = ["return_request", "return_line__order_line__product", "grade"]
    search_fields = ["return_request__rma_number"]


@admin.register(ParcelException)
class ParcelExceptionAdmin(ReadOnlyAdmin):
    list_display = ["pk", "status", "carrier_tracking", "return_request", "created_at"]
    list_filter = ["status"]
    search_fields = ["carrier_tracking", "found", "label_text"]
