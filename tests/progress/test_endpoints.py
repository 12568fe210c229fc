"""The learner's endpoints under /my/ and the course item pages: POST-only, login, CSRF, clear refusals."""

import pytest

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from wagtail.models import Page

from courses.factories import CoursePageFactory, LessonPageFactory, ModulePageFactory
from courses.models import QuizPage
from progress import services
from progress.models import Enrolment, LessonCompletion, QuizAnswer, QuizAttempt
from progress.services import (
    ANSWER_INVALID,
    ANSWER_MISSING,
    ATTEMPT_ALREADY_SUBMITTED,
    ATTEMPT_LIMIT_REACHED,
    ITEM_NOT_AVAILABLE,
    MODULE_LOCKED,
)
from tests.progress.helpers import complete_url, in_russian, messages_of, result_url, start_url, submit_url


pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def row_counts():
    return (
        Enrolment.objects.count(),
        LessonCompletion.objects.count(),
        QuizAttempt.objects.count(),
        QuizAnswer.objects.count(),
    )


def form_answers(quiz, *, correct=True):
    """POST data of the quiz form: for each question, its right (or a wrong) choice."""
    return {
        f"question-{question.pk}": [
            str(next(choice.pk for choice in question.choices.all() if choice.is_correct is correct))
        ]
        for question in quiz.questions.prefetch_related("choices")
    }


def attempt_state(attempt):
    stored = QuizAttempt.objects.get(pk=attempt.pk)
    return (
        stored.submitted_at,
        stored.score,
        stored.percent,
        stored.is_passed,
        QuizAnswer.objects.filter(attempt=stored).count(),
    )


def submitted_attempt(learner, quiz, *, correct=True):
    attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {key.removeprefix("question-"): value for key, value in form_answers(quiz, correct=correct).items()}
    return services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


SECRET_BODY = "Устав ТОС принимает собрание жителей."


def with_secret_body(lesson):
    """The lesson with a body text the tests can look for."""
    lesson.body = [("paragraph", f"<p>{SECRET_BODY}</p>")]
    lesson.save()
    return lesson


def enrol_in_new_courses(learner, course_index, count):
    """`count` more courses of two lessons each; the learner opened and did the first, and every other course
    whole, so the dashboard has courses both in progress and completed."""
    for number in range(count):
        course = CoursePageFactory(parent=course_index)
        module = ModulePageFactory(parent=course)
        lessons = [LessonPageFactory(parent=module) for _lesson in range(2)]
        services.page_visit_record(learner=learner, page=lessons[0], course=course)
        for lesson in lessons[: 2 if number % 2 else 1]:
            services.lesson_mark_complete(learner=learner, lesson=lesson)


