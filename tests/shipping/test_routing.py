import pytest

from rma.shipping.models import Destination, DestinationRule
from rma.shipping.routing import PRODUCT_SUPPLIER, LineFacts, RuleSpec, route_line, route_return
from rma.shipping.services import shipment_plan_for_return
from tests.factories import (
    CategoryFactory,
    DestinationFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    SupplierFactory,
    shipping_return_make,
)

WAREHOUSE = 1
CENTER = 2


def facts(**overrides) -> LineFacts:
    base = {
        "product_id": 10,
        "supplier_id": 20,
        "category_id": 30,
        "reason_id": 40,
        "reason_is_defect": False,
        "supplier_is_dropship": False,
        "supplier_accepts_credit": False,
    }
    return LineFacts(**{**base, **overrides})


ELECTRONICS_TO_CENTER = RuleSpec(
    name="Electronics to the returns center", target=CENTER, category_id=31, priority=5
)


@pytest.mark.parametrize(
    ("line", "rules", "destination", "supplier", "rule"),
    [
        # given nothing special → the default warehouse
        (facts(), [], WAREHOUSE, None, "Default warehouse"),
        # dropship supplier → back to the supplier, whatever the reason
        (
            facts(supplier_is_dropship=True),
            [],
            None,
            20,
            "Dropship products go back to their supplier",
        ),
        # defect + supplier takes credit → supplier
        (
            facts(reason_is_defect=True, supplier_accepts_credit=True),
            [],
            None,
            20,
            "Defects go to suppliers that take returns for credit",
        ),
        # defect but no credit deal → warehouse
        (facts(reason_is_defect=True), [], WAREHOUSE, None, "Default warehouse"),
        # credit deal but changed mind → warehouse
        (facts(supplier_accepts_credit=True), [], WAREHOUSE, None, "Default warehouse"),
        # a configured category rule → the returns center
        (
            facts(category_id=31),
            [ELECTRONICS_TO_CENTER],
            CENTER,
            None,
            "Electronics to the returns center",
        ),
        # configured rules come before the built-in ones
        (
            facts(category_id=31, supplier_is_dropship=True),
            [ELECTRONICS_TO_CENTER],
            CENTER,
            None,
            "Electronics to the returns center",
        ),
        # a rule on another category does not match
        (facts(category_id=32), [ELECTRONICS_TO_CENTER], WAREHOUSE, None, "Default warehouse"),
        # lower priority number wins
        (
            facts(reason_id=41),
            [
                RuleSpec(name="late", target=WAREHOUSE, reason_id=41, priority=50),
                RuleSpec(name="early", target=PRODUCT_SUPPLIER, reason_id=41, priority=1),
            ],
            None,
            20,
            "early",
        ),
        # every condition of a rule must hold
        (
            facts(product_id=11, supplier_id=21),
            [RuleSpec(name="both", target=CENTER, product_id=11, supplier_id=99)],
            WAREHOUSE,
            None,
            "Default warehouse",
        ),
    ],
)
def test_routing_rules_table(line, rules, destination, supplier, rule):
    route = route_line(facts=line, rules=rules, default_destination_id=WAREHOUSE)
    assert (route.destination_id, route.supplier_id, route.rule) == (destination, supplier, rule)
    assert rule in route.reason or route.rule == "Default warehouse"


def test_lines_that_disagree_go_to_the_warehouse_and_say_why():
    route = route_return(
        lines=[facts(), facts(supplier_is_dropship=True)],
        rules=[],
        default_destination_id=WAREHOUSE,
    )
    assert route.destination_id == WAREHOUSE
    assert route.rule == "Mixed destinations"


@pytest.mark.django_db
def test_planning_a_dropship_return_sends_it_to_the_supplier_address(customer, warehouse, policy):
    # given a dropship supplier's product on alice's order
    from tests.factories import OrderFactory

    supplier = SupplierFactory(code="drop", name="Drop Co", is_dropship=True, postal_code="30301")
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, product=ProductFactory(supplier=supplier))
    rr = shipping_return_make(order=order)
    # when the return is planned
    shipment = shipment_plan_for_return(return_id=rr.pk)
    # then it goes to a supplier destination with the supplier's address, explained
    assert shipment.destination.kind == Destination.Kind.SUPPLIER
    assert shipment.destination.supplier == supplier
    assert shipment.destination.postal_code == "30301"
    assert "Dropship" in shipment.routing_rule
    assert rr.events.filter(kind="shipping").exists()
    # and planning twice keeps the one shipment
    assert shipment_plan_for_return(return_id=rr.pk).pk == shipment.pk


@pytest.mark.django_db
def test_a_category_rule_sends_the_return_to_a_third_party_center(customer, warehouse, policy):
    from tests.factories import OrderFactory

    center = DestinationFactory(code="center", name="ReturnCo Center", kind="returns_center")
    tvs = CategoryFactory(slug="tv")
    DestinationRule.objects.create(name="TVs to ReturnCo", match_category=tvs, destination=center)
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, product=ProductFactory(category=tvs))
    rr = shipping_return_make(
        order=order, reason=ReturnReasonFactory(code="broken", is_defect=True)
    )
    shipment = shipment_plan_for_return(return_id=rr.pk)
    assert shipment.destination == center
    assert shipment.routing_rule == "TVs to ReturnCo"
    # weight is the product weights × quantities
    assert shipment.weight_grams == 600


@pytest.mark.django_db
def test_a_rule_to_a_retired_destination_is_skipped(customer, warehouse, policy):
    from tests.factories import OrderFactory

    closed = DestinationFactory(code="closed", name="Closed center", active=False)
    DestinationRule.objects.create(name="Everything to closed", destination=closed)
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order)
    rr = shipping_return_make(order=order)
    assert shipment_plan_for_return(return_id=rr.pk).destination == warehouse
