from django.contrib import admin

from audit.models import AuditEntry
from returns_portal.admin import ReadOnlyAdmin


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    """Read-only: the trail is written by services and never edited."""

    list_display = [
        "created_at",
        "content_type",
        "object_id",
        "action",
        "from_state",
        "to_state",
        "actor",
        "actor_kind",
    ]
    list_filter = ["content_type", "action", "actor_kind"]
    search_fields = ["note", "action"]
    list_select_related = ["actor", "content_type"]
