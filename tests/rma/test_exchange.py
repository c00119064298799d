"""Exchanges: another variant, or another item of the same category at the same price."""

from decimal import Decimal

import pytest

from catalog.selectors import exchange_candidates
from returns_portal.errors import DomainError
from rma.services import ReturnItemInput, return_create
from tests.factories import CategoryFactory, OrderFactory, OrderLineFactory, ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def shelf():
    """A bought blue mug (family "mug"), and what else the store has."""
    kitchen, garden = CategoryFactory(slug="kitchen"), CategoryFactory(slug="garden")
    price = Decimal("24.00")
    return {
        "bought": ProductFactory(
            name="Mug", family="mug", variant="Blue", category=kitchen, price=price
        ),
        "variant": ProductFactory(
            name="Mug", family="mug", variant="Red", category=kitchen, price=price
        ),
        "same_kind": ProductFactory(name="Teapot", category=kitchen, price=price),
        "dearer": ProductFactory(name="Kettle", category=kitchen, price=Decimal("24.01")),
        "other_kind": ProductFactory(name="Trowel", category=garden, price=price),
        "sold_out": ProductFactory(name="Jug", category=kitchen, price=price, stock_on_hand=0),
    }


def _exchange(customer, alice, line, product):
    return return_create(
        viewer=alice,
        order_id=line.order_id,
        preferred_outcome="exchange",
        items=[
            ReturnItemInput(
                order_line_id=line.pk,
                quantity=1,
                reason_code="too-small",
                exchange_product_id=product.pk,
            )
        ],
    )


def test_candidates_are_variants_first_then_same_kind_same_price_in_stock(shelf):
    choices = exchange_candidates(products=[shelf["bought"]])[shelf["bought"].pk]
    assert choices == [shelf["variant"], shelf["same_kind"]]


def test_an_even_exchange_for_another_item_of_the_same_kind_is_accepted(
    customer, alice, reasons, policy, shelf
):
    line = OrderLineFactory(order=OrderFactory(customer=customer), product=shelf["bought"])
    rr = _exchange(customer, alice, line, shelf["same_kind"])
    assert rr.lines.get().exchange_product == shelf["same_kind"]


@pytest.mark.parametrize("name", ["dearer", "other_kind"])
def test_other_prices_or_other_kinds_are_refused_on_the_field(
    customer, alice, reasons, policy, shelf, name
):
    line = OrderLineFactory(order=OrderFactory(customer=customer), product=shelf["bought"])
    with pytest.raises(DomainError) as err:
        _exchange(customer, alice, line, shelf[name])
    assert err.value.field == "items[0].exchange_product_id"
    assert "same kind at the same price" in err.value.message


def test_the_return_form_offers_the_choices_by_name(client, customer, reasons, policy, shelf):
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, product=shelf["bought"])
    client.force_login(customer.user)
    html = client.get(f"/orders/{order.pk}/return/").content.decode()
    assert f"Red ({shelf['variant'].sku})" in html
    assert f"Teapot ({shelf['same_kind'].sku})" in html
    assert "Kettle" not in html and "Trowel" not in html and "Jug" not in html
