import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from reporting.rollups import rollup_range
from tests.factories import (
    BatchFactory,
    CategoryFactory,
    OrderFactory,
    OrderLineFactory,
    ProductFactory,
    ReturnReasonFactory,
    SupplierFactory,
    reporting_return_make,
)


@pytest.fixture
def rolled_up(db):
    """Two suppliers' products sold and returned over the last days, rolled up."""
    today = timezone.localdate()
    now = timezone.now()
    acme = SupplierFactory(code="acme", name="Acme")
    zeta = SupplierFactory(code="zeta", name="Zeta")
    shoes = CategoryFactory(slug="shoes", name="Shoes")
    boot = ProductFactory(sku="BOOT-1", supplier=acme, category=shoes, price=Decimal("80.00"))
    sock = ProductFactory(sku="SOCK-1", supplier=zeta, price=Decimal("5.00"))
    unsold = ProductFactory(sku="NEVER-1", supplier=zeta)
    defect = ReturnReasonFactory(code="defective", label="Defective", is_defect=True)
    mind = ReturnReasonFactory(code="changed-mind")
    batch = BatchFactory(product=boot, lot_code="L1")
    order = OrderFactory(placed_at=now - dt.timedelta(days=5))
    boot_line = OrderLineFactory(order=order, product=boot, quantity=10, line_number=1, batch=batch)
    sock_line = OrderLineFactory(order=order, product=sock, quantity=20, line_number=2)
    for i, (line, reason) in enumerate([(boot_line, defect), (boot_line, mind), (sock_line, mind)]):
        other = OrderLineFactory(
            order=order, product=line.product, quantity=1, line_number=10 + i, batch=line.batch
        )
        reporting_return_make(
            order_line=other if i else line,
            created_at=now - dt.timedelta(days=2, hours=i),
            reason=reason,
            quantity=1,
            status="received",
            events={"approved": now - dt.timedelta(days=2), "received": now - dt.timedelta(days=1)},
            grade_code="B",
            route="restock",
            recovered_value=Decimal("30.00"),
            refund=(Decimal("10.00"), now - dt.timedelta(hours=20), today),
            costs={"label": Decimal("6.00")},
        )
    rollup_range(start=today - dt.timedelta(days=10), end=today)
    return {
        "acme": acme,
        "zeta": zeta,
        "boot": boot,
        "sock": sock,
        "unsold": unsold,
        "batch": batch,
    }
