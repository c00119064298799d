"""Writes to the store mirror: orders arriving from the store (API or CSV), one at a time.

`order_upsert` is idempotent on the order number, so a store may resend its feed freely:

* a new number is stored (customer found by e-mail, or created) → ``created``;
* the same number with the same content → ``unchanged`` (nothing is written);
* the same number where only line delivery times changed (the order was first sent when
  placed, again once delivered) → those ``delivered_at`` values are set → ``updated``;
* anything else that differs (lines, prices, customer, payment…) → ``Conflict`` (409),
  nothing is written: the mirror never silently rewrites an order returns may rely on.

Customer name, phone and address are taken when the customer is first seen; later orders
do not overwrite them (customers edit them in the portal). Unknown SKUs refuse the order;
unknown lot codes of a known product are recorded as new batches (lots come from the
factory, the store only reports them).
"""

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction

from catalog.models import Batch, Customer, Order, OrderLine, Product
from returns_portal.errors import Conflict, DomainError
from returns_portal.money import money

ADDRESS_FIELDS = (
    "address_name",
    "address_line1",
    "address_line2",
    "city",
    "region",
    "postal_code",
    "country",
)


@dataclass(frozen=True)
class AddressInput:
    address_name: str = ""
    address_line1: str = ""
    address_line2: str = ""
    city: str = ""
    region: str = ""
    postal_code: str = ""
    country: str = "US"

    def as_fields(self) -> dict:
        return {name: getattr(self, name) for name in ADDRESS_FIELDS}


@dataclass(frozen=True)
class CustomerInput:
    email: str
    name: str
    phone: str = ""
    address: AddressInput = field(default_factory=AddressInput)


@dataclass(frozen=True)
class OrderLineInput:
    line_number: int
    sku: str
    quantity: int
    unit_price: Decimal
    lot_code: str = ""
    delivered_at: dt.datetime | None = None


@dataclass(frozen=True)
class OrderInput:
    number: str
    customer: CustomerInput
    placed_at: dt.datetime
    lines: tuple[OrderLineInput, ...]
    currency: str = ""
    payment_reference: str = ""
    shipping_paid: Decimal = Decimal("0.00")
    channel: str = "web"
    shipping_address: AddressInput | None = None  # None: the customer's address


@dataclass(frozen=True)
class UpsertResult:
    order: Order
    status: str  # "created" | "unchanged" | "updated"
    changed: tuple[str, ...] = ()


def _check(data: OrderInput) -> None:
    """Rules a serializer or CSV parser might not have enforced (the service is the door)."""
    if not data.number.strip():
        raise DomainError("Order number is required.", field="number")
    if not data.customer.email.strip():
        raise DomainError("Customer e-mail is required.", field="customer.email")
    if not data.lines:
        raise DomainError("An order needs at least one line.", field="lines")
    seen: set[int] = set()
    for i, line in enumerate(data.lines):
        if line.line_number in seen:
            raise DomainError(
                f"Line number {line.line_number} appears twice.", field=f"lines[{i}].line_number"
            )
        seen.add(line.line_number)
        if line.quantity < 1:
            raise DomainError("Quantity must be at least 1.", field=f"lines[{i}].quantity")
        if line.unit_price < 0:
            raise DomainError("Unit price cannot be negative.", field=f"lines[{i}].unit_price")
    if data.shipping_paid < 0:
        raise DomainError("Shipping paid cannot be negative.", field="shipping_paid")


def _products_for(data: OrderInput) -> dict[str, Product]:
    skus = {line.sku for line in data.lines}
    products = {p.sku: p for p in Product.objects.filter(sku__in=skus)}
    for i, line in enumerate(data.lines):
        if line.sku not in products:
            raise DomainError(f"Unknown SKU '{line.sku}'.", field=f"lines[{i}].sku")
    return products


def _shipping_address(data: OrderInput) -> dict:
    return (data.shipping_address or data.customer.address).as_fields()


def _fingerprint_input(data: OrderInput) -> tuple[dict, dict]:
    head = {
        "customer.email": data.customer.email.strip().lower(),
        "placed_at": data.placed_at,
        "currency": (data.currency or settings.DEFAULT_CURRENCY).upper(),
        "payment_reference": data.payment_reference,
        "shipping_paid": money(data.shipping_paid),
        "channel": data.channel or "web",
        **_shipping_address(data),
    }
    lines = {
        line.line_number: {
            "sku": line.sku,
            "lot_code": line.lot_code or "",
            "quantity": line.quantity,
            "unit_price": money(line.unit_price),
            "delivered_at": line.delivered_at,
        }
        for line in data.lines
    }
    return head, lines


