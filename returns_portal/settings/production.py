"""Production: DEBUG off, HTTPS everywhere, secrets required (no defaults)."""

import os

os.environ.setdefault("DEBUG", "false")

from .base import *  # noqa: F403
from .base import env

if DEBUG:  # noqa: F405
    raise environ.ImproperlyConfigured("production settings need DEBUG off")  # noqa: F405

SECRET_KEY = env.str("SECRET_KEY")  # no default: refuses to start without it
TRACKING_WEBHOOK_SECRET = env.str("TRACKING_WEBHOOK_SECRET")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
# Off only for a plain-HTTP trial on localhost (docker compose); keep on behind TLS.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=True)
X_FRAME_OPTIONS = "DENY"
STORAGES["staticfiles"]["BACKEND"] = env.str(  # noqa: F405
    "STATIC_STORAGE_BACKEND", default="whitenoise.storage.CompressedManifestStaticFilesStorage"
)
