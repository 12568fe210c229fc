"""The moderation of submitted practices: the group "Case study moderators", its approval task and the
workflow "Case study review", assigned to every case-study library, where the group may add, change
and publish pages (approving publishes). A library made later gets the same when it is created (see
courses.wagtail_hooks) or from seed_demo_content (courses.practices.case_study_review_setup)."""

from django.db import migrations


GROUP = "Case study moderators"
PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")
TASK = "Case study moderators' review"
WORKFLOW = "Case study review"


def create_case_study_review(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    GroupApprovalTask = apps.get_model("wagtailcore", "GroupApprovalTask")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowTask = apps.get_model("wagtailcore", "WorkflowTask")
    WorkflowPage = apps.get_model("wagtailcore", "WorkflowPage")
    GroupPagePermission = apps.get_model("wagtailcore", "GroupPagePermission")
    CaseStudyIndexPage = apps.get_model("courses", "CaseStudyIndexPage")

    group, _created = Group.objects.get_or_create(name=GROUP)
    # Moderators work in the Wagtail admin.
    access_admin = Permission.objects.filter(content_type__app_label="wagtailadmin", codename="access_admin").first()
    if access_admin is not None:
        group.permissions.add(access_admin)

    task = GroupApprovalTask.objects.filter(name=TASK).first()
    if task is None:
        content_type, _created = ContentType.objects.get_or_create(app_label="wagtailcore", model="groupapprovaltask")
        task = GroupApprovalTask.objects.create(name=TASK, content_type=content_type, active=True)
    task.groups.add(group)

    workflow, created = Workflow.objects.get_or_create(name=WORKFLOW, defaults={"active": True})
    if created:
        WorkflowTask.objects.create(workflow=workflow, task=task, sort_order=0)

    page_permissions = Permission.objects.filter(content_type__app_label="wagtailcore", codename__in=PAGE_PERMISSIONS)
    for index in CaseStudyIndexPage.objects.all():
        WorkflowPage.objects.update_or_create(page_id=index.pk, defaults={"workflow": workflow})
        for permission in page_permissions:
            GroupPagePermission.objects.get_or_create(group=group, page_id=index.pk, permission=permission)


class Migration(migrations.Migration):
    dependencies = [
        ("courses", "0004_practices"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("wagtailcore", "0098_apitoken"),
    ]

    operations = [migrations.RunPython(create_case_study_review, migrations.RunPython.noop)]
