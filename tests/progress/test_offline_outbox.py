"""The outbox endpoint: actions made offline arrive in batches, each checked as the single endpoint checks it,
each answered on its own, none applied twice, none lost."""

import json
import uuid
from datetime import timedelta

import pytest

from django.conf import settings
from django.db import connection
from django.test import Client
from django.utils import timezone

from progress.models import Enrolment, LessonCompletion, OfflineAction
from progress.selectors import course_progress_for_learner
from progress.services import (
    BATCH_MAX_BYTES,
    BATCH_MAX_ITEMS,
    ITEM_ID_REUSED,
    ITEM_INVALID,
    ITEM_LESSON_GONE,
    ITEM_NOT_AVAILABLE,
    ITEM_OTHER_LEARNER,
    MODULE_LOCKED,
)
from tests.progress.helpers import complete_url, in_russian


pytestmark = pytest.mark.django_db

OUTBOX = "/my/outbox/"


def item(lesson, learner, *, client_id=None, at=None, **extra):
    return {
        "id": client_id or str(uuid.uuid4()),
        "type": "lesson_complete",
        "lesson": lesson.pk,
        "learner": learner.pk,
        "at": (at or timezone.now() - timedelta(minutes=5)).isoformat(),
        **extra,
    }


def send(client, *items, raw=None):
    body = raw if raw is not None else json.dumps({"items": list(items)})
    return client.post(OUTBOX, body, content_type="application/json", HTTP_ACCEPT="application/json")


def answers(response):
    assert response.status_code == 200, response.content
    return [(answer["status"], answer.get("message", "")) for answer in response.json()["items"]]


def enrol(learner, course, *, days_ago=30):
    return Enrolment.objects.create(
        learner=learner, course=course, started_at=timezone.now() - timedelta(days=days_ago)
    )


class WhoAndHowTests:
    def test_get_names_the_signed_in_learner_and_a_token_to_post_with(self, learner_client, learner):
        answer = learner_client.get(OUTBOX).json()
        assert answer["learner"] == learner.pk
        assert answer["csrf_token"]

    def test_nobody_signed_in_gets_a_json_refusal_not_the_login_page(self, client, course_tree, learner):
        assert client.get(OUTBOX).status_code == 403
        response = send(client, item(course_tree.lesson_one, learner))
        assert response.status_code == 403
        assert response.json()["learner"] is None
        assert not LessonCompletion.objects.exists()

    def test_a_post_without_the_csrf_token_is_refused(self, course_tree, learner):
        client = Client(enforce_csrf_checks=True)
        client.force_login(learner)
        response = send(client, item(course_tree.lesson_one, learner))
        assert response.status_code == 403
        assert not LessonCompletion.objects.exists()

    def test_the_token_from_get_lets_the_post_through(self, course_tree, learner):
        client = Client(enforce_csrf_checks=True)
        client.force_login(learner)
        token = client.get(OUTBOX).json()["csrf_token"]
        response = client.post(
            OUTBOX,
            json.dumps({"items": [item(course_tree.lesson_one, learner)]}),
            content_type="application/json",
            HTTP_X_CSRFTOKEN=token,
        )
        assert answers(response) == [("applied", "")]


