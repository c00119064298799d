"""The audit trail itself: one writer, append-only rows, one query for many objects' history."""

from decimal import Decimal

import pytest
from django.contrib.admin.sites import site
from django.db import transaction
from django.test import RequestFactory

from audit.models import AuditAppendOnly, AuditEntry
from audit.selectors import audit_for, audit_for_many
from audit.services import audit_record
from tests.factories import BatchFactory, SupplierFactory

pytestmark = pytest.mark.django_db


def test_an_entry_records_who_what_from_to_and_data(manager):
    supplier = SupplierFactory()
    entry = audit_record(
        obj=supplier,
        action="shipped",
        actor=manager,
        from_state="open",
        to_state="shipped",
        note="Shipped with tracking 1Z9.",
        data={"amount": Decimal("12.50")},
    )
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert entry.target == supplier
    assert (entry.actor, entry.actor_kind) == (manager, "staff")
    assert (entry.action, entry.from_state, entry.to_state) == ("shipped", "open", "shipped")
    assert entry.note == "Shipped with tracking 1Z9."
    assert entry.data == {"amount": "12.50"}  # Decimal kept exact, as text


def test_no_user_is_the_system_and_kind_can_be_named():
    supplier = SupplierFactory()
    by_system = audit_record(obj=supplier, action="opened")
    by_api = audit_record(obj=supplier, action="opened", actor_kind=AuditEntry.ActorKind.API)
    assert (by_system.actor, by_system.actor_kind) == (None, "system")
    assert by_api.actor_kind == "api"


def test_an_unsaved_object_cannot_be_audited():
    from catalog.models import Supplier

    with pytest.raises(ValueError):
        audit_record(obj=Supplier(code="x", name="x"), action="opened")
    assert not AuditEntry.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_writer_refuses_to_run_outside_a_transaction():
    supplier = SupplierFactory()
    with pytest.raises(RuntimeError, match="inside the transaction"):
        audit_record(obj=supplier, action="opened")
    with transaction.atomic():
        audit_record(obj=supplier, action="opened")
    assert AuditEntry.objects.count() == 1


def test_entries_cannot_be_changed_or_deleted_through_the_orm(manager):
    entry = audit_record(obj=SupplierFactory(), action="opened", actor=manager, note="first")
    entry.note = "rewritten"
    with pytest.raises(AuditAppendOnly):
        entry.save()
    with pytest.raises(AuditAppendOnly):
        entry.delete()
    with pytest.raises(AuditAppendOnly):
        AuditEntry.objects.filter(pk=entry.pk).update(note="rewritten")
    with pytest.raises(AuditAppendOnly):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).note == "first"


def test_deleting_the_acting_user_keeps_the_entry(manager):
    entry = audit_record(obj=SupplierFactory(), action="opened", actor=manager)
    manager.delete()
    entry = AuditEntry.objects.get(pk=entry.pk)
    assert (entry.actor, entry.actor_kind, entry.action) == (None, "staff", "opened")


def test_admin_is_read_only(admin_user):
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    model_admin = site._registry[AuditEntry]
    entry = audit_record(obj=SupplierFactory(), action="opened")
    assert not model_admin.has_add_permission(request)
    assert not model_admin.has_change_permission(request, entry)
    assert not model_admin.has_delete_permission(request, entry)


def test_history_of_many_objects_of_several_models_is_one_query(django_assert_num_queries):
    s1, s2, quiet = SupplierFactory(), SupplierFactory(), SupplierFactory()
    batch = BatchFactory()
    audit_record(obj=s1, action="opened")
    audit_record(obj=s2, action="opened")
    audit_record(obj=s1, action="shipped", from_state="open", to_state="shipped")
    audit_record(obj=batch, action="recalled")
    with django_assert_num_queries(1):
        history = audit_for_many([s1, s2, quiet, batch])
        actors = [e.actor for entries in history.values() for e in entries]  # joined
    assert actors == [None] * 4
    assert [e.action for e in history[s1]] == ["opened", "shipped"]
    assert [e.action for e in history[s2]] == ["opened"]
    assert history[quiet] == []
    assert [e.action for e in history[batch]] == ["recalled"]
    assert [e.action for e in audit_for(s1)] == ["opened", "shipped"]


def test_same_id_in_two_models_does_not_mix_histories():
    supplier = SupplierFactory()
    batch = BatchFactory(id=supplier.pk + 1000)
    twin = SupplierFactory(id=batch.pk)
    audit_record(obj=twin, action="opened")
    history = audit_for_many([twin, batch])
    assert [e.action for e in history[twin]] == ["opened"]
    assert history[batch] == []


def test_no_objects_no_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert audit_for_many([]) == {}


def test_action_codes_read_as_words():
    assert AuditEntry(action="item_added").action_label == "Item added"
    assert AuditEntry(action="opened").action_label == "Opened"
