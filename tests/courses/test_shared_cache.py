"""The parts of course pages every learner shares are cached (school.content_cache, {% sharedcache %}):
a change of content shows at once, one person's state never reaches another, a Wagtail preview
leaves the cache alone, and a lesson page costs a small, constant number of queries."""

import re

import pytest

from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.models import Page, PageViewRestriction, Site
from wagtail.test.utils.form_data import nested_form_data, querydict_from_html, rich_text, streamfield

from courses.factories import CoursePageFactory, LessonPageFactory, ModulePageFactory
from courses.models import LessonPage
from home.models import SiteSettings
from progress.models import LessonCompletion, MentorNote
from school.factories import UserFactory
from school.models import User
from school.templatetags import shared_cache as shared_cache_tags
from tests.threads import in_another_connection


def _html(client, page_or_url, status=200):
    url = page_or_url if isinstance(page_or_url, str) else page_or_url.url
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.content.decode()


def _gone(client, old_url, new_url):
    """The old URL no longer serves the page: a 404, or Wagtail's automatic redirect to the new URL
    (wagtail.contrib.redirects answers only where the site itself found nothing)."""
    response = client.get(old_url)
    if response.status_code != 404:
        assert response.status_code == 301, (old_url, response.status_code)
        assert response["Location"] == new_url


def _section(html, start, end):
    """The markup from the first `start` to the next `end` (both included); empty when absent."""
    begin = html.find(start)
    if begin == -1:
        return ""
    return html[begin : html.index(end, begin) + len(end)]


def _sidebar(html):
    return _section(html, '<nav class="course-nav"', "</nav>")


def _breadcrumbs(html):
    return _section(html, '<nav class="breadcrumbs"', "</nav>")


def _header_nav(html):
    return _section(html, '<nav class="primary-nav"', "</nav>")


def _sidebar_item(html, page):
    """The sidebar's list item of one lesson or quiz."""
    match = re.search(rf'<li class="course-nav__item[^"]*" data-item="{page.pk}">', _sidebar(html))
    assert match, f"{page.title} is not in the sidebar"
    return match.group(0)


def _percent(html):
    return re.search(r"data-progress-percent>(\d+)%<", _sidebar(html)).group(1)


def _republish(page, **changes):
    page = page.specific_class.objects.get(pk=page.pk)
    for name, value in changes.items():
        setattr(page, name, value)
    page.save_revision().publish()
    return page.specific_class.objects.get(pk=page.pk)


def _edit_form(client, page):
    """The Wagtail page editor's form as a browser would submit it, unchanged."""
    response = client.get(reverse("wagtailadmin_pages:edit", args=[page.pk]))
    assert response.status_code == 200
    return querydict_from_html(response.content.decode(), form_id="page-edit-form")


def _with_body(data, text):
    """Form data with the lesson body replaced by one paragraph (the StreamField is drawn by script,
    so the rendered form carries none of its inputs)."""
    data.update(nested_form_data({"body": streamfield([("paragraph", rich_text(f"<p>{text}</p>"))])}))
    return data


@pytest.fixture
def warm(learner_client, course_tree):
    """Every course page seen once by the learner, so that the shared parts are in the cache."""
    for page in (
        course_tree.course,
        course_tree.module_one,
        course_tree.lesson_one,
        course_tree.lesson_two,
        course_tree.quiz,
        course_tree.module_two,
        course_tree.lesson_three,
        course_tree.home,
    ):
        _html(learner_client, page)
    return course_tree


