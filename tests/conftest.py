"""Fixtures: fixed personas, and markers for tests that need real servers.

`postgres`, `redis` and `browser` tests run when that server is there and are skipped,
with the reason, when it is not (e.g. a bare `make test` on SQLite with eager tasks).
"""

import os

# Playwright's sync API runs an event loop in this thread; the ORM is still used synchronously.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
import shutil
import socket
from urllib.parse import urlparse

import pytest
from django.conf import settings

from catalog.roles import Role, user_role_add
from tests.factories import CustomerFactory, OrderFactory, OrderLineFactory, UserFactory


def _redis_up() -> bool:
    url = os.environ.get("CELERY_BROKER_URL", "")
    if not url.startswith("redis://"):
        return False
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname or "127.0.0.1", parsed.port or 6379), 1):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config, items):
    engine = settings.DATABASES["default"]["ENGINE"]
    skips = {
        "postgres": None
        if engine == "django.db.backends.postgresql"
        else "needs PostgreSQL: set DATABASE_URL=postgres://…",
        "redis": None
        if _redis_up()
        else "needs Redis: set CELERY_BROKER_URL=redis://… (server up)",
        "browser": None
        if shutil.which("chromium") or os.path.exists("/usr/bin/chromium")
        else "needs Debian's chromium (apt-get install chromium)",
    }
    for item in items:
        for marker, reason in skips.items():
            if reason and item.get_closest_marker(marker):
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(autouse=True)
def _eager_celery_and_tmp_media(settings, tmp_path):
    """Tasks run in-process unless a test asks for the real worker; media goes to tmp."""
    from returns_portal.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    settings.MEDIA_ROOT = tmp_path / "media"
    yield
    app.conf.task_always_eager = previous


def _staff(username: str, role: Role):
    user = UserFactory(username=username)
    user_role_add(user=user, role=role)
    return user


@pytest.fixture
def customer(db):
    """A signed-up customer with an account."""
    user = UserFactory(username="alice", email="alice@example.com")
    return CustomerFactory(email="alice@example.com", name="Alice Example", user=user)


@pytest.fixture
def other_customer(db):
    user = UserFactory(username="mallory", email="mallory@example.com")
    return CustomerFactory(email="mallory@example.com", name="Mallory Other", user=user)


@pytest.fixture
def grader(db):
    return _staff("grader", Role.WAREHOUSE)


@pytest.fixture
def manager(db):
    return _staff("manager", Role.MANAGER)


@pytest.fixture
def admin_user(db):
    return _staff("admin", Role.ADMIN)


@pytest.fixture
def order(customer):
    """A delivered two-line order of the `customer` persona."""
    order = OrderFactory(customer=customer)
    OrderLineFactory(order=order, line_number=1, quantity=2)
    OrderLineFactory(order=order, line_number=2, quantity=1)
    return order


@pytest.fixture
def other_order(other_customer):
    order = OrderFactory(customer=other_customer)
    OrderLineFactory(order=order, line_number=1)
    return order


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient()


# --- Browser tests (Playwright driving Debian's Chromium) ----------------------------
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": shutil.which("chromium") or "/usr/bin/chromium",
        "args": CHROMIUM_ARGS,
    }


@pytest.fixture
def phone_page(browser):
    """A page at a phone viewport (iPhone-12-like), touch enabled."""
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def tablet_page(browser):
    """A page at a 10-inch tablet viewport in portrait, touch enabled."""
    context = browser.new_context(
        viewport={"width": 800, "height": 1280},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    yield page
    context.close()


def browser_login(page, live_server, username: str, password: str = "pass-word-123") -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit], button.primary")
    page.wait_for_load_state("networkidle")
