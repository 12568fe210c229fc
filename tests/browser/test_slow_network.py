"""A weak connection on a phone: marking a lesson done and taking a quiz show a request on its way, refuse a
second press, say so in the page when the server fails (a lesson marked done without any answer is kept on the
device and sent later), and end on the same page with the script as without it.

Set SCREENSHOTS_DIR to keep pictures of the busy and failed states (they are not kept otherwise)."""

import contextlib
import os
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from django.conf import settings
from django.test import Client
from django.utils import translation

from progress.models import LessonCompletion, QuizAttempt
from progress.services import ANSWER_MISSING, ATTEMPT_ALREADY_SUBMITTED, quiz_attempt_start

from .conftest import PHONE


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

COMPLETE_URLS = "**/my/lessons/*/complete/"
START_URLS = "**/my/quizzes/*/attempts/"
SUBMIT_URLS = "**/my/attempts/*/submit/"
OUTBOX_URLS = "**/my/outbox/"
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture
def no_js_phone_page(browser):
    context = browser.new_context(
        viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def _log_in(page, live_server, user):
    """The browser gets a session made by the test client: no login form on each test."""
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


def _screenshot(page, name):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=False)


def _in_page_language(page, message):
    """A message as the page's language says it (Russian by default)."""
    with translation.override(page.locator("html").get_attribute("lang")):
        return translation.gettext(message)


class Gate:
    """Holds matching requests until opened; counts every request that reached it."""

    def __init__(self, page, pattern):
        self.held = []
        self.count = 0
        self.is_open = False
        page.route(pattern, self._handle)

    def _handle(self, route):
        self.count += 1
        if self.is_open:
            route.continue_()
        else:
            self.held.append(route)

    def release(self):
        """Let the held requests through, and any later ones straight away."""
        self.is_open = True
        for route in self.held:
            route.continue_()
        self.held = []

    def fail(self):
        for route in self.held:
            with contextlib.suppress(PlaywrightError):  # the page may have given up on it already
                route.abort()
        self.held = []


def _outline_state(page):
    """What the learner reads on the page after marking a lesson done."""
    main = page.locator("main")
    nav = page.locator(".course-nav")
    return {
        "path": urlsplit(page.url).path,
        "messages": main.locator(".messages").all_inner_texts(),
        "progress_value": nav.locator("progress").get_attribute("value"),
        "progress_label": nav.locator(".progress__label").inner_text(),
        "done_items": nav.locator(".course-nav__item.is-done").all_inner_texts(),
        "done_modules": nav.locator(".course-nav__module.is-done > a").all_inner_texts(),
        "ticks": nav.inner_text().count("✓"),
        "main": CSRF_TOKEN.sub("csrf", main.inner_html()),
    }


def _mark_done(page):
    page.locator("[data-complete-form] button").click()


def test_mark_as_done_gives_the_same_page_with_and_without_script(
    live_server, phone_page, no_js_phone_page, learner, course_tree
):
    lesson_one, lesson_two = course_tree.lesson_one, course_tree.lesson_two

    _log_in(phone_page, live_server, learner)
    phone_page.goto(live_server.url + lesson_one.url)
    _mark_done(phone_page)
    phone_page.wait_for_url(f"**{lesson_two.url}")
    phone_page.wait_for_load_state()
    with_script = _outline_state(phone_page)
    assert LessonCompletion.objects.filter(learner=learner).count() == 1

    LessonCompletion.objects.filter(learner=learner).delete()

    page = no_js_phone_page
    _log_in(page, live_server, learner)
    page.goto(live_server.url + lesson_one.url)
    _mark_done(page)
    page.wait_for_url(f"**{lesson_two.url}")
    without_script = _outline_state(page)
    assert LessonCompletion.objects.filter(learner=learner).count() == 1

    assert with_script["messages"] == [_in_page_language(page, "Lesson marked as done.")]
    assert with_script["done_items"] and with_script["ticks"] == 1
    assert with_script == without_script


def test_progress_bar_and_count_agree_after_marking_done_with_script(live_server, phone_page, learner, course_tree):
    page = phone_page
    _log_in(page, live_server, learner)
    page.goto(live_server.url + course_tree.lesson_one.url)
    _mark_done(page)
    page.wait_for_url(f"**{course_tree.lesson_two.url}")

    bar = page.locator(".course-nav [data-progress]")
    done, required = (int(number) for number in re.findall(r"\d+", bar.locator(".progress__label").inner_text())[:2])
    assert (done, required) == (1, 4)
    percent = done * 100 // required
    assert bar.locator("progress").get_attribute("value") == str(percent)
    expect(bar.locator("[data-progress-percent]")).to_have_text(f"{percent}%")
    expect(page.locator(f'.course-nav__item[data-item="{course_tree.lesson_one.pk}"]')).to_have_class(
        re.compile("is-done")
    )


