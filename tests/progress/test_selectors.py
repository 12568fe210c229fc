"""progress.selectors: percentages, next item and locking follow the live tree, at a constant query cost."""

import pytest

from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.factories import CoursePageFactory, LessonPageFactory, ModulePageFactory
from progress import services
from progress.selectors import course_progress_for_learner, courses_progress_for_learner
from school.factories import UserFactory


pytestmark = pytest.mark.django_db


def complete(learner, *lessons):
    for lesson in lessons:
        services.lesson_mark_complete(learner=learner, lesson=lesson)


def take_quiz(learner, quiz, *, passing=True):
    """Start and submit an attempt with every answer right (or every answer wrong)."""
    attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {
        str(question.pk): [str(next(choice.pk for choice in question.choices.all() if choice.is_correct is passing))]
        for question in quiz.questions.prefetch_related("choices")
    }
    return services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


def progress_of(learner, course_tree):
    return course_progress_for_learner(learner=learner, course=course_tree.course)


class CoursePercentTests:
    def test_percent_is_done_required_items_over_required_items(self, course_tree, learner):
        """One of the four required items (three lessons and a quiz) done is 25%."""
        complete(learner, course_tree.lesson_one)
        progress = progress_of(learner, course_tree)
        assert (progress.done, progress.required, progress.percent) == (1, 4, 25)
        assert progress.is_complete is False

    def test_nothing_done_is_zero(self, course_tree, learner):
        """A learner who did nothing is at 0%, with nothing done."""
        progress = progress_of(learner, course_tree)
        assert (progress.done, progress.required, progress.percent) == (0, 4, 0)

    def test_anonymous_visitor_has_nothing_done(self, course_tree):
        """A visitor's progress is the live outline with nothing done."""
        progress = course_progress_for_learner(learner=AnonymousUser(), course=course_tree.course)
        assert (progress.done, progress.required, progress.percent) == (0, 4, 0)

    def test_unpublished_completed_lesson_leaves_the_denominator(self, course_tree, learner):
        """After a completed lesson is unpublished, the percentage is computed over the live tree only."""
        complete(learner, course_tree.lesson_one, course_tree.lesson_two)
        course_tree.lesson_two.unpublish()
        progress = progress_of(learner, course_tree)
        assert (progress.done, progress.required, progress.percent) == (1, 3, 33)
        assert progress.item(course_tree.lesson_two) is None

    def test_republished_lesson_counts_as_done_again(self, course_tree, learner):
        """The completion row outlives unpublishing, so republishing the lesson brings it back as done."""
        complete(learner, course_tree.lesson_one)
        course_tree.lesson_one.unpublish()
        course_tree.lesson_one.save_revision().publish()
        progress = progress_of(learner, course_tree)
        assert progress.item(course_tree.lesson_one).is_done is True
        assert progress.percent == 25

    def test_optional_lesson_does_not_count(self, course_tree, learner):
        """A lesson with is_required False is neither in the denominator nor in the done count."""
        lesson = course_tree.lesson_two
        lesson.is_required = False
        lesson.save()
        complete(learner, lesson)
        progress = progress_of(learner, course_tree)
        assert (progress.done, progress.required, progress.percent) == (0, 3, 0)
        assert progress.item(lesson).is_done is True

    def test_passed_quiz_counts_as_done(self, course_tree, learner):
        """A passed attempt makes the quiz a done item."""
        take_quiz(learner, course_tree.quiz)
        progress = progress_of(learner, course_tree)
        assert progress.item(course_tree.quiz).is_done is True
        assert progress.percent == 25

    def test_failed_quiz_does_not_count(self, course_tree, learner):
        """A submitted but failed attempt leaves the quiz not done."""
        take_quiz(learner, course_tree.quiz, passing=False)
        progress = progress_of(learner, course_tree)
        assert progress.item(course_tree.quiz).is_done is False
        assert progress.percent == 0

    def test_everything_done_is_complete(self, course_tree, learner):
        """Every required item done is 100% and complete."""
        complete(learner, course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three)
        take_quiz(learner, course_tree.quiz)
        progress = progress_of(learner, course_tree)
        assert (progress.percent, progress.is_complete) == (100, True)

    def test_another_learners_progress_is_not_counted(self, course_tree, learner):
        """Only the learner's own completions count."""
        complete(UserFactory(username="someone-else"), course_tree.lesson_one)
        assert progress_of(learner, course_tree).percent == 0


class NextItemTests:
    def test_next_item_is_the_first_item_for_a_new_learner(self, course_tree, learner):
        """With nothing done, the next item is the first lesson."""
        assert progress_of(learner, course_tree).next_item == course_tree.lesson_one

    def test_next_item_is_the_first_required_item_not_done(self, course_tree, learner):
        """After the first lesson, the next item is the second; after both, the quiz; then module two."""
        complete(learner, course_tree.lesson_one)
        assert progress_of(learner, course_tree).next_item == course_tree.lesson_two
        complete(learner, course_tree.lesson_two)
        assert progress_of(learner, course_tree).next_item == course_tree.quiz
        take_quiz(learner, course_tree.quiz)
        assert progress_of(learner, course_tree).next_item == course_tree.lesson_three

    def test_next_item_skips_optional_items(self, course_tree, learner):
        """An optional lesson not done is passed over in favour of the next required item."""
        course_tree.lesson_two.is_required = False
        course_tree.lesson_two.save()
        complete(learner, course_tree.lesson_one)
        assert progress_of(learner, course_tree).next_item == course_tree.quiz

    def test_next_item_fills_gaps_left_earlier(self, course_tree, learner):
        """A required item skipped earlier comes before later ones not done."""
        complete(learner, course_tree.lesson_two, course_tree.lesson_three)
        assert progress_of(learner, course_tree).next_item == course_tree.lesson_one


