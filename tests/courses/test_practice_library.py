"""The practice library: filters, orderings, pagination and full-text search at a constant query count;
readers' "useful" / "applied" marks (once each per person, counted, without JavaScript); reads counted
once per reader; related practices and the lessons a practice illustrates."""

import pytest

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wagtail.images import get_image_model

from courses.factories import CaseStudyPageFactory
from courses.models import CaseStudyReaction, LessonPageCaseStudy
from courses.practices import LIBRARY_PAGE_SIZE
from school.factories import UserFactory

from .practice_helpers import exchange_fixture, photo  # noqa: F401 - the "exchange" fixture


pytestmark = pytest.mark.django_db


def _practice(exchange, **kwargs):
    kwargs.setdefault("parent", exchange.index)
    kwargs.setdefault("region", exchange.region)
    kwargs.setdefault("branch", None)
    topics = kwargs.pop("topics", [exchange.topic])
    return CaseStudyPageFactory(topics=topics, **kwargs)


def _titles(response):
    return [page.title for page in response.context["case_studies"]]


def photo_file():
    return photo("dvor.jpg")


def _reaction_queries(captured):
    return sum(1 for query in captured.captured_queries if "courses_casestudyreaction" in query["sql"])


def _mark(client, page, kind, value="on"):
    return client.post(reverse("practice_mark", args=[page.pk]), {"kind": kind, "value": value})


class LibraryFilterTests:
    def test_topic_region_and_words_filter_the_library(self, client, exchange):
        """Each filter keeps only the matching practices; they combine."""
        grants = _practice(exchange, title="Грант на детскую площадку", topics=[exchange.other_topic])
        journal = _practice(exchange, title="Журнал обращений")
        moscow = _practice(exchange, title="Журнал в Москве", region=exchange.other_region)
        url = exchange.index.url
        assert set(_titles(client.get(url))) == {grants.title, journal.title, moscow.title}
        assert set(_titles(client.get(url, {"topic": "granty"}))) == {grants.title}
        assert set(_titles(client.get(url, {"region": "77"}))) == {moscow.title}
        assert set(_titles(client.get(url, {"q": "журнал"}))) == {journal.title, moscow.title}
        assert set(_titles(client.get(url, {"q": "журнал", "region": "52"}))) == {journal.title}
        # A word no practice has: the factories' placeholder text is random Russian words ("космос" among them).
        assert _titles(client.get(url, {"q": "звездолёт"})) == []

    def test_unknown_filter_values_are_ignored(self, client, exchange):
        """A topic, region, order or page that does not exist shows the whole library, not an error."""
        _practice(exchange, title="Журнал обращений")
        response = client.get(exchange.index.url, {"topic": "nope", "region": "00", "order": "x", "page": "99"})
        assert response.status_code == 200
        assert _titles(response) == ["Журнал обращений"]

    def test_orderings_newest_most_read_most_useful(self, client, exchange):
        """Newest first by default; most read and most useful rise by their counts."""
        first = _practice(exchange, title="Первая")
        second = _practice(exchange, title="Вторая")
        third = _practice(exchange, title="Третья")
        readers = [UserFactory() for _ in range(3)]
        for reader in readers:
            CaseStudyReaction.objects.create(user=reader, page=first, kind="read")
        CaseStudyReaction.objects.create(user=readers[0], page=second, kind="read")
        for reader in readers[:2]:
            CaseStudyReaction.objects.create(user=reader, page=third, kind="useful")
        CaseStudyReaction.objects.create(user=readers[0], page=first, kind="useful")
        url = exchange.index.url
        assert _titles(client.get(url)) == ["Третья", "Вторая", "Первая"]
        assert _titles(client.get(url, {"order": "read"})) == ["Первая", "Вторая", "Третья"]
        assert _titles(client.get(url, {"order": "useful"})) == ["Третья", "Первая", "Вторая"]
        # The counts are on the cards.
        response = client.get(url, {"order": "useful"})
        assert [(page.useful_count, page.read_count) for page in response.context["case_studies"]] == [
            (2, 0),
            (1, 3),
            (0, 1),
        ]
        assert response.content.decode().count('class="card__meta practice-counts"') == 3

    def test_pages_keep_the_filters(self, client, exchange):
        """Past LIBRARY_PAGE_SIZE practices the library has pages; the next-page link keeps the filters."""
        for number in range(LIBRARY_PAGE_SIZE + 2):
            _practice(exchange, title=f"Практика {number}")
        response = client.get(exchange.index.url, {"topic": "obrashcheniya", "order": "useful"})
        assert len(_titles(response)) == LIBRARY_PAGE_SIZE
        assert "topic=obrashcheniya&amp;order=useful&amp;page=2" in response.content.decode()
        second = client.get(exchange.index.url, {"topic": "obrashcheniya", "order": "useful", "page": 2})
        assert len(_titles(second)) == 2

    def test_drafts_are_not_in_the_library(self, client, exchange):
        """A practice still in review is not listed, found or counted."""
        _practice(exchange, title="Опубликованная")
        draft = _practice(exchange, title="Черновик журнала")
        draft.unpublish()
        response = client.get(exchange.index.url, {"q": "черновик"})
        assert _titles(response) == []
        assert _titles(client.get(exchange.index.url)) == ["Опубликованная"]

    @pytest.mark.parametrize("params", [{}, {"order": "useful", "topic": "obrashcheniya"}, {"q": "журнал"}])
    def test_the_query_count_does_not_grow_with_the_library(
        self, client, exchange, django_assert_max_num_queries, params
    ):
        """With 3 and with 30 practices (each with a picture, a topic and a mark) a library page costs
        the same: the session's user (1), the topics and the regions to filter by (2), view restrictions
        for .public() (1), the search when there are words (1), the count and the page of practices
        (2), their topics (1), pictures and renditions (2), the site's navigation (1)."""
        image = get_image_model().objects.create(title="Двор", file=photo_file(), width=64, height=48)
        signed_in = UserFactory()
        client.force_login(signed_in)
        counts = []
        for total in (3, 30):
            while len(exchange.index.get_children()) < total:
                page = _practice(exchange, title=f"Журнал {len(exchange.index.get_children())}", image=image)
                CaseStudyReaction.objects.create(user=signed_in, page=page, kind="useful")
            client.get(exchange.index.url, params)  # the route and the view restrictions are cached from now on
            with django_assert_max_num_queries(12) as captured:
                response = client.get(exchange.index.url, params)
            assert response.status_code == 200
            assert len(response.context["case_studies"]) == min(total, LIBRARY_PAGE_SIZE)
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]


