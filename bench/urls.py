"""The site's URLs plus the minimal view the bench compares every page with."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.urls import include, path
from django.views.decorators.cache import never_cache


MINIMAL_PATH = "/bench/minimal/"


@never_cache
@login_required
def minimal(request):
    """The cheapest signed-in page: session and user lookups, then "ok"."""
    return HttpResponse("ok", content_type="text/plain")


urlpatterns = [
    path(MINIMAL_PATH.strip("/") + "/", minimal, name="bench_minimal"),
    path("", include("school.urls")),
]
