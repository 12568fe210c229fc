"""Deleting a learner's personal data on request: staff only, everywhere it lives, figures unchanged."""

import json

import pytest
from axes.models import AccessAttempt

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.db.models import Q
from django.urls import reverse

from wagtail.models import ModelLogEntry, Revision

from courses.models import CaseStudyPage
from progress.audit import PERSONAL_DATA_ERASE
from progress.models import (
    Enrolment,
    LessonCompletion,
    MentorNote,
    Mentorship,
    QuizAnswer,
    QuizAttempt,
)
from progress.selectors.reports import region_report
from progress.services import LEARNER_HAS_MENTEES, mentorship_assign
from school.factories import UserFactory

from .helpers import in_russian, messages_of
from .personal_data_helpers import LEARNER_EMAIL, LEARNER_NAME, NOTE_TEXT, world_fixture  # noqa: F401 - the fixture


pytestmark = pytest.mark.django_db

User = get_user_model()


def erase_url(user_id):
    return f"/admin/personal-data/{user_id}/erase/"


def account_state(user):
    user = User.objects.get(pk=user.pk)
    return (user.username, user.full_name, user.email, user.password, user.branch_id, user.region_id)


def learner_state(user):
    """Everything erasure could touch, to show that a refused one changed nothing."""
    return (
        account_state(user),
        list(Mentorship.objects.filter(Q(learner=user) | Q(mentor=user)).values_list("pk", "is_active")),
        list(MentorNote.objects.filter(Q(learner=user) | Q(mentor=user)).values_list("pk", "text")),
        list(CaseStudyPage.objects.filter(owner=user).values_list("pk", flat=True)),
        ModelLogEntry.objects.filter(action=PERSONAL_DATA_ERASE).count(),
    )


def totals(world):
    report = region_report(reader=world.staff, region=world.region, course=world.course.course)
    tally = report.totals
    return (tally.learners, tally.enrolled, tally.started, tally.completed, tally.percent_sum)


@pytest.fixture
def erased(client, world):
    """The world's learner, erased by staff through the admin."""
    world.totals_before = totals(world)
    client.force_login(world.staff)
    response = client.post(erase_url(world.learner.pk))
    assert response.status_code == 302
    world.response = response
    world.learner.refresh_from_db()
    return world


