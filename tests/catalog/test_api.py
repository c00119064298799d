"""Order intake API: bulk, idempotent, per-order errors; reads scoped to the viewer."""

import copy
from decimal import Decimal

import pytest
from rest_framework.authtoken.models import Token

from catalog.models import Batch, Customer, Order, OrderLine
from tests.factories import ProductFactory

URL = "/api/v1/orders/"


@pytest.fixture
def products(db):
    return {
        "TR-BLU-9": ProductFactory(sku="TR-BLU-9", price=Decimal("89.00")),
        "TEE-RED-M": ProductFactory(sku="TEE-RED-M", price=Decimal("19.99")),
    }


def _order(number="WEB-1001", email="dana@example.com", **over):
    order = {
        "number": number,
        "customer": {
            "email": email,
            "name": "Dana Buyer",
            "address": {"address_line1": "9 Elm St", "city": "Austin", "country": "us"},
        },
        "placed_at": "2026-10-01T10:00:00Z",
        "currency": "USD",
        "payment_reference": "pi_123",
        "shipping_paid": "4.99",
        "channel": "web",
        "lines": [
            {
                "line_number": 1,
                "sku": "TR-BLU-9",
                "lot_code": "L-77",
                "quantity": 1,
                "unit_price": "89.00",
                "delivered_at": "2026-10-04T15:00:00Z",
            },
            {"line_number": 2, "sku": "TEE-RED-M", "quantity": 2, "unit_price": 19.99},
        ],
    }
    order.update(over)
    return order


