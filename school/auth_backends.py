"""Permission checks without two queries on every signed-in page."""

import time

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from .content_cache import bump_version


VERSION_KEY = "permissions-version"
CACHE_SECONDS = 15 * 60


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose set of a user's permissions is kept in the shared cache.

    Every signed-in page asks for the user's permissions (the role links in the header, the editors'
    user bar), which ModelBackend reads from two tables each time. Any change of a user's groups
    or permissions, or of a group's permissions, bumps one version (see connect_signals), so the
    change holds on every app host at once. Inactive users and superusers are decided as before.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            key = f"permissions:{user_obj.pk}:{int(user_obj.is_superuser)}"
            found = cache.get_many([VERSION_KEY, key])
            version, entry = found.get(VERSION_KEY), found.get(key)
            if version is not None and entry is not None and entry[0] == version:
                user_obj._perm_cache = entry[1]
            else:
                permissions = super().get_all_permissions(user_obj, obj)
                if version is None:
                    # A fresh (or lost) cache: start from the clock, so no older entry can match.
                    version = time.time_ns()
                    cache.add(VERSION_KEY, version, timeout=None)
                cache.set(key, (version, permissions), CACHE_SECONDS)
        return user_obj._perm_cache


def permissions_changed(**kwargs):
    # At once, and again at commit: a request in between may cache the old set under the new version.
    bump_version(VERSION_KEY)
    transaction.on_commit(lambda: bump_version(VERSION_KEY))


def connect_signals():
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group, Permission
    from django.db.models.signals import m2m_changed, post_delete, post_save

    user_model = get_user_model()
    for through in (user_model.groups.through, user_model.user_permissions.through, Group.permissions.through):
        m2m_changed.connect(permissions_changed, sender=through, dispatch_uid=f"permissions-{through.__name__}")
    for model in (Group, Permission):
        post_save.connect(permissions_changed, sender=model, dispatch_uid=f"permissions-saved-{model.__name__}")
        post_delete.connect(permissions_changed, sender=model, dispatch_uid=f"permissions-deleted-{model.__name__}")
