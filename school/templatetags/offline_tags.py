from django import template
from django.conf import settings
from django.urls import reverse


register = template.Library()


@register.simple_tag
def service_worker_url():
    """The service worker's address while offline use is on (settings.OFFLINE_ENABLED); "" when it is off."""
    return reverse("service_worker") if settings.OFFLINE_ENABLED else ""
