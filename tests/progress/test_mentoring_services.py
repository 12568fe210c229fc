"""Mentorship services: one active mentor per learner, history kept, the rules the admin and the import share."""

import pytest

from django.contrib.auth.models import Group
from django.db import IntegrityError, transaction

from progress.models import Mentorship
from progress.services import (
    MENTOR_IS_LEARNER,
    ProgressError,
    mentorship_assign,
    mentorship_check,
    mentorship_end,
)
from school.factories import UserFactory


pytestmark = pytest.mark.django_db


def make_mentor(username):
    mentor = UserFactory(username=username)
    Group.objects.get(name="Mentors").user_set.add(mentor)
    return mentor


class MentorshipAssignTests:
    def test_assigning_twice_keeps_one_active_mentorship(self, learner):
        """Assigning the current mentor again returns the same row."""
        mentor = make_mentor("m1")
        first = mentorship_assign(mentor=mentor, learner=learner)
        assert mentorship_assign(mentor=mentor, learner=learner) == first
        assert Mentorship.objects.count() == 1

    def test_a_second_mentor_is_refused_while_one_is_active(self, learner):
        """The learner keeps one active mentor; the refusal names the current one."""
        mentorship_assign(mentor=make_mentor("m1"), learner=learner)
        with pytest.raises(ProgressError) as error:
            mentorship_assign(mentor=make_mentor("m2"), learner=learner)
        assert "m1" in error.value.message
        assert list(Mentorship.objects.values_list("mentor__username", flat=True)) == ["m1"]

    def test_after_ending_a_new_mentor_can_follow_and_history_stays(self, learner):
        """Ending keeps the row with its end date; then another mentor can be assigned."""
        ended = mentorship_end(mentorship=mentorship_assign(mentor=make_mentor("m1"), learner=learner))
        assert ended.is_active is False
        assert ended.ended_at is not None
        mentorship_assign(mentor=make_mentor("m2"), learner=learner)
        assert Mentorship.objects.filter(learner=learner).count() == 2
        assert Mentorship.objects.get(learner=learner, is_active=True).mentor.username == "m2"

    def test_only_members_of_the_mentors_group_mentor(self, learner, other_learner):
        """A user outside the Mentors group is refused with a message naming them."""
        assert "other-secretary" in mentorship_check(mentor=other_learner, learner=learner)
        with pytest.raises(ProgressError):
            mentorship_assign(mentor=other_learner, learner=learner)
        assert not Mentorship.objects.exists()

    def test_a_mentor_cannot_mentor_themself(self):
        """Mentor and learner must be two people."""
        mentor = make_mentor("m1")
        assert mentorship_check(mentor=mentor, learner=mentor) == MENTOR_IS_LEARNER

    def test_the_database_refuses_two_active_mentors(self, learner):
        """Even bypassing the service, the database keeps one active mentorship per learner."""
        Mentorship.objects.create(mentor=make_mentor("m1"), learner=learner)
        with pytest.raises(IntegrityError), transaction.atomic():
            Mentorship.objects.create(mentor=make_mentor("m2"), learner=learner)