class LessonCompleteEndpointTests:
    def test_completion_redirects_to_the_next_item(self, learner_client, learner, course_tree):
        """POST completes the lesson and redirects to the next required item."""
        response = learner_client.post(complete_url(course_tree.lesson_one))
        assert response.status_code == 302
        assert response["Location"] == course_tree.lesson_two.url
        assert LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_one).count() == 1

    def test_completion_answers_json_when_asked(self, learner_client, learner, course_tree):
        """With Accept: application/json the answer is {done: true, percent: 25, ...}."""
        response = learner_client.post(complete_url(course_tree.lesson_one), headers=JSON)
        assert response.status_code == 200
        data = response.json()
        assert data["done"] is True
        assert data["percent"] == 25
        assert data["created"] is True
        assert data["next_url"] == course_tree.lesson_two.url
        assert LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_one).exists()

    def test_double_click_keeps_one_row(self, learner_client, learner, course_tree):
        """Posting the same completion twice leaves one row; the second answer says it was not new."""
        learner_client.post(complete_url(course_tree.lesson_one), headers=JSON)
        response = learner_client.post(complete_url(course_tree.lesson_one), headers=JSON)
        assert response.json()["created"] is False
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_anonymous_post_goes_to_login_and_creates_nothing(self, client, course_tree):
        """A visitor who is not signed in is sent to the login page with next=, and nothing is stored."""
        url = complete_url(course_tree.lesson_one)
        before = row_counts()
        response = client.post(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"
        assert row_counts() == before

    def test_post_without_csrf_token_is_refused(self, learner, course_tree):
        """A POST without a CSRF token is a 403 and stores nothing."""
        csrf_client = Client(enforce_csrf_checks=True)
        csrf_client.force_login(learner)
        before = row_counts()
        response = csrf_client.post(complete_url(course_tree.lesson_one))
        assert response.status_code == 403
        assert row_counts() == before

    def test_unknown_page_id_is_404(self, learner_client, course_tree):
        """Completing a page id that does not exist is a 404 and stores nothing."""
        missing = Page.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
        before = row_counts()
        assert learner_client.post(f"/my/lessons/{missing}/complete/").status_code == 404
        assert row_counts() == before

    @pytest.mark.parametrize("name", ["module_one", "quiz", "case_study", "course"])
    def test_page_that_is_not_a_lesson_is_404(self, learner_client, course_tree, name):
        """Completing a module, quiz, case study or course id is a 404 and stores nothing."""
        before = row_counts()
        assert learner_client.post(complete_url(getattr(course_tree, name))).status_code == 404
        assert row_counts() == before

    def test_unpublished_lesson_is_refused_with_a_message(self, learner_client, course_tree):
        """Completing an unpublished lesson shows ITEM_NOT_AVAILABLE and stores nothing."""
        course_tree.lesson_two.unpublish()
        before = row_counts()
        response = learner_client.post(complete_url(course_tree.lesson_two))
        assert response.status_code == 302
        assert response["Location"] == "/my/"
        assert in_russian(ITEM_NOT_AVAILABLE) in messages_of(response)
        assert row_counts() == before

    def test_unpublished_lesson_is_a_409_in_json(self, learner_client, course_tree):
        """Asked for JSON, completing an unpublished lesson is a 409 with the message, storing nothing."""
        course_tree.lesson_two.unpublish()
        before = row_counts()
        response = learner_client.post(complete_url(course_tree.lesson_two), headers=JSON)
        assert response.status_code == 409
        assert response.json() == {"error": in_russian(ITEM_NOT_AVAILABLE)}
        assert row_counts() == before

    def test_locked_lesson_is_refused_with_a_message(self, learner_client, sequential):
        """Completing a lesson of a locked module shows MODULE_LOCKED and stores nothing."""
        before = row_counts()
        response = learner_client.post(complete_url(sequential.lesson_three))
        assert response.status_code == 302
        assert response["Location"] == sequential.lesson_three.url
        assert in_russian(MODULE_LOCKED) in messages_of(response)
        assert row_counts() == before

    def test_locked_lesson_is_a_409_in_json(self, learner_client, sequential):
        """Asked for JSON, completing a lesson of a locked module is a 409 with the message, storing nothing."""
        before = row_counts()
        response = learner_client.post(complete_url(sequential.lesson_three), headers=JSON)
        assert response.status_code == 409
        assert response.json() == {"error": in_russian(MODULE_LOCKED)}
        assert row_counts() == before


class PostOnlyEndpointTests:
    @pytest.mark.parametrize("url", [complete_url, start_url, submit_url], ids=["complete", "start", "submit"])
    def test_get_is_405(self, learner_client, learner, course_tree, url):
        """The state-changing endpoints answer GET with 405 and change nothing."""
        targets = {
            complete_url: course_tree.lesson_one,
            start_url: course_tree.quiz,
            submit_url: services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz),
        }
        before = row_counts()
        assert learner_client.get(url(targets[url])).status_code == 405
        assert row_counts() == before

    @pytest.mark.parametrize("url", [start_url, submit_url], ids=["start", "submit"])
    def test_anonymous_quiz_post_goes_to_login(self, client, learner, course_tree, url):
        """A visitor posting to a quiz endpoint is sent to log in, and nothing is stored or scored."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        target = url(course_tree.quiz if url is start_url else attempt)
        before = (row_counts(), attempt_state(attempt))
        response = client.post(target, form_answers(course_tree.quiz))
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={target}"
        assert (row_counts(), attempt_state(attempt)) == before


class QuizEndpointTests:
    def test_start_then_submit_scores_the_attempt(self, learner_client, learner, course_tree):
        """POST start opens an attempt and returns to the quiz; POST submit scores it and shows the result."""
        quiz = course_tree.quiz
        response = learner_client.post(start_url(quiz))
        assert response.status_code == 302
        assert response["Location"] == f"{quiz.url}#quiz"
        attempt = QuizAttempt.objects.get(learner=learner, quiz=quiz, submitted_at__isnull=True)

        response = learner_client.post(submit_url(attempt), form_answers(quiz))
        assert response.status_code == 302
        assert response["Location"] == result_url(attempt)
        attempt.refresh_from_db()
        assert (attempt.score, attempt.percent, attempt.is_passed) == (5, 100, True)
        assert attempt.submitted_at is not None

    def test_start_twice_keeps_one_open_attempt(self, learner_client, learner, course_tree):
        """A double click on "start" still leaves one open attempt."""
        learner_client.post(start_url(course_tree.quiz))
        learner_client.post(start_url(course_tree.quiz))
        assert QuizAttempt.objects.filter(learner=learner).count() == 1

    def test_start_of_an_unpublished_quiz_is_404(self, learner_client, course_tree):
        """Starting an attempt at an unpublished quiz is a 404 and opens nothing."""
        course_tree.quiz.unpublish()
        before = row_counts()
        assert learner_client.post(start_url(course_tree.quiz)).status_code == 404
        assert row_counts() == before

    def test_start_of_a_page_that_is_not_a_quiz_is_404(self, learner_client, course_tree):
        """Starting an attempt at a lesson id is a 404 and stores nothing."""
        before = row_counts()
        assert learner_client.post(start_url(course_tree.lesson_one)).status_code == 404
        assert row_counts() == before

    def test_start_past_the_limit_is_refused_with_a_message(self, learner_client, learner, course_tree):
        """After the last allowed attempt, start shows ATTEMPT_LIMIT_REACHED and opens nothing."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 1
        quiz.save()
        submitted_attempt(learner, quiz, correct=False)
        before = row_counts()
        response = learner_client.post(start_url(quiz))
        assert response.status_code == 302
        assert response["Location"] == f"{quiz.url}#quiz"
        assert in_russian(ATTEMPT_LIMIT_REACHED) in messages_of(response)
        assert row_counts() == before

    def test_submit_of_another_learners_attempt_is_404(self, learner_client, other_learner, course_tree):
        """Submitting someone else's open attempt is a 404 and leaves it untouched."""
        attempt = services.quiz_attempt_start(learner=other_learner, quiz=course_tree.quiz)
        before = (row_counts(), attempt_state(attempt))
        response = learner_client.post(submit_url(attempt), form_answers(course_tree.quiz))
        assert response.status_code == 404
        assert (row_counts(), attempt_state(attempt)) == before

    def test_submit_of_an_unknown_attempt_is_404(self, learner_client, course_tree):
        """Submitting an attempt id that does not exist is a 404."""
        assert learner_client.post("/my/attempts/999999/submit/", form_answers(course_tree.quiz)).status_code == 404

    def test_second_submit_is_refused_with_a_message(self, learner_client, learner, course_tree):
        """Submitting an already submitted attempt returns to the quiz with a message and changes nothing."""
        attempt = submitted_attempt(learner, course_tree.quiz, correct=False)
        before = (row_counts(), attempt_state(attempt))
        response = learner_client.post(submit_url(attempt), form_answers(course_tree.quiz))
        assert response.status_code == 302
        assert response["Location"] == f"{course_tree.quiz.url}#quiz"
        assert in_russian(ATTEMPT_ALREADY_SUBMITTED) in messages_of(response)
        assert (row_counts(), attempt_state(attempt)) == before

    def test_choice_of_another_question_is_refused_with_a_message(self, learner_client, learner, course_tree):
        """A choice posted under another question's name is ANSWER_INVALID; the attempt stays open and unscored."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        data = form_answers(course_tree.quiz)
        first, second = list(data)[:2]
        data[first] = data[second]
        before = (row_counts(), attempt_state(attempt))
        response = learner_client.post(submit_url(attempt), data)
        assert response.status_code == 302
        assert in_russian(ANSWER_INVALID) in messages_of(response)
        assert (row_counts(), attempt_state(attempt)) == before

    def test_empty_form_is_refused_with_a_message(self, learner_client, learner, course_tree):
        """Submitting the quiz form with nothing ticked is ANSWER_MISSING and changes nothing."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        before = (row_counts(), attempt_state(attempt))
        response = learner_client.post(submit_url(attempt), {})
        assert response.status_code == 302
        assert in_russian(ANSWER_MISSING) in messages_of(response)
        assert (row_counts(), attempt_state(attempt)) == before

    def test_result_page_of_another_learners_attempt_is_404(self, learner_client, other_learner, course_tree):
        """Another learner's submitted attempt cannot be viewed: 404."""
        attempt = submitted_attempt(other_learner, course_tree.quiz)
        assert learner_client.get(result_url(attempt)).status_code == 404

    def test_result_page_of_an_open_attempt_is_404(self, learner_client, learner, course_tree):
        """An attempt not submitted yet has no result page, so nothing about the answers leaks: 404."""
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        assert learner_client.get(result_url(attempt)).status_code == 404

    def test_result_page_of_own_attempt_renders(self, learner_client, learner, course_tree):
        """The learner's own submitted attempt has a result page."""
        attempt = submitted_attempt(learner, course_tree.quiz)
        response = learner_client.get(result_url(attempt))
        assert response.status_code == 200
        assert course_tree.quiz.title in response.content.decode()