class MarkTests:
    @pytest.fixture
    def practice(self, exchange):
        return _practice(exchange, title="Журнал обращений", owner=UserFactory(username="author"))

    def test_a_reader_marks_useful_and_applied_once_each(self, client, exchange, practice):
        """Each mark is one row however often it is posted; the page shows the counts and the reader's
        own state; posting "off" takes the mark back."""
        reader = UserFactory()
        client.force_login(reader)
        for _attempt in range(2):
            response = _mark(client, practice, "useful")
            assert response.status_code == 302
            assert response["Location"] == f"{practice.url}#marks"
        _mark(client, practice, "applied")
        assert CaseStudyReaction.objects.filter(page=practice, kind="useful").count() == 1
        assert CaseStudyReaction.objects.filter(page=practice, kind="applied").count() == 1
        other = Client()
        other.force_login(UserFactory())
        _mark(other, practice, "useful")
        response = client.get(practice.url)
        assert (response.context["useful_count"], response.context["applied_count"]) == (2, 1)
        assert response.context["marked_useful"] is True
        assert 'aria-pressed="true"' in response.content.decode()
        _mark(client, practice, "useful", "off")
        assert CaseStudyReaction.objects.filter(page=practice, kind="useful", user=reader).count() == 0
        assert client.get(practice.url).context["marked_useful"] is False

    def test_anonymous_visitor_is_sent_to_log_in(self, client, practice):
        """A visitor sees the counts and a link to log in; a POST goes to the login page, no mark."""
        page = client.get(practice.url).content.decode()
        assert "/accounts/login/?next=" in page
        response = _mark(client, practice, "useful")
        assert "/accounts/login/" in response["Location"]
        assert not CaseStudyReaction.objects.exists()

    def test_the_form_needs_the_csrf_token(self, practice):
        """Without the CSRF token the mark is refused (403) and nothing is stored."""
        client = Client(enforce_csrf_checks=True)
        client.force_login(UserFactory())
        assert _mark(client, practice, "useful").status_code == 403
        assert not CaseStudyReaction.objects.exists()

    def test_the_author_cannot_mark_their_own_practice(self, client, practice):
        """The author gets a message and no mark; their page shows no mark buttons."""
        client.force_login(practice.owner)
        response = _mark(client, practice, "useful")
        assert response.status_code == 302
        assert not CaseStudyReaction.objects.exists()
        assert "mark-button" not in client.get(practice.url).content.decode()

    @pytest.mark.parametrize("kind", ["read", "bogus", ""])
    def test_an_unknown_kind_is_refused(self, client, practice, kind):
        """Only "useful" and "applied" can be posted; "read" is counted by the server alone."""
        client.force_login(UserFactory())
        _mark(client, practice, kind)
        assert not CaseStudyReaction.objects.exists()

    def test_a_draft_or_unknown_practice_is_a_404(self, client, practice):
        client.force_login(UserFactory())
        practice.unpublish()
        assert _mark(client, practice, "useful").status_code == 404
        assert client.post("/practices/999999/mark/", {"kind": "useful", "value": "on"}).status_code == 404
        assert not CaseStudyReaction.objects.exists()

    def test_a_reader_is_counted_once_without_a_write_per_visit(self, client, practice):
        """The first visit records the read; later visits do not even look it up (the cache remembers
        the reader for a week); the author's own visits do not count."""
        reader = UserFactory()
        client.force_login(reader)
        client.get(practice.url)
        assert CaseStudyReaction.objects.filter(page=practice, kind="read").count() == 1
        with CaptureQueriesContext(connection) as remembered:
            client.get(practice.url)
        assert not [query for query in remembered.captured_queries if query["sql"].startswith("INSERT")]
        cache.delete(f"practice-read:{reader.pk}:{practice.pk}")
        with CaptureQueriesContext(connection) as forgotten:
            client.get(practice.url)
        # Once forgotten, the read is looked up again (one more query of the table) and still counted once.
        assert _reaction_queries(forgotten) == _reaction_queries(remembered) + 1
        assert CaseStudyReaction.objects.filter(page=practice, kind="read").count() == 1
        client.force_login(practice.owner)
        client.get(practice.url)
        assert CaseStudyReaction.objects.filter(page=practice, kind="read").count() == 1


