"""Editors and moderators keep the personal-data notice current (Settings → Personal data notice)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


NOTICE_GROUPS = ["Editors", "Moderators"]


def grant_notice_permission(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need this one now.
    app_config = apps.get_app_config("school")
    app_config.models_module = True  # the migration state's stub lacks it; create_permissions only checks it is set
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permission = Permission.objects.get(content_type__app_label="school", codename="change_personaldatanotice")
    for group in Group.objects.filter(name__in=NOTICE_GROUPS):
        group.permissions.add(permission)


class Migration(migrations.Migration):
    dependencies = [
        ("school", "0002_personal_data_consent"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(grant_notice_permission, migrations.RunPython.noop)]
