"""A mentor follows their mentees in Chromium, at phone and desktop width: the mentee who just failed a
quiz is first, the mentor writes a note pinned to a lesson, grants an extra attempt, and the learner
sees both on /my/ and on the lesson."""

import re

import pytest
from playwright.sync_api import expect

from progress.models import ExtraAttempt, MentorNote
from progress.services import lesson_mark_complete, mentorship_assign, quiz_attempt_start, quiz_attempt_submit
from school.factories import UserFactory

from .conftest import DESKTOP, PHONE


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOTE = "Перечитайте урок о графике приёма <b>до пятницы</b>."


def _log_in(page, base_url, username):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()


def _fail_quiz(learner, quiz):
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {
        str(question.pk): [str(next(choice.pk for choice in question.choices.all() if not choice.is_correct))]
        for question in quiz.questions.prefetch_related("choices")
    }
    quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


@pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
def test_mentor_finds_the_stuck_mentee_writes_a_pinned_note_and_grants_an_attempt(
    live_server, browser, course_tree, role_groups, viewport
):
    mentor = UserFactory(username="mentor", full_name="Татьяна Морозова")
    role_groups["Mentors"].user_set.add(mentor)
    steady = UserFactory(username="steady", full_name="Борис Стабильный")
    stuck = UserFactory(username="stuck", full_name="Мария Петрова")
    for learner in (steady, stuck):
        mentorship_assign(mentor=mentor, learner=learner)
    lesson_mark_complete(learner=steady, lesson=course_tree.lesson_one)
    quiz = course_tree.quiz
    quiz.attempt_limit = 1
    quiz.save_revision().publish()
    _fail_quiz(stuck, quiz)

    base = live_server.url
    context = browser.new_context(viewport=viewport)
    page = context.new_page()
    try:
        # The mentor lands on the workbench; the mentee who failed the quiz is first.
        _log_in(page, base, "mentor")
        page.wait_for_url("**/mentor/")
        rows = page.locator(".mentee-row")
        expect(rows).to_have_count(2)
        expect(rows.first).to_contain_text("Мария Петрова")
        expect(rows.first.locator(".status")).to_have_class(re.compile("status--failed_quiz"))
        expect(page.locator(".missed")).to_contain_text(quiz.questions.first().text)

        # The mentee page: a note pinned to a lesson, then one more attempt at the used-up quiz.
        rows.first.get_by_role("link", name="Мария Петрова").click()
        page.wait_for_url(f"**/mentor/{stuck.pk}/")
        page.fill("textarea[name=text]", NOTE)
        page.select_option("select[name=pin]", f"lesson:{course_tree.lesson_one.pk}")
        page.locator(".note-form button[type=submit]").click()
        page.wait_for_url(f"**/mentor/{stuck.pk}/")
        expect(page.locator(".note-list")).to_contain_text(NOTE)
        page.locator(".grant-form button[type=submit]").click()
        expect(page.locator(".message--success")).to_be_visible()
        assert MentorNote.objects.filter(learner=stuck, lesson=course_tree.lesson_one).count() == 1
        assert ExtraAttempt.objects.get(learner=stuck).granted_by == mentor
        page.locator("form.account__logout button").click()

        # The learner sees the note (as text, not markup) on /my/ and on the lesson, and may try again.
        _log_in(page, base, "stuck")
        page.wait_for_url("**/my/")
        expect(page.locator(".mentor-card")).to_contain_text("Татьяна Морозова")
        expect(page.locator(".note--new").first).to_be_visible()
        expect(page.locator(".note-list")).to_contain_text(NOTE)
        page.goto(base + course_tree.lesson_one.url)
        expect(page.locator(".pinned-notes")).to_contain_text(NOTE)
        page.goto(base + quiz.url)
        page.get_by_role("button", name=re.compile("ещё раз|Try again")).click()
        expect(page.locator("form.quiz")).to_be_visible()
    finally:
        context.close()
