from django.conf import settings
from django.utils import translation


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
