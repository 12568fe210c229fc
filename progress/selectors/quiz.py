"""Quiz results as they were: every result page, the mentor's view and the attempts counts read
from here. A submitted attempt is shown from its own snapshot (what was asked, answered and scored
then), never from today's quiz, so editing a quiz cannot change anyone's result."""

from collections import defaultdict
from dataclasses import dataclass, field

from courses.models import LessonPage

from ..models import QuizAnswer, QuizAttempt
from .course import attempts_left, quiz_attempt_allowance


@dataclass
class ChoiceReview:
    text: str
    is_correct: bool
    is_chosen: bool


@dataclass
class QuestionReview:
    text: str
    is_correct: bool
    choices: list[ChoiceReview]
    explanation: str = ""
    review_lesson_id: int | None = None
    # Filled by attempt_reviews when the lesson is live: where a learner who missed it can review.
    review_lesson: object = None

    @property
    def chosen(self):
        return [choice for choice in self.choices if choice.is_chosen]


@dataclass
class AttemptReview:
    attempt: QuizAttempt
    questions: list[QuestionReview] = field(default_factory=list)

    @property
    def missed(self):
        return [question for question in self.questions if not question.is_correct]


def _from_snapshot(snapshot):
    return [
        QuestionReview(
            text=question["text"],
            is_correct=question["is_correct"],
            choices=[
                ChoiceReview(choice["text"], choice["is_correct"], choice["is_chosen"])
                for choice in question["choices"]
            ],
            explanation=question.get("explanation", ""),
            review_lesson_id=question.get("review_lesson"),
        )
        for question in snapshot
    ]


def _from_answer_rows(attempt, answers):
    """Attempts scored before snapshots were kept: their answer rows hold the chosen choices only."""
    position = {question_id: index for index, (question_id, _choices) in enumerate(attempt.layout)}
    by_question = {}
    for answer in sorted(answers, key=lambda row: (position.get(row.question_id, len(position)), row.pk)):
        by_question.setdefault((answer.question_id, answer.question_text), []).append(answer)
    questions = []
    for (_question_id, text), rows in by_question.items():
        marks = {row.is_question_correct for row in rows}
        is_correct = marks == {True} if None not in marks else all(row.is_correct for row in rows)
        choices = [ChoiceReview(row.choice_text, row.is_correct, True) for row in rows]
        questions.append(QuestionReview(text=text, is_correct=is_correct, choices=choices))
    return questions


def attempt_reviews(*, attempts):
    """Each submitted attempt with its questions as answered: 2 queries at most, for any number of
    attempts (answer rows for old attempts without a snapshot, and the live review lessons)."""
    attempts = [attempt for attempt in attempts if attempt.is_submitted]
    without_snapshot = [attempt for attempt in attempts if not attempt.snapshot]
    answers_of = defaultdict(list)
    if without_snapshot:
        for answer in QuizAnswer.objects.filter(attempt__in=without_snapshot):
            answers_of[answer.attempt_id].append(answer)
    reviews = [
        AttemptReview(
            attempt=attempt,
            questions=_from_snapshot(attempt.snapshot)
            if attempt.snapshot
            else _from_answer_rows(attempt, answers_of[attempt.pk]),
        )
        for attempt in attempts
    ]
    lesson_ids = {question.review_lesson_id for review in reviews for question in review.missed}
    lesson_ids.discard(None)
    if lesson_ids:
        lessons = LessonPage.objects.live().defer_streamfields().in_bulk(lesson_ids)
        for review in reviews:
            for question in review.missed:
                question.review_lesson = lessons.get(question.review_lesson_id)
    return reviews


def attempt_review(*, attempt):
    return attempt_reviews(attempts=[attempt])[0]


@dataclass
class QuizAttemptsSummary:
    """A learner's attempts at one quiz, counted the one way every page shows them: an attempt is
    used once it is started; an open one is resumed, never replaced by a new one."""

    attempts: list  # newest first
    allowance: int | None  # None: no limit

    @property
    def open_attempt(self):
        return next((attempt for attempt in self.attempts if not attempt.is_submitted), None)

    @property
    def submitted(self):
        return [attempt for attempt in self.attempts if attempt.is_submitted]

    @property
    def used(self):
        return len(self.attempts)

    @property
    def left(self):
        return attempts_left(allowance=self.allowance, attempts_used=self.used)

    @property
    def is_passed(self):
        return any(attempt.is_passed for attempt in self.attempts)

    @property
    def can_start(self):
        """A new attempt may be started (an open one is resumed instead)."""
        return self.open_attempt is None and self.left != 0


def quiz_attempts_summary(*, learner, quiz):
    """The learner's attempts at the quiz and what is left: 2 queries (1 for a quiz without a limit).
    Counting needs no snapshot: each holds every question and choice as answered, and decoding them
    would cost the quiz page more than the rest of it (results read snapshots with attempt_reviews)."""
    attempts = list(
        QuizAttempt.objects.filter(learner_id=learner.pk, quiz_id=quiz.pk).defer("snapshot").order_by("-number")
    )
    return QuizAttemptsSummary(attempts=attempts, allowance=quiz_attempt_allowance(learner=learner, quiz=quiz))