@pytest.mark.django_db
class ContentChangeTests:
    def test_published_revision_shows_on_the_lesson_the_module_and_other_pages_sidebars(self, learner_client, warm):
        """A lesson's new title and body, published, replace the cached ones on every page at once."""
        _republish(
            warm.lesson_two,
            title="Наказы: новая редакция",
            body=[("paragraph", "<p>Наказ записывают в журнал в день приёма.</p>")],
        )
        lesson = _html(learner_client, warm.lesson_two)
        assert "<h1>Наказы: новая редакция</h1>" in lesson
        assert "Наказ записывают в журнал в день приёма." in lesson
        assert "Наказы избирателей" not in lesson
        assert "Наказы: новая редакция" in _html(learner_client, warm.module_one)
        for other in (warm.lesson_one, warm.quiz):
            sidebar = _sidebar(_html(learner_client, other))
            assert "Наказы: новая редакция" in sidebar
            assert "Наказы избирателей" not in sidebar

    def test_renamed_module_shows_in_the_breadcrumbs_and_sidebar_of_its_lessons(self, learner_client, warm):
        """A module's new title reaches the cached breadcrumbs and sidebar of the pages below it."""
        _republish(warm.module_one, title="Обращения граждан")
        for page in (warm.lesson_one, warm.lesson_two, warm.quiz):
            html = _html(learner_client, page)
            assert "Обращения граждан" in _breadcrumbs(html)
            assert "Работа с обращениями" not in _breadcrumbs(html)
            assert "Обращения граждан" in _sidebar(html)

    def test_publishing_from_the_wagtail_editor_shows_at_once(self, learner_client, admin_client, warm):
        """An editor's "Publish" in the Wagtail page editor updates the cached lesson, module and sidebars."""
        data = _with_body(_edit_form(admin_client, warm.lesson_one), "Приём ведут по вторникам и четвергам.")
        data["title"] = "Приём граждан по графику"
        data["action-publish"] = "action-publish"
        response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[warm.lesson_one.pk]), data)
        assert response.status_code == 302, response.content.decode()[:2000]
        lesson = _html(learner_client, warm.lesson_one)
        assert "Приём ведут по вторникам и четвергам." in lesson
        assert "Приём проводится по графику" not in lesson
        assert "<h1>Приём граждан по графику</h1>" in lesson
        assert "Приём граждан по графику" in _html(learner_client, warm.module_one)
        assert "Приём граждан по графику" in _sidebar(_html(learner_client, warm.lesson_two))

    def test_draft_saved_in_the_editor_is_not_shown(self, learner_client, admin_client, warm):
        """Saving a draft (no publish) leaves learners on the published text, even though it bumps the version."""
        data = _with_body(_edit_form(admin_client, warm.lesson_one), "Черновик, не для слушателей.")
        response = admin_client.post(reverse("wagtailadmin_pages:edit", args=[warm.lesson_one.pk]), data)
        assert response.status_code == 302
        lesson = _html(learner_client, warm.lesson_one)
        assert "Черновик, не для слушателей." not in lesson
        assert "Приём проводится по графику" in lesson

    def test_unpublished_lesson_leaves_the_sidebar_and_outline_and_is_a_404(self, learner_client, warm):
        """Unpublishing drops the lesson from the cached sidebar, course outline and route."""
        LessonPage.objects.get(pk=warm.lesson_two.pk).unpublish()
        _html(learner_client, warm.lesson_two, status=404)
        assert f'data-item="{warm.lesson_two.pk}"' not in _html(learner_client, warm.lesson_one)
        assert "Наказы избирателей" not in _html(learner_client, warm.course)
        assert "Наказы избирателей" not in _html(learner_client, warm.module_one)

    def test_unpublished_lesson_from_the_wagtail_admin_is_a_404(self, learner_client, admin_client, warm):
        """The admin's unpublish view has the same effect as the model's unpublish()."""
        response = admin_client.post(reverse("wagtailadmin_pages:unpublish", args=[warm.lesson_two.pk]))
        assert response.status_code == 302
        _html(learner_client, warm.lesson_two, status=404)
        assert f'data-item="{warm.lesson_two.pk}"' not in _html(learner_client, warm.lesson_one)

    def test_moved_lesson_answers_at_its_new_url_only(self, learner_client, warm):
        """Moving a lesson to another module: the cached route of its old URL no longer answers."""
        old_url = warm.lesson_two.url
        Page.objects.get(pk=warm.lesson_two.pk).move(warm.module_two, pos="last-child")
        moved = LessonPage.objects.get(pk=warm.lesson_two.pk)
        assert moved.url != old_url
        _gone(learner_client, old_url, moved.url)
        assert "<h1>Наказы избирателей</h1>" in _html(learner_client, moved)
        assert f'data-item="{moved.pk}"' not in _sidebar(_html(learner_client, warm.lesson_one))
        assert f'data-item="{moved.pk}"' in _sidebar(_html(learner_client, warm.lesson_three))

    def test_moved_lesson_from_the_wagtail_admin_answers_at_its_new_url_only(self, learner_client, admin_client, warm):
        """The admin's move view invalidates the cached route too."""
        old_url = warm.lesson_two.url
        response = admin_client.post(
            reverse("wagtailadmin_pages:move_confirm", args=[warm.lesson_two.pk, warm.module_two.pk])
        )
        assert response.status_code == 302
        moved = LessonPage.objects.get(pk=warm.lesson_two.pk)
        _gone(learner_client, old_url, moved.url)
        _html(learner_client, moved)

    def test_renamed_lesson_slug_answers_at_its_new_url_only(self, learner_client, warm):
        """A lesson published with a new slug: the old URL no longer serves it, the new one does."""
        old_url = warm.lesson_two.url
        renamed = _republish(warm.lesson_two, slug="voters-mandates")
        assert renamed.url == old_url.replace("/mandates/", "/voters-mandates/")
        _gone(learner_client, old_url, renamed.url)
        _html(learner_client, renamed)
        assert f'href="{renamed.url}"' in _sidebar(_html(learner_client, warm.lesson_one))

    def test_renamed_module_slug_moves_the_urls_of_its_lessons(self, learner_client, warm):
        """A module's new slug moves its lessons' URLs (rewritten in SQL, without their own save)."""
        old_urls = [warm.module_one.url, warm.lesson_one.url, warm.quiz.url]
        _republish(warm.module_one, slug="citizens")
        for old_url in old_urls:
            new_url = old_url.replace("/requests/", "/citizens/")
            _gone(learner_client, old_url, new_url)
            _html(learner_client, new_url)

    def test_new_lesson_appears_in_the_sidebar(self, learner_client, warm):
        """A lesson added to a module shows in the cached sidebar and outline at once, and is served."""
        new = LessonPageFactory(parent=warm.module_one, title="Отчёт перед жителями", slug="report")
        assert f'data-item="{new.pk}"' in _sidebar(_html(learner_client, warm.lesson_one))
        assert "Отчёт перед жителями" in _html(learner_client, warm.module_one)
        assert "<h1>Отчёт перед жителями</h1>" in _html(learner_client, new)

    def test_site_settings_show_at_once(self, learner_client, warm):
        """Editing the organisation name and footer text is seen on the next page."""
        site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
        site_settings.organisation_name = "Высшая партийная школа (новое имя)"
        site_settings.footer_text = "Звоните по будням."
        site_settings.save()
        html = _html(learner_client, warm.lesson_one)
        assert "Высшая партийная школа (новое имя)" in html
        assert "Звоните по будням." in html

    def test_site_settings_edited_in_the_wagtail_admin_show_at_once(self, learner_client, admin_client, warm):
        """The admin's settings form changes the cached footer too."""
        site = Site.objects.get(is_default_site=True)
        url = reverse("wagtailsettings:edit", args=["home", "sitesettings", site.pk])
        response = admin_client.get(url)
        assert response.status_code == 200
        data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
        data["footer_text"] = "Приёмная открыта с 9 до 18."
        assert admin_client.post(url, data).status_code == 302
        assert "Приёмная открыта с 9 до 18." in _html(learner_client, warm.home)

    def test_site_name_shows_at_once(self, learner_client, warm):
        """The Wagtail site's name, cached with the site, changes in the header on the next page."""
        site = Site.objects.get(is_default_site=True)
        site.site_name = "Школа секретаря онлайн"
        site.save()
        assert '<span class="brand__name">Школа секретаря онлайн</span>' in _html(learner_client, warm.lesson_one)

    def test_menu_pages_follow_show_in_menus(self, learner_client, warm):
        """Taking a page out of the menu removes it from the cached header navigation; putting it back restores it."""
        case_url = warm.case_index.url
        assert f'href="{case_url}"' in _header_nav(_html(learner_client, warm.lesson_one))
        _republish(warm.case_index, show_in_menus=False)
        assert f'href="{case_url}"' not in _header_nav(_html(learner_client, warm.lesson_one))
        assert f'href="{case_url}"' not in _header_nav(_html(learner_client, warm.home))
        _republish(warm.case_index, show_in_menus=True)
        assert f'href="{case_url}"' in _header_nav(_html(learner_client, warm.lesson_one))

    def test_the_menu_marks_the_section_of_each_page_whoever_came_first(self, learner_client, warm):
        """The shared menu varies on the section: a course page marks the courses entry, a practice
        page the practices entry, /my/ neither."""
        courses, practices = warm.course_index.url, warm.case_index.url
        for page, current in ((warm.lesson_one, courses), (warm.case_study, practices), (warm.course, courses)):
            nav = _header_nav(_html(learner_client, page))
            assert re.findall(r'href="([^"]+)" aria-current="true"', nav) == [current]
        nav = _header_nav(_html(learner_client, reverse("progress:dashboard")))
        assert "aria-current" not in nav and f'href="{courses}"' in nav

    def test_a_new_release_renders_the_shared_parts_again(self, learner_client, warm, monkeypatch):
        """Shared parts carry the release in their keys: a release never serves what the previous one
        rendered with its templates, even from a cache both share."""
        stored = []
        monkeypatch.setattr(shared_cache_tags, "shared_set", lambda key, value: stored.append(key))
        _html(learner_client, warm.lesson_one)
        assert stored == []  # all shared parts from the cache
        monkeypatch.setattr(shared_cache_tags, "release", lambda: "next-release")
        _html(learner_client, warm.lesson_one)
        assert len(stored) >= 5  # head, menu, lesson body, sidebar, footer… rendered again


