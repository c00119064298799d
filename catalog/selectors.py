"""Reads of store data, always through a Viewer."""

from collections.abc import Iterable

from django.db.models import Q, QuerySet

from catalog.identity import Viewer
from catalog.models import Order, OrderLine, Product
from returns_portal.errors import NotFound


def _order_scope(viewer: Viewer, prefix: str = "") -> Q | None:
    """The orders this viewer may see, as a filter on `prefix` + order fields; None for
    none at all."""
    if viewer.is_staff:
        return Q()
    if viewer.customer_id:
        return Q(**{f"{prefix}customer_id": viewer.customer_id})
    if viewer.guest_order_ids:
        return Q(**{f"{prefix}pk__in": viewer.guest_order_ids})
    return None


def orders_for_viewer(viewer: Viewer) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer")
    scope = _order_scope(viewer)
    return orders.none() if scope is None else orders.filter(scope)


def order_lines_for_viewer(*, viewer: Viewer, order_id: int, line_ids) -> QuerySet[OrderLine]:
    """Lines `line_ids` of order `order_id`, each with its order and customer loaded, if
    the viewer may see that order; no lines otherwise. For one query where the order and
    its lines are both needed (`order_get_for_viewer` tells a hidden order apart)."""
    lines = OrderLine.objects.select_related("order__customer")
    scope = _order_scope(viewer, prefix="order__")
    if scope is None:
        return lines.none()
    return lines.filter(scope, order_id=order_id, pk__in=line_ids)


def order_get_for_viewer(*, viewer: Viewer, order_id: int) -> Order:
    """The order if this viewer may see it; NotFound otherwise (no hint it exists)."""
    try:
        return orders_for_viewer(viewer).get(pk=order_id)
    except (Order.DoesNotExist, ValueError, TypeError):
        raise NotFound("Order not found.") from None


def order_find_by_number_and_email(*, number: str, email: str) -> Order | None:
    """Guest lookup: both must match (email case-insensitively), or nothing is returned."""
    number = (number or "").strip()
    email = (email or "").strip()
    if not number or not email:
        return None
    return (
        Order.objects.select_related("customer")
        .filter(number__iexact=number, customer__email__iexact=email)
        .first()
    )


EXCHANGE_CHOICES_PER_ITEM = 30


def exchange_allowed(*, bought: Product, wanted: Product) -> bool:
    """What a customer may take in exchange: the same item, another variant of it, or another
    item of the same category at the same price (an even exchange: no money changes hands)."""
    if wanted.pk == bought.pk:
        return True
    if bought.family and wanted.family == bought.family:
        return True
    return wanted.category_id == bought.category_id and wanted.price == bought.price


def exchange_candidates(*, products: Iterable[Product]) -> dict[int, list[Product]]:
    """In-stock exchange choices for each product (itself excluded), its own variants first;
    one query for all of them."""
    products = list(products)
    if not products:
        return {}
    match = Q(family__in={p.family for p in products if p.family}) | Q(
        category_id__in={p.category_id for p in products}, price__in={p.price for p in products}
    )
    in_stock = list(
        Product.objects.filter(match, stock_on_hand__gt=0).order_by("name", "variant", "sku")
    )
    choices = {}
    for bought in products:
        allowed = [
            c for c in in_stock if c.pk != bought.pk and exchange_allowed(bought=bought, wanted=c)
        ]
        allowed.sort(key=lambda c: not (bought.family and c.family == bought.family))
        choices[bought.pk] = allowed[:EXCHANGE_CHOICES_PER_ITEM]
    return choices