@pytest.fixture
def importer(api_client, admin_user):
    token = Token.objects.create(user=admin_user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return api_client


def _rows():
    return sorted(
        OrderLine.objects.values_list(
            "order__number",
            "line_number",
            "product__sku",
            "batch__lot_code",
            "quantity",
            "unit_price",
            "delivered_at",
        )
    )


def test_bulk_import_stores_orders_with_decimal_money(importer, products):
    # when an admin's token sends two orders
    response = importer.post(
        URL, [_order(), _order("WEB-1002", email="Eve@Example.com")], format="json"
    )
    # then both are created and reported in order
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["summary"] == {
        "created": 2,
        "unchanged": 0,
        "updated": 0,
        "invalid": 0,
        "conflict": 0,
    }
    assert [(r["index"], r["number"], r["status"]) for r in body["results"]] == [
        (0, "WEB-1001", "created"),
        (1, "WEB-1002", "created"),
    ]
    order = Order.objects.get(number="WEB-1001")
    assert order.shipping_paid == Decimal("4.99")
    assert order.country == "US" and order.city == "Austin"
    tee = order.lines.get(line_number=2)
    assert tee.unit_price == Decimal("19.99") and tee.delivered_at is None
    trail = order.lines.get(line_number=1)
    assert trail.batch.lot_code == "L-77"
    assert order.total_paid == Decimal("128.98")


def test_sending_the_same_payload_twice_changes_nothing(importer, products):
    # given a payload already imported
    payload = [_order(), _order("WEB-1002")]
    assert importer.post(URL, payload, format="json").status_code == 200
    before = _rows()
    # when it is sent again
    response = importer.post(URL, payload, format="json")
    # then every order is "unchanged" and the rows are exactly the same
    assert response.status_code == 200
    assert [r["status"] for r in response.json()["results"]] == ["unchanged", "unchanged"]
    assert _rows() == before
    assert Order.objects.count() == 2
    assert Customer.objects.filter(email__iexact="dana@example.com").count() == 1
    assert Batch.objects.filter(lot_code="L-77").count() == 1


def test_resending_with_a_delivery_time_updates_only_that(importer, products):
    # given an order sent before line 2 was delivered
    importer.post(URL, [_order()], format="json")
    # when the store sends it again with line 2 delivered
    delivered = copy.deepcopy(_order())
    delivered["lines"][1]["delivered_at"] = "2026-10-06T09:30:00Z"
    response = importer.post(URL, [delivered], format="json")
    # then it is "updated" and only that delivery time changed
    result = response.json()["results"][0]
    assert response.status_code == 200
    assert result["status"] == "updated"
    assert result["changed"] == ["line 2 delivered_at"]
    line = OrderLine.objects.get(order__number="WEB-1001", line_number=2)
    assert line.delivered_at.isoformat() == "2026-10-06T09:30:00+00:00"


def test_same_number_with_different_content_is_a_conflict(importer, products):
    # given a stored order
    importer.post(URL, [_order()], format="json")
    before = _rows()
    # when the same number arrives with another price and quantity
    changed = copy.deepcopy(_order())
    changed["lines"][0]["unit_price"] = "79.00"
    changed["lines"][1]["quantity"] = 3
    response = importer.post(URL, [changed], format="json")
    # then that order gets a 409 entry naming the differences, and nothing changed
    assert response.status_code == 207
    result = response.json()["results"][0]
    assert result["status"] == "conflict" and result["http_status"] == 409
    assert result["differs"] == ["line 1 unit_price", "line 2 quantity"]
    assert _rows() == before


def test_bad_orders_are_reported_by_index_and_field_good_ones_kept(importer, products):
    # given one good order between an unknown SKU and a malformed order
    unknown_sku = _order("WEB-2001")
    unknown_sku["lines"][1]["sku"] = "NOPE-1"
    malformed = _order("WEB-2003", email="not-an-email", placed_at="yesterday")
    malformed["lines"][0]["quantity"] = 0
    malformed["lines"][1]["unit_price"] = "1.234"
    response = importer.post(URL, [unknown_sku, _order("WEB-2002"), malformed], format="json")
    # then the response is multi-status with one result per order
    assert response.status_code == 207
    results = response.json()["results"]
    assert results[0]["index"] == 0
    assert results[0]["http_status"] == 400
    assert results[0]["errors"] == {"lines[1].sku": ["Unknown SKU 'NOPE-1'."]}
    assert results[1]["status"] == "created"
    assert results[2]["index"] == 2 and results[2]["status"] == "invalid"
    assert set(results[2]["errors"]) == {
        "customer.email",
        "placed_at",
        "lines[0].quantity",
        "lines[1].unit_price",
    }
    # and only the good order is stored, with nothing half-written for the bad ones
    assert list(Order.objects.values_list("number", flat=True)) == ["WEB-2002"]
    assert not Customer.objects.filter(email="not-an-email").exists()


def test_unknown_sku_leaves_no_customer_or_batch_behind(importer, products):
    bad = _order("WEB-3001", email="new@example.com")
    bad["lines"][1]["sku"] = "NOPE"
    importer.post(URL, [bad], format="json")
    assert not Customer.objects.filter(email="new@example.com").exists()
    assert not Batch.objects.filter(lot_code="L-77").exists()


@pytest.mark.parametrize(
    "body",
    [{"number": "X"}, [], "orders", [None], [["nested"]]],
    ids=["object", "empty", "string", "null-item", "list-item"],
)
def test_a_body_that_is_not_a_list_of_orders_is_refused(importer, products, body):
    response = importer.post(URL, body, format="json")
    if isinstance(body, list) and body:
        # each non-object item is an invalid order, not a crash
        assert response.status_code == 207
        assert response.json()["results"][0]["status"] == "invalid"
    else:
        assert response.status_code == 400
    assert Order.objects.count() == 0


def test_duplicate_line_numbers_are_refused(importer, products):
    order = _order()
    order["lines"][1]["line_number"] = 1
    result = importer.post(URL, [order], format="json").json()["results"][0]
    assert result["errors"] == {"lines": ["Line numbers must be unique within an order."]}


def test_session_auth_works_for_staff_with_the_permission(api_client, admin_user, products):
    api_client.force_login(admin_user)
    assert api_client.post(URL, [_order()], format="json").status_code == 200


@pytest.mark.parametrize("persona", ["customer", "grader", "manager"])
def test_users_without_import_orders_get_403(request, api_client, products, persona):
    # given a signed-in user without catalog.import_orders
    someone = request.getfixturevalue(persona)
    api_client.force_login(someone.user if persona == "customer" else someone)
    # when they send orders
    response = api_client.post(URL, [_order()], format="json")
    # then they are refused and nothing is stored
    assert response.status_code == 403
    assert Order.objects.count() == 0


def test_anonymous_cannot_send_or_read_orders(api_client, products, order):
    assert api_client.post(URL, [_order()], format="json").status_code in (401, 403)
    assert api_client.get(URL).status_code in (401, 403)
    assert api_client.get(f"{URL}{order.number}/").status_code in (401, 403)
    assert Order.objects.filter(number="WEB-1001").count() == 0


def test_customers_list_only_their_own_orders(api_client, customer, order, other_order):
    # given alice with one order and mallory with another
    api_client.force_login(customer.user)
    # when alice lists orders
    response = api_client.get(URL)
    # then she sees only hers, with lines and Decimal money as strings
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1
    assert [o["number"] for o in body["results"]] == [order.number]
    assert [line["line_number"] for line in body["results"][0]["lines"]] == [1, 2]
    # and filtering for mallory's order does not reveal it
    assert api_client.get(URL, {"number": other_order.number}).json()["count"] == 0


def test_a_customer_cannot_fetch_another_customers_order(api_client, customer, order, other_order):
    api_client.force_login(customer.user)
    assert api_client.get(f"{URL}{order.number}/").status_code == 200
    response = api_client.get(f"{URL}{other_order.number}/")
    assert response.status_code == 404
    assert other_order.customer.email not in response.content.decode()


def test_staff_see_every_order(api_client, grader, order, other_order):
    api_client.force_login(grader)
    numbers = {o["number"] for o in api_client.get(URL).json()["results"]}
    assert numbers == {order.number, other_order.number}
    detail = api_client.get(f"{URL}{other_order.number}/").json()
    assert detail["customer"]["email"] == "mallory@example.com"
