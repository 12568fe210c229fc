"""A learner's course pages ask the shared cache (Redis in production) little: the session, the
shared versions (one round trip for content and permissions), and the "last seen" gate on lessons and
quizzes. Pages, outlines, fragments, routes and the user's permission set come from the worker's
memory once it has served them: each round trip costs a page more than most of its own work."""

import pytest

from django.core.cache import caches


ROUND_TRIPS = ("get", "get_many", "set", "set_many", "add", "delete", "delete_many", "incr", "touch", "has_key")


@pytest.fixture
def cache_calls(monkeypatch):
    """The names of the shared cache's methods called, in order (the session engine uses the same cache)."""
    calls = []
    inside = []  # the local-memory backend's get_many calls its own get: one round trip for Redis
    backend = caches["default"]
    for name in ROUND_TRIPS:
        method = getattr(backend, name)

        def counted(*args, _name=name, _method=method, **kwargs):
            if not inside:
                calls.append(_name)
            inside.append(_name)
            try:
                return _method(*args, **kwargs)
            finally:
                inside.pop()

        monkeypatch.setattr(backend, name, counted)
    return calls


def _served_twice(client, url):
    for _ in range(2):  # the first fills the shared cache and this worker's memory
        assert client.get(url).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("page_name", ["lesson_one", "quiz", "module_one", "course"])
def test_a_learners_page_asks_the_shared_cache_three_times_at_most(page_name, learner_client, course_tree, cache_calls):
    url = getattr(course_tree, page_name).url
    _served_twice(learner_client, url)
    cache_calls.clear()
    assert learner_client.get(url).status_code == 200
    assert cache_calls.count("get") == 1  # the session
    assert cache_calls.count("get_many") == 1  # the content and permissions versions
    assert len(cache_calls) <= 3, cache_calls  # and, on a lesson or quiz, the "last seen" gate


@pytest.mark.django_db
def test_a_visitors_page_asks_for_the_versions_only(client, course_tree, cache_calls):
    _served_twice(client, course_tree.course.url)
    cache_calls.clear()
    assert client.get(course_tree.course.url).status_code == 200
    assert cache_calls == ["get_many"]
