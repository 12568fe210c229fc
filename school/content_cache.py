"""What every visitor shares (page routes, course outlines, rendered page parts) is cached under one
content version, bumped whenever published content or the site's settings change.

The version lives in the shared cache (Redis in production), so a publish on one app host reaches
every worker on every host at once. Without a shared cache each process keeps its own version,
which is right for a single process and, with several, bounded by CONTENT_CACHE_SECONDS.
"""

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

from django.core.cache import cache
from django.db import transaction


VERSION_KEY = "content-version"
# Bumped by any change of a user's groups or permissions (school.auth_backends).
PERMISSIONS_VERSION_KEY = "permissions-version"
# Every request reads these together, in one round trip to the shared cache (request_versions).
REQUEST_VERSION_KEYS = (VERSION_KEY, PERMISSIONS_VERSION_KEY)
# How long a shared part stays cached even when no change bumps the version.
CONTENT_CACHE_SECONDS = 60 * 60

# The versions read at the start of the request being served, for code that has no request at hand
# (a page's view restrictions, the permissions backend).
_request_versions = ContextVar("request_versions", default=None)


def versions_read(keys):
    """The current value of each version key, with one round trip."""
    found = cache.get_many(keys)
    versions = {}
    for key in keys:
        version = found.get(key)
        if version is None:
            # A fresh (or lost) cache: start from the clock, so no old entry can match.
            version = time.time_ns()
            cache.add(key, version, timeout=None)
        versions[key] = version
    return versions


@contextmanager
def request_versions(request):
    """Reads every version once for the whole request (school.sites.CachedSiteMiddleware)."""
    request._shared_versions = versions_read(REQUEST_VERSION_KEYS)
    token = _request_versions.set(request._shared_versions)
    try:
        yield
    finally:
        _request_versions.reset(token)


def shared_version(key, request=None):
    """A version as the request being served read it, else read now (and kept on `request`)."""
    versions = getattr(request, "_shared_versions", None)
    if versions is None:
        versions = _request_versions.get()
    if versions is not None and key in versions:
        return versions[key]
    version = versions_read([key])[key]
    if request is not None:
        request._shared_versions = {**(versions or {}), key: version}
    return version


def content_version(request=None):
    """The current content version (read from the cache once per request)."""
    return shared_version(VERSION_KEY, request)


def bump_version(key):
    try:
        cache.incr(key)
    except ValueError:
        # Not set yet (or evicted): any new value differs from what entries were stored under.
        cache.set(key, time.time_ns(), timeout=None)


def content_changed(**kwargs):
    """Signal receiver: something visitors see changed, so every shared part is rebuilt.

    Bumped at once and again when the change commits: a request in between may read the old rows
    under the new version, and the second bump drops what it stored."""
    bump_version(VERSION_KEY)
    transaction.on_commit(lambda: bump_version(VERSION_KEY))


@functools.cache
def release():
    """Names this build: a digest of the project's templates and code, the static files' manifest and
    the versions of Django and Wagtail. Every shared entry's key carries it, so a new release never
    serves parts rendered by the previous one's templates (or objects pickled from its models), even
    while both serve during a rolling deploy."""
    import django
    from django.apps import apps
    from django.conf import settings
    from django.contrib.staticfiles.storage import staticfiles_storage

    import wagtail

    base = Path(settings.BASE_DIR).resolve()
    roots = [Path(directory) for template in settings.TEMPLATES for directory in template.get("DIRS", [])]
    # The project's own apps (installed packages are named by their versions).
    roots += [
        path
        for path in (Path(config.path) for config in apps.get_app_configs())
        if path.resolve().is_relative_to(base) and "site-packages" not in path.parts
    ]
    files = sorted({path for root in roots for path in root.rglob("*") if path.suffix in RELEASE_SUFFIXES})
    manifest = Path(settings.STATIC_ROOT or "", getattr(staticfiles_storage, "manifest_name", ""))
    if settings.STATIC_ROOT and manifest.is_file():
        files.append(manifest)
    digest = hashlib.blake2b(f"{django.__version__} {wagtail.__version__}".encode(), digest_size=8)
    for path in files:
        digest.update(str(path.relative_to(base) if path.is_relative_to(base) else path).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


# What a release's rendering and pickled objects depend on (templates, code, the service worker's script).
RELEASE_SUFFIXES = {".html", ".py", ".js", ".txt"}


def cache_key(*parts):
    return ":".join(["content", release(), *(str(part) for part in parts)])


_every_local_entries = []


def local_entries_clear():
    """Forget what this process keeps in memory (with the shared cache emptied, as between tests)."""
    for entries in _every_local_entries:
        entries.clear()


class LocalEntries:
    """The entries a process used last, in its memory (bounded, for the worker's size). In front of
    the shared cache, for entries whose key names a version: they never change once stored."""

    def __init__(self, size):
        self.size = size
        self._entries = OrderedDict()
        self._lock = threading.Lock()
        _every_local_entries.append(self)

    def get(self, key):
        with self._lock:
            if key in self._entries:
                self._entries.move_to_end(key)
                return self._entries[key]
        return None

    def clear(self):
        with self._lock:
            self._entries.clear()

    def remember(self, key, value):
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)


# Entries are keyed by the content version: each process keeps the ones it uses most.
_local = LocalEntries(500)


def shared_get(key):
    value = _local.get(key)
    if value is None:
        value = cache.get(key)
        if value is not None:
            _local.remember(key, value)
    return value


def shared_set(key, value):
    cache.set(key, value, CONTENT_CACHE_SECONDS)
    _local.remember(key, value)


def cached_content(request, name, build, *parts):
    """`build()`, cached under the current content version and `parts` (None is never cached)."""
    key = cache_key(name, content_version(request), *parts)
    value = shared_get(key)
    if value is None:
        value = build()
        if value is not None:
            shared_set(key, value)
    return value


@functools.cache
def _shared_models():
    from wagtail.contrib.settings.models import BaseSiteSetting
    from wagtail.images.models import AbstractImage
    from wagtail.models import Page, PageViewRestriction, Site

    return (Page, Site, BaseSiteSetting, AbstractImage, PageViewRestriction)


def _shared_content_saved(sender, instance, **kwargs):
    if isinstance(instance, _shared_models()):
        content_changed()


def connect_signals():
    """Any saved or deleted page (drafts too: cheap, and pages saved outside the editor count), site,
    site setting, image or page view restriction; publishing, unpublishing, moving and renaming a page."""
    from django.db.models.signals import post_delete, post_save

    from wagtail.signals import page_published, page_slug_changed, page_unpublished, post_page_move

    post_save.connect(_shared_content_saved, dispatch_uid="content-saved")
    post_delete.connect(_shared_content_saved, dispatch_uid="content-deleted")
    page_published.connect(content_changed, dispatch_uid="content-published")
    page_unpublished.connect(content_changed, dispatch_uid="content-unpublished")
    post_page_move.connect(content_changed, dispatch_uid="content-moved")
    page_slug_changed.connect(content_changed, dispatch_uid="content-slug-changed")
