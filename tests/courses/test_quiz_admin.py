"""Editors cannot publish a quiz that learners could not pass or that has an impossible pass mark."""

import re

import pytest

from django.urls import reverse
from django.utils import translation

from wagtail.test.utils.form_data import querydict_from_html

from courses.models import (
    QUESTION_NEEDS_A_CORRECT,
    QUESTION_NEEDS_ONE_CORRECT,
    QUESTION_NEEDS_TWO_CHOICES,
    QuizPage,
    QuizQuestion,
    quiz_question_errors,
)


def _edit_form_data(client, quiz):
    """The quiz editor's form as the browser would submit it, before any change."""
    response = client.get(reverse("wagtailadmin_pages:edit", args=[quiz.pk]))
    assert response.status_code == 200
    data = querydict_from_html(response.content.decode(), form_id="page-edit-form")
    # A ticked checkbox without a value attribute is sent by browsers as "on".
    for key, value in list(data.items()):
        if key.endswith("is_correct") and value == "":
            data[key] = "on"
    data["action-publish"] = "action-publish"
    return data


def _shows(response, message):
    """The response carries the message, in whichever interface language the editor uses."""
    content = response.content.decode()
    for language in ("ru", "en"):
        with translation.override(language):
            if str(message) in content:
                return True
    return False


def _publish(client, quiz, data):
    return client.post(reverse("wagtailadmin_pages:edit", args=[quiz.pk]), data)


def _state(quiz):
    quiz.refresh_from_db()
    return (quiz.latest_revision_id, quiz.pass_mark, list(quiz.questions.values_list("text", flat=True)))


