"""seed_demo_mentorships gives the demo mentor three active mentees, once."""

from io import StringIO

import pytest

from django.core.management import call_command
from django.db import transaction

from progress.models import MentorNote, Mentorship
from progress.services import mentorship_end


pytestmark = pytest.mark.django_db


def seed_mentorships():
    output, errors = StringIO(), StringIO()
    call_command("seed_demo_mentorships", stdout=output, stderr=errors)
    return output.getvalue(), errors.getvalue()


@pytest.fixture(scope="class")
def demo_content(django_db_setup, django_db_blocker):
    """The demo content (and its users) seeded once per test class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("seed_demo_content", stdout=StringIO())
        yield
        transaction.set_rollback(True)


def active_mentees_of_mentor():
    return sorted(
        Mentorship.objects.filter(mentor__username="mentor", is_active=True).values_list("learner__username", flat=True)
    )


@pytest.mark.usefixtures("demo_content")
class DemoMentorshipTests:
    def test_mentor_gets_three_active_mentees(self):
        """After both seed commands the mentor actively mentors learner, learner2 and learner3."""
        seed_mentorships()
        assert active_mentees_of_mentor() == ["learner", "learner2", "learner3"]

    def test_second_run_keeps_three_mentorships(self):
        """Running the command twice leaves exactly the same three mentorships."""
        seed_mentorships()
        seed_mentorships()
        assert active_mentees_of_mentor() == ["learner", "learner2", "learner3"]
        assert Mentorship.objects.count() == 3

    def test_each_mentee_gets_one_welcome_note(self):
        """The mentor greets each demo mentee once, however often the command runs."""
        seed_mentorships()
        seed_mentorships()
        assert sorted(MentorNote.objects.values_list("learner__username", flat=True)) == [
            "learner",
            "learner2",
            "learner3",
        ]

    def test_ended_demo_mentorship_is_started_again_and_kept_as_history(self):
        """The demo promises an active mentor: an ended demo pair gets a new active mentorship,
        and the ended one stays as history."""
        seed_mentorships()
        mentorship_end(mentorship=Mentorship.objects.get(learner__username="learner2"))
        seed_mentorships()
        assert active_mentees_of_mentor() == ["learner", "learner2", "learner3"]
        assert Mentorship.objects.filter(learner__username="learner2", is_active=False).count() == 1


class MissingDemoUsersTests:
    def test_without_demo_users_it_warns_and_creates_nothing(self):
        """Before seed_demo_content there is nobody to pair: a warning, no rows, no error."""
        output, errors = seed_mentorships()
        assert "seed_demo_content" in errors
        assert Mentorship.objects.count() == 0
