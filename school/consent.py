"""Consent to the processing of personal data (152-FZ): the notice editors keep in Settings, what a user
accepted, and the middleware that asks a signed-in user to accept the current version first.

Per request the middleware costs one cached lookup (the site's notice version, under the content
version that any change to a site setting bumps); whether the user accepted it is kept in their
session, so the database is asked once per session and version.
"""

from functools import cache
from urllib.parse import urlencode

from django.conf import settings
from django.db import IntegrityError, transaction
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _

from .content_cache import cached_content
from .models import ConsentRecord, PersonalDataNotice


SESSION_KEY = "personal_data_consent"


def _notice_version(site_id):
    notice = PersonalDataNotice.objects.filter(site_id=site_id).first()
    # "" (not None, which is never cached): no notice to accept.
    return notice.version.strip() if notice is not None and notice.is_set else ""


def current_notice_version(request):
    """The version of the site's notice that users must have accepted, or "" when editors have not
    written one yet (then nobody is asked)."""
    site = getattr(request, "_wagtail_site", None)
    if site is None:
        return ""
    return cached_content(request, "consent-version", lambda: _notice_version(site.pk), site.pk)


def consent_accepted(*, user, version):
    return ConsentRecord.objects.filter(user=user, version=version).first()


@transaction.atomic
def consent_accept(*, user, version):
    """Record that `user` accepted `version` of the notice now; accepting it again keeps the first date."""
    record = consent_accepted(user=user, version=version)
    if record is not None:
        return record
    try:
        with transaction.atomic():
            return ConsentRecord.objects.create(user=user, version=version)
    except IntegrityError:  # a double click: the other request recorded it
        return ConsentRecord.objects.get(user=user, version=version)


def remember_consent(request, version):
    request.session[SESSION_KEY] = version


def safe_next_url(request, url):
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return reverse("progress:landing")


@cache
def _exempt_prefixes():
    """Addresses that work without consent: the consent page itself and signing out, the admin (its
    editors and staff are not held up), files, health checks, the service worker and offline page,
    the language switch, and the user's own copy of their data (a right that does not wait for consent)."""
    return tuple(
        prefix
        for prefix in (
            reverse("personal_data_consent"),
            reverse("logout"),
            "/admin/",
            "/django-admin/",
            settings.STATIC_URL,
            settings.MEDIA_URL,
            "/documents/",
            reverse("healthz"),
            reverse("service_worker"),
            reverse("offline"),
            "/i18n/",
            reverse("progress:personal_data"),
        )
        if prefix
    )


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "") or request.content_type == "application/json"


class ConsentMiddleware:
    """Sends a signed-in user who has not accepted the current notice to the consent page (and back to
    where they were going); a request for JSON gets a 403 with the page's address instead."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith(_exempt_prefixes()) and request.user.is_authenticated:
            version = current_notice_version(request)
            if version and not self._has_accepted(request, version):
                return self._ask(request)
        return self.get_response(request)

    def _has_accepted(self, request, version):
        if request.session.get(SESSION_KEY) == version:
            return True
        if consent_accepted(user=request.user, version=version) is None:
            return False
        remember_consent(request, version)
        return True

    def _ask(self, request):
        url = reverse("personal_data_consent")
        if _wants_json(request):
            message = _("Accept the personal data processing notice first.")
            return JsonResponse({"error": message, "consent_url": url}, status=403)
        next_url = request.get_full_path() if request.method == "GET" else ""
        if next_url:
            url = f"{url}?{urlencode({'next': next_url})}"
        return redirect(url)