def _fingerprint_stored(order: Order) -> tuple[dict, dict]:
    head = {
        "customer.email": order.customer.email.lower(),
        "placed_at": order.placed_at,
        "currency": order.currency,
        "payment_reference": order.payment_reference,
        "shipping_paid": money(order.shipping_paid),
        "channel": order.channel,
        **{name: getattr(order, name) for name in ADDRESS_FIELDS},
    }
    lines = {
        line.line_number: {
            "sku": line.product.sku,
            "lot_code": line.batch.lot_code if line.batch_id else "",
            "quantity": line.quantity,
            "unit_price": money(line.unit_price),
            "delivered_at": line.delivered_at,
        }
        for line in order.lines.select_related("product", "batch")
    }
    return head, lines


def _differences(stored: tuple[dict, dict], incoming: tuple[dict, dict]) -> list[str]:
    head_s, lines_s = stored
    head_i, lines_i = incoming
    diffs = [name for name in head_i if head_i[name] != head_s.get(name)]
    for number in sorted(lines_s.keys() | lines_i.keys()):
        if number not in lines_s or number not in lines_i:
            diffs.append(f"line {number}")
            continue
        diffs += [
            f"line {number} {name}"
            for name in lines_i[number]
            if lines_i[number][name] != lines_s[number][name]
        ]
    return diffs


def _customer_for(data: CustomerInput) -> Customer:
    email = data.email.strip()
    found = Customer.objects.filter(email__iexact=email).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():  # a concurrent import may create the same customer
            return Customer.objects.create(
                email=email,
                name=data.name.strip() or email,
                phone=data.phone,
                **data.address.as_fields(),
            )
    except IntegrityError:
        return Customer.objects.get(email__iexact=email)


def _batches_for(data: OrderInput, products: dict[str, Product]) -> dict[tuple[int, str], Batch]:
    batches = {}
    for line in data.lines:
        if line.lot_code:
            product = products[line.sku]
            batches[(product.pk, line.lot_code)], _ = Batch.objects.get_or_create(
                product=product, lot_code=line.lot_code
            )
    return batches


def _create(data: OrderInput, products: dict[str, Product]) -> Order:
    customer = _customer_for(data.customer)
    batches = _batches_for(data, products)
    order = Order.objects.create(
        number=data.number.strip(),
        customer=customer,
        placed_at=data.placed_at,
        currency=(data.currency or settings.DEFAULT_CURRENCY).upper(),
        payment_reference=data.payment_reference,
        shipping_paid=money(data.shipping_paid),
        channel=data.channel or "web",
        **_shipping_address(data),
    )
    OrderLine.objects.bulk_create(
        OrderLine(
            order=order,
            line_number=line.line_number,
            product=products[line.sku],
            batch=batches.get((products[line.sku].pk, line.lot_code)) if line.lot_code else None,
            quantity=line.quantity,
            unit_price=money(line.unit_price),
            delivered_at=line.delivered_at,
        )
        for line in data.lines
    )
    return order


def _reconcile(order: Order, data: OrderInput) -> UpsertResult:
    diffs = _differences(_fingerprint_stored(order), _fingerprint_input(data))
    if not diffs:
        return UpsertResult(order=order, status="unchanged")
    deliveries = {d for d in diffs if d.endswith(" delivered_at")}
    incoming = {line.line_number: line for line in data.lines}
    undelivering = [d for d in deliveries if incoming[int(d.split()[1])].delivered_at is None]
    if set(diffs) != deliveries or undelivering:
        raise Conflict(
            f"Order {order.number} exists with different content; "
            "only delivery times may change when it is sent again.",
            field="number",
            details={"differs": diffs},
        )
    changed = []
    for line in order.lines.all():
        new = incoming[line.line_number].delivered_at
        if line.delivered_at != new:
            line.delivered_at = new
            line.save(update_fields=["delivered_at"])
            changed.append(f"line {line.line_number} delivered_at")
    return UpsertResult(order=order, status="updated", changed=tuple(changed))


@transaction.atomic
def order_upsert(*, data: OrderInput) -> UpsertResult:
    """Store one order from the store feed; see the module docstring for the rules.

    Runs in its own transaction (a savepoint inside a caller's), so a refused order leaves
    nothing behind while the caller's other orders go on.
    """
    _check(data)
    number = data.number.strip()
    existing = Order.objects.select_for_update().filter(number=number).first()
    if existing is not None:
        return _reconcile(existing, data)
    products = _products_for(data)
    try:
        with transaction.atomic():
            order = _create(data, products)
    except IntegrityError:
        # Another request stored the same number between our look and our insert.
        existing = Order.objects.select_for_update().filter(number=number).first()
        if existing is None:
            raise
        return _reconcile(existing, data)
    return UpsertResult(order=order, status="created")