class ApplyingTests:
    def test_an_item_is_applied_with_the_time_the_learner_acted(self, learner_client, learner, course_tree):
        enrol(learner, course_tree.course)
        acted_at = timezone.now() - timedelta(hours=3)
        response = send(learner_client, item(course_tree.lesson_one, learner, at=acted_at))
        assert answers(response) == [("applied", "")]
        completion = LessonCompletion.objects.get(learner=learner, lesson=course_tree.lesson_one)
        assert completion.completed_at == acted_at
        assert OfflineAction.objects.get(learner=learner).acted_at == acted_at

    def test_progress_after_a_sync_is_as_if_online(self, learner_client, learner, other_learner, course_tree):
        lessons = [course_tree.lesson_one, course_tree.lesson_two]
        send(learner_client, *[item(lesson, learner) for lesson in lessons])
        online = Client()
        online.force_login(other_learner)
        for lesson in lessons:
            online.post(complete_url(lesson))
        offline_progress = course_progress_for_learner(learner=learner, course=course_tree.course)
        online_progress = course_progress_for_learner(learner=other_learner, course=course_tree.course)
        assert offline_progress.done_ids == online_progress.done_ids
        assert offline_progress.percent == online_progress.percent > 0
        assert Enrolment.objects.get(learner=learner).last_page_id == course_tree.lesson_two.pk

    def test_the_last_lesson_sent_offline_completes_the_course(self, learner_client, learner, course_tree):
        course_tree.quiz.is_required = False
        course_tree.quiz.save_revision().publish()
        lessons = [course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three]
        send(learner_client, *[item(lesson, learner) for lesson in lessons])
        assert Enrolment.objects.get(learner=learner).completed_at is not None

    def test_one_bad_item_does_not_hold_back_the_others(self, learner_client, learner, course_tree):
        response = send(learner_client, {"id": "nonsense"}, item(course_tree.lesson_one, learner))
        assert answers(response) == [("refused", in_russian(ITEM_INVALID)), ("applied", "")]
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_a_lesson_done_online_before_the_sync_is_already_done(self, learner_client, learner, course_tree):
        learner_client.post(complete_url(course_tree.lesson_one))
        done_at = LessonCompletion.objects.get().completed_at
        response = send(learner_client, item(course_tree.lesson_one, learner))
        assert answers(response) == [("already_done", "")]
        assert LessonCompletion.objects.get().completed_at == done_at


class NeverTwiceTests:
    def test_a_replayed_batch_changes_nothing(self, learner_client, learner, course_tree):
        batch = [item(course_tree.lesson_one, learner), item(course_tree.lesson_two, learner)]
        assert answers(send(learner_client, *batch)) == [("applied", ""), ("applied", "")]
        snapshot = list(LessonCompletion.objects.values_list("lesson_id", "completed_at").order_by("lesson_id"))
        assert answers(send(learner_client, *batch)) == [("duplicate", ""), ("duplicate", "")]
        assert list(LessonCompletion.objects.values_list("lesson_id", "completed_at").order_by("lesson_id")) == snapshot
        assert OfflineAction.objects.count() == 2

    def test_the_same_item_twice_in_one_batch_is_applied_once(self, learner_client, learner, course_tree):
        twice = item(course_tree.lesson_one, learner)
        assert answers(send(learner_client, twice, twice)) == [("applied", ""), ("duplicate", "")]
        assert LessonCompletion.objects.count() == 1

    def test_the_same_client_id_for_another_lesson_is_refused(self, learner_client, learner, course_tree):
        client_id = str(uuid.uuid4())
        send(learner_client, item(course_tree.lesson_one, learner, client_id=client_id))
        response = send(learner_client, item(course_tree.lesson_two, learner, client_id=client_id))
        assert answers(response) == [("refused", in_russian(ITEM_ID_REUSED))]
        assert not LessonCompletion.objects.filter(lesson=course_tree.lesson_two).exists()

    def test_the_same_client_id_of_two_learners_is_two_actions(self, learner, other_learner, course_tree):
        client_id = str(uuid.uuid4())
        for person in (learner, other_learner):
            client = Client()
            client.force_login(person)
            assert answers(send(client, item(course_tree.lesson_one, person, client_id=client_id))) == [("applied", "")]
        assert LessonCompletion.objects.count() == 2


class SharedPhoneTests:
    def test_another_learners_items_are_refused_and_not_applied(self, learner, other_learner, course_tree):
        """One phone, two secretaries: the first logs out with actions waiting, the second logs in. Should the
        first one's actions reach the server in the second one's session, they are refused, for both."""
        client = Client()
        client.force_login(other_learner)
        response = send(client, item(course_tree.lesson_one, learner), item(course_tree.lesson_two, learner))
        assert answers(response) == [("refused", in_russian(ITEM_OTHER_LEARNER))] * 2
        assert not LessonCompletion.objects.exists()
        assert not OfflineAction.objects.exists()
        # Sent later in their own session, they are applied.
        client.force_login(learner)
        again = send(client, item(course_tree.lesson_one, learner), item(course_tree.lesson_two, learner))
        assert answers(again) == [("applied", "")] * 2


