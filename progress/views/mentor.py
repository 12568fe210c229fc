"""What a mentor sees and does: the mentees table, one mentee in detail, notes, extra attempts.

Every view starts from the signed-in mentor's own mentees, so a learner who is not theirs, or an
id that does not exist, is a 404 and shows nothing."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ..forms import ExtraAttemptForm, MentorNoteForm
from ..roles import is_mentor, role_required
from ..selectors import (
    MenteeStatus,
    mentee_detail,
    mentee_rows,
    mentee_rows_filtered,
    mentees_of,
    most_missed_questions,
)
from ..selectors.mentor import MENTEE_SORTS
from ..services import ProgressError, extra_attempt_grant, mentor_note_add


# A mentor has up to about 200 mentees: a page of them stays light on a phone.
MENTEES_PER_PAGE = 50
QUIZ_NOT_FOUND = gettext_lazy("This quiz is not one of the learner's.")
SORT_OPTIONS = [
    ("attention", gettext_lazy("Needs attention first")),
    ("name", gettext_lazy("Name")),
    ("progress", gettext_lazy("Lowest progress first")),
    ("activity", gettext_lazy("Longest inactive first")),
]


mentor_required = role_required(is_mentor)


@never_cache
@require_GET
@mentor_required
def mentees(request):
    rows = mentee_rows(mentor=request.user)
    status = request.GET.get("status", "")
    query = request.GET.get("q", "")[:100]
    sort = request.GET.get("sort", "attention")
    sort = sort if sort in MENTEE_SORTS else "attention"
    counts = {key: sum(1 for row in rows if row.status == key) for key in MenteeStatus.ORDER}
    return TemplateResponse(
        request,
        "progress/mentor/mentees.html",
        {
            "rows": Paginator(
                mentee_rows_filtered(rows, status=status, query=query, sort=sort), MENTEES_PER_PAGE
            ).get_page(request.GET.get("page")),
            "total": len(rows),
            "attention_count": sum(1 for row in rows if row.needs_attention),
            "status_choices": [(key, MenteeStatus.LABELS[key], counts[key]) for key in MenteeStatus.ORDER],
            "status": status,
            "query": query,
            "sort": sort,
            "sort_options": SORT_OPTIONS,
            "missed_questions": most_missed_questions(learners=mentees_of(mentor=request.user)) if rows else [],
        },
    )


def _detail_or_404(request, learner_id):
    detail = mentee_detail(mentor=request.user, learner_id=learner_id)
    if detail is None:
        raise Http404
    return detail


def _note_form(detail, data=None):
    lessons = [item for progress in detail.courses for item in progress.outline.items if item.item_kind == "lesson"]
    return MentorNoteForm(data, lessons=lessons, attempts=detail.attempts)


def _render_detail(request, detail, note_form=None, status=200):
    return TemplateResponse(
        request,
        "progress/mentor/mentee.html",
        {
            "detail": detail,
            "learner": detail.learner,
            "note_form": note_form or _note_form(detail),
            "grant_forms": [
                (quiz, ExtraAttemptForm(initial={"quiz": quiz.pk}), detail.attempts_used.get(quiz.pk, 0))
                for quiz in detail.grantable_quizzes
            ],
        },
        status=status,
    )


@never_cache
@require_GET
@mentor_required
def mentee_detail_view(request, learner_id):
    return _render_detail(request, _detail_or_404(request, learner_id))


@never_cache
@require_POST
@mentor_required
def mentee_note_add(request, learner_id):
    detail = _detail_or_404(request, learner_id)
    form = _note_form(detail, request.POST)
    if form.is_valid():
        lesson, attempt = form.pinned_to()
        try:
            mentor_note_add(
                mentor=request.user,
                learner=detail.learner,
                text=form.cleaned_data["text"],
                lesson=lesson,
                attempt=attempt,
            )
        except ProgressError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your note has been sent."))
            return redirect("mentor:mentee", learner_id=detail.learner.pk)
    return _render_detail(request, detail, note_form=form, status=400)


@never_cache
@require_POST
@mentor_required
def mentee_extra_attempt(request, learner_id):
    detail = _detail_or_404(request, learner_id)
    form = ExtraAttemptForm(request.POST)
    quizzes = {
        item.pk: item for progress in detail.courses for item in progress.outline.items if item.item_kind == "quiz"
    }
    quiz = quizzes.get(form.cleaned_data["quiz"]) if form.is_valid() else None
    if not form.is_valid():
        messages.error(request, " ".join(error for errors in form.errors.values() for error in errors))
    elif quiz is None:
        messages.error(request, QUIZ_NOT_FOUND)
    else:
        try:
            extra_attempt_grant(
                mentor=request.user, learner=detail.learner, quiz=quiz, comment=form.cleaned_data["comment"]
            )
        except ProgressError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("%(learner)s can take “%(quiz)s” once more; they will see your note.")
                % {"learner": detail.learner, "quiz": quiz.title},
            )
    return redirect("mentor:mentee", learner_id=detail.learner.pk)
