from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SchoolConfig(AppConfig):
    name = "school"
    verbose_name = _("Organisation")

    def ready(self):
        from . import auth_backends, content_cache

        content_cache.connect_signals()
        auth_backends.connect_signals()
