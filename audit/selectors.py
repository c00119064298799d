"""Reads of the audit trail: one object's history, or many objects' in one query."""

from collections.abc import Iterable
from functools import reduce
from operator import or_

from django.db import models
from django.db.models import Q

from audit.models import AuditEntry


def _entries():
    return AuditEntry.objects.select_related("actor").order_by("created_at", "id")


def _of(model_objs: list[models.Model]) -> Q:
    meta = model_objs[0]._meta
    # Match the content type by name through the join: no content-type cache lookup, so the
    # history of any number of objects of any models is exactly one query.
    return Q(
        content_type__app_label=meta.app_label,
        content_type__model=meta.model_name,
        object_id__in=[o.pk for o in model_objs],
    )


def audit_for(obj: models.Model) -> list[AuditEntry]:
    """The history of `obj`, oldest first, with the acting user joined."""
    return audit_for_many([obj])[obj]


def audit_for_many(objs: Iterable[models.Model]) -> dict[models.Model, list[AuditEntry]]:
    """{object: its history, oldest first} for every object given (an empty list when it
    has none), in one query whatever the number of objects and models."""
    objs = [o for o in objs if o.pk is not None]
    history: dict[models.Model, list[AuditEntry]] = {o: [] for o in objs}
    if not objs:
        return history
    by_model: dict[type, list[models.Model]] = {}
    for o in objs:
        by_model.setdefault(type(o), []).append(o)
    index = {(o._meta.label_lower, o.pk): o for o in objs}
    query = reduce(or_, (_of(group) for group in by_model.values()))
    for entry in _entries().filter(query).select_related("content_type"):
        ct = entry.content_type
        owner = index.get((f"{ct.app_label}.{ct.model}", entry.object_id))
        if owner is not None:
            history[owner].append(entry)
    return history