@pytest.fixture
def two_learners(course_tree):
    """Two signed-in learners: the first has done lesson one, the second nothing yet."""
    ahead = UserFactory(username="ahead", full_name="Ирина Соколова")
    behind = UserFactory(username="behind", full_name="Павел Громов")
    LessonCompletion.objects.create(learner=ahead, lesson=course_tree.lesson_one)
    clients = {}
    for user in (ahead, behind):
        clients[user.username] = Client()
        clients[user.username].force_login(user)
    return clients


@pytest.mark.django_db
class NoLeakBetweenUsersTests:
    @pytest.mark.parametrize("order", [("ahead", "behind"), ("behind", "ahead")])
    def test_each_learner_sees_their_own_marks_percent_and_name(self, course_tree, two_learners, order):
        """Whoever loads the pages first, each learner gets their own done marks, percentage and name."""
        pages = (course_tree.lesson_one, course_tree.lesson_two, course_tree.module_one)
        seen = {username: [_html(two_learners[username], page) for page in pages] for username in order}
        for html in seen["ahead"]:
            assert "is-done" in _sidebar_item(html, course_tree.lesson_one)
            assert "is-done" not in _sidebar_item(html, course_tree.lesson_two)
            assert _percent(html) == "25"  # one of the four required items
            assert "Ирина Соколова" in html and "Павел Громов" not in html
        for html in seen["behind"]:
            assert "is-done" not in _sidebar_item(html, course_tree.lesson_one)
            assert _percent(html) == "0"
            assert "Павел Громов" in html and "Ирина Соколова" not in html
        assert "state--done" in _section(seen["ahead"][0], '<div class="lesson-done"', "</div>")
        assert "data-complete-form" not in seen["ahead"][0]
        assert "data-complete-form" in seen["behind"][0]

    def test_marking_a_lesson_done_changes_only_that_learners_sidebar(self, course_tree, two_learners):
        """After a completion the learner's sidebar moves on; the other's cached one stays as it was."""
        for client in two_learners.values():
            _html(client, course_tree.lesson_two)
        response = two_learners["behind"].post(reverse("progress:lesson_complete", args=[course_tree.lesson_two.pk]))
        assert response.status_code == 302
        behind = _html(two_learners["behind"], course_tree.lesson_one)
        ahead = _html(two_learners["ahead"], course_tree.lesson_one)
        assert "is-done" in _sidebar_item(behind, course_tree.lesson_two)
        assert "is-done" not in _sidebar_item(behind, course_tree.lesson_one)
        assert "is-done" not in _sidebar_item(ahead, course_tree.lesson_two)
        assert "is-done" in _sidebar_item(ahead, course_tree.lesson_one)

    def test_a_mentor_note_pinned_to_a_lesson_shows_to_its_learner_only(self, course_tree, two_learners):
        """A note for one learner, pinned to a lesson, never appears on another learner's view of it."""
        mentor = UserFactory(username="mentor", full_name="Ольга Наставница")
        ahead = User.objects.get(username="ahead")
        MentorNote.objects.create(
            mentor=mentor, learner=ahead, lesson=course_tree.lesson_one, text="Ирина, перечитайте раздел о графике."
        )
        first = _html(two_learners["ahead"], course_tree.lesson_one)
        second = _html(two_learners["behind"], course_tree.lesson_one)
        again = _html(two_learners["ahead"], course_tree.lesson_one)
        assert "Ирина, перечитайте раздел о графике." in first
        assert "Ирина, перечитайте раздел о графике." in again
        assert "Ирина, перечитайте раздел о графике." not in second

    def test_a_note_written_after_the_learners_last_view_shows_at_once_and_goes_when_deleted(
        self, course_tree, two_learners
    ):
        """The pages with a note are read with the learner's progress on every view, never kept."""
        mentor = UserFactory(username="mentor", full_name="Ольга Наставница")
        ahead = User.objects.get(username="ahead")
        before = _html(two_learners["ahead"], course_tree.lesson_two)
        note = MentorNote.objects.create(
            mentor=mentor, learner=ahead, lesson=course_tree.lesson_two, text="Посмотрите пример протокола."
        )
        shown = _html(two_learners["ahead"], course_tree.lesson_two)
        note.delete()
        after = _html(two_learners["ahead"], course_tree.lesson_two)
        assert "Посмотрите пример протокола." not in before
        assert "Посмотрите пример протокола." in shown
        assert "Посмотрите пример протокола." not in after

    def test_csrf_token_of_the_mark_as_done_form_belongs_to_each_session(self, course_tree):
        """The form is outside the shared fragments: each session's token is its own and is accepted."""
        url = reverse("progress:lesson_complete", args=[course_tree.lesson_two.pk])
        tokens = {}
        clients = {}
        for username in ("first", "second"):
            clients[username] = Client(enforce_csrf_checks=True)
            clients[username].force_login(UserFactory(username=username))
            form = _section(_html(clients[username], course_tree.lesson_two), f'action="{url}"', "</form>")
            tokens[username] = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
        assert tokens["first"] != tokens["second"]
        response = clients["second"].post(url, {"csrfmiddlewaretoken": tokens["second"]})
        assert response.status_code == 302  # a cached token from the first session would be refused (403)
        response = clients["first"].post(url, {"csrfmiddlewaretoken": tokens["second"]})
        assert response.status_code == 403

    def test_visitor_of_a_public_module_gets_no_learners_sidebar(self, client, course_tree, two_learners):
        """After a learner with progress loaded a module, a visitor sees no progress, marks or name."""
        _html(two_learners["ahead"], course_tree.module_one)
        _html(two_learners["behind"], course_tree.module_one)
        html = _html(client, course_tree.module_one)
        sidebar = _sidebar(html)
        assert sidebar, "the visitor sees the course contents"
        assert "data-progress" not in sidebar
        assert "is-done" not in sidebar
        assert "Ирина Соколова" not in html and "Павел Громов" not in html
        assert 'class="account__login"' in html

    def test_visitor_first_then_a_learner_gets_their_progress(self, client, course_tree, two_learners):
        """The visitor's sidebar, cached first, is not served to a learner afterwards."""
        _html(client, course_tree.module_one)
        html = _html(two_learners["ahead"], course_tree.module_one)
        assert "data-progress" in _sidebar(html)
        assert "is-done" in _sidebar_item(html, course_tree.lesson_one)


