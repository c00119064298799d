"""Roles and the one place that decides who sees which orders."""

import pytest
from django.contrib.auth.models import AnonymousUser, Group
from django.test import RequestFactory

from catalog.identity import guest_order_grant, viewer_for_request, viewer_for_user
from catalog.roles import ROLE_PERMISSIONS, Role, roles_sync, user_role_add
from catalog.selectors import orders_for_viewer
from tests.factories import CustomerFactory, OrderFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_roles_sync_is_idempotent_and_gives_each_role_exactly_its_permissions():
    roles_sync()
    roles_sync()
    assert Group.objects.filter(name__in=list(Role)).count() == len(Role)
    for role, codenames in ROLE_PERMISSIONS.items():
        group = Group.objects.get(name=role)
        assert set(group.permissions.values_list("codename", flat=True)) == codenames


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (Role.CUSTOMER, set(), {"view_all_returns", "grade_item", "view_dashboard"}),
        (Role.WAREHOUSE, {"view_all_returns", "grade_item"}, {"review_return", "view_dashboard"}),
        (Role.MANAGER, {"review_return", "view_dashboard", "issue_goodwill"}, {"import_orders"}),
        (Role.ADMIN, {"import_orders", "view_dashboard"}, set()),
    ],
)
def test_each_role_can_do_what_it_should_and_no_more(role, allowed, refused):
    roles_sync()
    user = UserFactory()
    user_role_add(user=user, role=role)
    viewer = viewer_for_user(type(user).objects.get(pk=user.pk))
    assert all(viewer.can(c) for c in allowed)
    assert not any(viewer.can(c) for c in refused)
    assert viewer.is_staff == (role != Role.CUSTOMER)


def test_anonymous_viewer_sees_no_orders():
    OrderFactory()
    viewer = viewer_for_user(AnonymousUser())
    assert viewer.is_anonymous
    assert not orders_for_viewer(viewer=viewer).exists()


def test_signed_in_customer_sees_only_their_own_orders():
    user = UserFactory()
    mine = OrderFactory(customer=CustomerFactory(user=user))
    OrderFactory()  # someone else's
    viewer = viewer_for_user(user)
    assert list(orders_for_viewer(viewer=viewer)) == [mine]


def test_a_guest_sees_exactly_the_orders_proven_in_this_session():
    proven, other = OrderFactory(), OrderFactory()
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    assert not orders_for_viewer(viewer=viewer_for_request(request)).exists()
    # when the guest proves one order (number + email), the session remembers that one only
    guest_order_grant(request, proven.pk)
    visible = orders_for_viewer(viewer=viewer_for_request(request))
    assert list(visible) == [proven]
    assert other not in visible


def test_staff_see_every_order():
    roles_sync()
    staff = UserFactory()
    user_role_add(user=staff, role=Role.WAREHOUSE)
    orders = {OrderFactory().pk, OrderFactory().pk}
    viewer = viewer_for_user(type(staff).objects.get(pk=staff.pk))
    assert set(orders_for_viewer(viewer=viewer).values_list("pk", flat=True)) == orders
