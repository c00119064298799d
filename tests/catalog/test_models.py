"""The store mirror's constraints hold in the database, whatever code writes the rows."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from catalog.models import Customer
from tests.factories import (
    BatchFactory,
    CustomerFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    SupplierFactory,
)

pytestmark = pytest.mark.django_db


def _refused(make) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        make()


def test_order_numbers_are_unique():
    order = OrderFactory()
    _refused(lambda: OrderFactory(number=order.number))


def test_customer_emails_are_unique_whatever_their_case():
    CustomerFactory(email="dana@example.com")
    _refused(lambda: CustomerFactory(email="Dana@Example.COM"))
    assert Customer.objects.count() == 1


def test_a_lot_code_is_unique_per_product_but_not_across_products():
    batch = BatchFactory(lot_code="L-2026-01")
    _refused(lambda: BatchFactory(product=batch.product, lot_code="L-2026-01"))
    # another product may reuse the supplier's lot code
    BatchFactory(lot_code="L-2026-01")


def test_order_lines_are_numbered_once_per_order():
    line = OrderLineFactory(line_number=1)
    _refused(lambda: OrderLineFactory(order=line.order, line_number=1))


@pytest.mark.parametrize(
    "fields",
    [{"quantity": 0}, {"unit_price": Decimal("-0.01")}],
    ids=["no-units", "negative-price"],
)
def test_order_lines_need_units_and_a_price_that_is_not_negative(fields):
    _refused(lambda: OrderLineFactory(**fields))


@pytest.mark.parametrize(
    "fields",
    [{"price": Decimal("-1")}, {"unit_cost": Decimal("-1")}, {"stock_on_hand": -1}],
    ids=["price", "unit-cost", "stock"],
)
def test_product_money_and_stock_are_not_negative(fields):
    _refused(lambda: ProductFactory(**fields))


@pytest.mark.parametrize("rate", [Decimal("-0.01"), Decimal("100.01")])
def test_supplier_credit_rate_is_a_percentage(rate):
    _refused(lambda: SupplierFactory(credit_rate_percent=rate))


def test_supplier_credit_rate_edges_are_allowed():
    assert SupplierFactory(credit_rate_percent=Decimal("0")).pk
    assert SupplierFactory(credit_rate_percent=Decimal("100")).pk
