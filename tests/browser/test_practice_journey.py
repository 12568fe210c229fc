"""The practice exchange in Chromium: a secretary submits a practice with a photo, the editor asks for
a change in the Wagtail admin, the secretary makes it, the editor publishes it, and it is in the library
under its topic and in search. Everything on the site side works without JavaScript as well.

Set PRACTICE_SCREENSHOTS to a folder (outside the repository) to keep screenshots of each step at phone
and desktop width."""

import io
import os
import re
from pathlib import Path

import pytest
from PIL import Image as PILImage
from playwright.sync_api import expect

from django.contrib.auth.models import Group

from wagtail.models import Collection

from courses.factories import CaseStudyIndexPageFactory, TopicFactory
from courses.models import CaseStudyPage
from courses.practices import CASE_STUDY_MODERATORS_GROUP, case_study_review_setup
from school.factories import UserFactory
from school.models import Branch, Region

from .conftest import DESKTOP, PHONE


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SCREENSHOTS = os.environ.get("PRACTICE_SCREENSHOTS")
COMMENT = "Добавьте, сколько жителей пришло на приём за год."


def _shot(page, name):
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / f"{name}.png"), full_page=True)


def _log_in(page, base, username, next_url):
    page.goto(f"{base}/accounts/login/?next={next_url}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()


@pytest.fixture
def exchange(home_page, role_groups):
    """The library, its topics, a secretary in a branch, and the editor who moderates practices
    (a transactional test's flushed database lacks what migration courses.0005 made: made again)."""
    importlib_migration = __import__("importlib").import_module("courses.migrations.0005_case_study_review")
    from django.apps import apps

    importlib_migration.create_case_study_review(apps, None)
    # Wagtail's root collection, which every uploaded photo goes into, is migration data too.
    if Collection.get_first_root_node() is None:
        Collection.add_root(name="Root")
    index = CaseStudyIndexPageFactory(parent=home_page, show_in_menus=True)
    case_study_review_setup(index=index)
    region = Region.objects.create(code="52", name="Нижегородская область")
    branch = Branch.objects.create(region=region, number="12", name="Ивановка")
    TopicFactory(name="Работа с обращениями", slug="obrashcheniya")
    TopicFactory(name="Гранты", slug="granty")
    learner = UserFactory(username="secretary", full_name="Мария Петрова", region=region, branch=branch)
    editor = UserFactory(username="editor", full_name="Ольга Лебедева", is_staff=True, branch=None, region=None)
    editor.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators", CASE_STUDY_MODERATORS_GROUP]))
    return index, learner, editor


@pytest.fixture
def photo_file(tmp_path):
    path = tmp_path / "dvor.jpg"
    picture = PILImage.new("RGB", (1200, 800), "#3b7a57")
    for x in range(0, 1200, 40):
        for y in range(0, 800, 40):
            picture.paste((220, 200 - y // 8, 80 + x // 10), (x, y, x + 20, y + 20))
    buffer = io.BytesIO()
    picture.save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return path


def _review_action(page, base, title, action):
    """The editor's dashboard in the admin: the practice awaiting review, and one of its actions."""
    page.goto(f"{base}/admin/")
    row = page.locator("tr", has_text=title).first
    expect(row).to_be_visible()
    row.get_by_role("button", name=re.compile("Действия|Actions")).click()
    row.get_by_role("button", name=action).click()


def test_a_practice_goes_from_the_form_through_review_to_the_library(live_server, browser, exchange, photo_file):
    index, learner, editor = exchange
    base = live_server.url
    secretary = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    page = secretary.new_page()

    # The home page's invitation leads to the form, through the login.
    page.goto(f"{base}/")
    page.get_by_role("link", name=re.compile("Поделиться практикой|Share your practice")).first.click()
    page.wait_for_url("**/accounts/login/**")
    page.fill("input[name=username]", "secretary")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/practices/submit/")

    # Region and branch come from the profile; an empty send shows the problems first.
    expect(page.locator("#id_branch_number")).to_have_value("12")
    page.get_by_role("button", name=re.compile("Отправить на проверку|Send for review")).click()
    expect(page.locator(".error-summary")).to_be_visible()
    _shot(page, "01-form-errors-phone")
    assert not CaseStudyPage.objects.exists()

    page.fill("#id_title", "Единый журнал обращений в Ивановке")
    page.locator("label", has_text="Работа с обращениями").click()
    page.fill("#id_summary", "Свели записи обращений в один журнал и стали отвечать каждому жителю.")
    page.fill("#id_problem", "Обращения записывали в разные тетради, и ответы терялись.")
    page.fill("#id_actions", "- Завели общую таблицу\n- Назначили ответственных\n- Раз в неделю проверяли сроки")
    page.fill("#id_results", "За год — 63 обращения, по 48 получен ответ.")
    page.set_input_files("#id_photos", str(photo_file))
    _shot(page, "02-form-filled-phone")
    page.get_by_role("button", name=re.compile("Отправить на проверку|Send for review")).click()
    page.wait_for_url("**/my/#my-practices")
    expect(page.locator(".practice-status--in_review")).to_be_visible()
    _shot(page, "03-my-in-review-phone")
    practice = CaseStudyPage.objects.get()
    assert (practice.owner_id, practice.live) == (learner.pk, False)

    # The editor asks for a change in the Wagtail admin.
    admin = browser.new_context(viewport=DESKTOP)
    editor_page = admin.new_page()
    editor_page.goto(f"{base}/admin/login/")
    editor_page.fill("input[name=username]", "editor")
    editor_page.fill("input[name=password]", "password")
    editor_page.locator("form button[type=submit]").click()
    editor_page.wait_for_url(f"{base}/admin/")
    _review_action(editor_page, base, "Единый журнал обращений", re.compile("Запрос изменений|Request changes"))
    editor_page.locator("textarea[name=comment]").fill(COMMENT)
    _shot(editor_page, "04-admin-request-changes")
    editor_page.locator(".w-dialog button[type=submit], .modal button[type=submit]").first.click()
    expect(editor_page.locator("tr", has_text="Единый журнал обращений")).to_have_count(0)
    practice.refresh_from_db()
    assert practice.current_workflow_state.status == "needs_changes"

    # The secretary sees the comment, makes the change and sends it again.
    page.goto(f"{base}/my/")
    expect(page.locator(".practice-status--changes_asked")).to_be_visible()
    expect(page.locator(".practice-comment")).to_contain_text(COMMENT)
    _shot(page, "05-my-changes-asked-phone")
    page.get_by_role("link", name=re.compile("Внести правки|Make the changes")).click()
    expect(page.locator(".practice-comment")).to_contain_text(COMMENT)
    expect(page.locator(".photo-pick")).to_have_count(1)
    _shot(page, "06-edit-form-phone")
    page.fill("#id_results", "За год — 63 обращения, по 48 получен ответ. На приём пришли 120 жителей.")
    page.get_by_role("button", name=re.compile("Сохранить и отправить|Save and send")).click()
    page.wait_for_url("**/my/#my-practices")
    expect(page.locator(".practice-status--in_review")).to_be_visible()

    # The editor publishes it.
    _review_action(editor_page, base, "Единый журнал обращений", re.compile("^(Одобрить|Approve)$"))
    expect(editor_page.locator("tr", has_text="Единый журнал обращений")).to_have_count(0)
    practice.refresh_from_db()
    assert practice.live is True
    admin.close()

    # It is in the library under its topic and found by search; the secretary's page says published.
    page.goto(f"{base}/my/")
    expect(page.locator(".practice-status--published")).to_be_visible()
    page.goto(f"{base}{index.url}?topic=obrashcheniya")
    expect(page.locator(".card__title")).to_have_text(["Единый журнал обращений в Ивановке"])
    page.goto(f"{base}{index.url}?topic=granty")
    expect(page.locator(".card__title")).to_have_count(0)
    page.goto(f"{base}{index.url}")
    page.fill("#filter-q", "журнал жителей")
    page.get_by_role("button", name=re.compile("Показать|Show")).click()
    expect(page.locator(".card__title")).to_have_text(["Единый журнал обращений в Ивановке"])
    _shot(page, "07-library-search-phone")
    page.locator(".card__link").first.click()
    expect(page.locator("h1")).to_have_text("Единый журнал обращений в Ивановке")
    expect(page.locator(".case-study__section--results")).to_contain_text("120 жителей")
    _shot(page, "08-practice-author-phone")
    secretary.close()


def test_a_reader_marks_a_practice_useful_without_javascript(live_server, browser, exchange):
    """With scripts off, "useful" and "we applied it too" post and come back with the counts."""
    index, learner, _editor = exchange
    from courses.factories import CaseStudyPageFactory
    from courses.models import Topic

    practice = CaseStudyPageFactory(
        parent=index, title="Детская площадка за грант", topics=list(Topic.objects.all()), owner=learner
    )
    UserFactory(username="reader", region=learner.region, branch=learner.branch)
    for viewport, suffix in ((PHONE, "phone"), (DESKTOP, "desktop")):
        context = browser.new_context(viewport=viewport, java_script_enabled=False)
        page = context.new_page()
        _log_in(page, live_server.url, "reader", practice.url)
        page.wait_for_url(f"**{practice.url}")
        if suffix == "phone":
            page.get_by_role("button", name=re.compile("Полезно|Useful")).click()
            page.wait_for_url(f"**{practice.url}#marks")
            expect(page.locator(".mark-button--on")).to_have_count(1)
            expect(page.locator(".mark-button--on .mark-button__count")).to_have_text("1")
        _shot(page, f"09-practice-marked-{suffix}")
        page.goto(f"{live_server.url}{index.url}")
        _shot(page, f"10-library-{suffix}")
        page.goto(f"{live_server.url}/practices/submit/")
        _shot(page, f"11-form-{suffix}")
        context.close()
