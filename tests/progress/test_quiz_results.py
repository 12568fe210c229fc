"""Quiz results stay true: a result is history, a quiz that left the course takes no answers, and a
failed attempt says what to do next, with attempts counted one way everywhere."""

import re

import pytest

from django.contrib.auth.models import Group
from django.test import Client

from courses.factories import LessonPageFactory, quiz_with_questions
from courses.models import QuizChoice
from progress.models import QuizAnswer, QuizAttempt
from progress.services import (
    ANSWER_INVALID,
    MODULE_LOCKED,
    QUIZ_NOT_AVAILABLE,
    ProgressError,
    lesson_mark_complete,
    mentorship_assign,
    quiz_attempt_start,
    quiz_attempt_submit,
)
from school.factories import UserFactory
from tests.progress.helpers import in_russian, messages_of


pytestmark = pytest.mark.django_db


def answers_for(quiz, *, right):
    """{question id: [choice id]}: every question answered right, or each with its first wrong choice;
    `right` may also be a set of question ids to answer right."""
    answers = {}
    for question in quiz.questions.prefetch_related("choices"):
        is_right = question.pk in right if isinstance(right, set) else right
        choice = next(choice for choice in question.choices.all() if choice.is_correct is is_right)
        answers[str(question.pk)] = [str(choice.pk)]
    return answers


def submit(learner, quiz, *, right):
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    return quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers_for(quiz, right=right))


def result_html(client, attempt):
    """The result page's main content, without the parts that change from one request to the next."""
    html = client.get(f"/my/attempts/{attempt.pk}/").content.decode()
    main = html[html.index("<main") : html.index("</main>")]
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", main)


def attempts_count_text(html):
    """The "N of M attempts used, K left" line of a page, whitespace collapsed."""
    match = re.search(r"<p [^>]*data-attempts-count>(.*?)</p>", html, re.S)
    return " ".join(match.group(1).split())


def client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def answers_shown(course_tree):
    """The quiz shows right answers after each attempt, so its result pages show the whole key."""
    quiz = course_tree.quiz
    quiz.show_answers = quiz.ShowAnswers.AFTER_EACH_ATTEMPT
    quiz.save_revision().publish()
    return quiz


class ResultIsHistoryTests:
    def test_editing_the_answer_key_leaves_two_learners_results_unchanged(self, learner, other_learner, answers_shown):
        """After the editor moves the right answer, rewords a question and a choice, both result pages
        render exactly as before, and score and marks still agree."""
        first = submit(learner, answers_shown, right=True)
        second = submit(other_learner, answers_shown, right={answers_shown.questions.first().pk})
        clients = {first.pk: client_for(learner), second.pk: client_for(other_learner)}
        before = {attempt.pk: result_html(clients[attempt.pk], attempt) for attempt in (first, second)}

        question = answers_shown.questions.first()
        choices = list(question.choices.all())
        for choice in choices:
            choice.is_correct = choice == choices[-1]
            choice.save()
        question.text = "Совсем другой вопрос?"
        question.save()
        choices[0].text = "Переименованный вариант"
        choices[0].save()

        for attempt in (first, second):
            after = result_html(clients[attempt.pk], attempt)
            assert after == before[attempt.pk]
            assert "Совсем другой вопрос?" not in after
            assert after.count("question--right") == QuizAttempt.objects.get(pk=attempt.pk).score

    def test_deleting_a_chosen_choice_and_a_question_keeps_old_results_readable(self, learner, answers_shown):
        """An editor deletes a choice the attempt chose and a whole question: the result still renders
        with the old texts and the old score."""
        attempt = submit(learner, answers_shown, right=True)
        before = result_html(client_for(learner), attempt)
        question = answers_shown.questions.first()
        chosen = QuizAnswer.objects.get(attempt=attempt, question=question).choice
        QuizChoice.objects.filter(pk=chosen.pk).delete()
        answers_shown.questions.last().delete()
        assert result_html(client_for(learner), attempt) == before

    def test_mentor_view_of_an_attempt_reads_the_snapshot(self, learner, answers_shown):
        """The mentor's page shows the question as it was asked, not as it reads today."""
        mentor = UserFactory(username="mentor-q")
        Group.objects.get(name="Mentors").user_set.add(mentor)
        mentorship_assign(mentor=mentor, learner=learner)
        submit(learner, answers_shown, right=False)
        question = answers_shown.questions.first()
        old_text = question.text
        question.text = "Новая формулировка?"
        question.save()
        html = client_for(mentor).get(f"/mentor/{learner.pk}/").content.decode()
        assert old_text in html
        assert "Новая формулировка?" not in html


