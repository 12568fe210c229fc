from .base import *  # noqa: F403
from .base import env


DEBUG = True
SECRET_KEY = env("SECRET_KEY", "dev-only-insecure-key")
ALLOWED_HOSTS = ["*"]
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
# runserver serves source static files; no manifest needed while developing.
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
# One runserver process: its own memory is the cache, and a new database never meets old entries.
if not env("REDIS_URL"):
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
