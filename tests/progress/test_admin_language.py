"""The admin listings of learners' records say "yes", "no" and "—" in Russian where Wagtail would
print True, False and None."""

import re

from django.urls import reverse

from progress.admin_views import EMPTY_VALUE
from progress.models import Mentorship
from school.factories import UserFactory


def make_mentorship(learner):
    mentor = UserFactory(username="mentor")
    return Mentorship.objects.create(mentor=mentor, learner=learner, assigned_by=mentor)


class InspectValuesTests:
    def test_flags_and_empty_dates_read_as_words(self, admin_client, learner):
        """An active mentorship's inspect page shows "Да" and a dash for its missing end date."""
        mentorship = make_mentorship(learner)
        html = admin_client.get(reverse("mentorship:inspect", args=[mentorship.pk])).content.decode()
        assert re.search(r"<dd>\s*Да\s*</dd>", html)
        assert re.search(rf"<dd>\s*{EMPTY_VALUE}\s*</dd>", html)
        assert not re.search(r"<dd>\s*(True|False|None)\s*</dd>", html)


class TickColumnTests:
    def test_tick_is_read_out_as_yes(self, admin_client, learner):
        """Screen readers hear "Да" for the listing's tick, not "True"."""
        make_mentorship(learner)
        html = admin_client.get(reverse("mentorship:index")).content.decode()
        assert re.search(r'class="w-sr-only">\s*Да\s*</span>', html)
        assert not re.search(r'class="w-sr-only">\s*(True|False)\s*</span>', html)
