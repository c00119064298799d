"""factory_boy factories for the store mirror and returns."""

import datetime as dt
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.models import Batch, Category, Customer, Order, OrderLine, Product, Supplier
from rma.models import ReturnPolicy, ReturnReason


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("pass-word-123")


class SupplierFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Supplier

    code = factory.Sequence(lambda n: f"sup-{n}")
    name = factory.Sequence(lambda n: f"Supplier {n}")
    address_line1 = "1 Industrial Way"
    city = "Springfield"
    postal_code = "12345"


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category
        django_get_or_create = ("slug",)

    slug = factory.Sequence(lambda n: f"cat-{n}")
    name = factory.LazyAttribute(lambda c: c.slug.replace("-", " ").title())


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = factory.SubFactory(CategoryFactory)
    supplier = factory.SubFactory(SupplierFactory)
    price = Decimal("40.00")
    unit_cost = Decimal("18.00")
    weight_grams = 600
    warranty_months = 12
    stock_on_hand = 10


class BatchFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Batch

    product = factory.SubFactory(ProductFactory)
    lot_code = factory.Sequence(lambda n: f"LOT-{n:04d}")


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    email = factory.Sequence(lambda n: f"customer{n}@example.com")
    name = factory.Sequence(lambda n: f"Customer {n}")
    address_line1 = "5 Main Street"
    city = "Portland"
    postal_code = "97201"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"ORD-{100000 + n}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=12))
    payment_reference = factory.Sequence(lambda n: f"ch_test_{n:08d}")
    address_line1 = "5 Main Street"
    city = "Portland"
    postal_code = "97201"


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    line_number = factory.Sequence(lambda n: n + 1)
    product = factory.SubFactory(ProductFactory)
    quantity = 1
    unit_price = factory.LazyAttribute(lambda line: line.product.price)
    delivered_at = factory.LazyFunction(lambda: timezone.now() - dt.timedelta(days=10))


class ReturnReasonFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnReason
        django_get_or_create = ("code",)

    code = "changed-mind"
    label = "Changed my mind"


class ReturnPolicyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ReturnPolicy

    version = factory.Sequence(lambda n: n + 1)
    is_active = True


# --- SHIPPING (factories for the shipping tests; added by SHIPPING) -------------------
def shipping_return_make(
    *,
    order,
    status: str = "approved",
    label_payer: str = "merchant",
    reason=None,
    lines=None,
    kind: str = "standard",
    label_fee=Decimal("0.00"),
):
    """A return of `order`'s lines in `status` with an RMA number (made directly, no policy)."""
    from rma.models import ReturnLine, ReturnRequest

    reason = reason or ReturnReasonFactory()
    rr = ReturnRequest.objects.create(
        order=order,
        customer=order.customer,
        status=status,
        kind=kind,
        label_payer=label_payer,
        label_fee=label_fee,
        decision="approve",
    )
    rr.rma_number = f"RMA-2026-{rr.pk:06d}"
    rr.save(update_fields=["rma_number"])
    for order_line in lines if lines is not None else order.lines.all():
        ReturnLine.objects.create(
            return_request=rr,
            order_line=order_line,
            quantity=order_line.quantity,
            reason=reason,
            unit_price=order_line.unit_price,
        )
    return rr


class DestinationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "rma.Destination"
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dest-{n}")
    name = factory.Sequence(lambda n: f"Destination {n}")
    kind = "warehouse"
    address_line1 = "1 Dock Road"
    city = "Reno"
    postal_code = "89501"


# --- REPORTING (factories for the reporting tests; added by REPORTING) ----------------
def reporting_return_make(
    *,
    order_line,
    created_at,
    reason=None,
    quantity: int = 1,
    status: str = "requested",
    events: dict | None = None,
    grade_code: str | None = None,
    grading_minutes=Decimal("0"),
    inspector=None,
    route: str | None = None,
    recovered_value=Decimal("0"),
    write_down=Decimal("0"),
    refund=None,
    costs: dict | None = None,
):
    """A return made directly in the tables KPIs read, with controlled timestamps.

    `events` maps to_status → aware datetime; `refund` is (amount, completed_at, due_on).
    """
    from assessment.models import Grade, Inspection
    from resolution.models import CostEntry, Disposition, MoneyMovement
    from rma.models import ReturnEvent, ReturnLine, ReturnRequest

    reason = reason or ReturnReasonFactory()
    order = order_line.order
    rr = ReturnRequest.objects.create(order=order, customer=order.customer, status=status)
    ReturnRequest.objects.filter(pk=rr.pk).update(created_at=created_at, updated_at=created_at)
    line = ReturnLine.objects.create(
        return_request=rr,
        order_line=order_line,
        quantity=quantity,
        reason=reason,
        unit_price=order_line.unit_price,
    )
    for to_status, at in (events or {}).items():
        event = ReturnEvent.objects.create(return_request=rr, to_status=to_status)
        ReturnEvent.objects.filter(pk=event.pk).update(created_at=at)
    if grade_code:
        grade, _ = Grade.objects.get_or_create(
            code=grade_code, defaults={"label": grade_code, "criteria": "-"}
        )
        Inspection.objects.create(
            return_line=line,
            return_request=rr,
            grade=grade,
            minutes_spent=grading_minutes,
            inspector=inspector,
            quantity_received=quantity,
            graded_at=(events or {}).get("graded", created_at),
        )
    if route:
        Disposition.objects.create(
            return_line=line,
            return_request=rr,
            route=route,
            quantity=quantity,
            recovered_value=recovered_value,
            write_down=write_down,
            reason="test",
        )
    if refund:
        amount, completed_at, due_on = refund
        MoneyMovement.objects.create(
            idempotency_key=f"reporting-test-{rr.pk}",
            kind="refund",
            status="succeeded" if completed_at else "pending",
            customer=order.customer,
            return_request=rr,
            amount=amount,
            completed_at=completed_at,
            due_on=due_on,
        )
    for kind, amount in (costs or {}).items():
        CostEntry.objects.create(return_request=rr, kind=kind, amount=amount)
    rr.refresh_from_db()
    return rr