class BadBatchTests:
    def test_more_items_than_allowed_are_refused_whole(self, learner_client, learner, course_tree):
        batch = [item(course_tree.lesson_one, learner) for _ in range(BATCH_MAX_ITEMS + 1)]
        response = send(learner_client, *batch)
        assert response.status_code == 413
        assert str(BATCH_MAX_ITEMS) in response.json()["error"]
        assert not LessonCompletion.objects.exists()

    def test_a_body_over_the_size_limit_is_refused(self, learner_client, learner, course_tree):
        padded = item(course_tree.lesson_one, learner, note="x" * BATCH_MAX_BYTES)
        response = send(learner_client, padded)
        assert response.status_code == 413
        assert not LessonCompletion.objects.exists()

    @pytest.mark.parametrize(
        "raw",
        [
            "{not json",
            "",
            "[]",
            '{"items": {}}',
            '{"items": "x"}',
            "null",
            '"items"',
            "\udcff".encode("utf-8", "surrogatepass"),
        ],
    )
    def test_malformed_json_is_a_clear_400(self, learner_client, raw):
        response = send(learner_client, raw=raw)
        assert response.status_code == 400
        assert response.json()["error"]
        assert not OfflineAction.objects.exists()

    @pytest.mark.parametrize(
        "change",
        [
            {"id": "not-a-uuid"},
            {"id": 12},
            {"id": None},
            {"type": "quiz_submit"},
            {"lesson": "12"},
            {"lesson": True},
            {"lesson": -1},
            {"lesson": 2**70},
            {"lesson": None},
        ],
    )
    def test_a_malformed_item_is_refused_on_its_own(self, learner_client, learner, course_tree, change):
        response = send(learner_client, {**item(course_tree.lesson_one, learner), **change})
        assert answers(response) == [("refused", in_russian(ITEM_INVALID))]
        assert not LessonCompletion.objects.exists()

    def test_items_that_are_not_objects_are_refused(self, learner_client):
        response = send(learner_client, raw=json.dumps({"items": [1, "x", None, []]}))
        assert answers(response) == [("refused", in_russian(ITEM_INVALID))] * 4


class DeviceTimeTests:
    def test_a_time_in_the_future_is_recorded_as_the_time_of_arrival(self, learner_client, learner, course_tree):
        enrol(learner, course_tree.course)
        before = timezone.now()
        response = send(learner_client, item(course_tree.lesson_one, learner, at=timezone.now() + timedelta(days=2)))
        assert response.json()["items"][0] == {
            "id": response.json()["items"][0]["id"],
            "status": "applied",
            "time_corrected": True,
        }
        assert before <= LessonCompletion.objects.get().completed_at <= timezone.now()

    def test_a_time_years_back_is_recorded_as_the_time_of_arrival(self, learner_client, learner, course_tree):
        enrol(learner, course_tree.course, days_ago=30)
        before = timezone.now()
        response = send(
            learner_client, item(course_tree.lesson_one, learner, at=timezone.now() - timedelta(days=3 * 365))
        )
        assert response.json()["items"][0]["time_corrected"] is True
        assert LessonCompletion.objects.get().completed_at >= before

    def test_a_time_before_enrolment_is_not_believed(self, learner_client, learner, course_tree):
        enrol(learner, course_tree.course, days_ago=1)
        send(learner_client, item(course_tree.lesson_one, learner, at=timezone.now() - timedelta(days=2)))
        assert LessonCompletion.objects.get().completed_at >= timezone.now() - timedelta(minutes=1)

    @pytest.mark.parametrize("at", ["yesterday", "2026-13-45T00:00:00Z", "2026-01-01T10:00:00", 1700000000, None])
    def test_an_unreadable_or_zoneless_time_is_the_time_of_arrival(self, learner_client, learner, course_tree, at):
        enrol(learner, course_tree.course)
        response = send(learner_client, {**item(course_tree.lesson_one, learner), "at": at})
        assert answers(response) == [("applied", "")]
        assert response.json()["items"][0]["time_corrected"] is True