class CourseItemPageTests:
    @pytest.mark.parametrize("name", ["lesson_one", "quiz"])
    def test_lessons_and_quizzes_require_login(self, client, course_tree, name):
        """A visitor opening a lesson or quiz is sent to the login page with next=<the page>."""
        url = getattr(course_tree, name).url
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"] == f"/accounts/login/?next={url}"
        assert Enrolment.objects.count() == 0

    def test_course_page_stays_public(self, client, course_tree):
        """The course landing page is open to visitors."""
        assert client.get(course_tree.course.url).status_code == 200

    def test_opening_a_lesson_records_where_the_learner_is(self, learner_client, learner, course_tree):
        """A signed-in GET of a lesson enrols the learner and remembers the lesson as their last page."""
        response = learner_client.get(course_tree.lesson_two.url)
        assert response.status_code == 200
        enrolment = Enrolment.objects.get(learner=learner, course=course_tree.course)
        assert enrolment.last_page_id == course_tree.lesson_two.pk
        assert enrolment.last_seen_at is not None

    def test_locked_lesson_is_403_with_an_explanation(self, learner_client, learner, sequential):
        """A lesson of a locked module is a 403 that explains why, without the lesson's content."""
        lesson = with_secret_body(sequential.lesson_three)
        response = learner_client.get(lesson.url)
        assert response.status_code == 403
        html = response.content.decode()
        assert SECRET_BODY not in html
        assert in_russian(MODULE_LOCKED) in html
        assert not Enrolment.objects.filter(learner=learner, last_page=lesson).exists()

    def test_locked_lesson_opens_once_the_previous_module_is_complete(self, learner_client, learner, sequential):
        """When module one is complete, the same URL serves the lesson with its content."""
        lesson = with_secret_body(sequential.lesson_three)
        for done in (sequential.lesson_one, sequential.lesson_two):
            services.lesson_mark_complete(learner=learner, lesson=done)
        submitted_attempt(learner, sequential.quiz)
        response = learner_client.get(lesson.url)
        assert response.status_code == 200
        assert SECRET_BODY in response.content.decode()

    def test_quiz_page_with_an_open_attempt_carries_no_answers(self, learner_client, learner, course_tree):
        """The quiz form offers every choice by id but neither the explanation nor which choice is correct."""
        quiz = course_tree.quiz
        services.quiz_attempt_start(learner=learner, quiz=quiz)
        response = learner_client.get(quiz.url)
        assert response.status_code == 200
        html = response.content.decode()
        for question in quiz.questions.prefetch_related("choices"):
            assert question.text in html
            assert question.explanation not in html
            for choice in question.choices.all():
                assert f'value="{choice.pk}"' in html
        assert "is_correct" not in html


