"""progress.services: every change to a learner's state is validated, atomic and idempotent."""

from types import SimpleNamespace

import pytest

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from courses.factories import QuizChoiceFactory, QuizPageFactory, QuizQuestionFactory, quiz_with_questions
from courses.models import QuizChoice, QuizQuestion
from progress import services
from progress.models import Enrolment, LessonCompletion, QuizAnswer, QuizAttempt
from progress.services import (
    ANSWER_INVALID,
    ANSWER_MISSING,
    ANSWER_ONE_ONLY,
    ATTEMPT_ALREADY_SUBMITTED,
    ATTEMPT_LIMIT_REACHED,
    ITEM_NOT_AVAILABLE,
    MODULE_LOCKED,
    QUIZ_NOT_AVAILABLE,
    ProgressError,
)


pytestmark = pytest.mark.django_db


@pytest.fixture
def multiple_choice(course_tree):
    """A quiz of one multiple-choice question with two right choices and one wrong one."""
    quiz = QuizPageFactory(parent=course_tree.module_two, title="Несколько ответов", slug="many", pass_mark=100)
    question = QuizQuestionFactory(page=quiz, kind=QuizQuestion.Kind.MULTIPLE)
    return SimpleNamespace(
        quiz=quiz,
        question=question,
        right_a=QuizChoiceFactory(question=question, is_correct=True),
        right_b=QuizChoiceFactory(question=question, is_correct=True),
        wrong=QuizChoiceFactory(question=question, is_correct=False),
    )


def answers_for(quiz, *, correct=None):
    """Form-shaped answers: the first `correct` questions (all by default) right, the others wrong."""
    answers = {}
    for position, question in enumerate(quiz.questions.prefetch_related("choices")):
        choices = list(question.choices.all())
        is_right = correct is None or position < correct
        picked = [choice for choice in choices if choice.is_correct == is_right]
        answers[str(question.pk)] = [str(choice.pk) for choice in (picked if is_right else picked[:1])]
    return answers


def submit(learner, quiz, *, correct=None):
    attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
    return services.quiz_attempt_submit(
        learner=learner, attempt_id=attempt.pk, answers=answers_for(quiz, correct=correct)
    )


def attempt_state(attempt):
    """What a refused submission must leave alone: the stored attempt and its answer rows."""
    stored = QuizAttempt.objects.get(pk=attempt.pk)
    return (
        stored.submitted_at,
        stored.score,
        stored.max_score,
        stored.percent,
        stored.is_passed,
        QuizAnswer.objects.filter(attempt=stored).count(),
    )


def row_counts():
    return (
        Enrolment.objects.count(),
        LessonCompletion.objects.count(),
        QuizAttempt.objects.count(),
        QuizAnswer.objects.count(),
    )