class UnavailableQuizTests:
    def test_submitting_to_an_unpublished_quiz_is_refused_and_nothing_scored(
        self, learner_client, learner, course_tree
    ):
        """The quiz was unpublished while the attempt was open: a clear message, the attempt stays unscored."""
        attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        course_tree.quiz.unpublish()
        response = learner_client.post(
            f"/my/attempts/{attempt.pk}/submit/",
            {f"question-{key}": value for key, value in answers_for(course_tree.quiz, right=True).items()},
        )
        assert response.status_code == 302
        assert response["Location"] == "/my/"
        assert in_russian(QUIZ_NOT_AVAILABLE) in messages_of(response)
        stored = QuizAttempt.objects.get(pk=attempt.pk)
        assert (stored.submitted_at, stored.score, stored.snapshot) == (None, None, [])
        assert not QuizAnswer.objects.exists()

    def test_submitting_to_a_quiz_in_a_module_locked_since_is_refused(self, learner_client, learner, sequential):
        """In a course taken in order, a new required lesson in module one locks module two's quiz again."""
        quiz = quiz_with_questions(parent=sequential.module_two, slug="tos-test", questions=2)
        for lesson in (sequential.lesson_one, sequential.lesson_two):
            lesson_mark_complete(learner=learner, lesson=lesson)
        quiz_attempt_submit(
            learner=learner,
            attempt_id=quiz_attempt_start(learner=learner, quiz=sequential.quiz).pk,
            answers=answers_for(sequential.quiz, right=True),
        )
        attempt = quiz_attempt_start(learner=learner, quiz=quiz)
        LessonPageFactory(parent=sequential.module_one, slug="new-required")
        response = learner_client.post(
            f"/my/attempts/{attempt.pk}/submit/",
            {f"question-{key}": value for key, value in answers_for(quiz, right=True).items()},
        )
        assert in_russian(MODULE_LOCKED) in messages_of(response)
        assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None

    def test_choice_of_another_quiz_is_refused(self, learner, course_tree):
        """A choice id from another quiz is refused with ANSWER_INVALID; the attempt stays open."""
        other_quiz = quiz_with_questions(parent=course_tree.module_two, slug="other", questions=1)
        attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = answers_for(course_tree.quiz, right=True)
        first = next(iter(answers))
        answers[first] = [str(other_quiz.questions.first().choices.first().pk)]
        with pytest.raises(ProgressError) as error:
            quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)
        assert error.value.message == ANSWER_INVALID
        assert QuizAttempt.objects.get(pk=attempt.pk).submitted_at is None

    def test_past_result_of_an_unpublished_quiz_stays_readable_without_links_to_it(
        self, learner_client, learner, course_tree
    ):
        """/my/ still lists the result; its page renders and links neither to the quiz nor to a retry."""
        attempt = submit(learner, course_tree.quiz, right=False)
        quiz_url = course_tree.quiz.url
        course_tree.quiz.unpublish()
        assert f"/my/attempts/{attempt.pk}/" in learner_client.get("/my/").content.decode()
        html = learner_client.get(f"/my/attempts/{attempt.pk}/").content.decode()
        assert quiz_url not in html
        assert f"/my/quizzes/{course_tree.quiz.pk}/attempts/" not in html

    @pytest.mark.parametrize("number", [2**63, 2**70])
    def test_ids_beyond_64_bits_are_404(self, learner_client, number):
        """Attempt and lesson ids too long for the database are 404, never a server error."""
        assert learner_client.get(f"/my/attempts/{number}/").status_code == 404
        assert learner_client.post(f"/my/attempts/{number}/submit/").status_code == 404
        assert learner_client.post(f"/my/lessons/{number}/complete/").status_code == 404


