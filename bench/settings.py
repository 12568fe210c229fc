"""Production settings pointed at the bench database and at bench/urls.py (the site plus the minimal view).

Only the bench uses this module (`python -m bench ...`); it never serves real traffic.
"""

import os


# production.py refuses to start without a key; this one signs only the bench's own sessions.
os.environ.setdefault("SECRET_KEY", "bench-only-not-a-secret")

import dj_database_url

from school.settings.production import *  # noqa: F403
from school.settings.production import ALLOWED_HOSTS, redis_cache


BENCH_DATABASE_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/bench")
# A Redis database of the bench's own: each run empties it. An empty string: the local-memory cache.
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/15")

DEBUG = False
ROOT_URLCONF = "bench.urls"
# The test client's host and gunicorn's loopback address, next to whatever production allows.
ALLOWED_HOSTS = [*ALLOWED_HOSTS, "testserver", "127.0.0.1"]
SECURE_SSL_REDIRECT = False
DATABASES = {"default": dj_database_url.parse(BENCH_DATABASE_URL, conn_max_age=60, conn_health_checks=True)}
if BENCH_REDIS_URL:
    # One prefix per bench database: cached page paths of one must not serve another.
    CACHES = {"default": redis_cache(BENCH_REDIS_URL, f"bench-{DATABASES['default']['NAME']}")}
# Mail is rendered as in production but goes nowhere.
EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# The harness prints each failing page's exception itself; no tracebacks in the table.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
    "loggers": {"django.request": {"level": "CRITICAL"}},
}
