"""Quiz attempts: opened, then submitted once and scored on the server."""

import random

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import QuizPage, QuizQuestion

from ..models import QuizAnswer, QuizAttempt
from ..selectors import attempts_left, course_progress_for_learner, percent_of, quiz_attempt_allowance
from .completion import ProgressError, _check_open, course_completion_record, enrolment_start


QUIZ_NOT_AVAILABLE = _("This quiz is not available.")
ATTEMPT_LIMIT_REACHED = _("You have used all attempts at this quiz.")
ATTEMPT_ALREADY_SUBMITTED = _("This attempt has already been submitted.")
ANSWER_MISSING = _("Answer every question before submitting.")
ANSWER_INVALID = _("The answers do not match the questions of this quiz.")
ANSWER_ONE_ONLY = _("Choose exactly one answer for a single-choice question.")


def _attempt_layout(quiz):
    questions = list(quiz.questions.prefetch_related("choices"))
    layout = [[question.pk, [choice.pk for choice in question.choices.all()]] for question in questions]
    if quiz.is_shuffled:
        shuffler = random.SystemRandom()
        shuffler.shuffle(layout)
        for _question_id, choice_ids in layout:
            shuffler.shuffle(choice_ids)
    return layout


@transaction.atomic
def quiz_attempt_start(*, learner, quiz):
    """Open an attempt, or return the one already open. Refused past the attempt limit."""
    if not isinstance(quiz, QuizPage):
        raise ProgressError(QUIZ_NOT_AVAILABLE)
    course, _progress = _check_open(learner=learner, page=quiz, not_available=QUIZ_NOT_AVAILABLE)
    enrolment_start(learner=learner, course=course)
    # Attempts used first, then the open one: an attempt a concurrent start opens in between is then
    # found open, rather than counted as used up.
    used = QuizAttempt.objects.filter(learner=learner, quiz=quiz).aggregate(last=Max("number"))["last"] or 0
    open_attempt = QuizAttempt.objects.filter(learner=learner, quiz=quiz, submitted_at__isnull=True).first()
    if open_attempt is not None:
        return open_attempt
    if attempts_left(allowance=quiz_attempt_allowance(learner=learner, quiz=quiz), attempts_used=used) == 0:
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


def _question_snapshot(question, shown_choice_ids, chosen_ids, is_correct):
    """One question as it was asked and answered, with its key at the time of scoring."""
    choices = {choice.pk: choice for choice in question.choices.all()}
    # Choices in the order the attempt showed them; any added since the attempt started come last.
    order = [pk for pk in shown_choice_ids if pk in choices] + [pk for pk in choices if pk not in shown_choice_ids]
    return {
        "question": question.pk,
        "text": question.text,
        "kind": question.kind,
        "explanation": question.explanation,
        "review_lesson": question.review_lesson_id,
        "is_correct": is_correct,
        "choices": [
            {
                "id": pk,
                "text": choices[pk].text,
                "is_correct": choices[pk].is_correct,
                "is_chosen": pk in chosen_ids,
            }
            for pk in order
        ],
    }


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
        # A quiz unpublished, moved out of its course or in a module now locked takes no answers.
        course, _progress = _check_open(learner=learner, page=attempt.quiz, not_available=QUIZ_NOT_AVAILABLE)
        questions, chosen = _parse_answers(attempt=attempt, answers=answers)
        choice_order = dict(attempt.layout)
        score = 0
        rows = []
        snapshot = []
        for question_id, choice_ids in chosen.items():
            question = questions[question_id]
            correct_ids = {choice.pk for choice in question.choices.all() if choice.is_correct}
            is_question_correct = choice_ids == correct_ids
            score += is_question_correct
            rows.extend(
                QuizAnswer(
                    attempt=attempt,
                    question=question,
                    choice=choice,
                    question_text=question.text,
                    choice_text=choice.text,
                    is_correct=choice.is_correct,
                    is_question_correct=is_question_correct,
                )
                for choice in question.choices.all()
                if choice.pk in choice_ids
            )
            snapshot.append(_question_snapshot(question, choice_order[question_id], choice_ids, is_question_correct))
        QuizAnswer.objects.bulk_create(rows)
        attempt.snapshot = snapshot
        attempt.score = score
        attempt.max_score = len(chosen)
        attempt.percent = percent_of(score, len(chosen))
        attempt.is_passed = attempt.percent >= attempt.quiz.pass_mark
        attempt.submitted_at = timezone.now()
        attempt.save(update_fields=["snapshot", "score", "max_score", "percent", "is_passed", "submitted_at"])
    if attempt.is_passed:
        # Read after the commit: of two last items done at the same moment, the later one sees both.
        progress = course_progress_for_learner(learner=learner, course=course)
        course_completion_record(learner=learner, course=course, progress=progress)
    return attempt