@pytest.mark.django_db
class QuizPublishingTests:
    def test_unchanged_quiz_publishes(self, admin_client, course_tree):
        """The form as rendered is valid: the checks below fail for their own reason, not a broken form."""
        quiz = course_tree.quiz
        data = _edit_form_data(admin_client, quiz)
        data["title"] = "Проверка знаний (новая редакция)"
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 302
        quiz.refresh_from_db()
        assert quiz.title == "Проверка знаний (новая редакция)"
        assert quiz.live

    def test_editor_links_a_question_to_a_lesson_to_review(self, admin_client, course_tree):
        """The question's "lesson to review" is set in the quiz editor and published."""
        quiz = course_tree.quiz
        data = _edit_form_data(admin_client, quiz)
        first = quiz.questions.order_by("sort_order").first()
        key = next(
            key for key, value in data.items() if re.fullmatch(r"questions-\d+-id", key) and value == str(first.pk)
        )
        data[key.removesuffix("-id") + "-review_lesson"] = str(course_tree.lesson_two.pk)
        assert _publish(admin_client, quiz, data).status_code == 302
        first.refresh_from_db()
        assert first.review_lesson_id == course_tree.lesson_two.pk

    def test_question_without_a_correct_choice_is_refused(self, admin_client, course_tree):
        """Unticking the only correct choice of a question keeps the quiz as it was, with a message."""
        quiz = course_tree.quiz
        before = _state(quiz)
        data = _edit_form_data(admin_client, quiz)
        data.pop("questions-0-choices-0-is_correct")
        data["title"] = "Changed title"
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 200
        assert _shows(response, QUESTION_NEEDS_ONE_CORRECT)
        assert _state(quiz) == before
        assert QuizPage.objects.get(pk=quiz.pk).title != "Changed title"

    def test_single_choice_question_with_two_correct_choices_is_refused(self, admin_client, course_tree):
        quiz = course_tree.quiz
        before = _state(quiz)
        data = _edit_form_data(admin_client, quiz)
        data["questions-1-choices-1-is_correct"] = "on"
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 200
        assert _shows(response, QUESTION_NEEDS_ONE_CORRECT)
        assert _state(quiz) == before

    def test_multiple_choice_question_without_a_correct_choice_is_refused(self, admin_client, course_tree):
        quiz = course_tree.quiz
        before = _state(quiz)
        data = _edit_form_data(admin_client, quiz)
        data["questions-2-kind"] = QuizQuestion.Kind.MULTIPLE
        data.pop("questions-2-choices-0-is_correct")
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 200
        assert _shows(response, QUESTION_NEEDS_A_CORRECT)
        assert _state(quiz) == before

    def test_multiple_choice_question_with_two_correct_choices_publishes(self, admin_client, course_tree):
        quiz = course_tree.quiz
        data = _edit_form_data(admin_client, quiz)
        data["questions-2-kind"] = QuizQuestion.Kind.MULTIPLE
        data["questions-2-choices-3-is_correct"] = "on"
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 302
        question = QuizQuestion.objects.get(pk=data["questions-2-id"])
        assert question.kind == QuizQuestion.Kind.MULTIPLE
        assert question.choices.filter(is_correct=True).count() == 2

    @pytest.mark.parametrize("pass_mark", ["101", "-5", "abc"])
    def test_pass_mark_outside_0_to_100_is_refused(self, admin_client, course_tree, pass_mark):
        quiz = course_tree.quiz
        before = _state(quiz)
        data = _edit_form_data(admin_client, quiz)
        data["pass_mark"] = pass_mark
        response = _publish(admin_client, quiz, data)
        assert response.status_code == 200
        assert response.context["form"].errors["pass_mark"]
        assert _state(quiz) == before

    def test_new_quiz_with_a_question_lacking_a_correct_choice_is_not_created(self, admin_client, course_tree):
        """Creating a quiz from scratch runs the same rule; nothing is saved."""
        url = reverse("wagtailadmin_pages:add", args=["courses", "quizpage", course_tree.module_two.pk])
        data = querydict_from_html(admin_client.get(url).content.decode(), form_id="page-edit-form")
        data.update(
            {
                "title": "Новый тест",
                "slug": "new-test",
                "pass_mark": "70",
                "attempt_limit": "3",
                "action-publish": "action-publish",
                "questions-TOTAL_FORMS": "1",
                "questions-0-text": "Сколько нужно членов для собрания?",
                "questions-0-kind": "single",
                "questions-0-ORDER": "1",
                "questions-0-choices-TOTAL_FORMS": "2",
                "questions-0-choices-INITIAL_FORMS": "0",
                "questions-0-choices-MIN_NUM_FORMS": "2",
                "questions-0-choices-MAX_NUM_FORMS": "1000",
                "questions-0-choices-0-text": "Три",
                "questions-0-choices-0-ORDER": "1",
                "questions-0-choices-1-text": "Пять",
                "questions-0-choices-1-ORDER": "2",
            }
        )
        response = admin_client.post(url, data)
        assert response.status_code == 200
        assert _shows(response, QUESTION_NEEDS_ONE_CORRECT)
        assert not QuizPage.objects.filter(slug="new-test").exists()

        data["questions-0-choices-1-is_correct"] = "on"
        response = admin_client.post(url, data)
        assert response.status_code == 302
        created = QuizPage.objects.get(slug="new-test")
        assert created.live
        assert created.questions.get().choices.get(is_correct=True).text == "Пять"


class QuizQuestionRuleTests:
    """The rule itself, for every kind of question."""

    def test_single_needs_exactly_one(self):
        assert quiz_question_errors(kind="single", correct_flags=[True, False]) == []
        assert quiz_question_errors(kind="single", correct_flags=[False, False]) == [QUESTION_NEEDS_ONE_CORRECT]
        assert quiz_question_errors(kind="single", correct_flags=[True, True]) == [QUESTION_NEEDS_ONE_CORRECT]

    def test_multiple_needs_at_least_one(self):
        assert quiz_question_errors(kind="multiple", correct_flags=[True, True, False]) == []
        assert quiz_question_errors(kind="multiple", correct_flags=[False, False]) == [QUESTION_NEEDS_A_CORRECT]

    def test_a_question_needs_two_choices(self):
        assert quiz_question_errors(kind="single", correct_flags=[True]) == [QUESTION_NEEDS_TWO_CHOICES]


@pytest.mark.django_db
def test_editors_see_russian_labels_and_help_texts(admin_client, course_tree):
    """The quiz editor speaks Russian: our field labels and help texts come from the Russian catalogue."""
    html = admin_client.get(reverse("wagtailadmin_pages:edit", args=[course_tree.quiz.pk])).content.decode()
    assert "Проходной балл, %" in html
    assert "Доля баллов (от 0 до 100), необходимая для сдачи теста." in html
