"""Permission checks without two queries on every signed-in page."""

from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.db import transaction

from .content_cache import PERMISSIONS_VERSION_KEY, LocalEntries, bump_version, shared_version


CACHE_SECONDS = 15 * 60
# The sets of the users this process served last (a learner reads page after page).
_local = LocalEntries(1000)


class CachedPermissionsBackend(ModelBackend):
    """ModelBackend whose set of a user's permissions is kept in the shared cache.

    Every signed-in page asks for the user's permissions (the role links in the header, the editors'
    user bar), which ModelBackend reads from two tables each time. Any change of a user's groups
    or permissions, or of a group's permissions, bumps one version (see connect_signals), so the
    change holds on every app host at once; the version is read with the request's others, and the
    sets of the last users served are also kept in the worker's memory under it. Inactive users and
    superusers are decided as before.
    """

    def get_all_permissions(self, user_obj, obj=None):
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            version = shared_version(PERMISSIONS_VERSION_KEY)
            key = f"permissions:{user_obj.pk}:{int(user_obj.is_superuser)}:{version}"
            permissions = _local.get(key)
            if permissions is None:
                permissions = cache.get(key)
                if permissions is None:
                    permissions = super().get_all_permissions(user_obj, obj)
                    cache.set(key, permissions, CACHE_SECONDS)
                _local.remember(key, permissions)
            user_obj._perm_cache = permissions
        return user_obj._perm_cache


def permissions_changed(**kwargs):
    # At once, and again at commit: a request in between may cache the old set under the new version.
    bump_version(PERMISSIONS_VERSION_KEY)
    transaction.on_commit(lambda: bump_version(PERMISSIONS_VERSION_KEY))


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
