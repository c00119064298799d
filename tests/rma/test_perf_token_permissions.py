"""An API token check brings the user's permissions with it, and they are exactly Django's.

The returns API's `returns_portal.api.TokenPermissionsAuthentication` reads the token,
the user, their customer record and (on PostgreSQL) their permission ids in one query;
names come from a per-process cache by id. The answers must be the same as
`ModelBackend`'s, and a permission granted or revoked shows on the next request.
"""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from catalog.roles import Role, user_role_add
from returns_portal.api import TokenPermissionsAuthentication

pytestmark = pytest.mark.django_db

CHECKS = ("catalog.view_all_returns", "catalog.review_return", "catalog.grade_item")


def token_user(user):
    """The user as an API request authenticates them (a new object every time)."""
    key = Token.objects.get_or_create(user=user)[0].key
    return TokenPermissionsAuthentication().authenticate_credentials(key)[0]


def django_answer(user) -> set[str]:
    return ModelBackend().get_all_permissions(get_user_model().objects.get(pk=user.pk))


@pytest.fixture
def personas(permission_personas):
    """The active ones: an inactive user's token is refused before any permission check."""
    return [user for user in permission_personas if user.is_active]


def test_token_users_have_exactly_django_permissions(personas):
    # given customers, staff by role, direct and group permissions, a superuser
    for user in personas:
        # when each signs in with a token
        signed_in = token_user(user)
        # then what they may do is what Django's backend says
        assert signed_in.get_all_permissions() == django_answer(user), user.username
        for perm in CHECKS:
            assert signed_in.has_perm(perm) == (perm in django_answer(user)), (user, perm)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="permissions ride along on PG")
def test_on_postgresql_the_token_check_reads_permissions_in_the_same_query(manager):
    key = Token.objects.create(user=manager).key
    token_user(manager)  # the permission names are cached by id once per process
    # when a manager's token is checked and two permissions asked
    with CaptureQueriesContext(connection) as ctx:
        user = TokenPermissionsAuthentication().authenticate_credentials(key)[0]
        assert user.has_perm("catalog.review_return")
        assert not user.has_perm("catalog.import_orders")
    # then that was one query
    assert len(ctx.captured_queries) == 1, [q["sql"][:120] for q in ctx.captured_queries]


def test_a_role_granted_or_revoked_shows_on_the_next_request(customer):
    # given a customer who may not review returns, signed in with a token
    user = customer.user
    assert not token_user(user).has_perm("catalog.review_return")
    # when she is made a manager
    user_role_add(user=user, role=Role.MANAGER)
    # then her next request may review returns
    assert token_user(user).has_perm("catalog.review_return")
    # and when the role is taken away again, her next request may not
    user.groups.remove(Group.objects.get(name=Role.MANAGER))
    assert not token_user(user).has_perm("catalog.review_return")


def test_a_permission_created_after_the_cache_was_filled_is_known(manager):
    # given the permission names cached by a first request
    token_user(manager)
    # when a new permission is created and given to the manager
    new = Permission.objects.create(
        codename="audit_everything",
        name="Can audit everything",
        content_type=ContentType.objects.get(app_label="catalog", model="customer"),
    )
    manager.user_permissions.add(new)
    # then his next request has it, by its real name
    user = token_user(manager)
    assert user.has_perm("catalog.audit_everything")
    assert user.get_all_permissions() == django_answer(manager)
