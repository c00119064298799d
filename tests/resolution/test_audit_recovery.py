"""Refurbishment jobs, liquidation lots and supplier claims: every change writes exactly one
audit entry in its own transaction; a refused change writes none and changes nothing."""

from decimal import Decimal as D

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from audit.models import AuditEntry
from audit.selectors import audit_for
from resolution.models import (
    CategoryDispositionRate,
    CostEntry,
    LiquidationLot,
    RefurbishmentJob,
    StockUnit,
    SupplierClaim,
)
from resolution.services import (
    disposition_override,
    liquidation_lot_sell,
    refurbishment_complete,
    supplier_claim_credit,
    supplier_claim_ship,
)
from returns_portal.errors import Conflict, DomainError, PermissionDenied
from tests.factories import (
    ProductFactory,
    SupplierFactory,
    resolution_resolved_one,
)

pytestmark = pytest.mark.django_db


def _trail(obj) -> list[tuple]:
    return [
        (e.action, e.actor.username if e.actor else None, e.actor_kind, e.from_state, e.to_state)
        for e in audit_for(obj)
    ]


@pytest.fixture
def job(customer, policy, config):
    _rr, d, _ = resolution_resolved_one(customer, code="C", policy=policy)
    return RefurbishmentJob.objects.get(disposition=d)


@pytest.fixture
def liquidated(customer, policy, config):
    CategoryDispositionRate.objects.create(category=ProductFactory().category, refurbishable=False)
    product = ProductFactory(price=D("100"), supplier__is_dropship=True)
    first = resolution_resolved_one(customer, code="A", product=product, policy=policy)
    second = resolution_resolved_one(customer, code="B", product=product, policy=policy, quantity=2)
    return LiquidationLot.objects.get(status="open"), first[0], second[0]


@pytest.fixture
def claim(customer, policy, config, defective):
    supplier = SupplierFactory(
        name="Acme Tools", accepts_returns_for_credit=True, credit_rate_percent=D("80")
    )
    product = ProductFactory(supplier=supplier, price=D("100"), unit_cost=D("50"))
    CategoryDispositionRate.objects.create(category=product.category, refurbishable=False)
    rr, d, _ = resolution_resolved_one(
        customer, code="D", product=product, reason=defective, policy=policy
    )
    assert d.route == "return_to_supplier"
    return SupplierClaim.objects.get(supplier=supplier), rr


# --- Refurbishment ----------------------------------------------------------------------------
def test_routing_opens_the_job_as_the_system_with_where_it_came_from(job):
    (entry,) = audit_for(job)
    rr = job.disposition.return_request
    assert (entry.action, entry.actor, entry.actor_kind) == ("opened", None, "system")
    assert (entry.from_state, entry.to_state) == ("", "open")
    assert rr.reference in entry.note and "estimated cost 10.00" in entry.note
    assert entry.data["return_id"] == rr.pk and entry.data["estimated_cost"] == "10.00"


def test_completing_a_job_records_the_manager_the_result_and_the_cost(job, manager):
    refurbishment_complete(
        job_id=job.pk, result="restocked", actual_cost="8.50", note="New hinge", actor=manager
    )
    assert _trail(job) == [
        ("opened", None, "system", "", "open"),
        ("completed", "manager", "staff", "open", "restocked"),
    ]
    done = audit_for(job)[-1]
    assert done.note == "Refurbished and restocked; actual cost 8.50. New hinge"
    assert done.data["actual_cost"] == "8.50"


def test_disposing_a_job_is_recorded_too(job, manager):
    refurbishment_complete(job_id=job.pk, result="disposed", actor=manager)
    assert _trail(job)[-1] == ("completed", "manager", "staff", "open", "disposed")
    assert audit_for(job)[-1].note.startswith("Could not be fixed: disposed; actual cost 10.00")


def test_refused_completions_write_nothing(job, manager, grader):
    before = AuditEntry.objects.count()
    with pytest.raises(DomainError):
        refurbishment_complete(job_id=job.pk, result="returned", actor=manager)  # not a repair
    with pytest.raises(DomainError):
        refurbishment_complete(job_id=job.pk, result="restocked", actual_cost="-3", actor=manager)
    with pytest.raises(PermissionDenied):
        refurbishment_complete(job_id=job.pk, result="restocked", actor=grader)
    refurbishment_complete(job_id=job.pk, result="restocked", actor=manager)
    with pytest.raises(Conflict):
        refurbishment_complete(job_id=job.pk, result="disposed", actor=manager)
    assert AuditEntry.objects.count() == before + 1


