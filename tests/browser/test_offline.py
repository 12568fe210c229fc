"""A learner on a dropping connection, in Chromium: a module saved for offline opens without the network,
lessons marked done offline wait on the device and are sent once the connection is back, exactly once.

Set SCREENSHOTS_DIR to keep pictures of the offline states (they are not kept otherwise)."""

import os
import re
from pathlib import Path

import pytest
import wagtail_factories
from playwright.sync_api import expect

from django.conf import settings
from django.test import Client
from django.utils import translation

from progress.models import LessonCompletion, OfflineAction

from .conftest import PHONE


pytestmark = [pytest.mark.browser, pytest.mark.offline, pytest.mark.django_db(transaction=True)]


def _ru(message, **values):
    with translation.override("ru"):
        text = translation.gettext(message)
    return text.format(**values) if values else text


def _log_in(context, live_server, user):
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME].value
    context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}])


def _screenshot(page, name):
    folder = os.environ.get("SCREENSHOTS_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.fixture
def media_on_disk(settings, tmp_path):
    """Pictures written where the site serves them from, as in production."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    return settings.MEDIA_ROOT


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True)
    yield context
    context.close()


def _settle(page):
    """Let the page finish what it does after the test's last check (it keeps the next lessons), so that no
    request is still reading the database when the test's data is removed."""
    page.wait_for_load_state("networkidle")


def _wait_for_worker(page):
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=15000)


def test_module_saved_for_offline_then_lessons_done_offline_are_sent_once(
    live_server, phone, course_tree, learner, media_on_disk
):
    picture = wagtail_factories.ImageFactory(title="Приём жителей", file__width=800, file__height=450)
    lesson_two = course_tree.lesson_two
    lesson_two.body = [("image", {"image": {"image": picture, "decorative": False, "alt_text": "Приём"}})]
    lesson_two.save_revision().publish()
    _log_in(phone, live_server, learner)
    page = phone.new_page()
    outbox_posts = []
    page.on(
        "request", lambda request: request.method == "POST" and "/outbox/" in request.url and outbox_posts.append(1)
    )

    page.goto(live_server.url + course_tree.module_one.url)
    _wait_for_worker(page)
    page.get_by_role("button", name=_ru("Save this module for offline")).click()
    state = page.locator("[data-offline-state]")
    expect(state).to_contain_text(re.compile(r"\d+(,\d)? (кБ|МБ)"), timeout=15000)
    _screenshot(page, "offline-module-saved")

    phone.set_offline(True)
    # The first lesson opens from the device; so does the second, with its picture.
    page.goto(live_server.url + course_tree.lesson_one.url)
    expect(page.locator("h1")).to_have_text(course_tree.lesson_one.title)
    page.get_by_role("button", name=_ru("Mark as done")).click()
    expect(page.locator(".lesson-done")).to_contain_text(
        _ru("Saved on this device, will be sent when the connection is back")
    )
    page.goto(live_server.url + lesson_two.url)
    expect(page.locator("h1")).to_have_text(lesson_two.title)
    assert page.locator(".stream img").evaluate("img => img.complete && img.naturalWidth > 0")
    page.get_by_role("button", name=_ru("Mark as done")).click()
    waiting = _ru("Waiting to be sent: {count}", count=2)
    expect(page.locator("[data-outbox-status]")).to_contain_text(waiting)
    _screenshot(page, "offline-two-waiting")

    # Still offline, after a reload: the actions are on the device, the page shows them kept.
    page.reload()
    expect(page.locator("[data-outbox-status]")).to_contain_text(waiting)
    expect(page.get_by_role("button", name=_ru("Mark as done"))).to_have_count(0)
    # A quiz is not kept: the offline page answers, and lists what the device holds.
    page.goto(live_server.url + course_tree.quiz.url)
    expect(page.locator("h1")).to_have_text(_ru("No connection"))
    expect(page.locator("[data-offline-list]")).to_contain_text(lesson_two.title)
    _screenshot(page, "offline-page")
    assert LessonCompletion.objects.count() == 0
    assert outbox_posts == []

    page.goto(live_server.url + lesson_two.url)
    phone.set_offline(False)
    expect(page.locator("[data-outbox-status]")).to_contain_text(
        _ru("Sent to the server: {count}", count=2), timeout=10000
    )
    expect(page.locator("[data-outbox-status]")).not_to_contain_text(waiting)
    done = LessonCompletion.objects.filter(learner=learner)
    assert set(done.values_list("lesson_id", flat=True)) == {course_tree.lesson_one.pk, lesson_two.pk}
    assert OfflineAction.objects.filter(learner=learner).count() == 2
    _screenshot(page, "offline-sent")

    # Sending again finds nothing to send: no second request, nothing changes.
    posts_before = len(outbox_posts)
    page.reload()
    result = page.evaluate("Outbox.send(document.body.dataset.outbox)")
    assert result["sent"] == [] and result["refused"] == []
    assert len(outbox_posts) == posts_before
    assert done.count() == 2
    # The lesson page kept on the device was refreshed: offline, it shows the lesson done.
    phone.set_offline(True)
    page.goto(live_server.url + lesson_two.url)
    expect(page.locator(".lesson-done")).to_contain_text(_ru("You have done this lesson."))


