"""CSV order import: one row per order line, grouped into orders, stored with `order_upsert`.

Rows of one order share its number; order-level columns are read from its first row. A bad
row (a missing or malformed value, an unknown SKU) refuses its whole order, so an order is
never stored with a line missing; every row of a refused order is reported by its line
number in the file (the header is line 1). Other orders are stored. Importing the same
file again creates nothing: the service is idempotent on the order number.
"""

import csv
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from catalog.services import AddressInput, CustomerInput, OrderInput, OrderLineInput, order_upsert
from returns_portal.errors import DomainError

# name, required, meaning (shown by `manage.py import_orders --help`)
COLUMNS = [
    ("order_number", True, "the store's order number (rows sharing it form one order)"),
    ("placed_at", True, "when the order was placed: ISO 8601 date or date-time"),
    ("customer_email", True, "the buyer's e-mail (matches an existing customer, any case)"),
    ("customer_name", True, "the buyer's name"),
    ("sku", True, "a known product SKU"),
    ("quantity", True, "whole number, at least 1"),
    ("unit_price", True, "price paid per unit after discounts, e.g. 19.99"),
    ("line_number", False, "line number within the order (default: row order 1, 2, …)"),
    ("lot_code", False, "manufacturing lot / batch code"),
    ("delivered_at", False, "delivery date or date-time; empty: not delivered yet"),
    ("payment_reference", False, "payment provider's charge / payment intent id"),
    ("currency", False, f"ISO code (default {settings.DEFAULT_CURRENCY})"),
    ("shipping_paid", False, "shipping charged on the order (default 0)"),
    ("channel", False, "sales channel (default web)"),
    ("customer_phone", False, "the buyer's phone"),
    ("address_name", False, "shipping addressee"),
    ("address_line1", False, "shipping address line 1"),
    ("address_line2", False, "shipping address line 2"),
    ("city", False, "shipping city"),
    ("region", False, "shipping state / region"),
    ("postal_code", False, "shipping postal code"),
    ("country", False, "shipping country, ISO alpha-2 (default US)"),
]
REQUIRED = [name for name, required, _ in COLUMNS if required]
ORDER_LEVEL = [
    "placed_at",
    "customer_email",
    "customer_name",
    "payment_reference",
    "currency",
    "shipping_paid",
    "channel",
]


class RowError(ValueError):
    """A bad value; `line` is set once the row it came from is known."""

    def __init__(self, reason: str, *, line: int | None = None):
        super().__init__(reason)
        self.reason = reason
        self.line = line


@dataclass
class ImportReport:
    created: int = 0
    unchanged: int = 0
    updated: int = 0
    rows_read: int = 0
    rejected: list[tuple[int, str]] = field(default_factory=list)  # (line, reason)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejected)

    def summary(self) -> str:
        return (
            f"{self.created} orders created, {self.unchanged} unchanged, "
            f"{self.updated} updated, {self.rows_rejected} rows rejected "
            f"(of {self.rows_read} rows read)"
        )


@dataclass
class _Row:
    line: int
    values: dict


def _text(row: dict, name: str, *, limit: int) -> str:
    value = (row.get(name) or "").strip()
    if len(value) > limit:
        raise RowError(f"{name} is longer than {limit} characters")
    return value


def _required(row: dict, name: str, *, limit: int = 200) -> str:
    value = _text(row, name, limit=limit)
    if not value:
        raise RowError(f"{name} is empty")
    return value


def _when(value: str, name: str) -> dt.datetime:
    try:
        moment = parse_datetime(value)
        if moment is None:
            day = parse_date(value)
            if day is None:
                raise ValueError
            moment = dt.datetime.combine(day, dt.time())
    except ValueError:
        raise RowError(f"{name} '{value}' is not an ISO 8601 date or date-time") from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return moment


def _decimal(value: str, name: str) -> Decimal:
    try:
        amount = Decimal(value)
    except InvalidOperation:
        raise RowError(f"{name} '{value}' is not a number") from None
    if not amount.is_finite() or amount < 0:
        raise RowError(f"{name} must be zero or more")
    if amount.as_tuple().exponent < -2:
        raise RowError(f"{name} '{value}' has more than two decimal places")
    if amount >= Decimal("1e10"):
        raise RowError(f"{name} '{value}' is too large")
    return amount


def _whole(value: str, name: str, *, low: int, high: int) -> int:
    try:
        number = int(value)
    except ValueError:
        raise RowError(f"{name} '{value}' is not a whole number") from None
    if not low <= number <= high:
        raise RowError(f"{name} must be between {low} and {high}")
    return number


