"""Resolution API: customers see only their own money; staff permissions; idempotent writes."""

from decimal import Decimal as D

import pytest

from resolution.models import MoneyMovement, StoreCreditEntry
from resolution.services import money_movement_execute, refund_request, return_resolve
from tests.factories import UserFactory, resolution_grade, resolution_return_make

pytestmark = pytest.mark.django_db
API = "/api/v1"


def _movement(customer, key, amount="10.00", kind="refund"):
    return refund_request(customer_id=customer.pk, amount=D(amount), kind=kind, idempotency_key=key)


def test_customers_see_only_their_own_refunds(api_client, customer, other_customer, policy):
    mine = _movement(customer, "a")
    theirs = _movement(other_customer, "b")
    api_client.force_authenticate(customer.user)
    listed = api_client.get(f"{API}/money-movements/").json()["results"]
    assert [m["id"] for m in listed] == [mine.pk]
    assert "idempotency_key" not in listed[0] and "last_error" not in listed[0]
    assert api_client.get(f"{API}/money-movements/{mine.pk}/").status_code == 200
    assert api_client.get(f"{API}/money-movements/{theirs.pk}/").status_code == 404


def test_staff_see_everyones_refunds_with_details(
    api_client, customer, other_customer, manager, policy
):
    _movement(customer, "a")
    _movement(other_customer, "b")
    api_client.force_authenticate(manager)
    listed = api_client.get(f"{API}/money-movements/?status=pending").json()["results"]
    assert len(listed) == 2 and {"idempotency_key", "attempts"} <= set(listed[0])
    assert api_client.get(f"{API}/money-movements/?status=succeeded").json()["count"] == 0


def test_a_login_without_customer_or_staff_rights_sees_nothing(api_client, customer, policy):
    _movement(customer, "a")
    api_client.force_authenticate(UserFactory(username="stranger"))
    assert api_client.get(f"{API}/money-movements/").json()["count"] == 0
    assert api_client.get(f"{API}/store-credit/").status_code == 404
    api_client.force_authenticate(None)
    assert api_client.get(f"{API}/money-movements/").status_code in (401, 403)


# --- Goodwill -------------------------------------------------------------------------------
def test_goodwill_needs_the_permission_a_reason_and_a_key(
    api_client, customer, grader, manager, policy
):
    body = {"customer_id": customer.pk, "amount": "12.50", "pay_as": "credit", "reason": "Late"}
    api_client.force_authenticate(grader)
    assert api_client.post(f"{API}/goodwill/", body, HTTP_IDEMPOTENCY_KEY="k1").status_code == 403
    api_client.force_authenticate(customer.user)
    assert api_client.post(f"{API}/goodwill/", body, HTTP_IDEMPOTENCY_KEY="k1").status_code == 403
    api_client.force_authenticate(manager)
    assert api_client.post(f"{API}/goodwill/", body).status_code == 400  # no key
    no_reason = api_client.post(
        f"{API}/goodwill/", {**body, "reason": ""}, HTTP_IDEMPOTENCY_KEY="k1"
    )
    assert no_reason.status_code == 400
    first = api_client.post(f"{API}/goodwill/", body, HTTP_IDEMPOTENCY_KEY="k1")
    again = api_client.post(f"{API}/goodwill/", body, HTTP_IDEMPOTENCY_KEY="k1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"] and MoneyMovement.objects.count() == 1
    assert first.json()["kind"] == "goodwill_credit"
    other = api_client.post(f"{API}/goodwill/", {**body, "amount": "13"}, HTTP_IDEMPOTENCY_KEY="k1")
    assert other.status_code == 409