class ContentChangedWhileOfflineTests:
    def test_a_lesson_unpublished_while_offline_is_refused_with_the_reason(self, learner_client, learner, course_tree):
        course_tree.lesson_two.unpublish()
        kept_offline = item(course_tree.lesson_two, learner)
        response = send(learner_client, item(course_tree.lesson_one, learner), kept_offline)
        assert answers(response) == [("applied", ""), ("refused", in_russian(ITEM_NOT_AVAILABLE))]
        assert not LessonCompletion.objects.filter(lesson=course_tree.lesson_two).exists()
        # Published again, the same action is accepted: a refusal is not remembered against its id.
        course_tree.lesson_two.save_revision().publish()
        again = send(learner_client, kept_offline)
        assert answers(again) == [("applied", "")]

    def test_a_lesson_deleted_while_offline_is_refused(self, learner_client, learner, course_tree):
        missing = {**item(course_tree.lesson_one, learner), "lesson": 10**9}
        assert answers(send(learner_client, missing)) == [("refused", in_russian(ITEM_LESSON_GONE))]

    def test_a_locked_module_refuses_as_the_single_endpoint_does(self, learner_client, learner, sequential):
        response = send(learner_client, item(sequential.lesson_three, learner))
        assert answers(response) == [("refused", in_russian(MODULE_LOCKED))]
        assert learner_client.post(complete_url(sequential.lesson_three)).status_code == 302
        assert not LessonCompletion.objects.exists()


def test_the_service_worker_setting_switches_offline_use_off(settings, learner_client, course_tree):
    client = Client()
    page = learner_client.get(course_tree.lesson_one.url).content.decode()
    assert 'data-service-worker="/sw.js"' in page
    assert "self.Outbox.send" in client.get("/sw.js").content.decode()
    settings.OFFLINE_ENABLED = False
    page = learner_client.get(course_tree.lesson_one.url).content.decode()
    assert "data-service-worker" not in page
    worker = client.get("/sw.js")
    assert worker.status_code == 200
    assert "registration.unregister()" in worker.content.decode()
    assert "self.Outbox.send" not in worker.content.decode()


def test_the_service_worker_is_served_from_the_root_uncached(client):
    response = client.get("/sw.js")
    assert response["Content-Type"].startswith("text/javascript")
    assert "no-cache" in response["Cache-Control"]
    assert "default-src 'self'" in response["Content-Security-Policy"]
    assert settings.STATIC_URL in response.content.decode()


def test_only_course_pages_of_a_signed_in_learner_are_marked_to_keep(learner_client, course_tree):
    for page in (course_tree.course, course_tree.module_one, course_tree.lesson_one):
        assert learner_client.get(page.url)["X-Offline-Keep"] == "1"
    for url in (course_tree.quiz.url, "/my/", course_tree.case_study.url, "/"):
        assert "X-Offline-Keep" not in learner_client.get(url)
    assert "X-Offline-Keep" not in Client().get(course_tree.course.url)


def test_the_offline_page_names_nobody(learner_client, learner):
    page = learner_client.get("/offline/").content.decode()
    assert learner.full_name not in page
    assert learner.username not in page
    assert "csrfmiddlewaretoken" not in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="Needs real concurrent transactions (PostgreSQL)")
def test_a_batch_sent_ten_times_at_once_is_applied_once(learner, course_tree):
    """A page and the service worker (or two tabs) sending the same outbox at the same moment."""
    from tests.progress.test_concurrency import logged_in_clients, run_together

    batch = [item(course_tree.lesson_one, learner), item(course_tree.lesson_two, learner)]
    clients = logged_in_clients(learner, 10)
    results = run_together(10, lambda index: send(clients[index], *batch))
    statuses = [[answer["status"] for answer in result.json()["items"]] for result in results]
    assert all(status in ("applied", "already_done", "duplicate") for answer in statuses for status in answer)
    # Each item is recorded by exactly one of the requests; the others find it sent.
    for position in range(len(batch)):
        assert [answer[position] for answer in statuses].count("duplicate") == 9, statuses
    assert LessonCompletion.objects.filter(learner=learner).count() == 2
    assert OfflineAction.objects.filter(learner=learner).count() == 2
