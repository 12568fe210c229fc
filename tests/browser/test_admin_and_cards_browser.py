"""What Chromium sees of the admin and of the case-study cards: the admin asks no other origin for
anything (no Gravatar, no release check, no web fonts), and a case study without a picture has a
designed placeholder at phone and desktop width."""

from urllib.parse import urlsplit

import pytest

from courses.factories import CaseStudyPageFactory
from school.factories import UserFactory

from .conftest import DESKTOP, PHONE


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLACEHOLDER_TITLES = ["«Чистый двор»", "Наказы в работе", "Советы ветеранов", "Гранты для ТОС"]


def _origin(url):
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


@pytest.fixture
def editor_page(browser, live_server, course_tree):
    """A signed-in superuser in a desktop browser context, with every request the pages make recorded."""
    UserFactory(username="chief-editor", is_staff=True, is_superuser=True)
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("input[name=username]", "chief-editor")
    page.fill("input[name=password]", "password")
    page.locator("form button[type=submit]").click()
    page.wait_for_url(f"{live_server.url}/admin/")
    yield page, requests
    context.close()


class AdminRequestsTests:
    @pytest.mark.parametrize(
        "path",
        [
            "/admin/",
            "/admin/pages/{module}/",
            "/admin/pages/{lesson}/edit/",
            "/admin/images/",
            "/admin/account/",
        ],
    )
    def test_admin_pages_ask_no_other_origin(self, editor_page, live_server, course_tree, path):
        """The dashboard, explorer, page editor, images and account page load only from the site itself."""
        page, requests = editor_page
        url = live_server.url + path.format(module=course_tree.module_one.pk, lesson=course_tree.lesson_one.pk)
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert requests, "the recorder saw no request"
        foreign = [
            request
            for request in requests
            if not request.startswith(("data:", "blob:")) and _origin(request) != live_server.url
        ]
        assert foreign == []

    def test_login_form_is_russian(self, browser, live_server, db):
        """The admin's sign-in form labels both fields in Russian."""
        context = browser.new_context(viewport=DESKTOP)
        page = context.new_page()
        page.goto(f"{live_server.url}/admin/login/")
        labels = page.locator("form label").all_inner_texts()
        context.close()
        assert any(label.startswith("Пароль") for label in labels), labels
        assert not any("Password" in label for label in labels), labels


@pytest.fixture
def cards_without_pictures(course_tree):
    for title in PLACEHOLDER_TITLES:
        CaseStudyPageFactory(parent=course_tree.case_index, title=title)
    return course_tree.case_index


class CaseStudyPlaceholderTests:
    @pytest.mark.parametrize("viewport", [PHONE, DESKTOP], ids=["phone", "desktop"])
    def test_card_without_a_picture_shows_its_initial(self, browser, live_server, cards_without_pictures, viewport):
        """Each card without a picture shows the title's first letter in a coloured badge; cards in a row
        take different tints; nothing is styled inline."""
        context = browser.new_context(viewport=viewport)
        page = context.new_page()
        page.goto(live_server.url + cards_without_pictures.url)
        placeholders = page.locator(".card__placeholder")
        assert placeholders.count() == len(PLACEHOLDER_TITLES) + 1  # and the course tree's own case study
        initials = page.locator(".card__initial").all_inner_texts()
        assert {"Ч", "Н", "С", "Г"} <= set(initials)
        box = placeholders.first.bounding_box()
        assert box["height"] >= 60
        badge = page.locator(".card__initial").first.bounding_box()
        assert badge["width"] >= 40
        tints = {
            placeholders.nth(index).evaluate("element => getComputedStyle(element).backgroundColor")
            for index in range(3)
        }
        assert len(tints) == 3
        assert page.locator(".card [style]").count() == 0
        assert page.evaluate("document.documentElement.scrollWidth") <= viewport["width"]
        context.close()