class LessonCompletionTests:
    def test_second_completion_returns_the_same_row(self, course_tree, learner):
        """Completing a lesson twice keeps one LessonCompletion and reports created=False the second time."""
        first, first_created, _ = services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        second, second_created, _ = services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        assert first_created is True
        assert second_created is False
        assert second.pk == first.pk
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_completion_already_recorded_by_another_request_is_reused(self, course_tree, learner):
        """If a concurrent request stored the completion first, the service returns that row and adds none."""
        earlier = LessonCompletion.objects.create(learner=learner, lesson=course_tree.lesson_one)
        completion, created, _progress = services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        assert created is False
        assert completion.pk == earlier.pk
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_database_refuses_a_second_completion_row(self, course_tree, learner):
        """The unique constraint stops a second row for the same learner and lesson, whatever the code path."""
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        with pytest.raises(IntegrityError), transaction.atomic():
            LessonCompletion.objects.create(learner=learner, lesson=course_tree.lesson_one)
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_completions_enrol_the_learner_once(self, course_tree, learner):
        """Completing several lessons of a course makes exactly one enrolment in it."""
        for lesson in (course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three):
            services.lesson_mark_complete(learner=learner, lesson=lesson)
        assert list(Enrolment.objects.filter(learner=learner).values_list("course_id", flat=True)) == [
            course_tree.course.pk
        ]

    def test_unpublished_lesson_is_refused_and_nothing_is_created(self, course_tree, learner):
        """An unpublished lesson cannot be completed: ITEM_NOT_AVAILABLE, no completion, no enrolment."""
        course_tree.lesson_two.unpublish()
        before = row_counts()
        with pytest.raises(ProgressError) as error:
            services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_two)
        assert error.value.message == ITEM_NOT_AVAILABLE
        assert row_counts() == before

    def test_lesson_of_an_unpublished_module_is_refused(self, course_tree, learner):
        """A live lesson under an unpublished module is out of the course: ITEM_NOT_AVAILABLE, nothing created."""
        course_tree.module_two.unpublish()
        before = row_counts()
        with pytest.raises(ProgressError) as error:
            services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_three)
        assert error.value.message == ITEM_NOT_AVAILABLE
        assert row_counts() == before

    def test_lesson_of_a_locked_module_is_refused_and_nothing_is_created(self, sequential, learner):
        """In a course taken in order, a lesson of a locked module raises MODULE_LOCKED and stores nothing."""
        before = row_counts()
        with pytest.raises(ProgressError) as error:
            services.lesson_mark_complete(learner=learner, lesson=sequential.lesson_three)
        assert error.value.message == MODULE_LOCKED
        assert row_counts() == before

    def test_completion_survives_unpublishing_the_lesson(self, course_tree, learner):
        """Unpublishing a completed lesson keeps the learner's LessonCompletion row."""
        completion, _created, _progress = services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        course_tree.lesson_one.unpublish()
        assert LessonCompletion.objects.filter(pk=completion.pk, learner=learner).exists()

    def test_completed_lesson_cannot_be_deleted(self, course_tree, learner):
        """A lesson someone completed is protected from deletion, so the history cannot vanish."""
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        with pytest.raises(ProtectedError), transaction.atomic():
            course_tree.lesson_one.delete()
        assert LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_one).exists()


class EnrolmentTests:
    def test_enrolment_start_is_idempotent(self, course_tree, learner):
        """Starting a course twice returns the same enrolment."""
        first = services.enrolment_start(learner=learner, course=course_tree.course)
        second = services.enrolment_start(learner=learner, course=course_tree.course)
        assert second.pk == first.pk
        assert Enrolment.objects.filter(learner=learner).count() == 1

    def test_course_completion_is_stamped_when_the_last_required_item_is_done(self, course_tree, learner):
        """Enrolment.completed_at stays empty until the course reaches 100%, then it is set."""
        for lesson in (course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three):
            services.lesson_mark_complete(learner=learner, lesson=lesson)
        assert Enrolment.objects.get(learner=learner).completed_at is None
        submit(learner, course_tree.quiz)
        assert Enrolment.objects.get(learner=learner).completed_at is not None

    def test_course_completion_is_stamped_by_the_last_lesson(self, course_tree, learner):
        """When the quiz is passed first, the last lesson completed stamps the course as complete."""
        submit(learner, course_tree.quiz)
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_two)
        assert Enrolment.objects.get(learner=learner).completed_at is None
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_three)
        assert Enrolment.objects.get(learner=learner).completed_at is not None


