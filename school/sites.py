"""The Wagtail site of a request, with its home page and the sites' root paths, from the shared cache
instead of two or three queries (or a round trip to the shared cache) on every request."""

from django.db import DatabaseError

from wagtail.models import Site

from .content_cache import cached_content, request_versions


def _site_with_root(request):
    site = Site._find_for_request(request)
    if site is None:
        return False  # cached as "no site" (None would read as a cache miss)
    # Routing starts from the root page's specific object; keep it on the cached site.
    site.root_page = site.root_page.specific
    return site


class CachedSiteMiddleware:
    """Puts the site where Wagtail's Site.find_for_request looks first (request._wagtail_site), and the
    sites' root paths where Page.get_url looks (request._wagtail_cached_site_root_paths); reads the
    shared versions for the whole request (school.content_cache.request_versions)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        with request_versions(request):
            host, port = request._get_raw_host(), request.get_port()
            try:
                site = cached_content(request, "site", lambda: _site_with_root(request), host, port)
                request._wagtail_cached_site_root_paths = cached_content(
                    request, "site-root-paths", Site.get_site_root_paths
                )
            except DatabaseError:
                # Left to Wagtail: the view decides what an unreachable database means (/healthz answers itself).
                return self.get_response(request)
            request._wagtail_site = site or None
            return self.get_response(request)
