import ipaddress

from django.conf import settings
from django.utils import translation


def client_ip(request):
    """The visitor's address as the outermost trusted proxy saw it (django-axes' AXES_CLIENT_IP_CALLABLE).

    Each proxy appends the address it received the request from to X-Forwarded-For, so with N
    trusted proxies the client is the N-th entry from the right; whatever a client sends is further
    left and is ignored. A missing or malformed header falls back to REMOTE_ADDR.
    """
    remote_addr = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote_addr
    entries = [entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    if len(entries) < count:
        return remote_addr
    candidate = entries[-count]
    try:
        # Stored in a GenericIPAddressField: anything but an address would fail the login view.
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote_addr


class CookieLocaleMiddleware:
    """Russian unless the visitor chose another language with the switcher.

    Django's LocaleMiddleware would follow the browser's Accept-Language, and the course
    content is Russian: an English interface around it should be a choice, not an accident.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in dict(settings.LANGUAGES):
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response