def _parse_line(row: dict, position: int) -> OrderLineInput:
    raw_number = _text(row, "line_number", limit=6)
    delivered = _text(row, "delivered_at", limit=40)
    return OrderLineInput(
        line_number=_whole(raw_number, "line_number", low=1, high=32767)
        if raw_number
        else position,
        sku=_required(row, "sku", limit=64),
        quantity=_whole(_required(row, "quantity"), "quantity", low=1, high=100000),
        unit_price=_decimal(_required(row, "unit_price"), "unit_price"),
        lot_code=_text(row, "lot_code", limit=64),
        delivered_at=_when(delivered, "delivered_at") if delivered else None,
    )


def _parse_order(number: str, rows: list[_Row]) -> tuple[OrderInput, list[int]]:
    """The order from its rows, or RowError naming the first bad row's line."""
    first = rows[0].values
    head = {name: (first.get(name) or "").strip() for name in ORDER_LEVEL}
    lines = []
    for position, row in enumerate(rows, start=1):
        try:
            for name in ORDER_LEVEL:
                value = (row.values.get(name) or "").strip()
                if value and value != head[name]:
                    raise RowError(f"{name} differs from the order's first row")
            lines.append(_parse_line(row.values, position))
        except RowError as exc:
            raise RowError(exc.reason, line=row.line) from None
    try:
        email = _required(first, "customer_email", limit=254)
        if "@" not in email:
            raise RowError(f"customer_email '{email}' is not an e-mail address")
        country = _text(first, "country", limit=2).upper() or "US"
        address = AddressInput(
            address_name=_text(first, "address_name", limit=200),
            address_line1=_text(first, "address_line1", limit=200),
            address_line2=_text(first, "address_line2", limit=200),
            city=_text(first, "city", limit=100),
            region=_text(first, "region", limit=100),
            postal_code=_text(first, "postal_code", limit=20),
            country=country,
        )
        currency = _text(first, "currency", limit=3).upper() or settings.DEFAULT_CURRENCY
        shipping = _text(first, "shipping_paid", limit=20)
        data = OrderInput(
            number=number,
            customer=CustomerInput(
                email=email,
                name=_required(first, "customer_name"),
                phone=_text(first, "customer_phone", limit=40),
                address=address,
            ),
            placed_at=_when(_required(first, "placed_at"), "placed_at"),
            currency=currency,
            payment_reference=_text(first, "payment_reference", limit=100),
            shipping_paid=_decimal(shipping, "shipping_paid") if shipping else Decimal("0"),
            channel=_text(first, "channel", limit=40) or "web",
            lines=tuple(lines),
        )
    except RowError as exc:
        raise RowError(exc.reason, line=rows[0].line) from None
    return data, [row.line for row in rows]


def _field_line(field_path: str | None, lines: list[int]) -> int:
    """The file line behind a service error on `lines[i].…` (else the order's first row)."""
    if field_path and field_path.startswith("lines["):
        index = int(field_path[len("lines[") : field_path.index("]")])
        if index < len(lines):
            return lines[index]
    return lines[0]


def orders_import_csv(
    *, rows: Iterable[str], progress: Callable[[int, int], None] | None = None
) -> ImportReport:
    """Import orders from CSV text lines (a file opened with newline="")."""
    report = ImportReport()
    reader = csv.DictReader(rows)
    header = [name.strip() for name in (reader.fieldnames or [])]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise DomainError(f"The CSV header lacks required columns: {', '.join(missing)}.")
    reader.fieldnames = header
    groups: dict[str, list[_Row]] = {}
    for values in reader:
        report.rows_read += 1
        if None in values:  # more cells than header columns
            report.rejected.append((reader.line_num, "more cells than header columns"))
            continue
        number = (values.get("order_number") or "").strip()
        if not number:
            report.rejected.append((reader.line_num, "order_number is empty"))
            continue
        if len(number) > 40:
            report.rejected.append((reader.line_num, "order_number is longer than 40 characters"))
            continue
        groups.setdefault(number, []).append(_Row(reader.line_num, values))

    total = len(groups)
    for done, (number, order_rows) in enumerate(groups.items(), start=1):
        _import_order(number, order_rows, report)
        if progress is not None:
            progress(done, total)
    report.rejected.sort()
    return report


def _import_order(number: str, order_rows: list[_Row], report: ImportReport) -> None:
    lines = [row.line for row in order_rows]
    try:
        data, lines = _parse_order(number, order_rows)
        result = order_upsert(data=data)
    except RowError as exc:
        _reject(report, lines, exc.line or lines[0], exc.reason, number)
        return
    except DomainError as exc:
        reason = exc.message
        if exc.details.get("differs"):
            reason += f" (differs: {', '.join(exc.details['differs'])})"
        _reject(report, lines, _field_line(exc.field, lines), reason, number)
        return
    setattr(report, result.status, getattr(report, result.status) + 1)


def _reject(report: ImportReport, lines: list[int], bad_line: int, reason: str, number: str):
    for line in lines:
        if line == bad_line:
            report.rejected.append((line, reason))
        else:
            report.rejected.append((line, f"order {number} refused (see line {bad_line})"))
