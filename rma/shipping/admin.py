from django.contrib import admin

from rma.shipping.models import Destination, DestinationRule, LabelBatch, Shipment


@admin.register(Destination)
class DestinationAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "kind", "city", "country", "is_default", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["name", "code", "city"]


@admin.register(DestinationRule)
class DestinationRuleAdmin(admin.ModelAdmin):
    list_display = ["priority", "name", "destination", "to_product_supplier", "active"]
    list_editable = ["active"]
    list_display_links = ["name"]
    autocomplete_fields = []
    raw_id_fields = ["match_product"]


@admin.register(Shipment)
class ShipmentAdmin(admin.ModelAdmin):
    list_display = ["return_request", "destination", "status", "label_payer", "tracking_number"]
    list_filter = ["status", "label_payer"]
    search_fields = ["tracking_number", "return_request__rma_number"]
    raw_id_fields = ["return_request"]
    readonly_fields = ["routing_rule", "routing_reason"]


@admin.register(LabelBatch)
class LabelBatchAdmin(admin.ModelAdmin):
    list_display = ["pk", "created_at", "status", "total", "done", "failed"]
    readonly_fields = ["return_ids", "errors"]
