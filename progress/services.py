"""Every change to a learner's state goes through here: validated, atomic, idempotent."""

import random

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import LessonPage, QuizPage, QuizQuestion
from courses.outline import course_of

from .models import Enrolment, LessonCompletion, QuizAnswer, QuizAttempt
from .selectors import course_progress_for_learner, percent_of


ITEM_NOT_AVAILABLE = _("This lesson is not available.")
QUIZ_NOT_AVAILABLE = _("This quiz is not available.")
MODULE_LOCKED = _("This module opens when you complete the previous one.")
ATTEMPT_LIMIT_REACHED = _("You have used all attempts at this quiz.")
ATTEMPT_ALREADY_SUBMITTED = _("This attempt has already been submitted.")
ANSWER_MISSING = _("Answer every question before submitting.")
ANSWER_INVALID = _("The answers do not match the questions of this quiz.")
ANSWER_ONE_ONLY = _("Choose exactly one answer for a single-choice question.")


class ProgressError(ValidationError):
    """A learner's request that cannot be carried out; its message is shown to them."""


def _live_course_of(page):
    course = course_of(page)
    if course is None or not course.live:
        return None
    return course


def _check_open(*, learner, page, not_available):
    """The item's course, after checking the item is live, in a live course, and not in a locked module."""
    if not page.live:
        raise ProgressError(not_available)
    course = _live_course_of(page)
    if course is None:
        raise ProgressError(not_available)
    progress = course_progress_for_learner(learner=learner, course=course)
    if progress.item(page) is None:
        raise ProgressError(not_available)
    if progress.is_locked(page):
        raise ProgressError(MODULE_LOCKED)
    return course, progress


def enrolment_start(*, learner, course):
    """Enrol the learner in the course once; a second call returns the same enrolment."""
    try:
        with transaction.atomic():
            enrolment, _created = Enrolment.objects.get_or_create(learner=learner, course=course)
    except IntegrityError:
        # A concurrent request enrolled first.
        enrolment = Enrolment.objects.get(learner=learner, course=course)
    return enrolment


def page_visit_record(*, learner, page, course):
    """Remember the last item the learner opened, so the dashboard can resume there."""
    visit = {"last_page": page, "last_seen_at": timezone.now()}
    # One UPDATE on every visit but the first, which enrols the learner.
    if not Enrolment.objects.filter(learner=learner, course=course).update(**visit):
        enrolment = enrolment_start(learner=learner, course=course)
        Enrolment.objects.filter(pk=enrolment.pk).update(**visit)


def _course_completion_update(*, learner, course):
    progress = course_progress_for_learner(learner=learner, course=course)
    if progress.is_complete:
        Enrolment.objects.filter(learner=learner, course=course, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )


def lesson_mark_complete(*, learner, lesson):
    """Mark a lesson done; again and again, or concurrently, it stays one record. Returns (completion, created)."""
    if not isinstance(lesson, LessonPage):
        raise ProgressError(ITEM_NOT_AVAILABLE)
    course, _progress = _check_open(learner=learner, page=lesson, not_available=ITEM_NOT_AVAILABLE)
    enrolment_start(learner=learner, course=course)
    try:
        with transaction.atomic():
            completion, created = LessonCompletion.objects.get_or_create(learner=learner, lesson=lesson)
    except IntegrityError:
        completion, created = LessonCompletion.objects.get(learner=learner, lesson=lesson), False
    if created:
        _course_completion_update(learner=learner, course=course)
    return completion, created


def _attempt_layout(quiz):
    questions = list(quiz.questions.prefetch_related("choices"))
    layout = [[question.pk, [choice.pk for choice in question.choices.all()]] for question in questions]
    if quiz.is_shuffled:
        shuffler = random.SystemRandom()
        shuffler.shuffle(layout)
        for _question_id, choice_ids in layout:
            shuffler.shuffle(choice_ids)
    return layout


def quiz_attempts_left(*, quiz, attempts_used):
    if not quiz.attempt_limit:
        return None
    return max(quiz.attempt_limit - attempts_used, 0)


