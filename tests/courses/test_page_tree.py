"""The page-type rules keep the course tree sane, in the models and in the admin."""

from django.contrib.messages import get_messages
from django.urls import reverse

from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from courses.models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    CourseIndexPage,
    CoursePage,
    LessonPage,
    ModulePage,
    QuizPage,
)
from home.models import HomePage


class PageTreeRulesTests(WagtailPageTestCase):
    def test_home_holds_the_course_and_case_study_indexes(self):
        """The home page holds only the two indexes."""
        self.assertAllowedSubpageTypes(HomePage, {CourseIndexPage, CaseStudyIndexPage})

    def test_course_index_holds_courses(self):
        self.assertAllowedSubpageTypes(CourseIndexPage, {CoursePage})
        self.assertAllowedParentPageTypes(CourseIndexPage, {HomePage})

    def test_course_holds_modules_only(self):
        """A course holds modules; a lesson cannot sit directly in a course."""
        self.assertAllowedSubpageTypes(CoursePage, {ModulePage})
        self.assertAllowedParentPageTypes(CoursePage, {CourseIndexPage})

    def test_module_holds_lessons_and_quizzes_and_lives_in_a_course(self):
        self.assertAllowedSubpageTypes(ModulePage, {LessonPage, QuizPage})
        self.assertAllowedParentPageTypes(ModulePage, {CoursePage})

    def test_lessons_and_quizzes_live_in_modules_and_hold_nothing(self):
        self.assertAllowedParentPageTypes(LessonPage, {ModulePage})
        self.assertAllowedParentPageTypes(QuizPage, {ModulePage})
        self.assertAllowedSubpageTypes(LessonPage, set())
        self.assertAllowedSubpageTypes(QuizPage, set())

    def test_case_studies_live_in_their_index(self):
        self.assertAllowedSubpageTypes(CaseStudyIndexPage, {CaseStudyPage})
        self.assertAllowedParentPageTypes(CaseStudyPage, {CaseStudyIndexPage})
        self.assertAllowedSubpageTypes(CaseStudyPage, set())


def _add_page_url(page_class, parent):
    meta = page_class._meta
    return reverse("wagtailadmin_pages:add", args=[meta.app_label, meta.model_name, parent.pk])


def _assert_refused(response):
    """Wagtail answers a forbidden page type by sending the editor back to the dashboard with a message."""
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_home")
    messages = [str(message) for message in get_messages(response.wsgi_request)]
    assert any("permission" in message or "доступ" in message for message in messages), messages


def test_admin_refuses_a_lesson_outside_a_module(admin_client, course_tree):
    """The admin will neither open the editor for a lesson placed directly in a course nor save one."""
    pages_before = Page.objects.count()
    _assert_refused(admin_client.get(_add_page_url(LessonPage, course_tree.course)))
    _assert_refused(
        admin_client.post(_add_page_url(LessonPage, course_tree.course), {"title": "Урок", "slug": "lesson"})
    )
    assert Page.objects.count() == pages_before


def test_admin_refuses_a_module_outside_a_course(admin_client, course_tree):
    """A module cannot be added under the course index or the home page."""
    for parent in (course_tree.course_index, course_tree.home):
        _assert_refused(admin_client.get(_add_page_url(ModulePage, parent)))


def test_admin_offers_lesson_and_quiz_under_a_module(admin_client, course_tree):
    """Choosing a page type under a module lists exactly lessons and quizzes."""
    response = admin_client.get(reverse("wagtailadmin_pages:add_subpage", args=[course_tree.module_one.pk]))
    assert response.status_code == 200
    offered = {model_name for _name, _app, model_name, _description in response.context["page_types"]}
    assert offered == {"lessonpage", "quizpage"}