class SequentialCourseTests:
    def test_second_module_is_locked_at_the_start(self, sequential, learner):
        """In a course taken in order, module two and its lesson start locked; module one is open."""
        progress = progress_of(learner, sequential)
        assert progress.is_locked(sequential.module_two) is True
        assert progress.is_locked(sequential.lesson_three) is True
        assert progress.is_locked(sequential.module_one) is False
        assert progress.is_locked(sequential.lesson_one) is False

    def test_second_module_stays_locked_until_the_quiz_is_passed(self, sequential, learner):
        """Both lessons done and a failed quiz do not complete module one, so module two stays locked."""
        complete(learner, sequential.lesson_one, sequential.lesson_two)
        take_quiz(learner, sequential.quiz, passing=False)
        progress = progress_of(learner, sequential)
        assert progress.is_locked(sequential.module_two) is True
        assert progress.next_item == sequential.quiz

    def test_second_module_opens_when_the_first_is_complete(self, sequential, learner):
        """Both lessons done and the quiz passed open module two and its lesson."""
        complete(learner, sequential.lesson_one, sequential.lesson_two)
        take_quiz(learner, sequential.quiz)
        progress = progress_of(learner, sequential)
        assert progress.is_locked(sequential.module_two) is False
        assert progress.is_locked(sequential.lesson_three) is False
        assert progress.next_item == sequential.lesson_three

    def test_a_free_course_never_locks(self, course_tree, learner):
        """Without is_sequential every module is open from the start."""
        progress = progress_of(learner, course_tree)
        assert progress.is_locked(course_tree.module_two) is False
        assert progress.is_locked(course_tree.lesson_three) is False


class CoursesProgressTests:
    def test_courses_progress_lists_each_enrolled_course(self, course_tree, learner):
        """A learner enrolled in one course gets one progress, for that course, with what they did."""
        complete(learner, course_tree.lesson_one)
        progresses = courses_progress_for_learner(learner=learner)
        assert [(progress.course.pk, progress.percent) for progress in progresses] == [(course_tree.course.pk, 25)]
        assert progresses[0].enrolment.learner_id == learner.pk

    def test_courses_progress_leaves_out_unpublished_courses(self, course_tree, learner):
        """An enrolment in a course that was unpublished is not listed."""
        complete(learner, course_tree.lesson_one)
        course_tree.course.unpublish()
        assert courses_progress_for_learner(learner=learner) == []


def count_queries(function, **kwargs):
    with CaptureQueriesContext(connection) as context:
        function(**kwargs)
    return len(context.captured_queries)


class QueryCountTests:
    def test_course_progress_costs_the_same_for_1_and_50_completed_lessons(
        self, course_tree, learner, django_assert_num_queries
    ):
        """One course's progress costs the same number of queries however many lessons the learner completed."""
        complete(learner, course_tree.lesson_one)
        cache.clear()
        cold = count_queries(course_progress_for_learner, learner=learner, course=course_tree.course)
        # 1 live modules of the course, 2 live lessons (streamfields deferred), 3 live quizzes,
        # 4 the learner's completions among those lessons and passed quizzes among those quizzes (a UNION).
        assert cold == 4
        # The outline is then kept in the shared cache: only the learner's query remains.
        small = count_queries(course_progress_for_learner, learner=learner, course=course_tree.course)
        assert small == 1

        modules = (course_tree.module_one, course_tree.module_two)
        extra = [LessonPageFactory(parent=modules[number % 2]) for number in range(49)]
        complete(learner, *extra)
        course_progress_for_learner(learner=learner, course=course_tree.course)  # the new lessons' outline
        with django_assert_num_queries(small):
            progress = course_progress_for_learner(learner=learner, course=course_tree.course)
        assert progress.done == 50

    def test_courses_progress_costs_the_same_for_1_and_20_enrolled_courses(
        self, course_tree, learner, django_assert_num_queries
    ):
        """The learner's progress in all their courses costs the same number of queries for 1 and 20 courses."""
        complete(learner, course_tree.lesson_one)
        cache.clear()
        cold = count_queries(courses_progress_for_learner, learner=learner)
        # 1 enrolments with their course and last page (joined), 2 live modules of all those courses,
        # 3 their live lessons, 4 their live quizzes, 5 the learner's completions among the lessons and
        # the quizzes they passed among the quizzes (a UNION).
        assert cold == 5
        # Then the outlines come from the shared cache: the enrolments and what the learner did.
        small = count_queries(courses_progress_for_learner, learner=learner)
        assert small == 2

        for _number in range(19):
            course = CoursePageFactory(parent=course_tree.course_index)
            lesson = LessonPageFactory(parent=ModulePageFactory(parent=course))
            services.enrolment_start(learner=learner, course=course)
            complete(learner, lesson)
        courses_progress_for_learner(learner=learner)  # the new courses' outlines, built together once
        with django_assert_num_queries(small):
            progresses = courses_progress_for_learner(learner=learner)
        assert len(progresses) == 20
        assert all(progress.done == 1 for progress in progresses)