def _preview(admin_client, page, data):
    url = reverse("wagtailadmin_pages:preview_on_edit", args=[page.pk])
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert response.json()["is_valid"] is True, response.json()
    response = admin_client.get(url)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.django_db
class PreviewTests:
    def test_preview_shows_the_draft_and_leaves_the_published_lesson_cached(self, learner_client, admin_client, warm):
        """The editor's preview of a changed body shows it; learners then still get the published body."""
        data = _with_body(_edit_form(admin_client, warm.lesson_one), "Черновик: приём по записи.")
        data["title"] = "Приём граждан (черновик)"
        preview = _preview(admin_client, warm.lesson_one, data)
        assert "Черновик: приём по записи." in preview
        assert "Приём проводится по графику" not in preview
        lesson = _html(learner_client, warm.lesson_one)
        assert "Приём проводится по графику" in lesson
        assert "Черновик: приём по записи." not in lesson
        assert "Приём граждан (черновик)" not in lesson
        assert "Приём граждан (черновик)" not in _sidebar(_html(learner_client, warm.lesson_two))

    def test_preview_before_any_learner_does_not_fill_the_cache(self, learner_client, admin_client, course_tree):
        """A preview taken while the cache is empty stores nothing a learner would be served."""
        data = _with_body(_edit_form(admin_client, course_tree.lesson_one), "Черновик: приём по записи.")
        assert "Черновик: приём по записи." in _preview(admin_client, course_tree.lesson_one, data)
        lesson = _html(learner_client, course_tree.lesson_one)
        assert "Приём проводится по графику" in lesson
        assert "Черновик: приём по записи." not in lesson