def test_goodwill_refund_goes_to_the_customers_own_order(
    api_client, manager, customer, other_order, order, policy
):
    api_client.force_authenticate(manager)
    body = {"customer_id": customer.pk, "amount": "5", "pay_as": "refund", "reason": "Sorry"}
    assert api_client.post(f"{API}/goodwill/", body, HTTP_IDEMPOTENCY_KEY="x").status_code == 400
    wrong = {**body, "order_id": other_order.pk}
    assert api_client.post(f"{API}/goodwill/", wrong, HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    ok = api_client.post(
        f"{API}/goodwill/", {**body, "order_id": order.pk}, HTTP_IDEMPOTENCY_KEY="x"
    )
    assert ok.status_code == 201 and ok.json()["kind"] == "goodwill_refund"


# --- Store credit ---------------------------------------------------------------------------
def _give_credit(customer, amount="30.00"):
    movement = _movement(customer, f"goodwill:{customer.pk}", amount=amount, kind="goodwill_credit")
    money_movement_execute(movement_id=movement.pk)


def test_store_credit_balance_and_spend(api_client, customer, other_customer, policy):
    _give_credit(customer)
    _give_credit(other_customer, "99.00")
    api_client.force_authenticate(customer.user)
    assert api_client.get(f"{API}/store-credit/").json()["balance"] == "30.00"
    # customers cannot look at or spend someone else's credit
    assert api_client.get(f"{API}/store-credit/?customer_id={other_customer.pk}").status_code == 403
    steal = {"amount": "1", "customer_id": other_customer.pk}
    assert (
        api_client.post(f"{API}/store-credit/spend/", steal, HTTP_IDEMPOTENCY_KEY="s").status_code
        == 403
    )
    # a spend needs a key, is idempotent, and never overdraws
    assert api_client.post(f"{API}/store-credit/spend/", {"amount": "10"}).status_code == 400
    first = api_client.post(
        f"{API}/store-credit/spend/", {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="c1"
    )
    again = api_client.post(
        f"{API}/store-credit/spend/", {"amount": "10"}, HTTP_IDEMPOTENCY_KEY="c1"
    )
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["balance"] == "20.00"
    too_much = api_client.post(
        f"{API}/store-credit/spend/", {"amount": "20.01"}, HTTP_IDEMPOTENCY_KEY="c2"
    )
    assert too_much.status_code == 409 and "balance is 20.00" in too_much.json()["detail"]
    bad = api_client.post(
        f"{API}/store-credit/spend/", {"amount": "abc"}, HTTP_IDEMPOTENCY_KEY="c3"
    )
    assert bad.status_code == 400
    assert StoreCreditEntry.objects.filter(customer=other_customer).count() == 1


def test_the_store_platform_may_spend_for_a_customer(api_client, customer, admin_user, policy):
    _give_credit(customer)
    api_client.force_authenticate(admin_user)  # has import_orders (the store platform's role)
    response = api_client.post(
        f"{API}/store-credit/spend/",
        {"amount": "5", "customer_id": customer.pk},
        HTTP_IDEMPOTENCY_KEY="checkout-77",
    )
    assert response.status_code == 201 and response.json()["balance"] == "25.00"


# --- Staff actions on a return ---------------------------------------------------------------
@pytest.fixture
def resolved(order, policy):
    rr = resolution_return_make(order=order, status="graded", policy=policy)
    resolution_grade(rr, code="B")
    return_resolve(return_id=rr.pk)
    return rr


def test_return_resolution_read_and_override(api_client, grader, manager, resolved):
    d = resolved.dispositions.first()
    url = f"{API}/resolution/dispositions/{d.pk}/override/"
    api_client.force_authenticate(grader)
    assert api_client.get(f"{API}/resolution/returns/{resolved.pk}/").status_code == 403
    assert api_client.post(url, {"route": "dispose", "reason": "x"}).status_code == 403
    api_client.force_authenticate(manager)
    data = api_client.get(f"{API}/resolution/returns/{resolved.pk}/").json()
    assert data["outcome"]["kind"] == "refund" and len(data["dispositions"]) == 2
    assert data["dispositions"][0]["alternatives"][0]["route"] == "restock"
    assert api_client.post(url, {"route": "bin", "reason": "x"}).status_code == 400
    response = api_client.post(url, {"route": "liquidate", "reason": "Overstock"})
    assert response.status_code == 200 and response.json()["route"] == "liquidate"
    assert api_client.get(f"{API}/resolution/returns/999999/").status_code == 404


def test_cs_minutes_api(api_client, manager, resolved):
    api_client.force_authenticate(manager)
    url = f"{API}/resolution/returns/{resolved.pk}/cs-minutes/"
    assert api_client.post(url, {"minutes": "-1"}).status_code == 400
    response = api_client.post(url, {"minutes": "6", "note": "Email"})
    assert response.status_code == 201 and response.json()["amount"] == "3.00"


def test_no_refund_api(api_client, manager, order, policy):
    rr = resolution_return_make(order=order, status="received", policy=policy)
    api_client.force_authenticate(manager)
    url = f"{API}/resolution/returns/{rr.pk}/no-refund/"
    assert api_client.post(url, {"reason": "x"}).status_code == 400  # send_back missing
    response = api_client.post(url, {"reason": "Counterfeit", "send_back": True}, format="json")
    assert response.json() == {"return_id": rr.pk, "status": "resolved"}
    assert (
        api_client.post(url, {"reason": "again", "send_back": True}, format="json").status_code
        == 409
    )


def test_exchange_fallback_is_the_customers_own_choice(
    api_client, customer, other_customer, order, policy
):
    rr = resolution_return_make(
        order=order, status="in_transit", preferred_outcome="exchange", policy=policy
    )
    url = f"{API}/resolution/returns/{rr.pk}/exchange-fallback/"
    api_client.force_authenticate(other_customer.user)
    assert api_client.put(url, {"fallback": "refund"}).status_code == 404
    api_client.force_authenticate(customer.user)
    assert api_client.put(url, {"fallback": "cash"}).status_code == 400
    assert api_client.put(url, {"fallback": "refund"}).json() == {"fallback": "refund"}
    assert rr.exchange_preference.fallback == "refund"


def test_the_schema_documents_the_endpoints(api_client, manager):
    api_client.force_authenticate(manager)
    schema = api_client.get("/api/schema/", HTTP_ACCEPT="application/json").content.decode()
    for path in (
        "/api/v1/money-movements/",
        "/api/v1/goodwill/",
        "/api/v1/store-credit/spend/",
        "/api/v1/resolution/dispositions/{disposition_id}/override/",
        "/api/v1/resolution/returns/{return_id}/cs-minutes/",
    ):
        assert path in schema
    assert "Idempotency-Key" in schema


@pytest.mark.parametrize("customer_id", ["9" * 30, "-3", "0", "abc"])
def test_a_customer_id_that_cannot_be_a_customer_is_a_400(
    api_client, customer, admin_user, policy, customer_id
):
    api_client.force_authenticate(admin_user)
    response = api_client.get(f"{API}/store-credit/?customer_id={customer_id}")
    assert response.status_code == 400
    assert "customer_id" in response.json()
