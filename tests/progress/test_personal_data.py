"""A copy of a learner's personal data: from /my/ for themself, from the admin for staff."""

import json

import pytest

from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType

from wagtail.models import ModelLogEntry

from progress.audit import PERSONAL_DATA_EXPORT
from school.factories import UserFactory

from .personal_data_helpers import (  # noqa: F401 - the fixture
    LEARNER_EMAIL,
    LEARNER_NAME,
    MENTOR_NAME,
    NOTE_TEXT,
    PRACTICE_TITLE,
    give_records,
    world_fixture,
)


pytestmark = pytest.mark.django_db

MY_EXPORT = "/my/data.json"


def admin_export_url(user_id):
    return f"/admin/personal-data/{user_id}/export/"


def export_logs(learner):
    return ModelLogEntry.objects.filter(
        action=PERSONAL_DATA_EXPORT,
        content_type=ContentType.objects.get_for_model(type(learner)),
        object_id=str(learner.pk),
    )


def read_export(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith("attachment; filename=")
    return json.loads(b"".join(response) if response.streaming else response.content)


class ExportTests:
    def test_the_export_holds_every_kind_of_record(self, client, world):
        """One record of every kind the learner has appears in their export, readable."""
        client.force_login(world.learner)
        data = read_export(client.get(MY_EXPORT))

        assert data["profile"]["full_name"] == LEARNER_NAME
        assert data["profile"]["email"] == LEARNER_EMAIL
        assert data["profile"]["username"] == "secretary"
        assert data["profile"]["region"] == "Нижегородская область"
        assert data["profile"]["branch_number"] == "12"
        assert [consent["version"] for consent in data["consents"]] == ["v0"]
        assert data["consents"][0]["accepted_at"]
        assert [row["course"] for row in data["enrolments"]] == [world.course.course.title]
        assert data["enrolments"][0]["started_at"]
        assert [row["lesson"] for row in data["lesson_completions"]] == [world.course.lesson_one.title]
        assert data["lesson_completions"][0]["completed_at"]
        [attempt] = data["quiz_attempts"]
        assert attempt["quiz"] == world.course.quiz.title
        assert attempt["submitted_at"] and attempt["percent"] == world.attempt.percent
        assert len(attempt["answers"]) == 5
        assert {answer["question"] for answer in attempt["answers"]} == set(
            world.attempt.answers.values_list("question_text", flat=True)
        )
        assert [(row["mentor"], row["role"], row["active"]) for row in data["mentorships"]] == [
            (MENTOR_NAME, "learner", True)
        ]
        assert [(note["mentor"], note["text"]) for note in data["mentor_notes"]] == [(MENTOR_NAME, NOTE_TEXT)]
        assert data["mentor_notes_written"] == []
        assert [(row["quiz"], row["granted_by"]) for row in data["extra_attempts"]] == [
            (world.course.quiz.title, MENTOR_NAME)
        ]
        [practice] = data["practices"]
        assert practice["title"] == PRACTICE_TITLE
        assert practice["problem"] == "Обращения терялись в тетрадях."
        assert practice["what_was_done"] == "- Завели таблицу\n- Назначили ответственных"
        assert practice["url"].endswith(world.practice.url)
        assert len(practice["photos"]) == 1 and practice["photos"][0].startswith("/media/")
        assert [(mark["practice"], mark["mark"]) for mark in data["practice_marks"]] == [
            (world.course.case_study.title, "useful")
        ]
        assert [row["page_id"] for row in data["offline_actions"]] == [world.course.lesson_one.pk]

    def test_the_export_does_not_give_away_the_quiz_key(self, client, world):
        """The learner's answers are theirs; which choices were right is not in the file."""
        client.force_login(world.learner)
        data = read_export(client.get(MY_EXPORT))
        text = json.dumps(data)
        assert "is_correct" not in text
        assert set(data["quiz_attempts"][0]["answers"][0]) == {"question", "answer"}

    def test_the_export_is_readable_utf8_json(self, client, world):
        """Russian text is written as is, not as \\u escapes: the file opens readable."""
        client.force_login(world.learner)
        response = client.get(MY_EXPORT)
        assert LEARNER_NAME.encode("utf-8") in response.content

    def test_the_learners_own_export_is_recorded(self, client, world):
        """Who exported whose data, and when, is in the audit trail."""
        client.force_login(world.learner)
        client.get(MY_EXPORT)
        [entry] = export_logs(world.learner)
        assert entry.user_id == world.learner.pk
        assert entry.timestamp is not None

    def test_signed_out_visitors_are_sent_to_log_in(self, client, world):
        response = client.get(MY_EXPORT)
        assert response.status_code == 302
        assert "/accounts/login/" in response["Location"]
        assert not export_logs(world.learner).exists()

    def test_another_learners_export_is_a_404(self, client, world):
        """A learner asking for another learner's export by id gets a 404, and nothing is exported."""
        other = UserFactory(username="other-secretary", full_name="Борис Другой")
        client.force_login(other)
        response = client.get(f"/my/data/{world.learner.pk}.json")
        assert response.status_code == 404
        assert LEARNER_NAME.encode() not in response.content
        assert not export_logs(world.learner).exists()

    def test_ones_own_id_gives_ones_own_export(self, client, world):
        client.force_login(world.learner)
        data = read_export(client.get(f"/my/data/{world.learner.pk}.json"))
        assert data["profile"]["id"] == world.learner.pk

    def test_an_id_too_large_for_the_database_is_a_404(self, client, world):
        client.force_login(world.learner)
        assert client.get(f"/my/data/{'9' * 30}.json").status_code == 404

    def test_the_dashboard_links_to_the_export(self, client, world):
        client.force_login(world.learner)
        response = client.get("/my/")
        assert f'href="{MY_EXPORT}"'.encode() in response.content

    # A learner with 1 or 4 records of each repeatable kind: the export costs the same queries. Up to 25:
    #   1-2    the site and its root page (CachedSiteMiddleware; from the cache once it is warm)
    #   3      the session's user; 4 the learner with region and branch
    #   5      mentor notes (both ways); 6 consents; 7 enrolments; 8 completions
    #   9-10   quiz attempts and their answers; 11 mentorships; 12 extra attempts
    #   13-14  practices and their review states (case_studies_of_author), 15 their latest revisions
    #   16-18  the regions, branches and photos these name; 19 the site, for the practices' URLs
    #   20     marks on practices; 21 offline actions
    #   22-25  the audit entry: its content type (unless cached), Wagtail's two checks, the INSERT
    @pytest.mark.parametrize("count", [1, 4])
    def test_the_export_costs_the_same_queries_whatever_its_size(
        self, client, world, count, django_assert_max_num_queries
    ):
        if count > 1:
            give_records(world, world.learner, count=count - 1, start=1)
        client.force_login(world.learner)
        with django_assert_max_num_queries(25):
            data = read_export(client.get(MY_EXPORT))
        assert len(data["practices"]) == count
        assert len(data["mentor_notes"]) == count


class AdminExportTests:
    def test_staff_download_any_learners_export_and_it_is_recorded(self, client, world):
        """Staff with the right to change users export a learner from the admin; the trail names them."""
        client.force_login(world.staff)
        data = read_export(client.get(admin_export_url(world.learner.pk)))
        assert data["profile"]["full_name"] == LEARNER_NAME
        [entry] = export_logs(world.learner)
        assert entry.user_id == world.staff.pk

    def test_the_person_page_offers_the_export(self, client, world):
        client.force_login(world.staff)
        response = client.get(f"/admin/personal-data/{world.learner.pk}/")
        assert response.status_code == 200
        assert admin_export_url(world.learner.pk).encode() in response.content

    def test_the_lookup_finds_a_learner_by_name(self, client, world):
        client.force_login(world.staff)
        response = client.get("/admin/personal-data/", {"q": "Кузнецова"})
        assert response.status_code == 200
        assert f"/admin/personal-data/{world.learner.pk}/".encode() in response.content
        assert b"/admin/personal-data/" in client.get("/admin/").content  # the menu item

    def test_the_users_listing_links_to_personal_data(self, client, world):
        client.force_login(world.staff)
        response = client.get("/admin/users/")
        assert f"/admin/personal-data/{world.learner.pk}/".encode() in response.content

    def test_learners_cannot_use_the_admin_export(self, client, world):
        """A learner without admin access is sent to the admin's login; nothing is exported."""
        other = UserFactory(username="other-secretary")
        client.force_login(other)
        response = client.get(admin_export_url(world.learner.pk))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
        assert not export_logs(world.learner).exists()

    def test_admin_users_without_the_user_permission_are_refused(self, client, world):
        """An editor with admin access but no right over users is turned back to the admin's dashboard (how
        Wagtail answers a permission refusal), with no data."""
        editor = UserFactory(username="editor", is_staff=True)
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(editor)
        for url in (
            admin_export_url(world.learner.pk),
            "/admin/personal-data/",
            f"/admin/personal-data/{world.learner.pk}/",
        ):
            response = client.get(url)
            assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert b"/admin/personal-data/" not in client.get("/admin/").content  # no menu item either
        assert not export_logs(world.learner).exists()

    def test_an_unknown_user_is_a_404(self, client, world):
        client.force_login(world.staff)
        assert client.get(admin_export_url(999_999)).status_code == 404
        assert client.get("/admin/personal-data/999999/").status_code == 404