class QuizAttemptStartTests:
    def test_starting_twice_returns_the_open_attempt(self, course_tree, learner):
        """While an attempt is open, starting again returns it instead of opening another."""
        first = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        second = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        assert second.pk == first.pk
        assert QuizAttempt.objects.filter(learner=learner).count() == 1
        assert first.number == 1

    def test_attempt_past_the_limit_is_refused(self, course_tree, learner):
        """Once the limit of submitted attempts is used, starting raises ATTEMPT_LIMIT_REACHED and adds nothing."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 2
        quiz.save()
        submit(learner, quiz, correct=0)
        submit(learner, quiz, correct=0)
        before = row_counts()
        with pytest.raises(ProgressError) as error:
            services.quiz_attempt_start(learner=learner, quiz=quiz)
        assert error.value.message == ATTEMPT_LIMIT_REACHED
        assert row_counts() == before
        assert QuizAttempt.objects.filter(learner=learner, quiz=quiz).count() == 2

    def test_attempt_limit_zero_means_unlimited(self, course_tree, learner):
        """With attempt_limit 0 a learner may keep trying, well past the default limit of three."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 0
        quiz.save()
        for _attempt in range(5):
            submit(learner, quiz, correct=0)
        assert list(
            QuizAttempt.objects.filter(learner=learner).order_by("number").values_list("number", flat=True)
        ) == [
            1,
            2,
            3,
            4,
            5,
        ]

    def test_limit_is_per_learner(self, course_tree, learner, other_learner):
        """One learner using up their attempts leaves another learner's attempts untouched."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 1
        quiz.save()
        submit(learner, quiz, correct=0)
        attempt = services.quiz_attempt_start(learner=other_learner, quiz=quiz)
        assert attempt.number == 1

    def test_unpublished_quiz_is_refused(self, course_tree, learner):
        """An unpublished quiz cannot be started: QUIZ_NOT_AVAILABLE, nothing created."""
        course_tree.quiz.unpublish()
        before = row_counts()
        with pytest.raises(ProgressError) as error:
            services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        assert error.value.message == QUIZ_NOT_AVAILABLE
        assert row_counts() == before

    def test_unshuffled_layout_follows_the_editor_order(self, course_tree, learner):
        """Without shuffling, the attempt shows questions and choices in the order the editor set."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        expected = [
            [question.pk, [choice.pk for choice in question.choices.all()]]
            for question in course_tree.quiz.questions.prefetch_related("choices")
        ]
        assert attempt.layout == expected

    def test_shuffled_layout_is_a_permutation_of_questions_and_choices(self, course_tree, learner):
        """A shuffled quiz lays out exactly its own questions, each with exactly its own choices."""
        quiz = course_tree.quiz
        quiz.is_shuffled = True
        quiz.save()
        attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
        choices_of = {
            question.pk: sorted(choice.pk for choice in question.choices.all())
            for question in quiz.questions.prefetch_related("choices")
        }
        assert sorted(question_id for question_id, _choices in attempt.layout) == sorted(choices_of)
        for question_id, choice_ids in attempt.layout:
            assert sorted(choice_ids) == choices_of[question_id]


