"""Production hardening: security headers, Content-Security-Policy, Argon2 hashes, login throttling, Host checks."""

import importlib
import sys

import pytest
from axes.models import AccessAttempt

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse

from school.factories import UserFactory
from school.settings import base


PASSWORD = "Zelenaya-lampa-1917"
PRODUCTION_BACKENDS = base.AUTHENTICATION_BACKENDS


def _log_in(client, password, username="secretary"):
    return client.post(reverse("login"), {"username": username, "password": password})


def _is_logged_in(client):
    return SESSION_KEY in client.session


@pytest.mark.django_db
class HeadersTests:
    def test_every_page_sends_the_content_security_policy_and_security_headers(self, client, home_page):
        """The home page, served with the test settings, carries the same policy as production."""
        response = client.get("/")
        assert response.status_code == 200
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy
        assert "object-src 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
        assert response["X-Frame-Options"] == "DENY"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Referrer-Policy"] == "same-origin"

    def test_the_login_page_sends_the_policy(self, client):
        response = client.get(reverse("login"))
        assert "default-src 'self'" in response["Content-Security-Policy"]

    def test_only_the_wagtail_admin_allows_inline_scripts_and_styles(self, admin_client, course_tree):
        """The admin's allowance is scoped to its views; its preview may be framed by the admin itself."""
        policy = admin_client.get("/admin/")["Content-Security-Policy"]
        assert "script-src 'self' 'unsafe-inline'" in policy
        assert "style-src 'self' 'unsafe-inline'" in policy
        public = admin_client.get(course_tree.lesson_one.url)["Content-Security-Policy"]
        assert "unsafe-inline" not in public
        # The view behind the editor's preview panel iframe.
        preview = admin_client.get(f"/admin/pages/{course_tree.lesson_one.pk}/edit/preview/")
        assert preview.status_code == 200
        assert preview["X-Frame-Options"] == "SAMEORIGIN"

    @override_settings(ALLOWED_HOSTS=["example.org"])
    def test_a_forged_host_header_gets_400(self, client, home_page):
        """With production's ALLOWED_HOSTS, a request for another host is refused."""
        assert client.get("/healthz", HTTP_HOST="evil.example.com").status_code == 400
        assert client.get(reverse("login"), HTTP_HOST="example.org").status_code == 200


def _production_settings(monkeypatch, **environ):
    """Read school.settings.production afresh with a minimal environment (sys.modules is restored after)."""
    for name in ("SECURE_SSL_REDIRECT", "SECURE_HSTS_SECONDS", "SECURE_COOKIES", "DEBUG"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SECRET_KEY", "x" * 60)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    for module in ("school.settings.base", "school.settings.production"):
        monkeypatch.delitem(sys.modules, module, raising=False)
    return importlib.import_module("school.settings.production")


class ProductionSettingsTests:
    def test_production_settings_turn_on_https_hsts_and_secure_cookies(self, monkeypatch):
        """The secure choices are the defaults."""
        production = _production_settings(monkeypatch)
        assert production.DEBUG is False
        assert production.SECURE_PROXY_SSL_HEADER == ("HTTP_X_FORWARDED_PROTO", "https")
        assert production.SECURE_SSL_REDIRECT is True
        assert production.SECURE_HSTS_SECONDS >= 365 * 24 * 60 * 60
        assert production.SECURE_HSTS_INCLUDE_SUBDOMAINS is True
        assert production.SESSION_COOKIE_SECURE and production.SESSION_COOKIE_HTTPONLY
        assert production.CSRF_COOKIE_SECURE
        assert production.X_FRAME_OPTIONS == "DENY"
        assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
        assert production.AUTHENTICATION_BACKENDS == PRODUCTION_BACKENDS

    def test_production_can_turn_the_redirect_off(self, monkeypatch):
        production = _production_settings(monkeypatch, SECURE_SSL_REDIRECT="false", SECURE_HSTS_SECONDS="0")
        assert production.SECURE_SSL_REDIRECT is False
        assert production.SECURE_HSTS_SECONDS == 0


@pytest.mark.django_db
class PasswordHashTests:
    @override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.Argon2PasswordHasher"])
    def test_new_passwords_are_hashed_with_argon2(self):
        user = UserFactory(username="secretary", password=PASSWORD)
        assert user.password.startswith("argon2$")

    def test_an_old_pbkdf2_hash_works_and_is_upgraded_to_argon2_at_login(self, client):
        """A user whose hash predates Argon2 logs in; Django then stores an Argon2 hash."""
        with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
            user = UserFactory(username="secretary", password=PASSWORD)
        assert user.password.startswith("pbkdf2_sha256$")

        with override_settings(PASSWORD_HASHERS=base.PASSWORD_HASHERS, AUTHENTICATION_BACKENDS=PRODUCTION_BACKENDS):
            response = _log_in(client, PASSWORD)
            assert response.status_code == 302
            assert _is_logged_in(client)
            user.refresh_from_db()
            assert user.password.startswith("argon2$")
            assert user.check_password(PASSWORD)


@pytest.mark.django_db
class LockoutTests:
    @pytest.fixture(autouse=True)
    def learner(self, db, settings):
        settings.AUTHENTICATION_BACKENDS = PRODUCTION_BACKENDS
        return UserFactory(username="secretary", password=PASSWORD)

    def _lock_out(self, client):
        for _attempt in range(settings.AXES_FAILURE_LIMIT - 1):
            response = _log_in(client, "wrong-password")
            assert response.status_code == 200  # the form again, with an error
        return _log_in(client, "wrong-password")

    def test_five_wrong_passwords_lock_out_with_a_clear_russian_page(self, client, caplog):
        with caplog.at_level("WARNING", logger="axes"):
            response = self._lock_out(client)
        assert response.status_code == 429
        html = response.content.decode()
        assert "registration/lockout.html" in [template.name for template in response.templates]
        assert "15" in html
        assert '<html lang="ru"' in html
        assert any("Locking out" in record.getMessage() for record in caplog.records)
        assert AccessAttempt.objects.filter(username="secretary").exists()

    def test_the_right_password_is_refused_while_locked_out(self, client):
        self._lock_out(client)
        response = _log_in(client, PASSWORD)
        assert response.status_code == 429
        assert not _is_logged_in(client)

    def test_another_user_from_the_same_address_is_not_locked_out(self, client):
        UserFactory(username="other-secretary", password=PASSWORD)
        self._lock_out(client)
        response = _log_in(client, PASSWORD, username="other-secretary")
        assert response.status_code == 302
        assert _is_logged_in(client)

    def test_axes_reset_unlocks(self, client):
        self._lock_out(client)
        call_command("axes_reset", verbosity=0)
        response = _log_in(client, PASSWORD)
        assert response.status_code == 302
        assert _is_logged_in(client)

    def test_an_admin_unlocks_by_deleting_the_access_attempt(self, client, admin_client):
        self._lock_out(client)
        attempt = AccessAttempt.objects.get(username="secretary")
        changelist = admin_client.get("/django-admin/axes/accessattempt/")
        assert changelist.status_code == 200
        response = admin_client.post(f"/django-admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"})
        assert response.status_code == 302
        assert not AccessAttempt.objects.exists()
        assert _log_in(client, PASSWORD).status_code == 302
        assert _is_logged_in(client)