# --- WAREHOUSE (factories for the assessment tests; added by WAREHOUSE) ---------------
WAREHOUSE_SCALE = [
    # code, label, resale %, damage deduction % on a non-fault reason
    ("A", "Like new", "95", "0"),
    ("B", "Good", "80", "0"),
    ("C", "Damaged but repairable", "45", "30"),
    ("D", "Unusable", "5", "70"),
]


def warehouse_grades_make() -> dict:
    """The A–D scale used by the warehouse tests, keyed by code."""
    from assessment.models import Grade

    grades = {}
    for position, (code, label, resale, damage) in enumerate(WAREHOUSE_SCALE):
        grades[code], _ = Grade.objects.update_or_create(
            code=code,
            defaults={
                "label": label,
                "criteria": f"{label}: test criteria",
                "position": position,
                "resale_percent": Decimal(resale),
                "damage_deduction_percent": Decimal(damage),
                "is_sellable": code != "D",
            },
        )
    return grades


def warehouse_reason_make(code: str = "changed-mind", *, fault: bool = False, defect: bool = False):
    return ReturnReasonFactory(
        code=code,
        label=code.replace("-", " ").capitalize(),
        is_merchant_fault=fault,
        is_defect=defect,
    )


def warehouse_return_make(*, order, status: str = "delivered", reason=None, lines=None):
    """A return of `order` waiting at the warehouse door (made directly, no policy run)."""
    return shipping_return_make(order=order, status=status, reason=reason, lines=lines)


# --- RMA-CORE (a small demo-like catalog for the returns demo tests; added by RMA-CORE) ----
def rma_demo_catalog(*, orders: int = 450, customer_count: int = 80, seed: int = 11):
    """Categories (apparel, electronics, wearables), variant families, batches, customers
    (incl. customer@example.com) and `orders` one- or two-line orders delivered over the
    last 150 days. Bulk-created, so a few hundred orders take well under a second."""
    import random

    rng = random.Random(seed)
    now = timezone.now()
    supplier = SupplierFactory(code="demo-sup")
    categories = [CategoryFactory(slug=s) for s in ("apparel", "electronics", "wearables")]
    products = []
    for cat in categories:
        for family in range(3):
            for variant in ("S", "M", "L"):
                products.append(
                    Product(
                        sku=f"{cat.slug[:3].upper()}-{family}-{variant}",
                        name=f"{cat.name} {family} {variant}",
                        family=f"{cat.slug}-{family}",
                        variant=variant,
                        category=cat,
                        supplier=supplier,
                        price=Decimal(rng.choice(["9.00", "29.00", "49.00", "89.00", "640.00"])),
                        unit_cost=Decimal("5.00"),
                        warranty_months=24 if cat.slug != "apparel" else 0,
                        stock_on_hand=rng.randint(0, 20),
                    )
                )
    products = Product.objects.bulk_create(products)
    batches = Batch.objects.bulk_create(
        Batch(product=p, lot_code=f"L{n}") for p in products for n in range(2)
    )
    by_product = {}
    for b in batches:
        by_product.setdefault(b.product_id, []).append(b)
    users = [UserFactory(username="customer@example.com", email="customer@example.com")]
    customers = [CustomerFactory(email="customer@example.com", name="Demo Customer", user=users[0])]
    customers += [CustomerFactory(email=f"shopper{i}@example.com") for i in range(customer_count)]
    order_rows = Order.objects.bulk_create(
        Order(
            number=f"DEMO-{i:05d}",
            customer=customers[i % len(customers)],
            placed_at=now - dt.timedelta(days=150 * i / orders + 3),
            payment_reference=f"pi_demo_{i}",
        )
        for i in range(orders)
    )
    lines = []
    for i, order in enumerate(order_rows):
        for n in range(1 + (i % 3 == 0)):
            product = rng.choice(products)
            lines.append(
                OrderLine(
                    order=order,
                    line_number=n + 1,
                    product=product,
                    batch=rng.choice(by_product[product.pk]),
                    quantity=rng.choice([1, 1, 1, 2]),
                    unit_price=product.price,
                    delivered_at=order.placed_at + dt.timedelta(days=3),
                )
            )
    OrderLine.objects.bulk_create(lines)
    return customers