class FailedAttemptGuidanceTests:
    def test_failed_attempt_lists_missed_questions_with_a_lesson_to_review_and_a_retry(
        self, learner_client, learner, course_tree
    ):
        """Score and pass mark, the missed questions, a link to the lesson the editor linked, "Try again",
        and the attempts used and left."""
        question = course_tree.quiz.questions.first()
        question.review_lesson = course_tree.lesson_two
        question.save()
        attempt = submit(learner, course_tree.quiz, right=False)
        html = learner_client.get(f"/my/attempts/{attempt.pk}/").content.decode()
        assert f"{course_tree.quiz.pass_mark}%" in html
        assert question.text in html
        assert f'href="{course_tree.lesson_two.url}"' in html
        assert f'action="/my/quizzes/{course_tree.quiz.pk}/attempts/"' in html
        attempts_line = html[
            html.index('class="result__attempts"') : html.index("</p>", html.index('class="result__attempts"'))
        ]
        assert re.findall(r"\d+", attempts_line) == ["1", "3", "2"]  # used, allowed, left

    def test_no_attempts_left_says_ask_your_mentor_and_offers_no_retry(self, learner_client, learner, course_tree):
        """With the limit used up the result page offers no retry and tells the learner to ask their mentor."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 1
        quiz.save_revision().publish()
        attempt = submit(learner, quiz, right=False)
        html = learner_client.get(f"/my/attempts/{attempt.pk}/").content.decode()
        assert f'action="/my/quizzes/{quiz.pk}/attempts/"' not in html
        assert "data-no-attempts-left" in html

    def test_attempts_are_counted_the_same_on_the_quiz_and_the_result_page(self, learner_client, learner, course_tree):
        """Both pages say the same "used of allowed, left" line."""
        attempt = submit(learner, course_tree.quiz, right=False)
        quiz_page = learner_client.get(course_tree.quiz.url).content.decode()
        result_page = learner_client.get(f"/my/attempts/{attempt.pk}/").content.decode()
        assert attempts_count_text(quiz_page) == attempts_count_text(result_page)
        assert re.findall(r"\d+", attempts_count_text(quiz_page)) == ["1", "3", "2"]  # used, allowed, left

    def test_an_abandoned_attempt_is_resumed_not_spent(self, learner_client, learner, course_tree):
        """Starting, leaving and coming back shows the same open attempt; starting again opens no new one."""
        learner_client.post(f"/my/quizzes/{course_tree.quiz.pk}/attempts/")
        attempt = QuizAttempt.objects.get(learner=learner)
        learner_client.get("/my/")
        learner_client.post(f"/my/quizzes/{course_tree.quiz.pk}/attempts/")
        assert list(QuizAttempt.objects.filter(learner=learner).values_list("pk", flat=True)) == [attempt.pk]
        html = learner_client.get(course_tree.quiz.url).content.decode()
        assert f'action="/my/attempts/{attempt.pk}/submit/"' in html


class ScriptAnswersTests:
    """The page's script asks for JSON and opens the address the plain form's redirect leads to."""

    JSON = {"HTTP_ACCEPT": "application/json"}

    def test_start_and_submit_answer_with_the_next_address(self, learner_client, learner, course_tree):
        """Starting gives the quiz's #quiz address; submitting gives the result page's; both keep one attempt."""
        response = learner_client.post(f"/my/quizzes/{course_tree.quiz.pk}/attempts/", **self.JSON)
        assert response.json() == {"redirect_url": f"{course_tree.quiz.url}#quiz"}
        attempt = QuizAttempt.objects.get(learner=learner)
        data = {f"question-{key}": value for key, value in answers_for(course_tree.quiz, right=True).items()}
        response = learner_client.post(f"/my/attempts/{attempt.pk}/submit/", data, **self.JSON)
        assert response.json() == {"redirect_url": f"/my/attempts/{attempt.pk}/"}
        assert QuizAttempt.objects.get(pk=attempt.pk).is_passed is True

    def test_a_refusal_answers_409_with_the_message_and_where_to_go(self, learner_client, learner, course_tree):
        """A second submission: 409, the message, and the quiz page, where the message is shown too."""
        attempt = submit(learner, course_tree.quiz, right=True)
        data = {f"question-{key}": value for key, value in answers_for(course_tree.quiz, right=True).items()}
        response = learner_client.post(f"/my/attempts/{attempt.pk}/submit/", data, **self.JSON)
        assert response.status_code == 409
        assert response.json()["redirect_url"] == f"{course_tree.quiz.url}#quiz"
        assert response.json()["error"] in messages_of(response)
