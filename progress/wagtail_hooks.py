import django_filters

from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.filters import WagtailFilterSet
from wagtail.admin.ui.tables import BooleanColumn
from wagtail.admin.viewsets.base import ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.models import Page

from courses.models import CoursePage, LessonPage, QuizPage
from courses.outline import course_of

from . import (
    admin_import,  # noqa: F401 - registers the learner import's admin view and menu item
    admin_personal_data,  # noqa: F401 - registers the personal data views, menu item and user button
)
from .admin_mentorship import (
    MentorshipAssignForm,
    MentorshipAssignView,
    MentorshipEndForm,
    MentorshipEndView,
    learner_chooser_viewset,
)
from .admin_views import LearnerRecordIndexView, LearnerRecordInspectView, ListingIndexView, ReadableInspectView
from .audit import register_audit_actions
from .models import Enrolment, LessonCompletion, Mentorship, QuizAttempt
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


class ListingViewSet(ModelViewSet):
    """A listing built for millions of rows (see progress.admin_views): `list_select_related` names
    the relations its columns and exports read, `sortable_fields` the columns with an index to sort by."""

    index_view_class = ListingIndexView
    inspect_view_class = ReadableInspectView
    add_to_reference_index = False
    list_select_related = ()
    sortable_fields = None

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            list_select_related=self.list_select_related, sortable_fields=self.sortable_fields, **kwargs
        )


def page_filter(page_model):
    """A filter by course pages, in tree order; the choices are read without the pages' bodies."""
    return django_filters.ModelChoiceFilter(queryset=page_model.objects.only("title", "path").order_by("path"))


class EnrolmentFilterSet(WagtailFilterSet):
    course = page_filter(CoursePage)

    class Meta:
        model = Enrolment
        fields = ["course", "completed_at"]


class LessonCompletionFilterSet(WagtailFilterSet):
    lesson = page_filter(LessonPage)

    class Meta:
        model = LessonCompletion
        fields = ["lesson", "completed_at"]


class QuizAttemptFilterSet(WagtailFilterSet):
    quiz = page_filter(QuizPage)

    class Meta:
        model = QuizAttempt
        fields = ["is_passed", "quiz"]


class TickColumn(BooleanColumn):
    """Wagtail's tick or cross, read out to screen readers as "yes" or "no" (not "True", "False")."""

    cell_template_name = "progress/admin/tick_cell.html"


def tick_column(model, field_name):
    """A yes/no field shown as a tick or a cross."""
    return TickColumn(field_name, label=capfirst(model._meta.get_field(field_name).verbose_name))


LEARNER_EXPORT = ["learner.username", "learner.full_name", "learner.region", "learner.branch"]
LEARNER_EXPORT_HEADINGS = {
    "learner.username": _("Username"),
    "learner.full_name": _("Full name"),
    "learner.region": _("Region"),
    "learner.branch": _("Branch"),
}
LEARNER_RELATIONS = ("learner__region", "learner__branch__region")


class ReadOnlyViewSet(ListingViewSet):
    """Learners' records: read-only for everyone (see ReadOnlyPermissionPolicy), a regional
    coordinator's listing, exports and inspect views limited to their own region."""

    index_view_class = LearnerRecordIndexView
    inspect_view_class = LearnerRecordInspectView
    inspect_view_enabled = True
    copy_view_enabled = False
    # The edit form is never offered (see the policy); this only satisfies ModelViewSet.
    exclude_form_fields = []
    icon = "list-ul"
    search_fields = ["learner__username", "learner__full_name"]

    def get_inspect_view_kwargs(self, **kwargs):
        return super().get_inspect_view_kwargs(list_select_related=self.list_select_related, **kwargs)


class EnrolmentViewSet(ReadOnlyViewSet):
    model = Enrolment
    menu_label = _("Enrolments")
    list_display = ["learner", "course", "started_at", "last_page", "last_seen_at", "completed_at"]
    filterset_class = EnrolmentFilterSet
    list_select_related = (*LEARNER_RELATIONS, "course", "last_page")
    ordering = "-started_at"
    sortable_fields = ("learner", "course", "started_at", "last_page")
    list_export = [*LEARNER_EXPORT, "course.title", "started_at", "last_seen_at", "completed_at"]
    export_headings = {**LEARNER_EXPORT_HEADINGS, "course.title": _("Course")}
    export_filename = "enrolments"


class LessonCompletionViewSet(ReadOnlyViewSet):
    model = LessonCompletion
    menu_label = _("Lesson completions")
    list_display = ["learner", "lesson", "completed_at"]
    filterset_class = LessonCompletionFilterSet
    list_select_related = (*LEARNER_RELATIONS, "lesson")
    ordering = "-completed_at"
    sortable_fields = ("learner", "lesson", "completed_at")
    list_export = [*LEARNER_EXPORT, "lesson.title", "completed_at"]
    export_headings = {**LEARNER_EXPORT_HEADINGS, "lesson.title": _("Lesson")}
    export_filename = "lesson-completions"


class QuizAttemptViewSet(ReadOnlyViewSet):
    model = QuizAttempt
    menu_label = _("Quiz attempts")
    list_display = [
        "learner",
        "quiz",
        "number",
        "started_at",
        "submitted_at",
        "percent",
        tick_column(QuizAttempt, "is_passed"),
    ]
    filterset_class = QuizAttemptFilterSet
    list_select_related = (*LEARNER_RELATIONS, "quiz")
    ordering = "-started_at"
    sortable_fields = ("learner", "quiz", "started_at")
    list_export = [
        *LEARNER_EXPORT,
        "quiz.title",
        "number",
        "started_at",
        "submitted_at",
        "score",
        "max_score",
        "percent",
        "is_passed",
    ]
    export_headings = {**LEARNER_EXPORT_HEADINGS, "quiz.title": _("Quiz")}
    export_filename = "quiz-attempts"
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


class MentorshipViewSet(ListingViewSet):
    """Administrators assign a mentor (through progress.services.mentorship_assign) and end a
    mentorship by unticking "active" (mentorship_end); ended mentorships stay as history."""

    model = Mentorship
    menu_label = _("Mentorships")
    icon = "group"
    add_view_class = MentorshipAssignView
    edit_view_class = MentorshipEndView
    inspect_view_enabled = True
    copy_view_enabled = False
    list_display = [
        "mentor",
        "learner",
        tick_column(Mentorship, "is_active"),
        "created_at",
        "ended_at",
        "assigned_by",
    ]
    list_filter = ["is_active"]
    list_select_related = ("mentor", "learner", "assigned_by")
    ordering = "-pk"  # newest first, through the primary key's index
    sortable_fields = ("mentor", "learner", "assigned_by")
    search_fields = ["learner__username", "learner__full_name", "mentor__username", "mentor__full_name"]

    def get_form_class(self, for_update=False):
        return MentorshipEndForm if for_update else MentorshipAssignForm


class LearnerProgressViewSetGroup(ViewSetGroup):
    menu_label = _("Learner progress")
    menu_icon = "tasks"
    menu_order = 250
    items = (EnrolmentViewSet, LessonCompletionViewSet, QuizAttemptViewSet, MentorshipViewSet)


@hooks.register("register_admin_viewset")
def register_learner_progress_viewsets():
    return LearnerProgressViewSetGroup()


@hooks.register("register_admin_viewset")
def register_learner_chooser():
    return learner_chooser_viewset


@hooks.register("register_log_actions")
def register_progress_log_actions(actions):
    """The audit trail's actions (progress.audit), shown in Reports → Site history."""
    register_audit_actions(actions)
