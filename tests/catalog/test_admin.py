"""The catalog admin pages render, search and filter (for the demo admin, a superuser)."""

import pytest
from django.urls import reverse

from tests.factories import BatchFactory, OrderLineFactory, UserFactory


@pytest.fixture
def superuser(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


@pytest.mark.parametrize(
    "model, query",
    [
        ("supplier", {"q": "Supplier", "is_dropship__exact": "0"}),
        ("category", {"q": "cat"}),
        ("product", {"q": "LOT-", "is_returnable__exact": "1"}),
        ("batch", {"q": "LOT-"}),
        ("customer", {"q": "example.com", "user__isempty": "1"}),
        ("order", {"q": "ORD-", "delivered": "yes"}),
    ],
)
def test_changelists_search_and_filter(client, superuser, model, query):
    line = OrderLineFactory()
    BatchFactory(product=line.product)
    client.force_login(superuser)
    response = client.get(reverse(f"admin:catalog_{model}_changelist"), query)
    assert response.status_code == 200


def test_order_page_shows_its_lines_read_only(client, superuser):
    line = OrderLineFactory(batch=None)
    client.force_login(superuser)
    response = client.get(reverse("admin:catalog_order_change", args=[line.order.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert line.product.sku in html
    assert 'name="lines-0-quantity"' not in html  # not editable


def test_product_page_has_batches_inline(client, superuser):
    batch = BatchFactory(lot_code="LOT-XYZ")
    client.force_login(superuser)
    response = client.get(reverse("admin:catalog_product_change", args=[batch.product.pk]))
    assert 'value="LOT-XYZ"' in response.content.decode()


def test_staff_without_model_permissions_cannot_open_the_admin(client, manager):
    manager.is_staff = True
    manager.save()
    client.force_login(manager)
    assert client.get(reverse("admin:catalog_order_changelist")).status_code == 403
