import hashlib
import json
import sys

from csp.constants import SELF, UNSAFE_INLINE
from csp.decorators import csp_update

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.db import DatabaseError, InterfaceError, OperationalError, connection
from django.http import HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import redirect
from django.template import loader
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django.views.generic import UpdateView

from .consent import consent_accept, consent_accepted, remember_consent, safe_next_url
from .forms import ProfileForm
from .models import PersonalDataNotice, User


@never_cache
@require_GET
def healthz(request):
    """200 while the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


# How long a visitor (or a crawler) is asked to wait while the database is unreachable.
DATABASE_RETRY_AFTER_SECONDS = 30


def _is_database_outage(error):
    """True when the error, or one it was raised from, means the database cannot be reached.

    OperationalError and InterfaceError are lost or refused connections; other database errors
    (IntegrityError, ProgrammingError) are bugs and stay 500s.
    """
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, OperationalError | InterfaceError):
            return True
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return False


# The error pages carry their few styles inline, since static files may be part of the failure.
@csp_update({"style-src": [SELF, UNSAFE_INLINE]})
def server_error(request):
    """handler500: 503 with a short page while the database is unreachable, the plain 500 page otherwise.

    Django calls it inside its `except` block, wherever the error was raised: a view, a middleware
    (session, user), a lazily rendered TemplateResponse. Both pages are standalone templates rendered
    without a request, so no context processor (site settings, user) goes near the database.
    """
    if _is_database_outage(sys.exc_info()[1]):
        response = HttpResponse(loader.render_to_string("503.html"), status=503)
        response["Retry-After"] = str(DATABASE_RETRY_AFTER_SECONDS)
    else:
        response = HttpResponseServerError(loader.render_to_string("500.html"))
    # The next request may well succeed: no proxy or browser keeps the error page.
    add_never_cache_headers(response)
    return response


@method_decorator(never_cache, name="dispatch")
class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    """The learner's own profile: name and e-mail are theirs to edit, region and branch are shown only."""

    form_class = ProfileForm
    template_name = "school/profile.html"
    success_url = reverse_lazy("profile")
    success_message = _("Your profile has been saved.")

    def get_object(self, queryset=None):
        # Always the signed-in user, whatever the request says; region and branch for the read-only part.
        return User.objects.select_related("region", "branch").get(pk=self.request.user.pk)


@require_GET
def service_worker(request):
    """The service worker (templates/offline/sw.js), served from the site's root so that it may look after
    every page. Browsers look for a new version at each visit: it is never cached for long."""
    precache = [
        reverse("offline"),
        static("css/site.css"),
        static("js/site.js"),
        static("js/outbox.js"),
        static("js/offline.js"),
        static("img/logo.svg"),
        static("img/favicon.svg"),
    ]
    config = {
        # A new set of static files (their names carry a hash in production) makes a new worker.
        "version": hashlib.sha256(" ".join(precache).encode()).hexdigest()[:12],
        "precache": precache,
        "offlinePage": reverse("offline"),
        "outboxUrl": reverse("progress:outbox"),
        "outboxScript": static("js/outbox.js"),
        "staticUrl": settings.STATIC_URL,
        "imagesUrl": f"{settings.MEDIA_URL}images/",
    }
    response = TemplateResponse(
        request,
        "offline/sw.js",
        {"enabled": settings.OFFLINE_ENABLED, "config": json.dumps(config)},
        content_type="text/javascript; charset=utf-8",
    )
    add_never_cache_headers(response)
    return response


@require_GET
def offline(request):
    """What a page asked for without a connection shows, unless it is kept on the device. The worker keeps it for
    every visitor alike, so it carries nobody's name; its script lists what this device holds."""
    return TemplateResponse(request, "offline/offline.html")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def personal_data_consent(request):
    """The personal-data processing notice: read it and accept it (the date and the version are kept), or
    sign out. Accepted already, or no notice yet: on to where the user was going."""
    next_url = safe_next_url(request, request.POST.get("next") or request.GET.get("next"))
    notice = PersonalDataNotice.for_request(request)
    version = notice.version.strip() if notice.is_set else ""
    accepted = consent_accepted(user=request.user, version=version) if version else None
    if request.method == "POST" and version:
        if request.POST.get("version") != version:
            # The notice changed while it was open: show the new text.
            messages.warning(request, _("The notice has just been updated: please read it again."))
        elif request.POST.get("accept") != "yes":
            messages.error(request, _("Tick the box to accept the notice, or sign out."))
        else:
            consent_accept(user=request.user, version=version)
            remember_consent(request, version)
            return redirect(next_url)
    elif request.method == "GET" and (not version or accepted is not None) and "next" in request.GET:
        return redirect(next_url)
    return TemplateResponse(
        request,
        "school/consent.html",
        {"notice": notice, "version": version, "accepted": accepted, "next_url": next_url},
        status=200,
    )
