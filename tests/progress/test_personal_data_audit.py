"""The audit trail: who assigned or removed a mentor, granted an extra attempt, imported learners, exported
or erased a learner's data, and when; shown to administrators in Reports → Site history."""

import pytest

from django.urls import reverse

from wagtail.models import ModelLogEntry

from progress import audit
from progress.models import ExtraAttempt, LearnerImport, Mentorship
from progress.services import quiz_attempt_start, quiz_attempt_submit
from school.factories import UserFactory

from .helpers import in_russian
from .personal_data_helpers import answers_for


pytestmark = pytest.mark.django_db

SITE_HISTORY = "/admin/reports/site-history/"


@pytest.fixture
def people(role_groups):
    staff = UserFactory(username="admin", full_name="Администратор Школы", is_staff=True, is_superuser=True)
    mentor = UserFactory(username="mentor", full_name="Игорь Смирнов")
    mentor.groups.add(role_groups["Mentors"])
    learner = UserFactory(username="secretary", full_name="Анна Петрова")
    return staff, mentor, learner


def entries(action):
    return list(ModelLogEntry.objects.filter(action=action).order_by("pk"))


def assert_in_site_history(client, staff, action):
    """The action's message is listed in the admin's site history, with the person who did it."""
    client.force_login(staff)
    label, message = audit.ACTIONS[action]
    response = client.get(SITE_HISTORY, {"action": action})
    assert response.status_code == 200
    text = response.content.decode()
    assert in_russian(message) in text
    return text


class MentorshipAuditTests:
    def test_assigning_a_mentor_in_the_admin_is_recorded(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        response = client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        assert response.status_code == 302
        [entry] = entries(audit.MENTORSHIP_ASSIGN)
        mentorship = Mentorship.objects.get()
        assert (entry.user_id, entry.object_id) == (staff.pk, str(mentorship.pk))
        assert entry.data == {"mentor_id": mentor.pk, "learner_id": learner.pk}
        assert entry.timestamp is not None
        text = assert_in_site_history(client, staff, audit.MENTORSHIP_ASSIGN)
        assert "Администратор Школы" in text

    def test_ending_a_mentorship_in_the_admin_is_recorded_once(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        mentorship = Mentorship.objects.get()
        client.post(reverse("mentorship:edit", args=[mentorship.pk]), {})
        client.post(reverse("mentorship:edit", args=[mentorship.pk]), {})  # already ended: nothing more
        [entry] = entries(audit.MENTORSHIP_END)
        assert (entry.user_id, entry.object_id) == (staff.pk, str(mentorship.pk))
        assert_in_site_history(client, staff, audit.MENTORSHIP_END)

    def test_a_refused_assignment_records_nothing(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        client.post(reverse("mentorship:add"), {"mentor": learner.pk, "learner": mentor.pk})
        assert not Mentorship.objects.exists()
        assert entries(audit.MENTORSHIP_ASSIGN) == []


class ExtraAttemptAuditTests:
    def test_granting_an_extra_attempt_is_recorded_with_the_mentor(self, client, people, course_tree):
        staff, mentor, learner = people
        Mentorship.objects.create(mentor=mentor, learner=learner)
        quiz = course_tree.quiz
        quiz.attempt_limit = 1
        quiz.save_revision().publish()
        attempt = quiz_attempt_start(learner=learner, quiz=quiz)
        quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers_for(quiz))
        client.force_login(mentor)
        response = client.post(f"/mentor/{learner.pk}/extra-attempts/", {"quiz": quiz.pk})
        assert response.status_code == 302
        [entry] = entries(audit.EXTRA_ATTEMPT_GRANT)
        grant = ExtraAttempt.objects.get()
        assert (entry.user_id, entry.object_id) == (mentor.pk, str(grant.pk))
        assert entry.data == {"learner_id": learner.pk, "quiz_id": quiz.pk, "allows_attempt": 2}
        text = assert_in_site_history(client, staff, audit.EXTRA_ATTEMPT_GRANT)
        assert "Игорь Смирнов" in text


class ImportAuditTests:
    def test_an_applied_import_is_recorded_with_who_ran_it(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        text = "username,email,full_name,mentor\r\nnovikova,novikova@example.org,Новикова Ольга,mentor\r\n"
        preview = client.post(reverse("progress_learner_import"), {"file": _upload(text)})
        content = preview.context["confirm_form"].initial["content"]
        client.post(reverse("progress_learner_import_confirm"), {"content": content})
        record = LearnerImport.objects.get()
        assert (record.imported_by, record.rows_count, record.created_count, record.mentors_count) == (staff, 1, 1, 1)
        assert len(record.file_sha256) == 64
        [entry] = entries(audit.LEARNER_IMPORT)
        assert (entry.user_id, entry.object_id) == (staff.pk, str(record.pk))
        assert entry.data == {"rows": 1, "created": 1, "updated": 0, "mentors": 1}
        # The mentor it assigned is in the trail too, as assigned by the same person.
        [assigned] = entries(audit.MENTORSHIP_ASSIGN)
        assert assigned.user_id == staff.pk
        assert "Новикова" not in str(entry.data)
        assert_in_site_history(client, staff, audit.LEARNER_IMPORT)

    def test_a_refused_import_records_nothing(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        text = "username,email,full_name,mentor\r\nnovikova,novikova@example.org,Новикова Ольга,nobody\r\n"
        client.post(reverse("progress_learner_import"), {"file": _upload(text)})
        assert not LearnerImport.objects.exists()
        assert entries(audit.LEARNER_IMPORT) == []


class PersonalDataAuditTests:
    def test_exports_and_erasures_show_in_the_site_history(self, client, people):
        staff, mentor, learner = people
        client.force_login(staff)
        client.get(f"/admin/personal-data/{learner.pk}/export/")
        client.post(f"/admin/personal-data/{learner.pk}/erase/")
        assert [entry.user_id for entry in entries(audit.PERSONAL_DATA_EXPORT)] == [staff.pk]
        assert [entry.user_id for entry in entries(audit.PERSONAL_DATA_ERASE)] == [staff.pk]
        assert_in_site_history(client, staff, audit.PERSONAL_DATA_EXPORT)
        text = assert_in_site_history(client, staff, audit.PERSONAL_DATA_ERASE)
        assert "Анна Петрова" not in text

    def test_learners_cannot_read_the_site_history(self, client, people):
        staff, mentor, learner = people
        client.force_login(learner)
        response = client.get(SITE_HISTORY)
        assert response.status_code == 302
        assert "/admin/login/" in response["Location"]


def _upload(text):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("learners.csv", text.encode("utf-8"), content_type="text/csv")
