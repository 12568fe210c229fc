"""A visitor on a phone opens the home page, a course, a lesson and a quiz; each passes axe-core."""

import gzip
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from school.factories import UserFactory


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

BLOCKING_IMPACTS = {"serious", "critical"}
LESSON_BUDGET_BYTES = 50 * 1024


def _blocking_violations(page):
    violations = Axe().run(page).response["violations"]
    return [
        f"{violation['id']} ({violation['impact']}): {[node['target'] for node in violation['nodes']][:3]}"
        for violation in violations
        if violation["impact"] in BLOCKING_IMPACTS
    ]


def _assert_fits_the_phone(page):
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px at phone width"


def _log_in(page, base_url, next_url):
    page.goto(f"{base_url}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", "secretary")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**{next_url}")


def test_phone_visitor_walks_home_course_lesson_quiz(live_server, phone_page, course_tree):
    page = phone_page
    UserFactory(username="secretary")

    page.goto(live_server.url + "/")
    assert page.locator("h1").first.is_visible()
    assert _blocking_violations(page) == []
    _assert_fits_the_phone(page)

    page.get_by_role("link", name=course_tree.course.title).first.click()
    page.wait_for_url(f"**{course_tree.course.url}")
    assert page.locator("h1").inner_text() == course_tree.course.title
    assert page.get_by_text(course_tree.module_one.title).first.is_visible()
    assert _blocking_violations(page) == []
    _assert_fits_the_phone(page)

    _log_in(page, live_server.url, course_tree.lesson_one.url)
    assert page.locator("h1").inner_text() == course_tree.lesson_one.title
    assert page.get_by_text("Записывайте каждое обращение.").is_visible()
    assert _blocking_violations(page) == []
    _assert_fits_the_phone(page)

    page.goto(live_server.url + course_tree.quiz.url)
    assert page.locator("h1").inner_text() == course_tree.quiz.title
    assert _blocking_violations(page) == []
    page.get_by_role("button", name=re.compile("Начать|Start")).click()
    expect(page.locator("fieldset")).to_have_count(5)
    assert _blocking_violations(page) == []
    _assert_fits_the_phone(page)


def test_lesson_page_is_light(live_server, phone_page, course_tree):
    """HTML, CSS and JS of a lesson page together stay within 50 KB as transferred (images aside): compressed,
    as production sends them (GZipMiddleware for the page, whitenoise's precompressed static files)."""
    UserFactory(username="secretary")
    _log_in(phone_page, live_server.url, course_tree.lesson_two.url)
    sizes = {}

    def record(response):
        if response.request.resource_type in {"document", "stylesheet", "script"}:
            sizes[response.url] = len(gzip.compress(response.body()))

    phone_page.on("response", record)
    phone_page.goto(live_server.url + course_tree.lesson_one.url)
    phone_page.wait_for_load_state("networkidle")
    assert any(url.endswith(".css") for url in sizes) and any(url.endswith("offline.js") for url in sizes), sizes
    assert sum(sizes.values()) <= LESSON_BUDGET_BYTES, sizes


def test_lesson_works_without_javascript(live_server, browser, course_tree):
    """Without JavaScript the lesson reads, "mark as done" posts the form and leads to the next lesson."""
    learner = UserFactory(username="secretary")
    context = browser.new_context(viewport={"width": 360, "height": 800}, java_script_enabled=False)
    page = context.new_page()
    _log_in(page, live_server.url, course_tree.lesson_one.url)
    assert page.locator("h1").inner_text() == course_tree.lesson_one.title
    page.get_by_role("button", name=re.compile("Отметить|Mark as done")).click()
    page.wait_for_url(f"**{course_tree.lesson_two.url}")
    assert learner.lesson_completions.filter(lesson=course_tree.lesson_one).count() == 1
    context.close()
