import importlib
from types import SimpleNamespace

import pytest

from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache

from wagtail.models import Locale, Page, Site

from courses.factories import (
    CaseStudyIndexPageFactory,
    CaseStudyPageFactory,
    CourseIndexPageFactory,
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    quiz_with_questions,
)
from home.models import HomePage, SiteSettings
from school.content_cache import local_entries_clear
from school.factories import UserFactory


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache: cached outlines and page parts of one test's pages
    must not answer for another test's pages that reuse their ids; nor what the process keeps in memory."""
    cache.clear()
    local_entries_clear()


@pytest.fixture
def home_page(db):
    """The site's home page; the data migration makes it, a flushed transactional test database lacks it."""
    home = HomePage.objects.first()
    if home is None:
        Locale.objects.get_or_create(language_code=settings.LANGUAGE_CODE)
        root = Page.get_first_root_node() or Page.add_root(title="Root", slug="root")
        home = root.add_child(instance=HomePage(title="Школа секретаря", slug="home"))
    site, _created = Site.objects.update_or_create(
        is_default_site=True, defaults={"hostname": "localhost", "root_page": home}
    )
    SiteSettings.for_site(site)  # created by the first page served, as on a live site
    return home


@pytest.fixture
def learner(db):
    return UserFactory(username="secretary", full_name="Анна Петрова")


@pytest.fixture
def other_learner(db):
    return UserFactory(username="other-secretary")


@pytest.fixture
def learner_client(client, learner):
    client.force_login(learner)
    return client


@pytest.fixture
def course_tree(home_page):
    """A course of two modules: the first with two lessons and a quiz, the second with one lesson."""
    course_index = CourseIndexPageFactory(parent=home_page)
    course = CoursePageFactory(parent=course_index, title="Секретарь первичного отделения", slug="secretary")
    module_one = ModulePageFactory(parent=course, title="Работа с обращениями", slug="requests")
    lesson_one = LessonPageFactory(
        parent=module_one,
        title="Приём граждан",
        slug="reception",
        summary="Как организовать регулярный приём жителей.",
        body=[
            ("heading", "График приёма"),
            ("paragraph", "<p>Приём проводится по графику, который знают жители.</p>"),
            ("callout", {"kind": "tip", "title": "Совет", "text": "<p>Записывайте каждое обращение.</p>"}),
            (
                "task",
                {"title": "Составьте график", "instructions": "<p>На квартал вперёд.</p>", "estimated_minutes": 20},
            ),
        ],
    )
    lesson_two = LessonPageFactory(parent=module_one, title="Наказы избирателей", slug="mandates")
    quiz = quiz_with_questions(parent=module_one, title="Проверка знаний", slug="requests-test", questions=5)
    module_two = ModulePageFactory(parent=course, title="Создание ТОС", slug="tos")
    lesson_three = LessonPageFactory(parent=module_two, title="Что такое ТОС", slug="what-is-tos")
    case_index = CaseStudyIndexPageFactory(parent=home_page)
    case_study = CaseStudyPageFactory(parent=case_index, title="Двор без ям", slug="yard")
    return SimpleNamespace(
        home=home_page,
        course_index=course_index,
        course=course,
        module_one=module_one,
        module_two=module_two,
        lesson_one=lesson_one,
        lesson_two=lesson_two,
        lesson_three=lesson_three,
        quiz=quiz,
        case_index=case_index,
        case_study=case_study,
    )


@pytest.fixture
def sequential(course_tree):
    """The course tree, taken in order: module two opens once module one is complete."""
    course_tree.course.is_sequential = True
    course_tree.course.save_revision().publish()
    return course_tree


@pytest.fixture
def role_groups(db):
    """The "Mentors" and "Regional coordinators" groups that migration progress.0004_roles makes;
    a flushed transactional test database lacks them, so they are made again here the same way."""
    roles = importlib.import_module("progress.migrations.0004_roles").ROLE_PERMISSIONS
    groups = {}
    for name, codenames in roles.items():
        groups[name], _created = Group.objects.get_or_create(name=name)
        for app_label, codename in codenames:
            groups[name].permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    return groups
