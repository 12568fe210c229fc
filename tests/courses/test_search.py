"""Site search finds live, public lessons and case studies, and nothing else."""

import pytest

from django.db import connection
from django.urls import reverse

from wagtail.models import PageViewRestriction

from courses.factories import LessonPageFactory


def _titles(response):
    assert response.status_code == 200
    results = response.context["results"]
    return [page.title for page in results] if results is not None else []


@pytest.mark.django_db
class SearchTests:
    def test_finds_a_lesson_by_a_word_of_its_body(self, client, course_tree):
        response = client.get(reverse("search"), {"query": "графику"})
        assert "Приём граждан" in _titles(response)

    def test_finds_a_case_study_by_its_title(self, client, course_tree):
        response = client.get(reverse("search"), {"query": "ям"})
        assert "Двор без ям" in _titles(response)

    def test_empty_query_shows_no_results_and_no_error(self, client, course_tree):
        assert _titles(client.get(reverse("search"), {"query": "  "})) == []
        assert _titles(client.get(reverse("search"))) == []

    def test_unpublished_lesson_is_not_found(self, client, course_tree):
        course_tree.lesson_one.unpublish()
        response = client.get(reverse("search"), {"query": "графику"})
        assert "Приём граждан" not in _titles(response)

    def test_private_lesson_is_not_found(self, client, course_tree):
        PageViewRestriction.objects.create(
            page=course_tree.lesson_one, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
        response = client.get(reverse("search"), {"query": "графику"})
        assert "Приём граждан" not in _titles(response)

    def test_quiz_questions_are_not_searchable(self, client, course_tree):
        """Searching a question's text must not lead learners to answers."""
        response = client.get(reverse("search"), {"query": "Вопрос"})
        assert course_tree.quiz.title not in _titles(response)

    def test_out_of_range_result_page_falls_back_to_the_last(self, client, course_tree):
        response = client.get(reverse("search"), {"query": "графику", "page": "999"})
        assert "Приём граждан" in _titles(response)

    def test_odd_query_text_is_harmless(self, client, course_tree):
        for query in ['"', "' OR 1=1 --", "<script>alert(1)</script>", "а" * 5000, "*", "AND OR NOT"]:
            response = client.get(reverse("search"), {"query": query})
            assert response.status_code == 200
            assert b"<script>alert(1)</script>" not in response.content


@pytest.mark.django_db
@pytest.mark.skipif(connection.vendor != "postgresql", reason="Russian stemming needs PostgreSQL full-text search")
def test_russian_words_are_found_by_stem_on_postgresql(client, course_tree):
    """'наказов' finds a lesson that says 'наказы': the Russian configuration stems both."""
    LessonPageFactory(
        parent=course_tree.module_two,
        title="Учёт поручений",
        slug="orders",
        body=[("paragraph", "<p>Секретарь ведёт реестр, куда вносит наказы жителей.</p>")],
    )
    response = client.get(reverse("search"), {"query": "наказов"})
    assert "Учёт поручений" in _titles(response)
