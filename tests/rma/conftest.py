"""Fixtures for the RMA core tests: reasons, the active policy, viewers and photos."""

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from catalog.identity import viewer_for_user
from rma.services import policy_publish
from tests.factories import ReturnReasonFactory

REASONS = [
    # code, label, merchant fault, defect, photo
    ("changed-mind", "Changed my mind", False, False, False),
    ("too-small", "Too small", False, False, False),
    ("defective", "Defective or stopped working", True, True, True),
    ("arrived-damaged", "Arrived damaged", True, False, True),
    ("wrong-item-sent", "Wrong item sent", True, False, False),
]


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    """Personas are made per test; a slow password hash only slows the suite down."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def permission_personas(customer, manager):
    """Users whose permissions come every way there is: none, a role, one given directly,
    a role plus a direct one plus a second group, superuser, and an inactive manager
    (always last)."""
    from django.contrib.auth.models import Group, Permission

    from catalog.roles import Role, user_role_add
    from tests.factories import UserFactory

    direct = UserFactory(username="direct")
    direct.user_permissions.add(Permission.objects.get(codename="grade_item"))
    both = UserFactory(username="both")
    user_role_add(user=both, role=Role.WAREHOUSE)
    both.user_permissions.add(Permission.objects.get(codename="import_orders"))
    extra = Group.objects.create(name="extra")
    extra.permissions.add(Permission.objects.get(codename="view_dashboard"))
    both.groups.add(extra)
    superuser = UserFactory(username="root", is_superuser=True)
    inactive = UserFactory(username="gone", is_active=False)
    user_role_add(user=inactive, role=Role.MANAGER)
    return [customer.user, manager, direct, both, superuser, inactive]


@pytest.fixture
def reasons(db):
    return {
        code: ReturnReasonFactory(
            code=code,
            label=label,
            is_merchant_fault=fault,
            is_defect=defect,
            requires_photo=photo,
            position=i,
        )
        for i, (code, label, fault, defect, photo) in enumerate(REASONS)
    }


@pytest.fixture
def policy(db):
    """Version 1 with the model's defaults: 30 days, 10% restocking, customer pays $6.95."""
    return policy_publish(actor=None)


@pytest.fixture
def alice(customer):
    """The `customer` persona as the services see her."""
    return viewer_for_user(customer.user)


@pytest.fixture
def mallory(other_customer):
    return viewer_for_user(other_customer.user)


@pytest.fixture
def staff_viewer(manager):
    return viewer_for_user(manager)


def image_upload(name="photo.png", fmt="PNG", size=(8, 8)) -> SimpleUploadedFile:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=fmt)
    content_type = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}[fmt]
    return SimpleUploadedFile(name, buffer.getvalue(), content_type=content_type)


@pytest.fixture
def photo():
    return image_upload()


MONEY_ZERO = Decimal("0.00")
