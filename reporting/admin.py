from django.contrib import admin

from reporting.models import Recall, SpikeAlert, SpikeRule, StageTarget
from returns_portal.admin import ReadOnlyAdmin


@admin.register(StageTarget)
class StageTargetAdmin(admin.ModelAdmin):
    list_display = ["stage", "hours"]


@admin.register(SpikeRule)
class SpikeRuleAdmin(admin.ModelAdmin):
    list_display = ["window_days", "baseline_days", "min_count", "factor", "min_baseline"]


# Alerts and recalls change state through their services, which write the audit trail
# (the dashboard's Acknowledge / Start recall / Close buttons); the admin only shows them.
@admin.register(SpikeAlert)
class SpikeAlertAdmin(ReadOnlyAdmin):
    list_display = ["scope", "product_id", "batch_id", "reason_code", "count", "baseline", "status"]
    list_filter = ["scope", "status"]


@admin.register(Recall)
class RecallAdmin(ReadOnlyAdmin):
    list_display = ["pk", "batch", "reason_code", "status", "opened_by", "created_at"]
