from django.contrib import admin

from reporting.models import Recall, SpikeAlert, SpikeRule, StageTarget


@admin.register(StageTarget)
class StageTargetAdmin(admin.ModelAdmin):
    list_display = ["stage", "hours"]


@admin.register(SpikeRule)
class SpikeRuleAdmin(admin.ModelAdmin):
    list_display = ["window_days", "baseline_days", "min_count", "factor", "min_baseline"]


@admin.register(SpikeAlert)
class SpikeAlertAdmin(admin.ModelAdmin):
    list_display = ["scope", "product_id", "batch_id", "reason_code", "count", "baseline", "status"]
    list_filter = ["scope", "status"]


@admin.register(Recall)
class RecallAdmin(admin.ModelAdmin):
    list_display = ["pk", "batch", "reason_code", "status", "opened_by", "created_at"]
