"""Each route does its work, staff can override with a reason, and costs add up per return."""

from decimal import Decimal as D

import pytest

from catalog.models import Product
from resolution.models import (
    CategoryDispositionRate,
    CostEntry,
    Disposition,
    LiquidationLot,
    RefurbishmentJob,
    StockUnit,
    SupplierClaim,
    SupplierReturnTerms,
)
from resolution.selectors import return_costs_summary
from resolution.services import (
    cs_minutes_log,
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


def test_grade_a_goes_back_to_new_stock(customer, policy, config):
    _rr, d, product = resolution_resolved_one(customer, code="A", policy=policy)
    assert d.route == "restock"
    product.refresh_from_db()
    assert product.stock_on_hand == 6
    assert (d.recovered_value, d.route_cost) == (D("95.00"), D("2.00"))
    assert d.stock_unit is None


def test_grade_b_is_restocked_as_open_box(customer, policy, config):
    _rr, d, product = resolution_resolved_one(customer, code="B", policy=policy, quantity=2)
    assert d.route == "restock" and d.quantity == 2
    unit = StockUnit.objects.get(product=product)
    assert (unit.condition, unit.grade.code, unit.quantity) == ("open_box", "B", 2)
    product.refresh_from_db()
    assert product.stock_on_hand == 5  # new stock untouched


def test_damaged_item_opens_a_refurbishment_job_completed_into_refurbished_stock(
    customer, policy, config, manager
):
    _rr, d, product = resolution_resolved_one(customer, code="C", policy=policy)
    assert d.route == "refurbish"
    job = RefurbishmentJob.objects.get(disposition=d)
    assert (job.status, job.estimated_cost) == ("open", D("10.00"))
    refurbishment_complete(job_id=job.pk, result="restocked", actual_cost="8.50", actor=manager)
    d.refresh_from_db()
    assert d.recovered_value == D("70.00") and d.route_cost == D("10.50")
    assert StockUnit.objects.get(product=product, condition="refurbished").quantity == 1
    with pytest.raises(Conflict):
        refurbishment_complete(job_id=job.pk, result="disposed", actor=manager)


def test_a_failed_refurbishment_is_written_off(customer, policy, config, manager):
    rr, d, _product = resolution_resolved_one(customer, code="C", policy=policy)
    job = RefurbishmentJob.objects.get(disposition=d)
    refurbishment_complete(job_id=job.pk, result="disposed", actor=manager)
    d.refresh_from_db()
    assert (d.write_down, d.recycler) == (D("50.00"), "GreenCycle Ltd")
    assert CostEntry.objects.get(return_request=rr, kind="write_down").amount == D("50.00")


def test_unsellable_defect_goes_to_the_supplier_and_is_tracked_until_credited(
    customer, policy, config, manager, defective
):
    supplier = SupplierFactory(accepts_returns_for_credit=True, credit_rate_percent=D("80"))
    product = ProductFactory(supplier=supplier, price=D("100"), unit_cost=D("50"))
    CategoryDispositionRate.objects.create(category=product.category, refurbishable=False)
    rr, d, _ = resolution_resolved_one(
        customer, code="D", product=product, reason=defective, policy=policy
    )
    assert d.route == "return_to_supplier"
    claim = SupplierClaim.objects.get(supplier=supplier)
    assert claim.status == "open" and claim.items.get().expected_credit == D("40.00")
    assert CostEntry.objects.get(return_request=rr, kind="shipping").amount == D("5.00")
    # a second return to the same supplier joins the same open claim
    _rr2, d2, _ = resolution_resolved_one(
        customer, code="D", product=product, reason=defective, policy=policy
    )
    assert SupplierClaim.objects.count() == 1 and claim.items.count() == 2
    with pytest.raises(Conflict):
        supplier_claim_credit(claim_id=claim.pk, amount="70", credit_note="CN-1", actor=manager)
    supplier_claim_ship(claim_id=claim.pk, tracking_number="1Z999", actor=manager)
    supplier_claim_credit(claim_id=claim.pk, amount="70.00", credit_note="CN-1", actor=manager)
    d.refresh_from_db()
    d2.refresh_from_db()
    assert d.recovered_value + d2.recovered_value == D("70.00")
    claim.refresh_from_db()
    assert (claim.status, claim.credited_amount) == ("credited", D("70.00"))
    # and the supplier scorecard reads credit claimed (2 × 40) against credit received
    from reporting.selectors import supplier_claims

    assert supplier_claims(supplier.pk) == (D("80.00"), D("70.00"))


def test_supplier_terms_decide_whether_non_defects_go_back(customer, policy, config, changed_mind):
    supplier = SupplierFactory(accepts_returns_for_credit=True, credit_rate_percent=D("100"))
    product = ProductFactory(supplier=supplier, price=D("100"), unit_cost=D("60"))
    CategoryDispositionRate.objects.create(category=product.category, refurbishable=False)
    _, d, _ = resolution_resolved_one(
        customer, code="C", product=product, reason=changed_mind, policy=policy
    )
    assert d.route == "restock"  # 45 resale beats nothing: credit is for defects only
    SupplierReturnTerms.objects.create(supplier=supplier, accepts_non_defective=True)
    _, d2, _ = resolution_resolved_one(
        customer, code="C", product=product, reason=changed_mind, policy=policy
    )
    assert d2.route == "return_to_supplier"  # 60 credit − 7 beats 45 − 2


def test_liquidation_lot_sale_is_spread_over_its_items(customer, policy, config, manager):
    CategoryDispositionRate.objects.create(category=ProductFactory().category, refurbishable=False)
    product = ProductFactory(price=D("100"), supplier__is_dropship=True)
    _, d1, _ = resolution_resolved_one(customer, code="A", product=product, policy=policy)
    _, d2, _ = resolution_resolved_one(
        customer, code="B", product=product, policy=policy, quantity=2
    )
    assert d1.route == d2.route == "liquidate"  # drop-shipped: we hold no stock
    lot = LiquidationLot.objects.get(status="open")
    assert lot.items.count() == 2
    liquidation_lot_sell(lot_id=lot.pk, amount="45.00", buyer="Bulk Buyers Inc", actor=manager)
    d1.refresh_from_db()
    d2.refresh_from_db()
    assert (d1.recovered_value, d2.recovered_value) == (D("15.00"), D("30.00"))
    # the next liquidated item starts a new lot
    _, d3, _ = resolution_resolved_one(customer, code="A", product=product, policy=policy)
    assert d3.liquidation_item.lot != lot
    with pytest.raises(Conflict):
        liquidation_lot_sell(lot_id=lot.pk, amount="1", buyer="x", actor=manager)


def test_unsellable_and_nothing_else_is_disposed_with_a_write_down(customer, policy, config):
    product = ProductFactory(price=D("100"), unit_cost=D("50"))
    CategoryDispositionRate.objects.create(category=product.category, refurbishable=False)
    rr, d, _ = resolution_resolved_one(customer, code="D", product=product, policy=policy)
    assert d.route == "dispose"
    assert (d.write_down, d.recycler, d.route_cost) == (D("50.00"), "GreenCycle Ltd", D("3.00"))
    summary = return_costs_summary(rr.pk)
    assert summary.costs["write_down"] == D("50.00")
    assert summary.costs["handling"] == D("3.00")  # handling 2 + disposal 1


def test_override_moves_the_item_and_takes_the_old_route_back(customer, policy, config, manager):
    rr, d, product = resolution_resolved_one(customer, code="A", policy=policy)
    product.refresh_from_db()
    assert product.stock_on_hand == 6
    d = disposition_override(
        disposition_id=d.pk, route="liquidate", reason="Seasonal line discontinued", actor=manager
    )
    product.refresh_from_db()
    assert product.stock_on_hand == 5  # taken back out of stock
    assert d.route == "liquidate" and d.overridden_by == manager
    assert d.override_reason == "Seasonal line discontinued"
    assert d.liquidation_item.lot.status == "open"
    assert rr.events.filter(kind="disposition", message__contains="Restock → Liquidate").exists()
    # the handling cost is booked once, not twice
    assert CostEntry.objects.filter(return_request=rr, kind="handling").count() == 1


def test_override_rules(customer, policy, config, manager, grader):
    _rr, d, product = resolution_resolved_one(customer, code="A", policy=policy)
    with pytest.raises(PermissionDenied):
        disposition_override(disposition_id=d.pk, route="dispose", reason="x", actor=grader)
    with pytest.raises(DomainError):
        disposition_override(disposition_id=d.pk, route="dispose", reason=" ", actor=manager)
    with pytest.raises(DomainError):
        disposition_override(disposition_id=d.pk, route="restock", reason="x", actor=manager)
    with pytest.raises(DomainError):
        disposition_override(disposition_id=d.pk, route="bin", reason="x", actor=manager)
    # once the restocked unit sold, the restock cannot be undone
    Product.objects.filter(pk=product.pk).update(stock_on_hand=0)
    with pytest.raises(Conflict, match="sold already"):
        disposition_override(disposition_id=d.pk, route="dispose", reason="x", actor=manager)
    assert Disposition.objects.get(pk=d.pk).route == "restock"


def test_costs_summary_adds_labels_labour_cs_minutes_and_recoveries(
    customer, policy, config, manager
):
    rr, _d, _ = resolution_resolved_one(customer, code="A", policy=policy)
    CostEntry.objects.create(return_request=rr, kind="label", amount=D("7.40"))
    CostEntry.objects.create(return_request=rr, kind="labor", amount=D("2.40"), minutes=D("6"))
    entry = cs_minutes_log(return_id=rr.pk, minutes="12", actor=manager, note="Phone call")
    assert entry.amount == D("6.00")  # 12 min at 30/h
    summary = return_costs_summary(rr.pk)
    assert summary.costs["label"] == D("7.40") and summary.costs["customer_service"] == D("6.00")
    assert summary.total_costs == D("17.80")  # + 2.00 handling
    assert summary.recovered == D("95.00")
    # the refund is requested; no worker ran it in this test (no on-commit)
    assert (summary.refunded, summary.pending) == (D("0.00"), D("100.00"))
    assert summary.net_recovery == D("77.20")
    for bad in ("0", "-3", "abc", "481", "NaN"):
        with pytest.raises(DomainError):
            cs_minutes_log(return_id=rr.pk, minutes=bad, actor=manager)