class PracticePageTests:
    def test_related_practices_share_a_topic(self, client, exchange):
        """The page lists other practices of its topics, not itself and not unrelated ones."""
        practice = _practice(exchange, title="Журнал обращений")
        same = _practice(exchange, title="Приём по четвергам")
        _practice(exchange, title="Грант", topics=[exchange.other_topic])
        response = client.get(practice.url)
        assert [page.title for page in response.context["related_case_studies"]] == [same.title]

    def test_lessons_link_to_practices_and_back(self, client, course_tree):
        """A lesson's "see it done in practice" lists the practice; the practice names the lesson."""
        practice = course_tree.case_study
        lesson = course_tree.lesson_one
        LessonPageCaseStudy.objects.create(lesson=lesson, case_study=practice, sort_order=0)
        response = client.get(practice.url)
        assert [page.title for page in response.context["illustrated_lessons"]] == [lesson.title]
        client.force_login(UserFactory())
        lesson_page = client.get(lesson.url).content.decode()
        assert "lesson-practices" in lesson_page
        assert practice.url in lesson_page

    def test_the_home_page_invites_to_the_submission_form(self, client, exchange):
        """The home page's "share what works" leads to /practices/submit/, as does the library."""
        assert 'href="/practices/submit/"' in client.get("/").content.decode()
        assert 'href="/practices/submit/"' in client.get(exchange.index.url).content.decode()
