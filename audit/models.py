"""The audit trail of state changes on objects that are not a return.

A return's own changes are `rma.models.ReturnEvent` rows. Everything else (refurbishment
jobs, liquidation lots, supplier claims, spike alerts, recalls, parcel exceptions) appends an
`AuditEntry` here, written by `audit.services.audit_record` in the transaction of the change.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models


class AuditAppendOnly(RuntimeError):
    """An audit entry was about to be changed or deleted: the trail is append-only."""


class AuditEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AuditAppendOnly("Audit entries cannot be updated.")

    def delete(self):
        raise AuditAppendOnly("Audit entries cannot be deleted.")


class AuditEntry(models.Model):
    class ActorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        STAFF = "staff", "Staff"
        SYSTEM = "system", "System"
        API = "api", "API client"

    created_at = models.DateTimeField(auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_kind = models.CharField(
        max_length=10, choices=ActorKind.choices, default=ActorKind.SYSTEM
    )
    # PROTECT: deleting a model's content type must not silently take its history with it.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField()
    target = GenericForeignKey("content_type", "object_id")
    action = models.CharField(max_length=40, help_text="opened, sold, shipped, credited, …")
    from_state = models.CharField(max_length=30, blank=True)
    to_state = models.CharField(max_length=30, blank=True)
    note = models.TextField(blank=True, help_text="What happened, in plain language.")
    data = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["content_type", "object_id", "created_at"], name="audit_object")
        ]
        verbose_name_plural = "audit entries"

    def __str__(self) -> str:
        change = f" {self.from_state}→{self.to_state}" if self.from_state or self.to_state else ""
        return f"{self.content_type_id}:{self.object_id} {self.action}{change}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise AuditAppendOnly("Audit entries cannot be changed once written.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditAppendOnly("Audit entries cannot be deleted.")

    @property
    def action_label(self) -> str:
        """ "item_added" → "Item added", for people."""
        return self.action.replace("_", " ").capitalize()