@transaction.atomic
def quiz_attempt_start(*, learner, quiz):
    """Open an attempt, or return the one already open. Refused past the attempt limit."""
    if not isinstance(quiz, QuizPage):
        raise ProgressError(QUIZ_NOT_AVAILABLE)
    course, _progress = _check_open(learner=learner, page=quiz, not_available=QUIZ_NOT_AVAILABLE)
    enrolment_start(learner=learner, course=course)
    open_attempt = QuizAttempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    used = QuizAttempt.objects.filter(learner=learner, quiz=quiz).aggregate(last=Max("number"))["last"] or 0
    if quiz.attempt_limit and used >= quiz.attempt_limit:
        raise ProgressError(ATTEMPT_LIMIT_REACHED)
    try:
        with transaction.atomic():
            return QuizAttempt.objects.create(learner=learner, quiz=quiz, number=used + 1, layout=_attempt_layout(quiz))
    except IntegrityError:
        # A concurrent request opened one first: that is the open attempt.
        return QuizAttempt.objects.get(learner=learner, quiz=quiz, submitted_at__isnull=True)


def _choice_values(value):
    """One id or a list of ids, blanks dropped (an untouched radio group posts nothing or "")."""
    values = [value] if isinstance(value, str | int) else list(value)
    return [item for item in values if str(item).strip()]


def _parse_answers(*, attempt, answers):
    """{question_id: [choice ids]} checked against the attempt's own questions; raises ProgressError."""
    answers = {str(question_id): _choice_values(value) for question_id, value in answers.items()}
    questions = {
        question.pk: question
        for question in QuizQuestion.objects.filter(page_id=attempt.quiz_id).prefetch_related("choices")
    }
    chosen = {}
    for question_id, _choice_ids in attempt.layout:
        question = questions.get(question_id)
        if question is None:
            continue  # removed from the quiz since the attempt started
        raw = answers.get(str(question_id)) or []
        try:
            choice_ids = {int(value) for value in raw}
        except (TypeError, ValueError):
            raise ProgressError(ANSWER_INVALID) from None
        valid = {choice.pk for choice in question.choices.all()}
        if not choice_ids:
            raise ProgressError(ANSWER_MISSING)
        if not choice_ids <= valid:
            raise ProgressError(ANSWER_INVALID)
        if question.kind == QuizQuestion.Kind.SINGLE and len(choice_ids) != 1:
            raise ProgressError(ANSWER_ONE_ONLY)
        chosen[question_id] = choice_ids
    known = {str(question_id) for question_id, _choices in attempt.layout}
    if set(answers) - known:
        raise ProgressError(ANSWER_INVALID)
    return questions, chosen


def quiz_attempt_submit(*, learner, attempt_id, answers):
    """Score an open attempt on the server. `answers` maps question ids to lists of choice ids.

    Submitting twice, someone else's attempt, or answers that do not fit the quiz change nothing.
    """
    with transaction.atomic():
        attempt = (
            QuizAttempt.objects.select_for_update()
            .select_related("quiz")
            .filter(pk=attempt_id, learner=learner)
            .first()
        )
        if attempt is None:
            raise QuizAttempt.DoesNotExist
        if attempt.is_submitted:
            raise ProgressError(ATTEMPT_ALREADY_SUBMITTED)
        questions, chosen = _parse_answers(attempt=attempt, answers=answers)
        score = 0
        rows = []
        for question_id, choice_ids in chosen.items():
            question = questions[question_id]
            correct_ids = {choice.pk for choice in question.choices.all() if choice.is_correct}
            score += choice_ids == correct_ids
            rows.extend(
                QuizAnswer(
                    attempt=attempt,
                    question=question,
                    choice=choice,
                    question_text=question.text,
                    choice_text=choice.text,
                    is_correct=choice.is_correct,
                )
                for choice in question.choices.all()
                if choice.pk in choice_ids
            )
        QuizAnswer.objects.bulk_create(rows)
        attempt.score = score
        attempt.max_score = len(chosen)
        attempt.percent = percent_of(score, len(chosen))
        attempt.is_passed = attempt.percent >= attempt.quiz.pass_mark
        attempt.submitted_at = timezone.now()
        attempt.save(update_fields=["score", "max_score", "percent", "is_passed", "submitted_at"])
    if attempt.is_passed:
        course = _live_course_of(attempt.quiz)
        if course is not None:
            _course_completion_update(learner=learner, course=course)
    return attempt
