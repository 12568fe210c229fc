from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    # Progress rows grow as learners x lessons: 64-bit keys from the start.
    default_auto_field = "django.db.models.BigAutoField"
    name = "progress"
    verbose_name = _("Progress")

    def ready(self):
        from wagtail.permissions import register_permission_policy

        from .models import Enrolment, LessonCompletion, Mentorship, QuizAttempt
        from .permissions import MentorshipPermissionPolicy, ReadOnlyPermissionPolicy

        for model in (Enrolment, LessonCompletion, QuizAttempt):
            register_permission_policy(model, ReadOnlyPermissionPolicy(model), exact_class=True)
        register_permission_policy(Mentorship, MentorshipPermissionPolicy(Mentorship), exact_class=True)
