"""Bad input never reaches a 500: junk bodies, wrong types, unknown and foreign ids."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from rma.models import ReturnRequest

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"


@pytest.fixture
def alice_api(customer):
    client = APIClient()
    client.force_authenticate(customer.user)
    return client


@pytest.fixture
def ids(order, other_order, reasons, policy):
    """Real ids mixed into the junk, so some bodies get past the first checks."""
    return {
        "order": order.pk,
        "line": order.lines.order_by("line_number").first().pk,
        "foreign_order": other_order.pk,
        "foreign_line": other_order.lines.first().pk,
    }


scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "\x00", "1", "-1", "1e400", "changed-mind", "ORD-1", "exchange"])
)
junk = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


def shaped(real_ids: dict):
    """Bodies with the right keys and junk (or real) values."""
    value = junk | st.sampled_from(list(real_ids.values()))
    item = st.fixed_dictionaries(
        {},
        optional={
            "order_line_id": value,
            "line_number": value,
            "quantity": value,
            "reason_code": value | st.sampled_from(["changed-mind", "defective"]),
            "note": value,
            "exchange_sku": value,
        },
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "order_id": value,
            "order_number": value,
            "kind": value | st.sampled_from(["standard", "exchange", "warranty", "recall"]),
            "preferred_outcome": value | st.sampled_from(["refund", "exchange", "repair"]),
            "items": st.lists(item, max_size=3) | junk,
        },
    )


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_junk_json_never_gives_a_500(alice_api, ids, data):
    # given any JSON document, shaped like a return or not
    payload = data.draw(junk | shaped(ids))
    path = data.draw(st.sampled_from([RETURNS, f"{RETURNS}quote/"]))
    # when it is posted (the test client re-raises a server error instead of returning 500)
    response = alice_api.post(path, json.dumps(payload), content_type="application/json")
    # then it is answered, never with a server error
    assert response.status_code < 500
    # and nothing was ever filed against another customer's order
    assert not ReturnRequest.objects.filter(order_id=ids["foreign_order"]).exists()


@pytest.mark.parametrize(
    "raw, content_type",
    [
        ("{not json", "application/json"),
        ("", "application/json"),
        ("[]", "application/json"),
        ('"a string"', "application/json"),
        ("null", "application/json"),
        ('{"order_id": NaN, "items": []}', "application/json"),
        ("order_id=1&items=2", "application/x-www-form-urlencoded"),
        ("<xml/>", "application/xml"),
        ("\xff\xfe", "application/json"),
    ],
)
def test_non_json_bodies_are_4xx(alice_api, ids, raw, content_type):
    for path in (RETURNS, f"{RETURNS}quote/"):
        response = alice_api.post(path, raw, content_type=content_type)
        assert 400 <= response.status_code < 500


def bad_item(**values) -> dict:
    return {"items": [{"order_line_id": "__line__", "quantity": 1, "reason_code": "x", **values}]}


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"order_id": "abc"}, "order_id"),
        ({"order_id": 2**63}, "order_id"),
        ({"order_id": -1}, "order_id"),
        ({"items": "all"}, "items"),
        ({"items": []}, "items"),
        (bad_item(quantity=10**12), "items"),
        (bad_item(quantity=0), "items"),
        (bad_item(quantity=1.5), "items"),
        (bad_item(quantity=True), "items"),
        (bad_item(reason_code="nope"), None),
        (bad_item(reason_code="a\x00"), "items"),
        (bad_item(reason_code=["x"]), "items"),
        (bad_item(order_line_id=2**40, reason_code="changed-mind"), "items"),
        (bad_item(reason_code="changed-mind", note="x" * 2001), "items"),
        ({"kind": "recall"}, "kind"),
        ({"kind": "teleport"}, "kind"),
        ({"preferred_outcome": "repair"}, "preferred_outcome"),
    ],
)
def test_wrong_values_are_400_with_the_field(alice_api, ids, patch, field):
    payload = {
        "order_id": ids["order"],
        "items": [{"order_line_id": ids["line"], "quantity": 1, "reason_code": "changed-mind"}],
    }
    payload.update(json.loads(json.dumps(patch).replace('"__line__"', str(ids["line"]))))
    response = alice_api.post(RETURNS, payload, format="json")
    assert response.status_code == 400, response.json()
    if field:
        assert any(key.startswith(field) for key in response.json()), response.json()
    assert ReturnRequest.objects.count() == 0


def test_foreign_ids_are_404_not_403(alice_api, ids, other_customer):
    # another customer's order, by id and by number
    foreign = {
        "order_id": ids["foreign_order"],
        "items": [
            {"order_line_id": ids["foreign_line"], "quantity": 1, "reason_code": "changed-mind"}
        ],
    }
    for path in (RETURNS, f"{RETURNS}quote/"):
        assert alice_api.post(path, foreign, format="json").status_code == 404
    by_number = {"order_number": other_customer.orders.get().number, "items": foreign["items"]}
    assert alice_api.post(RETURNS, by_number, format="json").status_code == 404
    assert (
        alice_api.get(f"/api/v1/orders/{ids['foreign_order']}/returnable-lines/").status_code == 404
    )
    # a line of another customer's order on alice's own order is "not on this order"
    mixed = {
        "order_id": ids["order"],
        "items": [
            {"order_line_id": ids["foreign_line"], "quantity": 1, "reason_code": "changed-mind"}
        ],
    }
    response = alice_api.post(RETURNS, mixed, format="json")
    assert response.status_code == 400
    assert response.json()["items[0].order_line_id"] == ["That item is not on this order."]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/returns/99999999999999999999/",
        "/api/v1/returns/2147483648/events/",
        "/api/v1/returns/0/",
        "/api/v1/returns/by-reference/%00/",
        "/api/v1/returns/by-reference/RMA-2026-99999999999999999999/",
        "/api/v1/returns/by-reference/REQ-99999999999999999999/",
        "/api/v1/orders/99999999999999999999/returnable-lines/",
    ],
)
def test_unknown_and_huge_ids_are_404(alice_api, ids, path):
    assert alice_api.get(path).status_code == 404


@pytest.mark.parametrize("action", ["approve", "decline", "cancel"])
def test_actions_on_unknown_or_huge_ids_are_404(manager, action):
    client = APIClient()
    client.force_authenticate(manager)
    for pk in (0, 424242, 2**31, 10**20):
        response = client.post(f"/api/v1/returns/{pk}/{action}/", {"reason": "x"}, format="json")
        assert response.status_code == 404


def test_review_reason_must_be_a_short_string(manager, customer, reasons, policy):
    from catalog.identity import viewer_for_user
    from rma.services import ReturnItemInput, return_create
    from tests.factories import api_pricey_order

    order = api_pricey_order(customer=customer)
    rr = return_create(
        viewer=viewer_for_user(customer.user),
        order_id=order.pk,
        items=[ReturnItemInput(order.lines.get().pk, 1, "changed-mind")],
    )
    client = APIClient()
    client.force_authenticate(manager)
    for bad in (
        {"reason": ""},
        {"reason": "   "},
        {"reason": "x" * 281},
        {"reason": ["x"]},
        {"reason": None},
        [],
        "text",
    ):
        response = client.post(f"/api/v1/returns/{rr.pk}/approve/", bad, format="json")
        assert response.status_code == 400, (bad, response.json())
    rr.refresh_from_db()
    assert rr.status == "pending_review"
