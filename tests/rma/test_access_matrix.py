"""Who may do what through the returns API, persona by persona.

The subject is alice's return waiting in manual review, on alice's order. Another customer
gets 404 for it (its existence is not confirmed); staff who may see it but not act get 403.
"""

import pytest
from rest_framework.test import APIClient

from rma.models import ReturnRequest
from rma.services import ReturnItemInput, return_create
from tests.factories import api_pricey_order

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "mallory", "grader", "manager"]

# operation -> expected status per persona, in PERSONAS order
MATRIX = {
    "list": [401, 200, 200, 200, 200],
    "detail": [401, 200, 404, 200, 200],
    "by_reference": [401, 200, 404, 200, 200],
    "events": [401, 200, 404, 200, 200],
    "approve": [401, 403, 404, 403, 200],
    "decline": [401, 403, 404, 403, 200],
    "cancel": [401, 200, 404, 403, 200],
    "quote": [401, 200, 404, 200, 200],
    # staff file returns for customers (phone orders); another customer cannot
    "create": [401, 201, 404, 201, 201],
    "returnable_lines": [401, 200, 404, 200, 200],
    "reasons": [200, 200, 200, 200, 200],
}


@pytest.fixture
def world(customer, other_customer, grader, manager, reasons, policy):
    from catalog.identity import viewer_for_user

    order = api_pricey_order(customer=customer)
    line = order.lines.get()
    # a second line to file new returns against (the first is held by the pending return)
    order.lines.create(line_number=2, product=line.product, quantity=1, unit_price=line.unit_price)
    rr = return_create(
        viewer=viewer_for_user(customer.user),
        order_id=order.pk,
        items=[ReturnItemInput(order_line_id=line.pk, quantity=1, reason_code="changed-mind")],
    )
    assert rr.status == "pending_review"
    users = {
        "anonymous": None,
        "alice": customer.user,
        "mallory": other_customer.user,
        "grader": grader,
        "manager": manager,
    }
    return {"order": order, "return": rr, "users": users}


def call(client, operation: str, world):
    rr, order = world["return"], world["order"]
    base = f"/api/v1/returns/{rr.pk}/"
    item = {"line_number": 2, "quantity": 1, "reason_code": "changed-mind"}
    requests = {
        "list": lambda: client.get("/api/v1/returns/"),
        "detail": lambda: client.get(base),
        "by_reference": lambda: client.get(f"/api/v1/returns/by-reference/{rr.reference}/"),
        "events": lambda: client.get(f"{base}events/"),
        "approve": lambda: client.post(f"{base}approve/", {"reason": "ok"}, format="json"),
        "decline": lambda: client.post(f"{base}decline/", {"reason": "no"}, format="json"),
        "cancel": lambda: client.post(f"{base}cancel/", {}, format="json"),
        "quote": lambda: client.post(
            "/api/v1/returns/quote/", {"order_id": order.pk, "items": [item]}, format="json"
        ),
        "create": lambda: client.post(
            "/api/v1/returns/", {"order_id": order.pk, "items": [item]}, format="json"
        ),
        "returnable_lines": lambda: client.get(f"/api/v1/orders/{order.pk}/returnable-lines/"),
        "reasons": lambda: client.get("/api/v1/reasons/"),
    }
    return requests[operation]()


CASES = [
    pytest.param(operation, persona, codes[i], id=f"{operation}-{persona}")
    for operation, codes in MATRIX.items()
    for i, persona in enumerate(PERSONAS)
]


@pytest.mark.parametrize("operation, persona, expected", CASES)
def test_access(world, operation, persona, expected):
    # given the persona's client
    client = APIClient()
    user = world["users"][persona]
    if user is not None:
        client.force_authenticate(user)
    before = ReturnRequest.objects.get(pk=world["return"].pk).status
    count_before = ReturnRequest.objects.count()
    # when it attempts the operation
    response = call(client, operation, world)
    # then it gets exactly the expected status
    assert response.status_code == expected, response.content
    after = ReturnRequest.objects.get(pk=world["return"].pk).status
    created = ReturnRequest.objects.count() - count_before
    if expected >= 400:
        # and a refusal changed nothing
        assert (after, created) == (before, 0)
        assert "detail" in response.json()
    if operation == "list" and persona == "mallory":
        assert response.json()["results"] == []
    if operation in {"approve", "decline", "cancel"} and expected == 200:
        assert (
            after
            == {"approve": "approved", "decline": "declined", "cancel": "cancelled"}[operation]
        )
    if operation == "create" and expected == 201:
        assert created == 1


def test_matrix_covers_every_endpoint():
    from rma.api_urls import urlpatterns

    assert {p.name for p in urlpatterns} <= set(MATRIX) | {"returns", "quote"}
    assert len(urlpatterns) == 10