def test_a_failed_audit_write_undoes_the_completion(job, manager, monkeypatch):
    """The entry is written in the transaction of the change: no entry, no change."""
    from resolution.services import recovery

    def broken(**kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(recovery, "audit_record", broken)
    with pytest.raises(RuntimeError):
        refurbishment_complete(job_id=job.pk, result="restocked", actor=manager)
    job.refresh_from_db()
    assert (job.status, job.completed_by, job.actual_cost) == ("open", None, None)
    assert not StockUnit.objects.filter(product_id=job.product_id, condition="refurbished").exists()
    assert not CostEntry.objects.filter(note=f"Refurbishment job #{job.pk}").exists()
    assert [e.action for e in audit_for(job)] == ["opened"]


# --- Liquidation ------------------------------------------------------------------------------
def test_lot_opened_items_added_and_sold(liquidated, manager):
    lot, rr1, rr2 = liquidated
    assert _trail(lot) == [
        ("opened", None, "system", "", "open"),
        ("item_added", None, "system", "", ""),
        ("item_added", None, "system", "", ""),
    ]
    added = audit_for(lot)[1:]
    assert rr1.reference in added[0].note and rr2.reference in added[1].note
    assert added[1].note.startswith("Added 2 × ")
    liquidation_lot_sell(lot_id=lot.pk, amount="45.00", buyer="Bulk Buyers Inc", actor=manager)
    sold = audit_for(lot)[-1]
    assert _trail(lot)[-1] == ("sold", "manager", "staff", "open", "sold")
    assert sold.note == "Sold to Bulk Buyers Inc for 45.00 (2 item(s))."
    assert sold.data == {"buyer": "Bulk Buyers Inc", "amount": "45.00", "items": 2}


def test_refused_sales_write_nothing(liquidated, manager, grader):
    lot, _, _ = liquidated
    before = AuditEntry.objects.count()
    for kwargs, error in [
        ({"amount": "45", "buyer": " ", "actor": manager}, DomainError),
        ({"amount": "lots", "buyer": "B", "actor": manager}, DomainError),
        ({"amount": "45", "buyer": "B", "actor": grader}, PermissionDenied),
    ]:
        with pytest.raises(error):
            liquidation_lot_sell(lot_id=lot.pk, **kwargs)
    liquidation_lot_sell(lot_id=lot.pk, amount="45", buyer="B", actor=manager)
    with pytest.raises(Conflict):
        liquidation_lot_sell(lot_id=lot.pk, amount="50", buyer="C", actor=manager)
    assert AuditEntry.objects.count() == before + 1
    lot.refresh_from_db()
    assert (lot.buyer, lot.sold_amount) == ("B", D("45.00"))


# --- Supplier claims --------------------------------------------------------------------------
def test_claim_opened_item_added_shipped_and_credited(claim, manager):
    claim, rr = claim
    supplier_claim_ship(claim_id=claim.pk, tracking_number="1z-999", actor=manager)
    supplier_claim_credit(claim_id=claim.pk, amount="35.50", credit_note="CN-7", actor=manager)
    assert _trail(claim) == [
        ("opened", None, "system", "", "open"),
        ("item_added", None, "system", "", ""),
        ("shipped", "manager", "staff", "open", "shipped"),
        ("credited", "manager", "staff", "shipped", "credited"),
    ]
    opened, added, shipped, credited = audit_for(claim)
    assert opened.note == "Opened to send items back to Acme Tools."
    assert rr.reference in added.note and "expected credit 40.00" in added.note
    assert shipped.note == "Shipped to the supplier, tracking 1Z-999."
    assert shipped.data == {"tracking_number": "1Z-999"}
    assert credited.note == "Credited 35.50, credit note CN-7."
    assert credited.data == {"amount": "35.50", "credit_note": "CN-7"}


def test_refused_claim_changes_write_nothing(claim, manager, grader):
    claim, _ = claim
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict):  # not shipped yet
        supplier_claim_credit(claim_id=claim.pk, amount="10", credit_note="", actor=manager)
    with pytest.raises(DomainError):
        supplier_claim_ship(claim_id=claim.pk, tracking_number="no spaces!", actor=manager)
    with pytest.raises(PermissionDenied):
        supplier_claim_ship(claim_id=claim.pk, tracking_number="1Z1", actor=grader)
    assert AuditEntry.objects.count() == before
    claim.refresh_from_db()
    assert (claim.status, claim.tracking_number) == ("open", "")