class ErasureTests:
    def test_the_account_keeps_no_personal_field(self, erased):
        """Name, e-mail, username and password are gone; the region stays for the figures, the branch goes."""
        learner = erased.learner
        assert learner.username == f"deleted-{learner.pk}"
        assert (learner.full_name, learner.first_name, learner.last_name, learner.email) == ("", "", "", "")
        assert learner.has_usable_password() is False
        assert learner.branch_id is None
        assert learner.region_id == erased.region.pk
        assert learner.last_login is None

    def test_regional_figures_are_unchanged(self, erased):
        """Completion counts of the region are what they were: the progress stays with the anonymous account."""
        assert totals(erased) == erased.totals_before
        assert LessonCompletion.objects.filter(learner=erased.learner).count() == 1
        assert Enrolment.objects.filter(learner=erased.learner).count() == 1
        assert QuizAnswer.objects.filter(attempt__learner=erased.learner).count() == 5

    def test_mentor_notes_lose_their_text_and_the_mentorship_ends(self, erased):
        assert list(MentorNote.objects.filter(learner=erased.learner).values_list("text", flat=True)) == [""]
        assert not Mentorship.objects.filter(learner=erased.learner, is_active=True).exists()

    def test_published_practices_stay_published_without_an_author(self, client, erased):
        """The practice is still live, owned by nobody, in every revision; its page names no author."""
        practice = CaseStudyPage.objects.get(pk=erased.practice.pk)
        assert practice.live is True
        assert practice.owner_id is None
        revisions = Revision.objects.filter(object_id=str(practice.pk))
        assert revisions.exists()
        for revision in revisions:
            assert revision.content.get("owner") is None
            assert revision.user_id is None
        response = client.get(practice.url)
        assert response.status_code == 200
        assert LEARNER_NAME not in response.content.decode()

    def test_no_page_search_result_or_admin_listing_shows_the_name(self, client, erased):
        """The name is gone from the site's pages, its search, the admin's listings and the site history."""
        client.force_login(erased.staff)
        urls = [
            erased.practice.url,
            erased.course.case_index.url,
            f"/search/?query={erased.practice.title}",
            "/admin/users/",
            reverse("enrolment:index"),
            reverse("lessoncompletion:index"),
            reverse("quizattempt:index"),
            reverse("mentorship:index"),
            "/admin/reports/site-history/",
            f"/admin/personal-data/{erased.learner.pk}/",
            f"/admin/pages/{erased.practice.pk}/history/",
            f"/reports/?region={erased.region.code}&course={erased.course.course.pk}",
            f"/reports/export.csv?region={erased.region.code}&course={erased.course.course.pk}",
        ]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            text = b"".join(response).decode() if response.streaming else response.content.decode()
            assert LEARNER_NAME not in text, url
            assert "Кузнецова" not in text, url
            assert LEARNER_EMAIL not in text, url
        # The practice itself is still found.
        assert erased.practice.title in client.get(f"/search/?query={erased.practice.title}").content.decode()
        # Searching for the name (which the search box shows back) finds nobody.
        learner_links = (
            erased.practice.url,
            f"/admin/users/{erased.learner.pk}/",
            f"/personal-data/{erased.learner.pk}/",
        )
        for url in (
            "/search/?query=Кузнецова-Белоярская",
            "/admin/users/?q=Кузнецова",
            "/admin/personal-data/?q=Кузнецова",
        ):
            text = client.get(url).content.decode()
            assert not any(link in text for link in learner_links), url

    def test_no_log_entry_carries_the_name(self, erased):
        for label, data in ModelLogEntry.objects.values_list("label", "data"):
            assert "Кузнецова" not in label
            assert "Кузнецова" not in json.dumps(data, ensure_ascii=False)

    def test_the_export_of_an_erased_account_holds_no_name(self, client, erased):
        client.force_login(erased.staff)
        response = client.get(f"/admin/personal-data/{erased.learner.pk}/export/")
        text = response.content.decode()
        assert response.status_code == 200
        assert "Кузнецова" not in text
        assert LEARNER_EMAIL not in text
        assert NOTE_TEXT not in text

    def test_the_erasure_is_recorded_with_who_did_it(self, erased):
        [entry] = ModelLogEntry.objects.filter(action=PERSONAL_DATA_ERASE)
        assert entry.user_id == erased.staff.pk
        assert entry.object_id == str(erased.learner.pk)
        assert entry.label == f"deleted-{erased.learner.pk}"
        assert erased.response["Location"] == f"/admin/personal-data/{erased.learner.pk}/"

    def test_running_it_twice_is_safe(self, client, erased):
        """A second erasure finds nothing more to erase and changes nothing of the first one's result."""
        before = account_state(erased.learner)
        response = client.post(erase_url(erased.learner.pk))
        assert response.status_code == 302
        assert account_state(erased.learner) == before
        assert totals(erased) == erased.totals_before
        assert ModelLogEntry.objects.filter(action=PERSONAL_DATA_ERASE).count() == 2

    def test_the_learner_is_signed_out_and_cannot_sign_in(self, client, world):
        """Their sessions are deleted; with no password and no e-mail, nobody can sign in as them."""
        learner_client = type(client)()
        learner_client.force_login(world.learner)
        assert learner_client.get("/my/").status_code == 200
        AccessAttempt.objects.create(
            username="secretary", ip_address="127.0.0.1", user_agent="test", failures_since_start=1
        )
        client.force_login(world.staff)
        client.post(erase_url(world.learner.pk))
        assert Session.objects.filter(session_key=learner_client.session.session_key).exists() is False
        response = learner_client.get("/my/")
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]
        assert not AccessAttempt.objects.filter(username="secretary").exists()
        assert client.login(username=f"deleted-{world.learner.pk}", password="password") is False
        assert client.login(username="secretary", password="password") is False


