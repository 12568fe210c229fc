"""The site roles as groups: mentors follow their mentees; regional coordinators read their
region's reports and the learner-progress listings of the Wagtail admin."""

from django.contrib.auth.management import create_permissions
from django.db import migrations


ROLE_PERMISSIONS = {
    "Mentors": [("progress", "mentor_learners")],
    "Regional coordinators": [
        ("progress", "view_region_reports"),
        ("progress", "view_enrolment"),
        ("progress", "view_lessoncompletion"),
        ("progress", "view_quizattempt"),
        ("wagtailadmin", "access_admin"),
    ],
}


def create_role_groups(apps, schema_editor):
    # Permissions are normally created after all migrations; the groups need them now.
    app_config = apps.get_app_config("progress")
    app_config.models_module = True  # the migration state's stub lacks it; create_permissions only checks it is set
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))


class Migration(migrations.Migration):
    dependencies = [
        ("progress", "0003_mentoring"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
    ]

    operations = [migrations.RunPython(create_role_groups, migrations.RunPython.noop)]
