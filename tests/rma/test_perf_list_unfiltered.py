"""A list call with no filter skips the filter set, and pages exactly as the filtered path.

`rma.api.ReturnsApi.filter_queryset` orders an unfiltered list itself (newest first, ties
by id, descending); it must give the same rows, pages and count as the filter set does.
"""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from rma.models import ReturnRequest
from tests.factories import api_returns_bulk

pytestmark = pytest.mark.django_db

RETURNS = "/api/v1/returns/"


@pytest.fixture
def ties(customer, other_customer):
    """30 returns of hers (10 filed in the same microsecond), 5 of another customer."""
    mine = api_returns_bulk(customer=customer, count=30)
    api_returns_bulk(customer=other_customer, count=5)
    same = timezone.now() - dt.timedelta(days=2)
    ReturnRequest.objects.filter(pk__in=[rr.pk for rr in mine[5:15]]).update(created_at=same)
    return mine


def pages(client, query: str) -> tuple[int, list[int]]:
    seen, count, page = [], None, 1
    while True:
        response = client.get(f"{RETURNS}?page_size=7&page={page}{query}")
        assert response.status_code == 200, response.content[:300]
        data = response.json()
        count = data["count"]
        seen += [row["id"] for row in data["results"]]
        if not data["next"]:
            return count, seen
        page += 1


@pytest.mark.parametrize("persona", ["customer", "manager"])
def test_unfiltered_pages_are_those_of_the_default_ordering(request, ties, persona):
    # given returns with tied filing times, and a customer or a manager signed in
    user = request.getfixturevalue(persona)
    user = getattr(user, "user", user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
    # when every page is read without a filter, and through the filter set's default
    plain = pages(client, "")
    filtered = pages(client, "&ordering=-created_at")
    # then both give the same count and the same rows in the same order, each once
    assert plain == filtered
    count, ids = plain
    assert count == len(ids) == len(set(ids)) == (30 if persona == "customer" else 35)
    expected = list(
        ReturnRequest.objects.filter(pk__in=ids)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)
    )
    assert ids == expected
