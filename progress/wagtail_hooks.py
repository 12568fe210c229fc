from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page

from courses.models import LessonPage, QuizPage
from courses.outline import course_of

from . import admin_import  # noqa: F401 - registers the learner import's admin view and menu item
from .models import Enrolment, LessonCompletion, QuizAttempt
from .selectors import course_progress_for_learner
from .services import page_visit_record


@hooks.register("before_serve_page")
def guard_and_record_course_items(page, request, serve_args, serve_kwargs):
    """A lesson or quiz of a locked module explains why instead of being served; an open one is
    remembered as the learner's place in the course."""
    if not isinstance(page, LessonPage | QuizPage) or not request.user.is_authenticated:
        return None
    course = course_of(page, request)
    if course is None:
        return None
    progress = course_progress_for_learner(learner=request.user, course=course, request=request)
    request.learner_progress = progress
    if progress.is_locked(page):
        context = {"page": page, "course": course, "progress": progress, "request": request}
        return TemplateResponse(request, "progress/locked.html", context, status=403)
    page_visit_record(learner=request.user, page=page, course=course)
    return None


LEARNER_HISTORY_BLOCKS_DELETION = _(
    "Learners have progress in “%(title)s” or the pages below it, and their history is kept: "
    "unpublish the page instead of deleting it."
)


def has_learner_history(page):
    """Whether learners' records point at the page or a page below it (they are PROTECTed)."""
    pages = page.get_descendants(inclusive=True).values("pk")
    return (
        LessonCompletion.objects.filter(lesson_id__in=pages).exists()
        or QuizAttempt.objects.filter(quiz_id__in=pages).exists()
        or Enrolment.objects.filter(course_id__in=pages).exists()
    )


@hooks.register("before_delete_page")
def keep_learner_history(request, page):
    """Refuse, with a message, to delete a page with learners' history."""
    if has_learner_history(page):
        messages.error(request, LEARNER_HISTORY_BLOCKS_DELETION % {"title": page.get_admin_display_title()})
        return redirect("wagtailadmin_pages:edit", page.pk)
    return None


@hooks.register("before_bulk_action")
def keep_learner_history_in_bulk(request, action_type, objects, action_class_instance):
    """The same for the page listing's bulk delete: refuse the whole action, change nothing."""
    if action_type != "delete":
        return None
    for page in objects:
        if isinstance(page, Page) and has_learner_history(page):
            messages.error(request, LEARNER_HISTORY_BLOCKS_DELETION % {"title": page.get_admin_display_title()})
            return redirect("wagtailadmin_explore", page.get_parent().pk)
    return None


class ReadOnlyViewSet(ModelViewSet):
    inspect_view_enabled = True
    add_to_reference_index = False
    # The edit form is never offered (see the policy); this only satisfies ModelViewSet.
    exclude_form_fields = []
    icon = "list-ul"


class EnrolmentViewSet(ReadOnlyViewSet):
    model = Enrolment
    menu_label = _("Enrolments")
    list_display = ["learner", "course", "started_at", "last_page", "last_seen_at", "completed_at"]
    list_filter = ["course", "completed_at"]
    list_export = ["learner__username", "learner__full_name", "course__title", "started_at", "completed_at"]
    search_fields = ["learner__username", "learner__full_name"]

    def get_queryset(self, request):
        return Enrolment.objects.select_related("learner", "course", "last_page")


class LessonCompletionViewSet(ReadOnlyViewSet):
    model = LessonCompletion
    menu_label = _("Lesson completions")
    list_display = ["learner", "lesson", "completed_at"]
    list_export = ["learner__username", "learner__full_name", "lesson__title", "completed_at"]
    search_fields = ["learner__username", "learner__full_name"]

    def get_queryset(self, request):
        return LessonCompletion.objects.select_related("learner", "lesson")


class QuizAttemptViewSet(ReadOnlyViewSet):
    model = QuizAttempt
    menu_label = _("Quiz attempts")
    list_display = ["learner", "quiz", "number", "percent", "is_passed", "submitted_at"]
    list_filter = ["is_passed", "quiz"]
    list_export = ["learner__username", "learner__full_name", "quiz__title", "number", "percent", "is_passed"]
    search_fields = ["learner__username", "learner__full_name"]
    inspect_view_fields = [
        "learner",
        "quiz",
        "number",
        "started_at",
        "submitted_at",
        "score",
        "max_score",
        "percent",
        "is_passed",
    ]

    def get_queryset(self, request):
        return QuizAttempt.objects.select_related("learner", "quiz")


class LearnerProgressViewSetGroup(ViewSetGroup):
    menu_label = _("Learner progress")
    menu_icon = "tasks"
    menu_order = 250
    items = (EnrolmentViewSet, LessonCompletionViewSet, QuizAttemptViewSet)


@hooks.register("register_admin_viewset")
def register_learner_progress_viewsets():
    return LearnerProgressViewSetGroup()