class DashboardTests:
    def test_dashboard_requires_login(self, client, course_tree):
        """A visitor opening /my/ is sent to the login page."""
        response = client.get("/my/")
        assert response.status_code == 302
        assert response["Location"] == "/accounts/login/?next=/my/"

    def test_dashboard_renders_for_a_learner(self, learner_client, learner, course_tree):
        """A signed-in learner's /my/ lists the course they are taking."""
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        response = learner_client.get("/my/")
        assert response.status_code == 200
        assert course_tree.course.title in response.content.decode()

    def test_dashboard_is_not_cached(self, learner_client, course_tree):
        """The per-learner dashboard is never stored by shared caches."""
        response = learner_client.get("/my/")
        assert "no-cache" in response["Cache-Control"] or "private" in response["Cache-Control"]

    def test_dashboard_costs_the_same_for_1_and_20_courses(self, learner_client, learner, course_tree):
        """/my/ costs the same number of queries for a learner in 1 course and in 20 courses."""
        services.page_visit_record(learner=learner, page=course_tree.lesson_one, course=course_tree.course)
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        submitted_attempt(learner, course_tree.quiz)

        def queries():
            learner_client.get("/my/")  # warm the per-process caches (site root paths) first
            with CaptureQueriesContext(connection) as context:
                assert learner_client.get("/my/").status_code == 200
            return len(context.captured_queries)

        small = queries()
        enrol_in_new_courses(learner, course_tree.course_index, 19)
        assert Enrolment.objects.filter(learner=learner).count() == 20
        # 14 today: the session and the user (2); courses_progress_for_learner (6: enrolments with their
        # course and last page, live modules, lessons and quizzes of all those courses, the learner's
        # completions, their passed quizzes); the recent quiz results (1); the site and its settings (2);
        # the site's home page for the navigation (1); the user's and their groups' permissions (2).
        # None of them may depend on the number of courses.
        assert queries() == small


