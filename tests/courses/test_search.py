"""Site search finds live, public lessons, courses and case studies by any form of their words,
ranks titles first, shows the query as typed and highlights what it matched.

Everything here runs on the database the suite runs on (SQLite by default, PostgreSQL when
DATABASE_URL points there) with the same expectations.
"""

import pytest

from django.urls import reverse

from wagtail.models import PageViewRestriction

from courses.factories import CaseStudyPageFactory, LessonPageFactory
from courses.models import CaseStudyPage


def _titles(response):
    assert response.status_code == 200
    results = response.context["results"]
    return [page.title for page in results] if results is not None else []


def _search(client, query, **params):
    return client.get(reverse("search"), {"query": query, **params})


@pytest.mark.django_db
class SearchTests:
    def test_finds_a_lesson_by_a_word_of_its_body(self, client, course_tree):
        assert "Приём граждан" in _titles(_search(client, "графику"))

    def test_finds_a_case_study_by_its_title(self, client, course_tree):
        assert "Двор без ям" in _titles(_search(client, "ям"))

    def test_empty_query_shows_no_results_and_no_error(self, client, course_tree):
        assert _titles(_search(client, "  ")) == []
        assert _titles(client.get(reverse("search"))) == []

    def test_unpublished_lesson_is_not_found(self, client, course_tree):
        course_tree.lesson_one.unpublish()
        assert "Приём граждан" not in _titles(_search(client, "графику"))

    def test_private_lesson_is_not_found(self, client, course_tree):
        PageViewRestriction.objects.create(
            page=course_tree.lesson_one, restriction_type=PageViewRestriction.PASSWORD, password="secret"
        )
        assert "Приём граждан" not in _titles(_search(client, "графику"))

    def test_quiz_questions_are_not_searchable(self, client, course_tree):
        """Searching a question's text must not lead learners to answers."""
        assert course_tree.quiz.title not in _titles(_search(client, "Вопрос"))

    def test_out_of_range_result_page_falls_back_to_the_last(self, client, course_tree):
        assert "Приём граждан" in _titles(_search(client, "графику", page="999"))


@pytest.mark.django_db
class WordFormTests:
    def test_e_finds_words_written_with_yo(self, client, course_tree):
        """ "прием" (as most people type it) finds "Приём граждан", as "приём" does."""
        assert _titles(_search(client, "прием")) == _titles(_search(client, "приём"))
        assert "Приём граждан" in _titles(_search(client, "прием"))

    def test_yo_finds_words_written_with_e(self, client, course_tree):
        LessonPageFactory(parent=course_tree.module_two, title="Ежегодный отчет", slug="report", summary="Отчет")
        assert "Ежегодный отчет" in _titles(_search(client, "отчёт"))

    def test_other_forms_of_a_word_are_found(self, client, course_tree):
        """ "наказов" finds a lesson that says "наказы": both are reduced to the stem "наказ"."""
        LessonPageFactory(
            parent=course_tree.module_two,
            title="Учёт поручений",
            slug="orders",
            body=[("paragraph", "<p>Секретарь ведёт реестр, куда вносит наказы жителей.</p>")],
        )
        assert "Учёт поручений" in _titles(_search(client, "наказов"))

    def test_plural_finds_the_singular(self, client, course_tree):
        CaseStudyPageFactory(parent=course_tree.case_index, title="Опытный наставник", slug="mentor")
        assert "Опытный наставник" in _titles(_search(client, "наставники"))

    def test_letter_case_does_not_matter(self, client, course_tree):
        assert _titles(_search(client, "ТОС")) == _titles(_search(client, "тос"))
        assert "Что такое ТОС" in _titles(_search(client, "тос"))

    def test_every_word_of_the_query_must_occur(self, client, course_tree):
        assert _titles(_search(client, "приём ям")) == []


@pytest.mark.django_db
class RankingTests:
    def test_title_matches_come_before_body_matches(self, client, course_tree):
        """A page that only mentions a word, however often, comes after one named by it."""
        LessonPageFactory(
            parent=course_tree.module_two,
            title="Работа с жителями",
            slug="residents",
            body=[("paragraph", "<p>" + "Субботник во дворе. " * 20 + "</p>")],
        )
        LessonPageFactory(parent=course_tree.module_two, title="Субботник", slug="cleanup")
        assert _titles(_search(client, "субботники")) == ["Субботник", "Работа с жителями"]

    def test_more_occurrences_rank_higher_among_body_matches(self, client, course_tree):
        LessonPageFactory(
            parent=course_tree.module_two,
            title="Один раз",
            slug="once",
            body=[("paragraph", "<p>Однажды прошла ярмарка.</p>")],
        )
        LessonPageFactory(
            parent=course_tree.module_two,
            title="Много раз",
            slug="often",
            body=[("paragraph", "<p>Ярмарка, ещё ярмарка и снова ярмарки.</p>")],
        )
        assert _titles(_search(client, "ярмарка")) == ["Много раз", "Один раз"]

    def test_more_query_words_in_the_title_rank_higher(self, client, course_tree):
        LessonPageFactory(
            parent=course_tree.module_two,
            title="Отчёт",
            slug="report",
            summary="Отчёт секретаря перед жителями",
        )
        LessonPageFactory(parent=course_tree.module_two, title="Отчёт секретаря", slug="secretary-report")
        assert _titles(_search(client, "отчёт секретаря")) == ["Отчёт секретаря", "Отчёт"]


