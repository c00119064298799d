"""The returns list: scope per viewer, filters, ordering, pagination and its query budget."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rma.models import ReturnLine, ReturnRequest
from rma.serializers import ReturnListItemOut
from tests.factories import (
    ProductFactory,
    ReturnReasonFactory,
    SupplierFactory,
    api_returns_bulk,
)

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


@pytest.fixture
def mix(customer, other_customer):
    """Alice's and mallory's returns in different statuses, kinds, reasons, SKUs, days."""
    damaged = ReturnReasonFactory(code="arrived-damaged", label="Arrived damaged")
    mind = ReturnReasonFactory(code="changed-mind", label="Changed my mind")
    acme = SupplierFactory(code="acme")
    kettle = ProductFactory(sku="KET-1", supplier=acme)
    a1, a2, a3 = api_returns_bulk(customer=customer, count=3, reason=mind)
    (m1,) = api_returns_bulk(customer=other_customer, count=1, reason=damaged)
    now = timezone.now()
    ReturnRequest.objects.filter(pk=a1.pk).update(
        status="approved", created_at=now - dt.timedelta(days=20)
    )
    ReturnRequest.objects.filter(pk=a2.pk).update(
        status="declined", kind="warranty", created_at=now - dt.timedelta(days=5)
    )
    ReturnRequest.objects.filter(pk=a3.pk).update(status="pending_review", created_at=now)
    ReturnRequest.objects.filter(pk=m1.pk).update(
        status="approved", created_at=now - dt.timedelta(days=1)
    )
    # a2 has one line of the acme kettle, returned as damaged
    line = ReturnLine.objects.filter(return_request=a2).first()
    line.order_line.product = kettle
    line.order_line.save()
    ReturnLine.objects.filter(pk=line.pk).update(reason=damaged)
    return {"a1": a1.pk, "a2": a2.pk, "a3": a3.pk, "m1": m1.pk}


def test_customers_see_only_their_own_newest_first(customer, other_customer, mix):
    assert ids(client_for(customer.user).get(RETURNS)) == [mix["a3"], mix["a2"], mix["a1"]]
    assert ids(client_for(other_customer.user).get(RETURNS)) == [mix["m1"]]


def test_staff_see_all(grader, manager, mix):
    expected = [mix["a3"], mix["m1"], mix["a2"], mix["a1"]]
    assert ids(client_for(grader).get(RETURNS)) == expected
    assert ids(client_for(manager).get(RETURNS)) == expected


def test_list_row_shape_matches_its_documented_fields(customer, mix):
    row = client_for(customer.user).get(RETURNS).json()["results"][0]
    assert set(row) == set(ReturnListItemOut().fields)
    rr = ReturnRequest.objects.select_related("order", "customer").get(pk=mix["a3"])
    assert row | {"lines": None, "created_at": None} == {
        "id": rr.pk,
        "reference": f"REQ-{rr.pk:06d}",
        "rma_number": None,
        "status": "pending_review",
        "kind": "standard",
        "decision": "",
        "order_id": rr.order_id,
        "order_number": rr.order.number,
        "customer_id": customer.pk,
        "customer_name": "Alice Example",
        "currency": "USD",
        "expected_refund": "0.00",
        "created_at": None,
        "lines": None,
    }
    assert dt.datetime.fromisoformat(row["created_at"].replace("Z", "+00:00")) == rr.created_at
    assert [set(line) for line in row["lines"]] == [
        {"id", "sku", "product_name", "quantity", "reason_code"}
    ] * 2


@pytest.mark.parametrize(
    "query, expected",
    [
        ("status=approved", ["m1", "a1"]),
        ("status=approved&status=declined", ["m1", "a2", "a1"]),
        ("kind=warranty", ["a2"]),
        ("reason=arrived-damaged", ["m1", "a2"]),
        ("reason=changed-mind", ["a3", "a2", "a1"]),
        ("sku=ket-1", ["a2"]),
        ("supplier=ACME", ["a2"]),
        ("created_after=__3__", ["a3", "m1"]),
        ("created_before=__3__", ["a2", "a1"]),
        ("created_after=__10__&created_before=__3__", ["a2"]),
        ("status=approved&reason=arrived-damaged", ["m1"]),
        ("ordering=created_at", ["a1", "a2", "m1", "a3"]),
        ("reason=nothing-like-it", []),
    ],
)
def test_staff_filters(manager, mix, query, expected):
    def days_ago(match: str) -> str:
        return (timezone.localdate() - dt.timedelta(days=int(match))).isoformat()

    parts = [
        (key, days_ago(value.strip("_")) if value.startswith("__") else value)
        for key, value in (p.split("=") for p in query.split("&"))
    ]
    url = RETURNS + "?" + "&".join(f"{k}={v}" for k, v in parts)
    assert ids(client_for(manager).get(url)) == [mix[name] for name in expected]


def test_filters_never_widen_a_customers_scope(customer, mix):
    # mallory's m1 is the only approved+damaged return; alice filtering for it sees nothing
    assert ids(client_for(customer.user).get(f"{RETURNS}?reason=arrived-damaged")) == [mix["a2"]]
    assert ids(client_for(customer.user).get(f"{RETURNS}?status=approved")) == [mix["a1"]]


@pytest.mark.parametrize(
    "query",
    [
        "status=nonsense",
        "kind=3",
        "created_after=yesterday",
        "created_before=2026-13-45",
        "ordering=password",
        "page=0",
        "page=999",
        "page=abc",
    ],
)
def test_bad_filters_are_4xx(manager, mix, query):
    response = client_for(manager).get(f"{RETURNS}?{query}")
    assert 400 <= response.status_code < 500 or (
        # an unknown ordering key is ignored, the list stays in the default order
        query.startswith("ordering") and response.status_code == 200
    )


def test_far_away_dates_are_fine(manager, mix):
    client = client_for(manager)
    assert len(ids(client.get(f"{RETURNS}?created_after=0001-01-01"))) == 4
    assert ids(client.get(f"{RETURNS}?created_after=9999-12-31")) == []
    assert len(ids(client.get(f"{RETURNS}?created_before=9999-12-31"))) == 4


def test_pages_are_stable_and_complete(manager, customer):
    created = api_returns_bulk(customer=customer, count=7, lines_per_return=1)
    # all filed in the same instant: the id breaks the tie, so pages never overlap
    ReturnRequest.objects.update(created_at=timezone.now())
    client = client_for(manager)
    seen = []
    for page in (1, 2, 3):
        response = client.get(f"{RETURNS}?page_size=3&page={page}")
        assert response.json()["count"] == 7
        seen += ids(response)
    assert seen == sorted((rr.pk for rr in created), reverse=True)


@pytest.mark.parametrize("page_size", [5, 100])
def test_list_stays_within_six_queries_whatever_the_page_size(
    page_size, customer, manager, django_assert_max_num_queries
):
    # given 120 returns of two lines each
    api_returns_bulk(customer=customer, count=120, lines_per_return=2)
    for user in (customer.user, manager):
        client = client_for(user)
        # when a page is listed: permissions, customer, count, page, lines with products/reasons
        with django_assert_max_num_queries(6):
            response = client.get(f"{RETURNS}?page_size={page_size}")
        # then every row came back with its lines
        assert len(response.json()["results"]) == page_size
        assert all(len(row["lines"]) == 2 for row in response.json()["results"])


def test_filtered_list_query_budget(manager, customer, django_assert_max_num_queries):
    api_returns_bulk(customer=customer, count=30, lines_per_return=2)
    client = client_for(manager)
    with django_assert_max_num_queries(6):
        response = client.get(f"{RETURNS}?page_size=100&status=requested&reason=changed-mind")
    assert response.json()["count"] == 30


def test_list_with_a_token_adds_one_query_for_the_token(customer, django_assert_max_num_queries):
    api_returns_bulk(customer=customer, count=30)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=customer.user).key}")
    with django_assert_max_num_queries(7):
        response = client.get(f"{RETURNS}?page_size=100")
    assert response.json()["count"] == 30
