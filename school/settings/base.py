"""Settings shared by every environment. Secure by default: no DEBUG, no SECRET_KEY default.

Every environment variable is read here, through the small helpers below.
"""

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url

from django.utils.translation import gettext_lazy as _


PROJECT_DIR = Path(__file__).resolve().parent.parent
BASE_DIR = PROJECT_DIR.parent


def env(name, default=None):
    return os.environ.get(name, default)


def env_bool(name, default=False):
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name, default=""):
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")


# Application definition

INSTALLED_APPS = [
    "school",
    "home",
    "courses",
    "progress",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django_filters",
    "csp",
    "axes",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses HTML and JSON for clients that accept gzip; after WhiteNoise, which serves its own
    # precompressed static files, and before every middleware that reads or writes the body. Since
    # Django 4.2 it pads each compressed body with random bytes against BREACH-style length guessing.
    "django.middleware.gzip.GZipMiddleware",
    # The Wagtail site and its home page from the shared cache, before anything asks for them.
    "school.sites.CachedSiteMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "school.middleware.CookieLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "school.consent.ConsentMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during the request into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "school.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
            ],
        },
    },
]

WSGI_APPLICATION = "school.wsgi.application"


# Database: SQLite unless DATABASE_URL names another (PostgreSQL in production).

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(env("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A database host that drops packets fails the connection in seconds, well inside gunicorn's
    # timeout, so the visitor gets the 503 page instead of a killed worker.
    DATABASES["default"].setdefault("OPTIONS", {})["connect_timeout"] = int(env("DB_CONNECT_TIMEOUT", "5"))
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"


# Cache: Redis when REDIS_URL is set (needed with several app hosts), else files shared by the
# workers of this host. It holds what every visitor shares (school.content_cache), permission sets
# and sessions' copies: sessions are written to the database and read from the cache first
# ("cached_db"), so losing Redis loses no logins. django-redis turns a Redis that is down or slow into
# cache misses, logged by the "django_redis" logger, not page errors.


def redis_cache(url, key_prefix):
    """The cache settings for Redis at `url` (also the bench's, so that it measures what production runs)."""
    return {
        "BACKEND": "django_redis.cache.RedisCache",
        "LOCATION": url,
        "KEY_PREFIX": key_prefix,
        "OPTIONS": {
            "IGNORE_EXCEPTIONS": True,
            # A dead Redis must cost a page a fraction of a second, not a worker timeout.
            "SOCKET_CONNECT_TIMEOUT": float(env("REDIS_TIMEOUT", "0.5")),
            "SOCKET_TIMEOUT": float(env("REDIS_TIMEOUT", "0.5")),
        },
    }


DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
if env("REDIS_URL"):
    CACHES = {"default": redis_cache(env("REDIS_URL"), "school")}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": env("CACHE_DIR", str(BASE_DIR / ".cache")),
        }
    }
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"


# Users and authentication

AUTH_USER_MODEL = "school.User"
LOGIN_URL = "/accounts/login/"
# Each role lands on its own page (progress.roles.landing_url).
LOGIN_REDIRECT_URL = "progress:landing"
LOGOUT_REDIRECT_URL = "/"

# django-axes checks for a lockout before any password is compared.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # ModelBackend with each user's permission set in the cache (every page asks for it).
    "school.auth_backends.CachedPermissionsBackend",
]

# Argon2 for new and changed passwords; the others still verify older hashes, and Django re-hashes
# them with Argon2 at the user's next successful login.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]


# Login throttling (django-axes): 5 wrong passwords for one username from one IP address lock that
# combination out for 15 minutes. The lockout page answers 429; each lockout is logged by the "axes"
# logger at WARNING. Admins unlock in /django-admin/axes/accessattempt/ (delete the entry) or with
# `manage.py axes_reset` / `axes_reset_username`.
AXES_FAILURE_LIMIT = int(env("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(env("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
# Behind a load balancer every request comes from the balancer's address: the client is the entry
# that the outermost trusted proxy appended to X-Forwarded-For, counted from the right, because a
# client can write anything to the left of it. 0 (development, no proxy) uses REMOTE_ADDR.
TRUSTED_PROXY_COUNT = int(env("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "school.middleware.client_ip"


# Browser security headers (every environment; production adds HTTPS, HSTS and secure cookies).
X_FRAME_OPTIONS = "DENY"  # Wagtail's preview views override it with SAMEORIGIN for their iframe.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

# Content-Security-Policy (django-csp 4): only our own origin. The site's templates have no inline
# scripts, styles or event handlers (site.js is a deferred static file). frame-ancestors is left to
# X-Frame-Options so that Wagtail's same-origin preview iframe keeps working.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
    },
}


# Internationalisation: Russian by default, English available.

LANGUAGE_CODE = "ru"
LANGUAGES = [
    ("ru", _("Russian")),
    ("en", _("English")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Moscow"
USE_I18N = True
USE_TZ = True


# Static files and media

STATICFILES_FINDERS = [
    "django.contrib.staticfiles.finders.FileSystemFinder",
    "django.contrib.staticfiles.finders.AppDirectoriesFinder",
]
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATIC_URL = "/static/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
MEDIA_URL = "/media/"
# Uploaded images are served by the app itself (school/urls.py) unless the proxy serves MEDIA_ROOT.
SERVE_MEDIA = env_bool("SERVE_MEDIA", True)
# Offline reading and the outbox of actions made offline (the service worker at /sw.js). Switched off, the
# worker served at that address removes itself and what it kept from learners' browsers.
OFFLINE_ENABLED = env_bool("OFFLINE_ENABLED", True)

STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# The page editor of a quiz with many questions and choices posts many fields.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Uploads larger than this are refused before they reach a view.
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024


# Wagtail

WAGTAIL_SITE_NAME = "Школа секретаря"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", "http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAILIMAGES_IMAGE_MODEL = "home.CustomImage"
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# A small file can still decode to a huge bitmap (a 121-megapixel PNG took a worker to 500 MB):
# 40 megapixels is more than any phone photo of a branch's work needs.
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 40_000_000
WAGTAILIMAGES_IMAGE_FORM_BASE = "home.forms.ImageForm"
WAGTAILIMAGES_EXTENSIONS = ["gif", "jpg", "jpeg", "png", "webp"]
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "odt", "pdf", "pptx", "rtf", "txt", "xlsx"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
# The admin talks to no third party, which also keeps it inside the Content-Security-Policy:
# no Gravatar images (initials instead), no release check against releases.wagtail.org.
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_ENABLE_UPDATE_CHECK = False
# Wagtail's form leaves the password field without a translatable label (see the class).
WAGTAILADMIN_USER_LOGIN_FORM = "school.forms.AdminLoginForm"
WAGTAILADMIN_PERMITTED_LANGUAGES = [("ru", "Русский"), ("en", "English")]

# Wagtail's database backend (PostgreSQL full-text search, SQLite FTS5 in the embedded default),
# fed with words that the site folds ("ё" as "е") and stems (Snowball Russian and English) itself,
# so that both databases find and rank the same pages. After changing it: manage.py update_index.
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "courses.search.backend"}}

# Background work (search index updates, reference index) goes through django-tasks.
TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "WARNING")},
    # django-axes logs each failed login and each lockout at WARNING, shown whatever LOG_LEVEL says
    # (the record propagates to the root's console handler, which has no level of its own).
    "loggers": {"axes": {"level": "WARNING"}},
}
