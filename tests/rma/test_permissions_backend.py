"""The project's auth backend answers exactly as Django's ModelBackend, in one query.

`returns_portal.auth.OneQueryPermissionsBackend` (AUTHENTICATION_BACKENDS) reads a user's
own and group permissions with one UNION; the answers must not change.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from returns_portal.auth import OneQueryPermissionsBackend

pytestmark = pytest.mark.django_db


def fresh(user):
    """The user as a new request loads it (no permission cache yet)."""
    return get_user_model().objects.get(pk=user.pk)


@pytest.fixture
def personas(permission_personas):
    return permission_personas


def test_permissions_are_the_same_as_django_model_backend(personas):
    # given customers, staff by role, direct and group permissions, a superuser, an inactive
    for user in personas:
        # when both backends are asked for everything the user may do
        ours = OneQueryPermissionsBackend().get_all_permissions(fresh(user))
        django = ModelBackend().get_all_permissions(fresh(user))
        # then the answers are the same
        assert ours == django, user.username
    both = fresh(personas[3])
    assert both.has_perm("catalog.grade_item")  # from the warehouse role
    assert both.has_perm("catalog.import_orders")  # given directly
    assert both.has_perm("catalog.view_dashboard")  # from a second group
    assert not both.has_perm("catalog.review_return")
    assert not fresh(personas[5]).has_perm("catalog.review_return")  # inactive manager
    assert fresh(personas[4]).has_perm("catalog.review_return")  # superuser


def test_a_permission_check_costs_one_query_per_request(manager):
    # given a manager as a new request loads him
    user = fresh(manager)
    # when the request checks two permissions
    with CaptureQueriesContext(connection) as ctx:
        assert user.has_perm("catalog.review_return")
        assert not user.has_perm("catalog.import_orders")
    # then the permissions were read once, in one query
    assert len(ctx.captured_queries) == 1
