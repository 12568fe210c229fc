"""The search helpers other pages reuse: words as the index sees them, highlighting, passages,
and search_pages over any page queryset (the case-study library filters with it)."""

import pytest

from django.template import Context, Template
from django.test import SimpleTestCase

from wagtail.search.query import And, Not, Phrase, PlainText

from courses.factories import CaseStudyIndexPageFactory, CaseStudyPageFactory
from courses.models import CaseStudyPage, LessonPage, Topic
from courses.search import excerpt, highlight, query_words, search_pages
from courses.search.text import MAX_QUERY_WORDS, fold, index_tokens, stem


class WordTests(SimpleTestCase):
    def test_yo_is_folded_to_e(self):
        """ "приём" and "прием" are one token."""
        self.assertEqual(stem("приём"), stem("прием"))
        self.assertEqual(stem("Ёлка"), stem("елка"))

    def test_short_i_is_not_folded(self):
        """ "й" is a letter of its own, not an accented "и" (unlike Latin "é", which becomes "e")."""
        self.assertEqual(fold("Йошкар"), "йошкар")
        self.assertEqual(fold("Чай"), "чай")

    def test_a_word_whose_stem_is_a_preposition_keeps_its_form(self):
        """Snowball cuts "приём" to "при": it would then find every page with the preposition."""
        self.assertEqual(stem("приём"), stem("приёма"))
        self.assertNotEqual(stem("приём"), stem("при"))
        self.assertEqual(stem("при"), "при")

    def test_word_forms_share_a_stem(self):
        self.assertEqual(stem("наставник"), stem("наставники"))
        self.assertEqual(stem("наставник"), stem("наставников"))
        self.assertEqual(stem("грант"), stem("грантов"))

    def test_latin_words_are_stemmed_in_english_and_lose_accents(self):
        self.assertEqual(stem("Meetings"), stem("meeting"))
        self.assertEqual(stem("café"), stem("cafe"))

    def test_stress_marks_do_not_split_words(self):
        self.assertEqual(index_tokens("прие\u0301м"), index_tokens("прием"))

    def test_punctuation_and_full_text_syntax_are_separators(self):
        self.assertEqual(query_words('"приём"* -граждан: (NEAR) OR title:ТОС'), ["приём", "граждан", "title", "ТОС"])

    def test_query_words_are_counted_once_and_capped(self):
        self.assertEqual(query_words("приём Приём приема граждан"), ["приём", "граждан"])
        self.assertEqual(len(query_words(" ".join(f"слово{number}" for number in range(50)))), MAX_QUERY_WORDS)

    def test_queries_without_words_have_no_words(self):
        for query in ["", "   ", "!!!", "()", "*", None]:
            self.assertEqual(query_words(query), [])


class HighlightTests(SimpleTestCase):
    def test_any_form_of_a_query_word_is_marked(self):
        self.assertEqual(
            highlight("Наставники и наставник", "наставник"), "<mark>Наставники</mark> и <mark>наставник</mark>"
        )

    def test_yo_and_e_are_marked_alike(self):
        self.assertEqual(highlight("Приём граждан", "прием"), "<mark>Приём</mark> граждан")

    def test_text_and_marks_are_escaped(self):
        self.assertEqual(
            highlight('<b onclick="x()">двор</b> & сад', "<b>двор</b>"),
            "&lt;<mark>b</mark> onclick=&quot;x()&quot;&gt;<mark>двор</mark>&lt;/<mark>b</mark>&gt; &amp; сад",
        )

    def test_nothing_is_marked_without_query_words(self):
        self.assertEqual(highlight("<i>двор</i>", "!!!"), "&lt;i&gt;двор&lt;/i&gt;")

    def test_empty_text(self):
        self.assertEqual(highlight(None, "двор"), "")

    def test_template_filter_marks_and_escapes(self):
        rendered = Template("{% load search_tags %}{{ text|highlight:query }}").render(
            Context({"text": "<script>двор</script>", "query": "<script>"})
        )
        self.assertEqual(rendered, "&lt;<mark>script</mark>&gt;двор&lt;/<mark>script</mark>&gt;")


