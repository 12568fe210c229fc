"""The Wagtail site of a request, with its home page, from the shared cache instead of two or three
queries on every request."""

from django.db import DatabaseError

from wagtail.models import Site

from .content_cache import cached_content


def _site_with_root(request):
    site = Site._find_for_request(request)
    if site is None:
        return False  # cached as "no site" (None would read as a cache miss)
    # Routing starts from the root page's specific object; keep it on the cached site.
    site.root_page = site.root_page.specific
    return site


class CachedSiteMiddleware:
    """Puts the site where Wagtail's Site.find_for_request looks first (request._wagtail_site)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        host, port = request._get_raw_host(), request.get_port()
        try:
            site = cached_content(request, "site", lambda: _site_with_root(request), host, port)
        except DatabaseError:
            # Left to Wagtail: the view decides what an unreachable database means (/healthz answers itself).
            return self.get_response(request)
        request._wagtail_site = site or None
        return self.get_response(request)
