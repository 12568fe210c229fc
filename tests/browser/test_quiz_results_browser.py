"""Quiz results in Chromium: an edited answer key leaves old results alone; a learner who fails is
sent to the lesson to review, retries and passes."""

import re

import pytest
from playwright.sync_api import expect

from progress.models import QuizAttempt
from progress.services import quiz_attempt_start, quiz_attempt_submit
from school.factories import UserFactory


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/my/")


def _submit(learner, quiz, *, right):
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {
        str(question.pk): [str(next(choice.pk for choice in question.choices.all() if choice.is_correct is right))]
        for question in quiz.questions.prefetch_related("choices")
    }
    return quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


def _answer_in_page(page, quiz, *, right):
    for question in quiz.questions.prefetch_related("choices"):
        choice = next(choice for choice in question.choices.all() if choice.is_correct is right)
        page.check(f"#choice-{choice.pk}")
    page.locator("form.quiz button[type=submit]").click()
    page.wait_for_url("**/my/attempts/**")


def test_edited_answer_key_leaves_both_learners_results_unchanged(live_server, browser, course_tree):
    quiz = course_tree.quiz
    quiz.show_answers = quiz.ShowAnswers.AFTER_EACH_ATTEMPT
    quiz.save_revision().publish()
    anna, boris = UserFactory(username="anna"), UserFactory(username="boris")
    attempts = {"anna": _submit(anna, quiz, right=True), "boris": _submit(boris, quiz, right=False)}

    def result_text(username):
        context = browser.new_context()
        page = context.new_page()
        _log_in(page, live_server.url, username)
        page.goto(f"{live_server.url}/my/attempts/{attempts[username].pk}/")
        text = page.locator("main").inner_text()
        context.close()
        return text

    before = {username: result_text(username) for username in attempts}
    question = quiz.questions.first()
    choices = list(question.choices.all())
    for choice in choices:  # the right answer moves to the last choice
        choice.is_correct = choice == choices[-1]
        choice.save()
    question.text = "Переписанный вопрос?"
    question.save()
    for username in attempts:
        after = result_text(username)
        assert after == before[username]
        assert "Переписанный вопрос?" not in after


def test_failed_learner_reviews_the_linked_lesson_retries_and_passes(live_server, phone_page, course_tree):
    learner = UserFactory(username="secretary")
    quiz = course_tree.quiz
    for question in quiz.questions.all():
        question.review_lesson = course_tree.lesson_two
        question.save()
    page = phone_page
    _log_in(page, live_server.url, "secretary")

    page.goto(live_server.url + quiz.url)
    page.get_by_role("button", name=re.compile("Начать|Start")).click()
    _answer_in_page(page, quiz, right=False)
    expect(page.locator(".result")).to_contain_text("0%")
    review_link = page.locator(".missed-questions a").first
    expect(review_link).to_contain_text(course_tree.lesson_two.title)
    review_link.click()
    page.wait_for_url(f"**{course_tree.lesson_two.url}")
    expect(page.locator("h1")).to_contain_text(course_tree.lesson_two.title)

    page.goto(live_server.url + quiz.url)
    page.get_by_role("button", name=re.compile("ещё раз|Try again")).click()
    _answer_in_page(page, quiz, right=True)
    expect(page.locator(".result")).to_contain_text("100%")
    assert list(QuizAttempt.objects.filter(learner=learner).order_by("number").values_list("is_passed", flat=True)) == [
        False,
        True,
    ]
