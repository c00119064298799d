from decimal import Decimal as D

import pytest

from tests.factories import (
    ReturnPolicyFactory,
    warehouse_grades_make,
    warehouse_reason_make,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing_and_ledger(settings):
    # personas are made per test; the default PBKDF2 cost dominates setup time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.PAYMENT_GATEWAY = "ledger"
    settings.HOLIDAY_COUNTRY = "US"


@pytest.fixture
def config(db):
    """Disposition rates and costs with round numbers, so routes' values are easy to check."""
    from resolution.selectors import disposition_settings

    s = disposition_settings()
    s.handling_cost, s.refurbish_cost, s.refurbished_resale_percent = D("2"), D("10"), D("70")
    s.liquidation_rate_percent, s.supplier_shipping_cost, s.disposal_fee = D("20"), D("5"), D("1")
    s.recycler_name = "GreenCycle Ltd"
    s.save()
    return s


@pytest.fixture
def policy(db):
    """The active policy: refunds on grading, 10% store-credit bonus, 3-day SLA."""
    return ReturnPolicyFactory()


@pytest.fixture
def grades(db):
    return warehouse_grades_make()


@pytest.fixture
def changed_mind(db):
    return warehouse_reason_make("changed-mind")


@pytest.fixture
def defective(db):
    return warehouse_reason_make("defective", fault=True, defect=True)


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run on-commit callbacks (task enqueues; eager here) at the end of the block."""

    def run():
        return django_capture_on_commit_callbacks(execute=True)

    return run