@pytest.mark.django_db
class ResultPageTests:
    def test_query_is_shown_as_typed(self, client, course_tree):
        response = _search(client, "ТОС")
        content = response.content.decode()
        assert response.context["search_query"] == "ТОС"
        assert 'value="ТОС"' in content
        assert "«ТОС»" in content
        assert "«тос»" not in content

    def test_matched_words_are_highlighted_in_titles(self, client, course_tree):
        content = _search(client, "прием").content.decode()
        assert "<mark>Приём</mark> граждан" in content

    def test_matched_words_are_highlighted_in_summaries(self, client, course_tree):
        content = _search(client, "житель").content.decode()
        assert "регулярный приём <mark>жителей</mark>" in content

    def test_a_passage_of_the_body_shows_the_matched_word(self, client, course_tree):
        content = _search(client, "графику").content.decode()
        assert "проводится по <mark>графику</mark>" in content

    def test_nothing_found_shows_the_query_as_typed(self, client, course_tree):
        response = _search(client, "Марсоход")
        assert response.context["results"].paginator.count == 0
        assert "«Марсоход»" in response.content.decode()

    def test_user_written_text_and_the_query_are_escaped(self, client, course_tree):
        """A title, a summary and a query that hold markup are shown as text, highlighted or not."""
        CaseStudyPageFactory(
            parent=course_tree.case_index,
            title="<script>alert(1)</script> Двор",
            slug="xss",
            summary='<img src=x onerror="alert(2)"> двор',
        )
        for query in ["двор", "<script>alert(1)</script> двор", '"><img src=x onerror=alert(2)> двор']:
            response = _search(client, query)
            content = response.content.decode()
            assert "<script>alert(1)</script> Двор" in _titles(response)
            assert "<script>alert(1)</script>" not in content
            assert "<img src=x" not in content
            assert '"><img' not in content
        content = _search(client, "двор").content.decode()
        assert "&lt;script&gt;alert(1)&lt;/script&gt; <mark>Двор</mark>" in content
        assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt; <mark>двор</mark>" in content

    def test_result_pages_keep_the_query_as_typed(self, client, course_tree):
        for number in range(12):
            LessonPageFactory(parent=course_tree.module_two, title=f"Субботник {number}", slug=f"cleanup-{number}")
        response = _search(client, "Субботник")
        assert response.context["results"].paginator.count == 12
        assert "?query=%D0%A1%D1%83%D0%B1%D0%B1%D0%BE%D1%82%D0%BD%D0%B8%D0%BA&amp;page=2" in response.content.decode()


@pytest.mark.django_db
class OddQueryTests:
    @pytest.mark.parametrize(
        "query",
        [
            "",
            "   ",
            "!!!",
            "?.,;:—«»",
            '"',
            "*",
            "-",
            ":",
            "()",
            "(((",
            "' OR 1=1 --",
            '"; DROP TABLE wagtailcore_page; --',
            "AND OR NOT",
            "NEAR",
            "NEAR(приём граждан)",
            "^приём",
            "\\",
            "%",
            "_",
            "а" * 5000,
            "приём " * 1000,
        ],
    )
    def test_odd_query_is_answered_without_error(self, client, course_tree, query):
        response = _search(client, query)
        assert response.status_code == 200
        assert CaseStudyPage.objects.filter(title="Двор без ям").exists()

    @pytest.mark.parametrize(
        "query",
        [
            '"приём"',
            "приём*",
            "-приём",
            "приём:",
            "(приём)",
            "приём OR граждан",
            "приём AND граждан",
            "NEAR(приём граждан)",
            "приём NOT граждан",
            "'приём' --",
        ],
    )
    def test_full_text_syntax_is_read_as_plain_words(self, client, course_tree, query):
        """Operators and quotes are not syntax: the words around them are searched for."""
        assert "Приём граждан" in _titles(_search(client, query))

    def test_query_of_only_punctuation_says_nothing_was_found(self, client, course_tree):
        response = _search(client, "?!")
        assert response.status_code == 200
        assert response.context["results"] is None
        assert "«?!»" in response.content.decode()

    def test_very_long_query_is_cut_and_answered(self, client, course_tree):
        response = _search(client, "графику " + "х" * 5000)
        assert response.status_code == 200
        assert len(response.context["search_query"]) <= 200
        assert "Приём граждан" in _titles(_search(client, "графику " * 700))


@pytest.mark.django_db
class QueryCountTests:
    @pytest.mark.parametrize("matches", [1, 20])
    def test_result_page_costs_the_same_for_one_or_twenty_results(
        self, client, course_tree, django_assert_num_queries, matches
    ):
        for number in range(matches):
            LessonPageFactory(
                parent=course_tree.module_two,
                title=f"Субботник {number}",
                slug=f"cleanup-{number}",
                body=[("paragraph", "<p>Субботник во дворе, потом чай.</p>")],
            )
        _search(client, "субботник")  # the site and its settings, cached by the first request
        # 1 view restrictions (public pages only), 2 the count, 3 the ranked page of results,
        # 4 the results' page types, 5 the lessons' own fields (summaries, body for the passages)
        with django_assert_num_queries(5):
            response = _search(client, "субботник")
        assert response.context["results"].paginator.count == matches