@pytest.mark.django_db
class ViewRestrictionTests:
    def test_login_restriction_added_after_pages_were_served_applies_at_once(self, client, course_tree):
        """The cached "no page is restricted" answer is dropped when a restriction is added."""
        _html(client, course_tree.module_one)
        PageViewRestriction.objects.create(page=course_tree.course, restriction_type=PageViewRestriction.LOGIN)
        response = client.get(course_tree.module_one.url)
        assert response.status_code == 302
        assert "login" in response["Location"]

    def test_password_restriction_added_after_pages_were_served_applies_at_once(self, learner_client, warm):
        """A password restriction on a lesson hides its body from a learner who read it a moment ago."""
        PageViewRestriction.objects.create(
            page=warm.lesson_one, restriction_type=PageViewRestriction.PASSWORD, password="tajna"
        )
        html = _html(learner_client, warm.lesson_one)
        assert "Приём проводится по графику" not in html
        assert 'name="password"' in html

    def test_removing_the_last_restriction_opens_the_page_again(self, client, course_tree):
        """Deleting the restriction is a change too: the page is served again at once."""
        restriction = PageViewRestriction.objects.create(
            page=course_tree.module_one, restriction_type=PageViewRestriction.LOGIN
        )
        assert client.get(course_tree.module_one.url).status_code == 302
        restriction.delete()
        _html(client, course_tree.module_one)


