"""What every visitor shares (page routes, course outlines, rendered page parts) is cached under one
content version, bumped whenever published content or the site's settings change.

The version lives in the shared cache (Redis in production), so a publish on one app host reaches
every worker on every host at once. Without a shared cache each process keeps its own version,
which is right for a single process and, with several, bounded by CONTENT_CACHE_SECONDS.
"""

import functools
import threading
import time
from collections import OrderedDict

from django.core.cache import cache
from django.db import transaction


VERSION_KEY = "content-version"
# How long a shared part stays cached even when no change bumps the version.
CONTENT_CACHE_SECONDS = 60 * 60


def content_version(request=None):
    """The current content version (read from the cache once per request)."""
    version = getattr(request, "_content_version", None)
    if version is None:
        version = cache.get(VERSION_KEY)
        if version is None:
            # A fresh (or lost) cache: start from the clock, so no old entry can match.
            version = time.time_ns()
            cache.add(VERSION_KEY, version, timeout=None)
        if request is not None:
            request._content_version = version
    return version


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


def cache_key(*parts):
    return ":".join(["content", *(str(part) for part in parts)])


# Entries are keyed by the content version, so an entry never changes once stored: each process
# keeps the ones it uses most in memory, in front of the shared cache (bounded, for the worker's size).
LOCAL_ENTRIES = 500
_local = OrderedDict()
_local_lock = threading.Lock()


def shared_get(key):
    with _local_lock:
        if key in _local:
            _local.move_to_end(key)
            return _local[key]
    value = cache.get(key)
    if value is not None:
        _remember(key, value)
    return value


def shared_set(key, value):
    cache.set(key, value, CONTENT_CACHE_SECONDS)
    _remember(key, value)


def _remember(key, value):
    with _local_lock:
        _local[key] = value
        _local.move_to_end(key)
        while len(_local) > LOCAL_ENTRIES:
            _local.popitem(last=False)


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
