"""A secretary takes the course in Chromium: lessons, a failed and a passed quiz, and resumes later."""

import re

import pytest
from playwright.sync_api import expect

from progress.models import LessonCompletion, QuizAttempt
from school.factories import UserFactory


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _log_in(page, base_url, next_url=""):
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", "secretary")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()


def _answer_quiz(page, questions, correctly):
    """Tick the first listed choice (the right one in this quiz) or the second one."""
    for question in questions:
        choices = question.choices.order_by("sort_order")
        choice = choices[0] if correctly else choices[1]
        page.check(f"#choice-{choice.pk}")
    page.get_by_role("button", name=re.compile("Отправить|Submit")).click()


def test_learner_takes_lessons_fails_then_passes_a_quiz_and_resumes(live_server, phone_page, course_tree):
    learner = UserFactory(username="secretary")
    page = phone_page
    base = live_server.url

    # A lesson asks for login and comes back to it.
    page.goto(base + course_tree.lesson_one.url)
    assert "/accounts/login/" in page.url
    _log_in(page, base, course_tree.lesson_one.url)
    page.wait_for_url(f"**{course_tree.lesson_one.url}")

    # Two lessons marked done; each leads on to the next item, as the form does without the script.
    page.get_by_role("button", name=re.compile("Отметить|Mark as done")).click()
    page.wait_for_url(f"**{course_tree.lesson_two.url}")
    page.get_by_role("button", name=re.compile("Отметить|Mark as done")).click()
    page.wait_for_url(f"**{course_tree.quiz.url}")
    expect(page.locator(".messages")).to_be_visible()
    assert LessonCompletion.objects.filter(learner=learner).count() == 2

    # The quiz: a first attempt with wrong answers fails, the second passes.
    questions = list(course_tree.quiz.questions.order_by("sort_order"))
    page.goto(base + course_tree.quiz.url)
    page.get_by_role("button", name=re.compile("Начать|Start")).click()
    _answer_quiz(page, questions, correctly=False)
    page.wait_for_url("**/my/attempts/**")
    expect(page.locator(".result")).to_contain_text("0%")
    # The result page offers the next step: another attempt, straight from there.
    page.get_by_role("button", name=re.compile("ещё раз|Try again")).click()
    page.wait_for_url(f"**{course_tree.quiz.url}#quiz")
    _answer_quiz(page, questions, correctly=True)
    page.wait_for_url("**/my/attempts/**")
    expect(page.locator(".result")).to_contain_text("100%")
    assert list(QuizAttempt.objects.filter(learner=learner).values_list("is_passed", flat=True).order_by("number")) == [
        False,
        True,
    ]

    # Log out and in again: the dashboard shows 3 of 4 items and continues at the next lesson.
    page.locator("form.account__logout button").click()
    _log_in(page, base, "/my/")
    page.wait_for_url("**/my/")
    expect(page.locator("[data-progress-percent]").first).to_have_text("75%")
    page.get_by_role("link", name=re.compile("Продолжить|Continue")).first.click()
    page.wait_for_url(f"**{course_tree.lesson_three.url}")