def _course_of_size(parent, lessons, slug):
    course = CoursePageFactory(parent=parent, slug=slug)
    module = ModulePageFactory(parent=course, slug=f"{slug}-module")
    return [LessonPageFactory(parent=module, slug=f"{slug}-lesson-{number}") for number in range(lessons)]


def _query_count(callable_):
    with CaptureQueriesContext(connection) as context:
        callable_()
    return len(context.captured_queries)


@pytest.mark.django_db
class QueryCountTests:
    @pytest.mark.parametrize("size", [2, 50])
    def test_lesson_page_costs_at_most_six_queries_in_the_steady_state(
        self, learner_client, course_tree, size, django_assert_max_num_queries
    ):
        """Signed in, after one warm-up request, a lesson page costs at most 6 queries whatever the course's size."""
        lessons = _course_of_size(course_tree.course_index, size, f"size-{size}")
        _html(learner_client, lessons[1])
        # The page itself, the session's user, the learner's done items: the route, the outline,
        # the sidebar, the lesson body and the site come from the cache.
        with django_assert_max_num_queries(6):
            _html(learner_client, lessons[1])

    def test_lesson_page_costs_the_same_for_2_and_50_lessons(self, learner_client, course_tree):
        """The steady-state cost of a lesson page does not grow with the course."""
        counts = {}
        for size in (2, 50):
            lessons = _course_of_size(course_tree.course_index, size, f"size-{size}")
            _html(learner_client, lessons[1])
            counts[size] = _query_count(lambda lesson=lessons[1]: _html(learner_client, lesson))
        assert counts[2] == counts[50]

    def test_completion_post_costs_the_same_for_2_and_50_lessons(self, learner_client, course_tree):
        """Marking a lesson done costs the same number of queries in a course of 2 and of 50 lessons."""
        counts = {}
        for size in (2, 50):
            lessons = _course_of_size(course_tree.course_index, size, f"size-{size}")
            _html(learner_client, lessons[0])
            url = reverse("progress:lesson_complete", args=[lessons[0].pk])
            counts[size] = _query_count(lambda url=url: learner_client.post(url))
        assert counts[2] == counts[50]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second connection reading committed rows")
@pytest.mark.django_db(transaction=True)
class CommitRaceTests:
    def test_a_page_served_while_a_change_commits_does_not_keep_the_old_content(self, course_tree):
        """A learner's request served between the save (which bumps the version) and the commit
        must not keep the old text cached under the new version: after the commit it is gone.

        Wagtail's admin saves settings, snippets, users and groups inside transaction.atomic
        (generic EditView.form_valid), so the post_save that bumps the version runs before the commit."""
        reader = Client()
        reader.force_login(UserFactory(username="reader"))
        _html(reader, course_tree.home)
        site_settings = SiteSettings.for_site(Site.objects.get(is_default_site=True))
        with transaction.atomic():  # as the Wagtail settings editor saves
            site_settings.footer_text = "Новый текст подвала."
            site_settings.save()
            during = in_another_connection(lambda: _html(reader, course_tree.home))
        assert "Новый текст подвала." not in during  # the other worker read the committed (old) row
        assert "Новый текст подвала." in _html(reader, course_tree.home)