class ResultAnswersTests:
    """The result page shows right answers and explanations only as the quiz's setting allows."""

    EXPLANATION = "Так сказано в уроке."  # every factory question carries this explanation

    def _result_html(self, learner_client, learner, quiz, show_answers, *, correct):
        quiz.show_answers = show_answers
        quiz.save()
        attempt = submitted_attempt(learner, quiz, correct=correct)
        response = learner_client.get(result_url(attempt))
        assert response.status_code == 200
        return response.content.decode()

    def test_never_hides_answers_even_after_passing(self, learner_client, learner, course_tree):
        html = self._result_html(learner_client, learner, course_tree.quiz, QuizPage.ShowAnswers.NEVER, correct=True)
        assert self.EXPLANATION not in html

    def test_after_each_attempt_shows_answers_to_a_failed_attempt(self, learner_client, learner, course_tree):
        html = self._result_html(
            learner_client, learner, course_tree.quiz, QuizPage.ShowAnswers.AFTER_EACH_ATTEMPT, correct=False
        )
        assert self.EXPLANATION in html

    def test_after_passing_hides_answers_until_passed(self, learner_client, learner, course_tree):
        quiz = course_tree.quiz
        failed = self._result_html(learner_client, learner, quiz, QuizPage.ShowAnswers.AFTER_PASSING, correct=False)
        assert self.EXPLANATION not in failed
        passed = self._result_html(learner_client, learner, quiz, QuizPage.ShowAnswers.AFTER_PASSING, correct=True)
        assert self.EXPLANATION in passed