class ErasureRefusalTests:
    def test_a_mentor_with_active_mentees_is_refused_and_nothing_changes(self, client, world):
        """Deleting a mentor who still has mentees is refused with a clear message until they are reassigned."""
        before = learner_state(world.mentor)
        client.force_login(world.staff)
        page = client.get(erase_url(world.mentor.pk))
        message = in_russian(LEARNER_HAS_MENTEES) % {"user": world.mentor.full_name, "count": 1}
        assert message in page.content.decode()
        response = client.post(erase_url(world.mentor.pk))
        assert response.status_code == 409
        assert any(message in shown for shown in messages_of(response))
        assert learner_state(world.mentor) == before

    def test_the_mentor_can_be_erased_once_the_mentees_are_reassigned(self, client, world, role_groups):
        other_mentor = UserFactory(username="mentor-2")
        other_mentor.groups.add(role_groups["Mentors"])
        Mentorship.objects.filter(mentor=world.mentor).update(is_active=False, ended_at=world.learner.date_joined)
        mentorship_assign(mentor=other_mentor, learner=world.learner, assigned_by=world.staff)
        client.force_login(world.staff)
        assert client.post(erase_url(world.mentor.pk)).status_code == 302
        world.mentor.refresh_from_db()
        assert world.mentor.username == f"deleted-{world.mentor.pk}"
        # Their notes to the learner lose their text; the learner keeps the rest of their record.
        assert set(MentorNote.objects.filter(mentor=world.mentor).values_list("text", flat=True)) == {""}
        assert QuizAttempt.objects.filter(learner=world.learner).count() == 1

    def test_an_unknown_user_is_a_404_and_nothing_changes(self, client, world):
        client.force_login(world.staff)
        before = learner_state(world.learner), User.objects.count()
        assert client.get(erase_url(999_999)).status_code == 404
        assert client.post(erase_url(999_999)).status_code == 404
        assert (learner_state(world.learner), User.objects.count()) == before

    def test_the_learner_alone_cannot_erase_an_account(self, client, world):
        """A learner (no admin access) posting to the erasure is sent to the admin's login; nothing changes."""
        before = learner_state(world.learner)
        client.force_login(world.learner)
        response = client.post(erase_url(world.learner.pk))
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]
        assert learner_state(world.learner) == before

    def test_staff_who_may_not_delete_users_are_refused(self, client, world):
        """Exporting needs the right to change users; erasing, the right to delete them."""
        from django.contrib.auth.models import Permission

        clerk = UserFactory(username="clerk", is_staff=True)
        clerk.user_permissions.add(
            Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="change_user")
        )
        before = learner_state(world.learner)
        client.force_login(clerk)
        response = client.post(erase_url(world.learner.pk))
        assert (response.status_code, response["Location"]) == (302, "/admin/")
        assert learner_state(world.learner) == before
        assert client.get(f"/admin/personal-data/{world.learner.pk}/export/").status_code == 200

    def test_staff_cannot_erase_themselves(self, client, world):
        client.force_login(world.staff)
        before = account_state(world.staff)
        response = client.post(erase_url(world.staff.pk))
        assert response.status_code == 409
        assert account_state(world.staff) == before

    def test_the_confirmation_page_asks_before_anything_is_erased(self, client, world):
        before = learner_state(world.learner)
        client.force_login(world.staff)
        response = client.get(erase_url(world.learner.pk))
        assert response.status_code == 200
        assert f'action="{erase_url(world.learner.pk)}"'.encode() in response.content
        assert learner_state(world.learner) == before