class QuizScoringTests:
    def test_all_correct_scores_100_and_passes(self, course_tree, learner):
        """Every question answered right scores 5 of 5, 100%, passed."""
        attempt = submit(learner, course_tree.quiz)
        assert (attempt.score, attempt.max_score, attempt.percent, attempt.is_passed) == (5, 5, 100, True)
        assert attempt.submitted_at is not None

    def test_all_wrong_scores_0_and_fails(self, course_tree, learner):
        """Every question answered wrong scores 0%, not passed."""
        attempt = submit(learner, course_tree.quiz, correct=0)
        assert (attempt.score, attempt.percent, attempt.is_passed) == (0, 0, False)

    @pytest.mark.parametrize(("correct", "percent", "is_passed"), [(3, 60, True), (2, 40, False)])
    def test_pass_mark_is_inclusive(self, course_tree, learner, correct, percent, is_passed):
        """With pass mark 60, 3 of 5 (60%) passes and 2 of 5 (40%) does not."""
        quiz = course_tree.quiz
        quiz.pass_mark = 60
        quiz.save()
        attempt = submit(learner, quiz, correct=correct)
        assert (attempt.score, attempt.percent, attempt.is_passed) == (correct, percent, is_passed)

    @pytest.mark.parametrize(
        ("picked", "score"),
        [
            (("right_a", "right_b"), 1),
            (("right_a",), 0),
            (("right_a", "right_b", "wrong"), 0),
            (("wrong",), 0),
        ],
    )
    def test_multiple_choice_is_right_only_for_exactly_the_correct_set(self, multiple_choice, learner, picked, score):
        """A multiple-choice question scores only when the chosen set equals the set of correct choices."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=multiple_choice.quiz)
        answers = {str(multiple_choice.question.pk): [str(getattr(multiple_choice, name).pk) for name in picked]}
        attempt = services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)
        assert attempt.score == score
        assert attempt.is_passed is bool(score)
        assert QuizAnswer.objects.filter(attempt=attempt).count() == len(picked)

    def test_answers_keep_their_texts_after_the_quiz_is_edited(self, course_tree, learner):
        """QuizAnswer rows keep the question text, choice text and correctness they had when answered."""
        attempt = submit(learner, course_tree.quiz, correct=1)
        question = course_tree.quiz.questions.first()
        right = question.choices.get(is_correct=True)
        original = (question.text, right.text)
        QuizQuestion.objects.filter(pk=question.pk).update(text="Переписанный вопрос?")
        QuizChoice.objects.filter(pk=right.pk).update(text="Переписанный ответ", is_correct=False)
        answer = QuizAnswer.objects.get(attempt=attempt, question=question)
        assert (answer.question_text, answer.choice_text, answer.is_correct) == (*original, True)
        assert answer.choice_id == right.pk
        wrong_answers = QuizAnswer.objects.filter(attempt=attempt).exclude(question=question)
        assert wrong_answers.count() == 4
        assert not wrong_answers.filter(is_correct=True).exists()


class QuizSubmitRefusalTests:
    def test_second_submission_is_refused_and_changes_nothing(self, course_tree, learner):
        """Submitting an already submitted attempt raises ATTEMPT_ALREADY_SUBMITTED and leaves it as it was."""
        attempt = submit(learner, course_tree.quiz, correct=0)
        before = attempt_state(attempt)
        with pytest.raises(ProgressError) as error:
            services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers_for(course_tree.quiz))
        assert error.value.message == ATTEMPT_ALREADY_SUBMITTED
        assert attempt_state(attempt) == before

    def test_choice_of_another_question_is_refused(self, course_tree, learner):
        """A choice id belonging to another question of the same quiz is ANSWER_INVALID; the attempt stays open."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz)
        first_id, second_id = list(answers)[:2]
        answers[first_id] = answers[second_id]
        self.assert_refused(attempt, answers, ANSWER_INVALID)

    def test_choice_of_another_quiz_is_refused(self, course_tree, learner):
        """A choice id from another quiz is ANSWER_INVALID and nothing is saved."""
        other_quiz = quiz_with_questions(parent=course_tree.module_two, title="Другой тест", slug="other", questions=1)
        foreign = QuizChoice.objects.filter(question__page=other_quiz, is_correct=True).get()
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz)
        answers[next(iter(answers))] = [str(foreign.pk)]
        self.assert_refused(attempt, answers, ANSWER_INVALID)

    def test_missing_answer_is_refused(self, course_tree, learner):
        """Leaving a question unanswered is ANSWER_MISSING and nothing is saved."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz)
        del answers[list(answers)[-1]]
        self.assert_refused(attempt, answers, ANSWER_MISSING)

    def test_empty_answers_are_refused(self, course_tree, learner):
        """Submitting no answers at all is ANSWER_MISSING and nothing is saved."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        self.assert_refused(attempt, {}, ANSWER_MISSING)

    def test_non_integer_choice_id_is_refused(self, course_tree, learner):
        """A choice id that is not a number is ANSWER_INVALID and nothing is saved."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz)
        answers[next(iter(answers))] = ["один"]
        self.assert_refused(attempt, answers, ANSWER_INVALID)

    def test_unknown_question_id_is_refused(self, course_tree, learner):
        """An answer to a question the attempt does not have is ANSWER_INVALID and nothing is saved."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = {**answers_for(course_tree.quiz), "999999": ["1"]}
        self.assert_refused(attempt, answers, ANSWER_INVALID)

    def test_two_choices_for_a_single_choice_question_are_refused(self, course_tree, learner):
        """Two choices for a single-choice question is ANSWER_ONE_ONLY and nothing is saved."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz)
        question = course_tree.quiz.questions.first()
        answers[str(question.pk)] = [str(pk) for pk in question.choices.values_list("pk", flat=True)[:2]]
        self.assert_refused(attempt, answers, ANSWER_ONE_ONLY)

    def test_another_learners_attempt_does_not_exist(self, course_tree, learner, other_learner):
        """Submitting someone else's attempt raises QuizAttempt.DoesNotExist and changes nothing."""
        attempt = services.quiz_attempt_start(learner=other_learner, quiz=course_tree.quiz)
        before = attempt_state(attempt)
        with pytest.raises(QuizAttempt.DoesNotExist):
            services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers_for(course_tree.quiz))
        assert attempt_state(attempt) == before

    @staticmethod
    def assert_refused(attempt, answers, message):
        before = attempt_state(attempt)
        with pytest.raises(ProgressError) as error:
            services.quiz_attempt_submit(learner=attempt.learner, attempt_id=attempt.pk, answers=answers)
        assert error.value.message == message
        assert attempt_state(attempt) == before
        assert before[0] is None  # still open: the learner can correct the answers and submit
