"""How templates of course pages ask for the learner's state (courses never imports progress)."""

from django import template
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from ..roles import is_mentor, reads_reports
from ..selectors import (
    attempt_layout_questions,
    course_progress_for_learner,
    notes_pinned_to_page,
    quiz_attempts_summary,
)


register = template.Library()


@register.simple_tag(takes_context=True)
def course_progress(context):
    """The signed-in learner's progress in the page's course, or None for a visitor."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return None
    progress = getattr(request, "learner_progress", None)
    if progress is None:
        outline = context.get("outline")
        course = context.get("course") or (outline.course if outline else None) or context.get("page")
        progress = course_progress_for_learner(learner=request.user, course=course, request=request)
        request.learner_progress = progress
    return progress


@register.simple_tag(takes_context=True)
def quiz_state(context):
    """What the quiz page shows the learner: the open attempt's questions, or how to start one."""
    request = context["request"]
    summary = quiz_attempts_summary(learner=request.user, quiz=context["page"])
    open_attempt = summary.open_attempt
    return {
        "summary": summary,
        "open_attempt": open_attempt,
        "questions": attempt_layout_questions(attempt=open_attempt, questions=context["questions"])
        if open_attempt
        else [],
        "submitted": summary.submitted,
        "last_result": summary.submitted[0] if summary.submitted else None,
        "is_passed": summary.is_passed,
        "attempts_left": summary.left,
        "can_start": summary.can_start,
    }


@register.inclusion_tag("tags/pinned_notes.html", takes_context=True)
def pinned_mentor_notes(context):
    """Mentor notes pinned to this lesson, or to an attempt at this quiz, for the signed-in learner."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"notes": []}
    progress = getattr(request, "learner_progress", None)
    noted_ids = progress.noted_ids if progress is not None else None
    return {"notes": notes_pinned_to_page(learner=request.user, page=context["page"], noted_ids=noted_ids)}


@register.simple_tag(takes_context=True)
def role_links(context):
    """The role pages the signed-in user may open, for the site header: [(url, label, is_current)]."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    links = []
    if is_mentor(request.user):
        links.append((reverse("mentor:mentees"), _("My mentees"), request.path.startswith(reverse("mentor:mentees"))))
    if reads_reports(request.user):
        links.append((reverse("reports:index"), _("Reports"), request.path.startswith(reverse("reports:index"))))
    if request.user.has_perm("wagtailadmin.access_admin"):
        links.append((reverse("wagtailadmin_home"), _("Administration"), False))
    return links
