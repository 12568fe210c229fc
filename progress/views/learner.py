"""What a learner does on the site: the dashboard, marking lessons done, taking quizzes."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from courses.models import LessonPage, QuizPage
from courses.practices import case_studies_of_author

from ..models import QuizAttempt
from ..roles import landing_url
from ..selectors import (
    attempt_review,
    attempt_shows_answers,
    courses_progress_for_learner,
    item_availability,
    mentor_of,
    notes_for_learner,
    quiz_attempts_summary,
    recent_quiz_results,
)
from ..services import (
    ProgressError,
    lesson_mark_complete,
    mentor_notes_mark_read,
    quiz_attempt_start,
    quiz_attempt_submit,
)


def _wants_json(request):
    return "application/json" in request.headers.get("Accept", "")


def _go_to(request, url, *, error=None):
    """Where the learner goes next: a redirect for the plain form; for the page's script (it asks for
    JSON) the same address as JSON, which it opens, so the server renders that page and its message."""
    if _wants_json(request):
        return JsonResponse({"redirect_url": url, **({"error": error} if error else {})}, status=409 if error else 200)
    return redirect(url)


@never_cache
@require_GET
@login_required
def landing(request):
    """Where logging in leads: the page of the user's role."""
    return redirect(landing_url(request.user))


@never_cache
@require_GET
@login_required
def dashboard(request):
    progresses = courses_progress_for_learner(learner=request.user, request=request)
    notes = notes_for_learner(learner=request.user)
    unread_count = sum(1 for note in notes if note.read_at is None)
    response = TemplateResponse(
        request,
        "progress/dashboard.html",
        {
            "in_progress": [progress for progress in progresses if not progress.is_complete],
            "completed": [progress for progress in progresses if progress.is_complete],
            "recent_results": recent_quiz_results(learner=request.user),
            "mentorship": mentor_of(learner=request.user),
            "notes": notes,
            "unread_count": unread_count,
            "my_practices": case_studies_of_author(author=request.user),
        },
    )
    response.render()
    # Marked "new" on this visit, read from the next one on.
    if unread_count:
        mentor_notes_mark_read(learner=request.user)
    return response


@never_cache
@require_POST
@login_required
def lesson_complete(request, lesson_id):
    lesson = get_object_or_404(LessonPage, pk=lesson_id)
    try:
        _completion, created, progress = lesson_mark_complete(learner=request.user, lesson=lesson)
    except ProgressError as error:
        if _wants_json(request):
            return JsonResponse({"error": error.message}, status=409)
        messages.error(request, error.message)
        return redirect(lesson.get_url(request)) if lesson.live else redirect("progress:dashboard")
    # get_url(request): the sites' root paths the request holds, not another round trip to the cache.
    next_url = next_item.get_url(request) if (next_item := progress.next_item) else None
    redirect_url = next_url or lesson.get_url(request)
    # Both answers leave the same message: the page's script asks for JSON, then opens redirect_url,
    # and the learner sees the page the form's redirect shows without the script.
    messages.success(request, _("Lesson marked as done."))
    if _wants_json(request):
        return JsonResponse(
            {
                "done": True,
                "created": created,
                "percent": progress.percent,
                "done_count": progress.done,
                "required_count": progress.required,
                "next_url": next_url,
                "redirect_url": redirect_url,
            }
        )
    return redirect(redirect_url)


@never_cache
@require_POST
@login_required
def quiz_start(request, quiz_id):
    quiz = get_object_or_404(QuizPage, pk=quiz_id)
    if not quiz.live:
        raise Http404
    try:
        quiz_attempt_start(learner=request.user, quiz=quiz)
    except ProgressError as error:
        messages.error(request, error.message)
        return _go_to(request, f"{quiz.get_url(request)}#quiz", error=error.message)
    return _go_to(request, f"{quiz.get_url(request)}#quiz")


@never_cache
@require_POST
@login_required
def attempt_submit(request, attempt_id):
    # Another learner's attempt is a 404, as if it did not exist.
    attempt = get_object_or_404(QuizAttempt.objects.select_related("quiz"), pk=attempt_id, learner=request.user)
    answers = {
        key.removeprefix("question-"): request.POST.getlist(key) for key in request.POST if key.startswith("question-")
    }
    try:
        attempt = quiz_attempt_submit(learner=request.user, attempt_id=attempt.pk, answers=answers)
    except ProgressError as error:
        messages.error(request, error.message)
        back = f"{attempt.quiz.get_url(request)}#quiz" if attempt.quiz.live else reverse("progress:dashboard")
        return _go_to(request, back, error=error.message)
    return _go_to(request, reverse("progress:attempt", args=[attempt.pk]))


@never_cache
@require_GET
@login_required
def attempt_result(request, attempt_id):
    attempt = get_object_or_404(
        QuizAttempt.objects.select_related("quiz"), pk=attempt_id, learner=request.user, submitted_at__isnull=False
    )
    quiz = attempt.quiz
    return TemplateResponse(
        request,
        "progress/attempt_result.html",
        {
            "attempt": attempt,
            "quiz": quiz,
            "review": attempt_review(attempt=attempt),
            "show_answers": attempt_shows_answers(attempt=attempt),
            "summary": quiz_attempts_summary(learner=request.user, quiz=quiz),
            # A quiz since unpublished, moved or locked: the result stays readable, nothing links to it.
            "quiz_is_open": item_availability(learner=request.user, page=quiz).is_open,
        },
    )