def test_an_empty_claim_cannot_ship_and_leaves_no_entry(manager):
    empty = SupplierClaim.objects.create(supplier=SupplierFactory())
    with pytest.raises(DomainError):
        supplier_claim_ship(claim_id=empty.pk, tracking_number="1Z1", actor=manager)
    empty.refresh_from_db()
    assert empty.status == "open" and audit_for(empty) == []


# --- Overrides take items back out -------------------------------------------------------------
def test_override_cancels_the_job_and_adds_to_the_lot_as_the_manager(job, manager):
    d = job.disposition
    disposition_override(
        disposition_id=d.pk, route="liquidate", reason="No spare parts", actor=manager
    )
    assert not RefurbishmentJob.objects.filter(pk=job.pk).exists()
    # the job is gone; its history is not
    cancelled = audit_for(job)[-1]
    assert (cancelled.action, cancelled.from_state, cancelled.to_state) == (
        "cancelled",
        "open",
        "cancelled",
    )
    assert d.return_request.reference in cancelled.note
    assert (cancelled.actor.username, cancelled.actor_kind) == ("manager", "staff")
    lot = LiquidationLot.objects.get(status="open")
    assert _trail(lot) == [
        ("opened", "manager", "staff", "", "open"),
        ("item_added", "manager", "staff", "", ""),
    ]


def test_override_out_of_a_claim_records_the_removal(claim, manager):
    claim, rr = claim
    d = rr.dispositions.get()
    disposition_override(disposition_id=d.pk, route="dispose", reason="Rusty", actor=manager)
    removed = audit_for(claim)[-1]
    assert removed.action == "item_removed" and rr.reference in removed.note
    assert removed.actor == manager  # the manager who overrode, not "system"


def test_override_refused_after_shipping_writes_nothing(claim, manager):
    claim, rr = claim
    supplier_claim_ship(claim_id=claim.pk, tracking_number="1Z1", actor=manager)
    before = AuditEntry.objects.count()
    with pytest.raises(Conflict):
        disposition_override(
            disposition_id=rr.dispositions.get().pk, route="dispose", reason="x", actor=manager
        )
    assert AuditEntry.objects.count() == before


# --- Pages ------------------------------------------------------------------------------------
def test_recovery_pages_show_each_history(client, manager, job, claim, liquidated):
    claim, _ = claim
    refurbishment_complete(job_id=job.pk, result="restocked", note="New hinge", actor=manager)
    supplier_claim_ship(claim_id=claim.pk, tracking_number="1Z777", actor=manager)
    client.force_login(manager)
    page = client.get(reverse("resolution:refurbishment") + "?show=all").content.decode()
    assert "History (2)" in page and "New hinge" in page and "manager" in page
    page = client.get(reverse("resolution:claims")).content.decode()
    assert "History (3)" in page and "Shipped to the supplier, tracking 1Z777." in page
    page = client.get(reverse("resolution:liquidation")).content.decode()
    assert "History (3)" in page and "Opened to collect liquidated items." in page


@pytest.mark.parametrize(
    "name", ["resolution:refurbishment", "resolution:liquidation", "resolution:claims"]
)
def test_customers_and_warehouse_staff_cannot_reach_the_recovery_pages(
    client, customer, grader, name
):
    assert client.get(reverse(name)).status_code == 302  # to the login page
    for user in (customer.user, grader):
        client.force_login(user)
        assert client.get(reverse(name)).status_code == 403


def test_the_history_is_one_query_however_many_jobs(client, manager, customer, policy, config):
    client.force_login(manager)
    url = reverse("resolution:refurbishment")
    resolution_resolved_one(customer, code="C", policy=policy)
    with CaptureQueriesContext(connection) as one:
        client.get(url)
    for _ in range(4):
        resolution_resolved_one(customer, code="C", policy=policy)
    with CaptureQueriesContext(connection) as five:
        page = client.get(url).content.decode()
    assert page.count("History (1)") == 5
    assert len(five) == len(one)
    assert sum("audit_auditentry" in q["sql"] for q in five.captured_queries) == 1
