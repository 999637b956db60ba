"""A minimal Django project serving django-scim2 with its default adapters, on SQLite.

Only what django-scim2's documentation requires: a user and a group model with its SCIM
mixins, its URLs under /scim/v2/, and an authentication middleware (a bearer token) in
front of its auth check. Nothing here works around a quirk: the profile handles those.
"""

from __future__ import annotations

import os

SECRET_KEY = "test-only-not-a-secret"  # a throwaway project on 127.0.0.1
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
USE_TZ = True
ROOT_URLCONF = "tests.integration.live.django_scim.urls"
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "tests.integration.live.django_scim.scimapp",
]
AUTH_USER_MODEL = "scimapp.User"
MIDDLEWARE = [
    "tests.integration.live.django_scim.auth.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DJANGO_SCIM_DB", ":memory:"),
        # The test server is threaded and the client writes concurrently: SQLite's
        # deferred transactions fail at once with "database is locked" when two of them
        # upgrade to writing, so each request's transaction takes the write lock first
        # and waits for it (a deployment's database, not django-scim2, needs this).
        "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": 30},
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
SCIM_SERVICE_PROVIDER = {
    "NETLOC": "127.0.0.1",
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "Bearer token", "description": "test token"}
    ],
    "GROUP_MODEL": "tests.integration.live.django_scim.scimapp.models.Group",
}
LOGGING = {"version": 1, "disable_existing_loggers": True}
