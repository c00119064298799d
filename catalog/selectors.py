"""Reads of store data, always through a Viewer."""

from django.db.models import QuerySet

from catalog.identity import Viewer
from catalog.models import Order
from returns_portal.errors import NotFound


def orders_for_viewer(viewer: Viewer) -> QuerySet[Order]:
    orders = Order.objects.select_related("customer")
    if viewer.is_staff:
        return orders
    if viewer.customer_id:
        return orders.filter(customer_id=viewer.customer_id)
    if viewer.guest_order_ids:
        return orders.filter(pk__in=viewer.guest_order_ids)
    return orders.none()


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
