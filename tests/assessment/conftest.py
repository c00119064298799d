import pytest

from catalog.roles import Role, user_role_add
from tests.factories import (
    ReturnPolicyFactory,
    UserFactory,
    warehouse_grades_make,
    warehouse_reason_make,
    warehouse_return_make,
)


@pytest.fixture
def grades(db):
    return warehouse_grades_make()


@pytest.fixture
def policy(db):
    return ReturnPolicyFactory()


@pytest.fixture
def grader2(db):
    user = UserFactory(username="grader2")
    user_role_add(user=user, role=Role.WAREHOUSE)
    return user


@pytest.fixture
def delivered_return(order, grades, policy):
    """Alice's two-line 'changed my mind' return, delivered to the warehouse."""
    rr = warehouse_return_make(order=order, status="delivered", reason=warehouse_reason_make())
    rr.policy = policy
    rr.save(update_fields=["policy"])
    return rr


@pytest.fixture
def qc_rate(db):
    """Set the QC sample rate for a test: qc_rate(100) samples every item."""
    from assessment.selectors import grading_settings

    def _set(percent):
        settings = grading_settings()
        settings.qc_sample_percent = percent
        settings.save()
        return settings

    _set(0)
    return _set


@pytest.fixture
def hook_calls(monkeypatch):
    """Records the cross-app hooks the warehouse calls, then runs the real ones."""
    from rma import hooks

    calls = []
    for name in ("return_received", "return_graded"):
        real = getattr(hooks, name)

        def spy(*, return_id, _name=name, _real=real):
            calls.append((_name, return_id))
            return _real(return_id=return_id)

        monkeypatch.setattr(hooks, name, spy)
    return calls


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # the personas are made per test; the default PBKDF2 cost dominates setup time
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
