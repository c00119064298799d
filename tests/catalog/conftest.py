import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # The demo seeds real logins; the default hasher's cost is deliberate and slow in tests.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
