"""The Wagtail page explorer lists a course's modules and a module's items in course order, the order
learners take them, not by last edit."""

import pytest

from django.contrib.auth.models import Group
from django.urls import reverse

from school.factories import UserFactory


@pytest.fixture
def editor_client(client, db):
    """A member of Wagtail's "Editors" group, as the demo's editor is."""
    editor = UserFactory(username="editor", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))
    client.force_login(editor)
    return client


def listed_titles(response):
    return [page.title for page in response.context["pages"]]


class ExplorerOrderTests:
    def test_module_lists_its_items_in_course_order(self, editor_client, course_tree):
        """A quiz edited last still comes after the lessons that precede it in the module."""
        course_tree.quiz.save_revision().publish()
        response = editor_client.get(reverse("wagtailadmin_explore", args=[course_tree.module_one.pk]))
        assert response.status_code == 200
        assert listed_titles(response) == [
            course_tree.lesson_one.title,
            course_tree.lesson_two.title,
            course_tree.quiz.title,
        ]

    def test_items_moved_in_the_tree_are_listed_where_they_now_stand(self, editor_client, course_tree):
        """Moving a lesson to the front of the module moves it to the front of the listing."""
        course_tree.lesson_two.move(course_tree.lesson_one, pos="left")
        response = editor_client.get(reverse("wagtailadmin_explore", args=[course_tree.module_one.pk]))
        assert listed_titles(response)[:2] == [course_tree.lesson_two.title, course_tree.lesson_one.title]

    def test_course_lists_its_modules_in_course_order(self, editor_client, course_tree):
        """The first module edited after the second still comes first."""
        course_tree.module_one.save_revision().publish()
        response = editor_client.get(reverse("wagtailadmin_explore", args=[course_tree.course.pk]))
        assert listed_titles(response) == [course_tree.module_one.title, course_tree.module_two.title]

    def test_editor_may_still_sort_by_another_column(self, editor_client, course_tree):
        """The order is a default: sorting by title is still offered and honoured."""
        url = reverse("wagtailadmin_explore", args=[course_tree.module_one.pk])
        response = editor_client.get(url, {"ordering": "title"})
        titles = listed_titles(response)
        assert titles == sorted(titles)