def test_slow_then_failed_mark_as_done(live_server, phone_page, learner, course_tree):
    page = phone_page
    _log_in(page, live_server, learner)
    page.goto(live_server.url + course_tree.lesson_one.url)
    button = page.locator("[data-complete-form] button")

    # On its way: the button says so, is disabled and busy, and a second press sends nothing.
    gate = Gate(page, COMPLETE_URLS)
    button.click()
    expect(button).to_be_disabled()
    expect(button).to_have_attribute("aria-busy", "true")
    expect(button).to_have_text(button.get_attribute("data-busy-label"))
    _screenshot(page, "lesson-busy")
    button.click(force=True)
    page.locator("[data-complete-form]").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert gate.count == 1
    gate.release()
    page.wait_for_url(f"**{course_tree.lesson_two.url}")
    assert gate.count == 1
    assert LessonCompletion.objects.filter(learner=learner).count() == 1

    # No connection: the action is kept on the device at once, and the page says so (static/js/offline.js).
    # The outbox cannot reach the server either (the context's routes hold the service worker's requests too).
    page.route(COMPLETE_URLS, lambda route: route.abort())
    page.context.route(OUTBOX_URLS, lambda route: route.abort())
    button.click()
    done_state = page.locator(".lesson-done")
    expect(done_state).to_contain_text(
        _in_page_language(page, "Saved on this device, will be sent when the connection is back")
    )
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.locator("[data-outbox-status]")).to_contain_text(
        _in_page_language(page, "Waiting to be sent: {count}").format(count=1)
    )
    assert page.url.endswith(course_tree.lesson_two.url)
    _screenshot(page, "lesson-kept-offline")
    assert not LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_two).exists()

    # Back online: the next page load sends it, once.
    page.unroute(COMPLETE_URLS)
    page.context.unroute(OUTBOX_URLS)
    page.reload()
    expect(done_state).to_contain_text(_in_page_language(page, "You have done this lesson."))
    assert LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_two).count() == 1


def test_server_error_and_timeout_are_failures_too(live_server, phone_page, learner, course_tree):
    page = phone_page
    page.clock.install()
    _log_in(page, live_server, learner)
    page.goto(live_server.url + course_tree.lesson_one.url)
    button = page.locator("[data-complete-form] button")

    page.route(COMPLETE_URLS, lambda route: route.fulfill(status=503, body="Service Unavailable"))
    button.click()
    expect(page.get_by_role("alert")).to_have_text(button.get_attribute("data-failed-message"))
    expect(button).to_be_enabled()
    page.unroute(COMPLETE_URLS)

    # No answer in 20 s: the script gives up waiting and keeps the action on the device instead.
    page.context.route(OUTBOX_URLS, lambda route: route.abort())
    gate = Gate(page, COMPLETE_URLS)
    button.click()
    expect(button).to_be_disabled()
    expect(page.get_by_role("alert")).to_have_count(0)
    page.clock.run_for(19_000)
    expect(button).to_be_disabled()
    page.clock.run_for(2_000)
    expect(page.locator(".lesson-done")).to_contain_text(
        _in_page_language(page, "Saved on this device, will be sent when the connection is back")
    )
    gate.fail()
    assert page.url.endswith(course_tree.lesson_one.url)


def test_lost_answer_then_retry_stores_one_completion(live_server, phone_page, learner, course_tree):
    """The server stored the completion but the answer never came back: pressing again is safe."""
    page = phone_page
    _log_in(page, live_server, learner)
    page.goto(live_server.url + course_tree.lesson_one.url)

    def reach_server_then_drop(route):
        route.fetch(max_redirects=0)
        route.abort()

    page.route(COMPLETE_URLS, reach_server_then_drop)
    page.context.route(OUTBOX_URLS, lambda route: route.abort())
    page.locator("[data-complete-form] button").click()
    expect(page.locator(".lesson-done")).to_contain_text(
        _in_page_language(page, "Saved on this device, will be sent when the connection is back")
    )
    assert LessonCompletion.objects.filter(learner=learner).count() == 1
    # Sent again from the device: the server has it already, so it is "sent" and nothing is stored twice.
    page.unroute(COMPLETE_URLS)
    page.context.unroute(OUTBOX_URLS)
    page.reload()
    expect(page.locator(".lesson-done")).to_contain_text(_in_page_language(page, "You have done this lesson."))
    # The server shows the lesson done before the device has heard back: wait until the outbox is empty,
    # so that no request is still writing when the test's database is emptied.
    page.wait_for_function(
        "() => Outbox.waiting(Number(document.body.dataset.learner)).then((items) => items.length === 0)"
    )
    assert LessonCompletion.objects.filter(learner=learner).count() == 1


def _choose_answers(page, quiz, correctly=True):
    chosen = []
    for question in quiz.questions.order_by("sort_order"):
        choices = list(question.choices.order_by("sort_order"))
        choice = choices[0] if correctly else choices[1]
        page.check(f"#choice-{choice.pk}")
        chosen.append(f"#choice-{choice.pk}")
    return chosen


