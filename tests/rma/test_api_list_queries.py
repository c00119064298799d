"""The returns list costs the same SQL queries whatever the page size (10, 50 or 200 rows).

Signed in with a real API token (not `force_authenticate`), as the benchmark and clients do:
the token query also brings the user's customer record, so a page is at most 5 queries
(token, permissions in one query, count, rows, lines). On PostgreSQL the permissions come
with the token and the lines with the rows: 3.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import ProductFactory, ReturnReasonFactory, api_returns_bulk

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"
PAGE_SIZES = (10, 50, 200)
QUERY_BUDGET = 5
QUERY_BUDGET_POSTGRESQL = 3


def token_client(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    return client


def budget() -> int:
    return QUERY_BUDGET_POSTGRESQL if connection.vendor == "postgresql" else QUERY_BUDGET


def queries_per_page(client, query: str = "") -> dict[int, int]:
    counts = {}
    for size in PAGE_SIZES:
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{RETURNS}?page_size={size}{query}")
        assert response.status_code == 200, response.content[:300]
        rows = response.json()["results"]
        assert len(rows) == size
        assert all(len(row["lines"]) == 2 for row in rows)
        counts[size] = len(ctx.captured_queries)
    return counts


@pytest.fixture
def many_returns(customer, other_customer):
    """210 two-line returns of the customer, 210 of another customer; lines of different
    products and reasons, so nothing is shared between rows by accident."""
    for i in range(3):
        api_returns_bulk(
            customer=customer,
            count=70,
            reason=ReturnReasonFactory(code=f"reason-{i}"),
        )
    api_returns_bulk(customer=other_customer, count=210)
    ProductFactory.create_batch(3)


def test_staff_list_queries_do_not_grow_with_the_page_size(manager, many_returns):
    # given 420 returns and a manager signed in with a token
    client = token_client(manager)
    client.get(RETURNS)  # first request of the test: nothing lazily set up is counted
    # when pages of 10, 50 and 200 are listed
    counts = queries_per_page(client)
    # then each costs the same queries, within the budget
    assert len(set(counts.values())) == 1, counts
    assert counts[200] <= budget(), counts


def test_customer_list_queries_do_not_grow_with_the_page_size(customer, many_returns):
    # given 210 returns of hers among 420, and the customer signed in with a token
    client = token_client(customer.user)
    client.get(RETURNS)
    # when pages of 10, 50 and 200 are listed
    counts = queries_per_page(client)
    # then each costs the same queries, within the budget, and shows only her returns
    assert len(set(counts.values())) == 1, counts
    assert counts[200] <= budget(), counts
    response = client.get(f"{RETURNS}?page_size=200&page=2")
    assert response.json()["count"] == 210
    assert {row["customer_id"] for row in response.json()["results"]} == {customer.pk}


def test_filtered_staff_list_queries_do_not_grow_with_the_page_size(manager, many_returns):
    # given a manager filtering by status and ordering by refund
    client = token_client(manager)
    client.get(RETURNS)
    # when pages of 10, 50 and 200 are listed
    counts = queries_per_page(client, "&status=requested&ordering=-refund")
    # then filtering and ordering add no query per row
    assert len(set(counts.values())) == 1, counts
    assert counts[200] <= budget(), counts
