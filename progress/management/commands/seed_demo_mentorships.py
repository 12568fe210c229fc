"""Make the demo mentor the active mentor of the first three demo learners.

This lives in progress, not in seed_demo_content, because courses never imports progress.
Run it after seed_demo_content, which creates the users.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from progress.models import Mentorship
from progress.services import ProgressError, mentorship_assign


# The usernames seed_demo_content creates.
DEMO_MENTOR = "mentor"
DEMO_MENTEES = ("learner", "learner2", "learner3")


class Command(BaseCommand):
    help = (
        f"Make the demo user {DEMO_MENTOR!r} the active mentor of {', '.join(DEMO_MENTEES)}. "
        "Idempotent; skips with a warning when seed_demo_content has not created the users yet."
    )

    def handle(self, *args, **options):
        users = get_user_model().objects.in_bulk([DEMO_MENTOR, *DEMO_MENTEES], field_name="username")
        missing = [username for username in (DEMO_MENTOR, *DEMO_MENTEES) if username not in users]
        if missing:
            self.stderr.write(
                self.style.WARNING(
                    f"Skipped: the demo users {', '.join(missing)} do not exist; run seed_demo_content first."
                )
            )
            return
        created = self.assign_mentees(mentor=users[DEMO_MENTOR], learners=[users[name] for name in DEMO_MENTEES])
        self.stdout.write(
            f"{DEMO_MENTOR} mentors {', '.join(DEMO_MENTEES)} ({created} mentorships created in this run)."
        )

    @transaction.atomic
    def assign_mentees(self, *, mentor, learners):
        created_count = 0
        for learner in learners:
            if Mentorship.objects.filter(mentor=mentor, learner=learner, is_active=True).exists():
                continue
            try:
                mentorship_assign(mentor=mentor, learner=learner)
            except ProgressError as error:
                # Someone gave the learner another mentor: theirs to keep.
                self.stderr.write(self.style.WARNING(f"Skipped {learner.get_username()}: {error.message}"))
                continue
            created_count += 1
        return created_count