def test_slow_then_failed_quiz_start_and_submission(live_server, phone_page, learner, course_tree):
    page = phone_page
    quiz = course_tree.quiz
    _log_in(page, live_server, learner)
    page.goto(live_server.url + quiz.url)

    # Starting: busy on its way, a second press sends nothing; a failure says so and the button works again.
    start = page.locator(f'form[action$="/my/quizzes/{quiz.pk}/attempts/"] button')
    page.route(START_URLS, lambda route: route.abort())
    start.click()
    expect(page.get_by_role("alert")).to_have_text(start.get_attribute("data-failed-message"))
    expect(start).to_be_enabled()
    _screenshot(page, "quiz-start-failed")
    page.unroute(START_URLS)
    gate = Gate(page, START_URLS)
    start.click()
    expect(start).to_be_disabled()
    expect(start).to_have_attribute("aria-busy", "true")
    expect(start).to_have_text(start.get_attribute("data-busy-label"))
    expect(page.get_by_role("alert")).to_have_count(0)
    _screenshot(page, "quiz-start-busy")
    page.locator(f'form[action$="/my/quizzes/{quiz.pk}/attempts/"]').evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert gate.count == 1
    gate.release()
    submit = page.locator("form.quiz button[type=submit]")
    expect(submit).to_be_visible()
    assert QuizAttempt.objects.filter(learner=learner).count() == 1

    # Submitting: busy on its way and pressed once only; the failure keeps the answers in the form.
    chosen = _choose_answers(page, quiz)
    gate = Gate(page, SUBMIT_URLS)
    submit.click()
    expect(submit).to_be_disabled()
    expect(submit).to_have_attribute("aria-busy", "true")
    expect(submit).to_have_text(submit.get_attribute("data-busy-label"))
    _screenshot(page, "quiz-submit-busy")
    submit.click(force=True)
    page.locator("form.quiz").evaluate("form => form.requestSubmit()")
    page.wait_for_timeout(300)
    assert gate.count == 1
    gate.fail()
    expect(page.get_by_role("alert")).to_have_text(
        _in_page_language(
            page,
            "No connection to the server: your answers are not sent yet. "
            "Check your connection and press the button again.",
        )
    )
    expect(submit).to_be_enabled()
    expect(submit).not_to_have_attribute("aria-busy", "true")
    for selector in chosen:
        expect(page.locator(selector)).to_be_checked()
    page.get_by_role("alert").scroll_into_view_if_needed()
    _screenshot(page, "quiz-submit-failed")
    assert not QuizAttempt.objects.filter(learner=learner, submitted_at__isnull=False).exists()

    # A server error is a failure as well; back online, the same answers are scored once.
    page.route(SUBMIT_URLS, lambda route: route.fulfill(status=502, body="Bad Gateway"))
    submit.click()
    expect(page.get_by_role("alert")).to_be_visible()
    expect(submit).to_be_enabled()
    page.unroute(SUBMIT_URLS)
    submit.click()
    page.wait_for_url("**/my/attempts/*/")
    expect(page.locator(".result")).to_contain_text("100%")
    attempt = QuizAttempt.objects.get(learner=learner)
    assert attempt.submitted_at is not None and attempt.is_passed


def test_quiz_refusal_shows_the_servers_message(live_server, phone_page, learner, course_tree):
    """A refused submission (no answer) leads back to the quiz with the server's message, as without the script."""
    page = phone_page
    quiz = course_tree.quiz
    quiz_attempt_start(learner=learner, quiz=quiz)
    _log_in(page, live_server, learner)
    page.goto(live_server.url + quiz.url)
    page.locator("form.quiz input[required]").evaluate_all("inputs => inputs.forEach(i => i.required = false)")
    page.locator("form.quiz button[type=submit]").click()
    expect(page.locator(".messages")).to_have_text(_in_page_language(page, ANSWER_MISSING))
    assert page.url.endswith(f"{quiz.url}#quiz")
    assert not QuizAttempt.objects.filter(learner=learner, submitted_at__isnull=False).exists()


def test_lost_quiz_answer_then_retry_says_it_was_already_sent(live_server, phone_page, learner, course_tree):
    """The server scored the attempt but the answer never came back: the retry shows the server's word on it."""
    page = phone_page
    quiz = course_tree.quiz
    quiz_attempt_start(learner=learner, quiz=quiz)
    _log_in(page, live_server, learner)
    page.goto(live_server.url + quiz.url)
    _choose_answers(page, quiz)

    def reach_server_then_drop(route):
        route.fetch(max_redirects=0)
        route.abort()

    page.route(SUBMIT_URLS, reach_server_then_drop)
    page.locator("form.quiz button[type=submit]").click()
    expect(page.get_by_role("alert")).to_be_visible()
    page.unroute(SUBMIT_URLS)
    page.locator("form.quiz button[type=submit]").click()
    expect(page.locator(".messages")).to_have_text(_in_page_language(page, ATTEMPT_ALREADY_SUBMITTED))
    assert QuizAttempt.objects.filter(learner=learner, submitted_at__isnull=False).count() == 1