def test_saved_module_can_be_removed(live_server, phone, course_tree, learner):
    _log_in(phone, live_server, learner)
    page = phone.new_page()
    page.goto(live_server.url + course_tree.module_one.url)
    _wait_for_worker(page)
    page.get_by_role("button", name=_ru("Save this module for offline")).click()
    remove = page.get_by_role("button", name=_ru("Remove from this device"))
    expect(remove).to_be_visible(timeout=15000)
    remove.click()
    expect(page.locator("[data-offline-state]")).to_have_text(_ru("Removed from this device."))
    assert not page.evaluate(f"caches.has('module-{course_tree.module_one.pk}')")


def test_on_a_shared_phone_one_learners_waiting_actions_are_never_sent_as_anothers(
    live_server, phone, course_tree, learner, other_learner
):
    _log_in(phone, live_server, learner)
    page = phone.new_page()
    outbox_posts = []
    page.on(
        "request", lambda request: request.method == "POST" and "/outbox/" in request.url and outbox_posts.append(1)
    )
    page.goto(live_server.url + course_tree.lesson_one.url)
    _wait_for_worker(page)
    # Opened again under the worker: this time the page is kept on the device, with the first one's name.
    page.reload()
    assert learner.full_name in page.evaluate(
        "caches.match(location.href).then(response => response ? response.text() : '')"
    )
    phone.set_offline(True)
    page.get_by_role("button", name=_ru("Mark as done")).click()
    expect(page.locator("[data-outbox-status]")).to_contain_text(_ru("Waiting to be sent: {count}", count=1))

    # The first secretary's session ends: the next page, anyone's, removes what was kept for them.
    phone.clear_cookies()
    phone.set_offline(False)
    page.goto(live_server.url + "/")
    expect(page.locator(".account__login")).to_be_visible()
    page.wait_for_function("() => caches.keys().then(names => !names.includes('pages'))")
    # Another secretary signs in on the same phone.
    _log_in(phone, live_server, other_learner)
    page.goto(live_server.url + course_tree.lesson_one.url)
    expect(page.locator(".account__name")).to_have_text(other_learner.full_name)
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-outbox-status]")).to_be_hidden()
    expect(page.get_by_role("button", name=_ru("Mark as done"))).to_be_visible()
    assert outbox_posts == []
    assert not LessonCompletion.objects.exists()
    # What the first one's pages showed is gone from the device (what is kept now is the second one's).
    kept_pages = page.evaluate(
        """async () => {
            const texts = [];
            for (const name of (await caches.keys()).filter((name) => !name.startsWith("static-"))) {
                const cache = await caches.open(name);
                for (const request of await cache.keys()) {
                    const response = await cache.match(request);
                    const type = response.headers.get("Content-Type") || "";
                    if (type.startsWith("text/html")) texts.push(await response.text());
                }
            }
            return texts;
        }"""
    )
    assert kept_pages
    assert not [text for text in kept_pages if learner.full_name in text]

    # Back in their own session, the first secretary's action is sent, for them.
    phone.clear_cookies()
    _log_in(phone, live_server, learner)
    page.goto(live_server.url + course_tree.lesson_two.url)
    expect(page.locator("[data-outbox-status]")).to_contain_text(_ru("Sent to the server: {count}", count=1))
    assert list(LessonCompletion.objects.values_list("learner_id", "lesson_id")) == [
        (learner.pk, course_tree.lesson_one.pk)
    ]
    _settle(page)


def test_a_lesson_unpublished_while_offline_is_refused_with_the_reason(live_server, phone, course_tree, learner):
    _log_in(phone, live_server, learner)
    page = phone.new_page()
    page.goto(live_server.url + course_tree.lesson_two.url)
    _wait_for_worker(page)
    phone.set_offline(True)
    page.get_by_role("button", name=_ru("Mark as done")).click()
    expect(page.locator("[data-outbox-status]")).to_contain_text(_ru("Waiting to be sent: {count}", count=1))

    # While the phone is offline, an editor takes the lesson down.
    course_tree.lesson_two.unpublish()
    # Back online, on the same page: the page (on "online") or the service worker (Background Sync) sends it.
    phone.set_offline(False)
    status = page.locator("[data-outbox-status]")
    expect(status).to_contain_text(_ru("This lesson is not available."), timeout=10000)
    expect(status).to_contain_text(course_tree.lesson_two.title)
    expect(status).not_to_contain_text(_ru("Waiting to be sent: {count}", count=1))
    _screenshot(page, "offline-refused")
    assert not LessonCompletion.objects.exists()
    _settle(page)