# --- RESOLUTION (factories for the resolution tests; added by RESOLUTION) -----------------
def resolution_return_make(
    *,
    order,
    status: str = "received",
    preferred_outcome: str = "refund",
    reason=None,
    lines=None,
    kind: str = "standard",
    label_payer: str = "merchant",
    label_fee=Decimal("0.00"),
    restocking_percent=Decimal("0"),
    policy=None,
):
    """A return of `order` in `status` with money fields filled the way the policy would."""
    from returns_portal.money import percent_of

    rr = shipping_return_make(
        order=order,
        status=status,
        reason=reason,
        lines=lines,
        kind=kind,
        label_payer=label_payer,
        label_fee=label_fee,
    )
    rr.preferred_outcome = preferred_outcome
    rr.policy = policy
    total_fee = Decimal("0.00")
    for line in rr.lines.all():
        value = line.unit_price * line.quantity
        line.restocking_fee = percent_of(value, restocking_percent)
        line.expected_refund = value - line.restocking_fee
        line.save(update_fields=["restocking_fee", "expected_refund"])
        total_fee += line.restocking_fee
    rr.items_value = sum((ln.unit_price * ln.quantity for ln in rr.lines.all()), Decimal("0"))
    rr.restocking_fee = total_fee
    rr.expected_refund = max(rr.items_value - total_fee - label_fee, Decimal("0"))
    rr.save()
    return rr


def resolution_grade(
    rr, *, code: str = "A", deduction=Decimal("0"), arrived_as="as_expected", quantity=None
):
    """A graded primary inspection for every line of `rr` (grades from the warehouse scale)."""
    from assessment.models import Grade, Inspection

    warehouse_grades_make()
    grade = Grade.objects.get(code=code)
    for line in rr.lines.all():
        Inspection.objects.update_or_create(
            return_line=line,
            kind="primary",
            defaults={
                "return_request": rr,
                "grade": grade,
                "deduction": Decimal(deduction),
                "arrived_as": arrived_as,
                "quantity_received": line.quantity if quantity is None else quantity,
                "graded_at": timezone.now(),
            },
        )
    return rr


def resolution_resolved_one(customer, *, code, product=None, reason=None, policy=None, quantity=1):
    """A one-line return graded `code` and resolved through the real services:
    (return, its disposition, the product)."""
    from resolution.services import return_resolve

    product = product or ProductFactory(
        price=Decimal("100.00"), unit_cost=Decimal("50.00"), stock_on_hand=5
    )
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, product=product, quantity=quantity)
    rr = resolution_return_make(order=order, status="graded", reason=reason, policy=policy)
    resolution_grade(rr, code=code)
    return_resolve(return_id=rr.pk)
    return rr, rr.dispositions.get(), product


# --- PAGES (helpers for the return page tests; added by PAGES) ------------------------
def pages_return_make(
    *,
    viewer,
    line,
    quantity: int = 1,
    reason: str = "changed-mind",
    outcome: str = "refund",
    note: str = "",
    notify: bool = True,
):
    """A return of one order line filed through the real service (the policy decides)."""
    from rma.services import ReturnItemInput, return_create

    return return_create(
        viewer=viewer,
        order_id=line.order_id,
        items=[
            ReturnItemInput(order_line_id=line.pk, quantity=quantity, reason_code=reason, note=note)
        ],
        preferred_outcome=outcome,
        notify=notify,
    )


# --- API (helpers for the returns API tests; added by API) ----------------------------
def api_pricey_order(*, customer, price=Decimal("650.00")):
    """An order of `customer` worth more than the default auto-approval limit (→ review)."""
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, quantity=1, unit_price=price)
    return order


def api_returns_bulk(*, customer, count: int, lines_per_return: int = 2, reason=None):
    """`count` returns of `customer`, each on its own order with `lines_per_return` lines
    (made directly with bulk inserts: for list and query-count tests, not policy tests)."""
    from rma.models import ReturnLine, ReturnRequest

    reason = reason or ReturnReasonFactory()
    product = ProductFactory()
    orders = Order.objects.bulk_create(OrderFactory.build(customer=customer) for _ in range(count))
    order_lines = OrderLine.objects.bulk_create(
        OrderLineFactory.build(order=order, line_number=n + 1, product=product)
        for order in orders
        for n in range(lines_per_return)
    )
    returns = ReturnRequest.objects.bulk_create(
        ReturnRequest(order=order, customer=customer, status="requested") for order in orders
    )
    by_order = {rr.order_id: rr for rr in returns}
    ReturnLine.objects.bulk_create(
        ReturnLine(
            return_request=by_order[ol.order_id],
            order_line=ol,
            quantity=1,
            reason=reason,
            unit_price=ol.unit_price,
        )
        for ol in order_lines
    )
    return returns