@pytest.mark.django_db
class ExcerptTests:
    def test_passage_around_the_first_match_is_highlighted_and_escaped(self, course_tree):
        page = CaseStudyPageFactory(
            parent=course_tree.case_index,
            title="Двор",
            slug="yard-2",
            summary="Кратко",
            problem="<p>" + "Вступление. " * 40 + "Жители <b>просили</b> скамейки & урны.</p>",
        )
        passage = excerpt(page, "скамейка")
        assert passage.startswith("… ")
        assert "Жители просили <mark>скамейки</mark> &amp; урны." in passage
        assert "<b>" not in passage
        assert len(passage) < 400

    def test_title_and_summary_are_not_repeated(self, course_tree):
        page = CaseStudyPageFactory(parent=course_tree.case_index, title="Скамейки", slug="benches", summary="Скамейки")
        assert excerpt(page, "скамейки") == ""

    def test_template_tag(self, course_tree):
        rendered = Template("{% load search_tags %}{% search_excerpt page query %}").render(
            Context({"page": course_tree.lesson_one.specific, "query": "графику"})
        )
        assert "<mark>графику</mark>" in rendered


@pytest.mark.django_db
class SearchPagesTests:
    def test_searches_only_the_given_queryset(self, course_tree):
        """The case-study library searches its own case studies, not lessons or other libraries."""
        other_index = CaseStudyIndexPageFactory(parent=course_tree.home, title="Архив", slug="archive")
        CaseStudyPageFactory(parent=other_index, title="Двор в архиве", slug="archived-yard")
        library = CaseStudyPage.objects.live().public().child_of(course_tree.case_index)
        assert [page.title for page in search_pages(library, "двор")] == ["Двор без ям"]

    def test_any_filter_of_the_queryset_is_kept(self, course_tree):
        """Filters the search backend cannot apply itself (topics, a region's code) still hold."""
        topic = Topic.objects.create(name="Благоустройство", slug="improvement")
        tagged = CaseStudyPageFactory(parent=course_tree.case_index, title="Двор с лавками", slug="benches-yard")
        tagged.topics.add(topic)
        tagged.save_revision().publish()
        library = CaseStudyPage.objects.live().filter(topics=topic)
        assert [page.title for page in search_pages(library, "двор")] == ["Двор с лавками"]
        by_region = CaseStudyPage.objects.live().filter(region__code=course_tree.case_study.region.code)
        assert "Двор без ям" in [page.title for page in search_pages(by_region, "двор")]

    def test_results_are_ranked_and_countable(self, course_tree):
        CaseStudyPageFactory(
            parent=course_tree.case_index, title="Скамейки", slug="benches", summary="Во дворе поставили скамейки"
        )
        results = search_pages(CaseStudyPage.objects.live(), "дворы")
        assert [page.title for page in results] == ["Двор без ям", "Скамейки"]
        assert results.count() == 2

    def test_a_query_without_words_finds_nothing(self, course_tree):
        assert list(search_pages(LessonPage.objects.live(), "?!")) == []

    def test_admin_search_uses_the_same_words(self, admin_client, course_tree):
        """Editors searching the admin also find "Приём граждан" by "прием"."""
        response = admin_client.get("/admin/pages/search/", {"q": "прием"})
        assert response.status_code == 200
        assert "Приём граждан" in response.content.decode()


@pytest.mark.django_db
class BackendQueryTests:
    """Wagtail's own search API (as the admin and other code use it) goes through the same words."""

    def test_phrase_finds_its_words_in_order(self, course_tree):
        lessons = LessonPage.objects.live()
        assert "Приём граждан" in [page.title for page in lessons.search(Phrase("приема граждан"))]
        assert "Приём граждан" in [page.title for page in lessons.search(Phrase("Приём граждан"))]
        assert [page.title for page in lessons.search(Phrase("граждан приём"))] == []

    def test_autocomplete_folds_yo_without_stemming(self, course_tree):
        assert "Приём граждан" in [page.title for page in LessonPage.objects.live().autocomplete("Прие")]

    def test_negated_words_exclude_pages(self, course_tree):
        lessons = LessonPage.objects.live()
        titles = [page.title for page in lessons.search(And([PlainText("граждан"), Not(PlainText("ям"))]))]
        assert titles == ["Приём граждан"]
        others = {page.title for page in lessons.search(Not(PlainText("Прием")))}
        assert others == {"Что такое ТОС", "Наказы избирателей"}
