"""Test settings: the one module every test run uses (pyproject.toml names it)."""

from .base import *  # noqa: F403


SECRET_KEY = "test-only-key"  # noqa: S105
DEBUG = False
ALLOWED_HOSTS = ["*"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# The test client's login() calls authenticate() without a request, which AxesStandaloneBackend
# refuses. The axes middleware and signal handlers stay on, so failed logins are still counted and
# locked out; tests/school/test_hardening.py puts the backend back to test a lockout end to end.
AUTHENTICATION_BACKENDS = ["school.auth_backends.CachedPermissionsBackend"]
SILENCED_SYSTEM_CHECKS = ["axes.W003"]  # the missing backend above, on purpose
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
SECURE_SSL_REDIRECT = False
WAGTAILADMIN_BASE_URL = "http://testserver"
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
