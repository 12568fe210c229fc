"""A lesson or quiz page view records the learner's place in the course (Enrolment.last_page and
last_seen_at) at most once per VISIT_RECORD_INTERVAL per learner and course, so reading pages
writes nothing; marking a lesson done records the place at once."""

from datetime import timedelta

import pytest

from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.factories import CoursePageFactory, LessonPageFactory, ModulePageFactory
from progress.models import Enrolment
from progress.services import completion
from school.content_cache import local_entries_clear
from school.factories import UserFactory


WRITES = ("INSERT", "UPDATE", "DELETE")


def _view(client, page):
    response = client.get(page.url)
    assert response.status_code == 200, page.url
    return response


def _writes(client, page):
    """The SQL writes a view of `page` makes."""
    with CaptureQueriesContext(connection) as context:
        _view(client, page)
    return [query["sql"] for query in context.captured_queries if query["sql"].lstrip().upper().startswith(WRITES)]


def _enrolment(learner, course):
    return Enrolment.objects.get(learner=learner, course=course)


def _visit_key(learner, course):
    return f"visit:{learner.pk}:{course.pk}"


@pytest.mark.django_db
class VisitRecordTests:
    def test_first_view_enrols_and_records_the_place(self, learner, learner_client, course_tree):
        """The learner's first lesson view creates the enrolment with that lesson as their place."""
        assert not Enrolment.objects.filter(learner=learner).exists()
        _view(learner_client, course_tree.lesson_one)
        enrolment = _enrolment(learner, course_tree.course)
        assert enrolment.last_page_id == course_tree.lesson_one.pk
        assert enrolment.last_seen_at is not None

    def test_first_view_updates_an_existing_enrolment(self, learner, learner_client, course_tree):
        """An enrolment made earlier (without a place) gets the viewed lesson as its place."""
        completion.enrolment_start(learner=learner, course=course_tree.course)
        _view(learner_client, course_tree.lesson_two)
        assert _enrolment(learner, course_tree.course).last_page_id == course_tree.lesson_two.pk

    def test_second_view_within_the_interval_writes_nothing(self, learner, learner_client, course_tree):
        """Another lesson viewed within the interval: no INSERT or UPDATE, and the place stays."""
        _view(learner_client, course_tree.lesson_one)
        seen_at = _enrolment(learner, course_tree.course).last_seen_at
        assert _writes(learner_client, course_tree.lesson_two) == []
        assert _writes(learner_client, course_tree.quiz) == []
        enrolment = _enrolment(learner, course_tree.course)
        assert enrolment.last_page_id == course_tree.lesson_one.pk
        assert enrolment.last_seen_at == seen_at

    def test_view_after_the_interval_records_again(self, learner, learner_client, course_tree):
        """Once the interval has passed (its cache key gone), the next view records the new place."""
        _view(learner_client, course_tree.lesson_one)
        cache.delete(_visit_key(learner, course_tree.course))
        local_entries_clear()  # and the app worker's memory of it
        writes = _writes(learner_client, course_tree.lesson_two)
        assert len(writes) == 1 and writes[0].lstrip().upper().startswith("UPDATE")
        assert _enrolment(learner, course_tree.course).last_page_id == course_tree.lesson_two.pk

    def test_with_no_interval_every_view_records(self, learner, learner_client, course_tree, monkeypatch):
        """The interval is what holds the writes back: with none, each view records its page."""
        monkeypatch.setattr(completion, "VISIT_RECORD_INTERVAL", timedelta(0))
        for page in (course_tree.lesson_one, course_tree.lesson_two, course_tree.quiz):
            _view(learner_client, page)
            assert _enrolment(learner, course_tree.course).last_page_id == page.pk

    def test_marking_a_lesson_done_records_the_place_at_once(self, learner, learner_client, course_tree):
        """Within the interval, a completion still moves the place to the lesson done."""
        _view(learner_client, course_tree.lesson_one)
        response = learner_client.post(reverse("progress:lesson_complete", args=[course_tree.lesson_two.pk]))
        assert response.status_code == 302
        assert _enrolment(learner, course_tree.course).last_page_id == course_tree.lesson_two.pk

    def test_the_interval_is_per_learner(self, learner, learner_client, course_tree):
        """One learner's recent visit does not hold back another learner's first record."""
        _view(learner_client, course_tree.lesson_one)
        other = UserFactory(username="other")
        other_client = Client()
        other_client.force_login(other)
        _view(other_client, course_tree.lesson_two)
        assert _enrolment(other, course_tree.course).last_page_id == course_tree.lesson_two.pk
        assert _enrolment(learner, course_tree.course).last_page_id == course_tree.lesson_one.pk

    def test_the_interval_is_per_course(self, learner, learner_client, course_tree):
        """A visit to one course does not hold back the first record in another course."""
        other_course = CoursePageFactory(parent=course_tree.course_index, slug="second")
        other_lesson = LessonPageFactory(parent=ModulePageFactory(parent=other_course, slug="m"), slug="l")
        _view(learner_client, course_tree.lesson_one)
        _view(learner_client, other_lesson)
        assert _enrolment(learner, other_course).last_page_id == other_lesson.pk

    def test_visitor_pages_record_nothing(self, client, course_tree):
        """A module page, open to visitors, records no place and writes nothing."""
        with CaptureQueriesContext(connection) as context:
            assert client.get(course_tree.module_one.url).status_code == 200
        assert not [q for q in context.captured_queries if q["sql"].lstrip().upper().startswith(WRITES)]
        assert not Enrolment.objects.exists()
