"""Make the demo mentor the active mentor of the first three demo learners.

This lives in progress, not in seed_demo_content, because courses never imports progress.
Run it after seed_demo_content, which creates the users.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from progress.models import MentorNote, Mentorship
from progress.services import ProgressError, mentor_note_add, mentorship_assign


# The usernames seed_demo_content creates.
DEMO_MENTOR = "mentor"
DEMO_MENTEES = ("learner", "learner2", "learner3")


WELCOME_NOTE = (
    "Здравствуйте! Я ваш наставник по курсу. Проходите уроки в своём темпе; если тема покажется "
    "сложной или тест не получится с первого раза, напишите мне — разберём вместе."
)


class Command(BaseCommand):
    help = (
        f"Make the demo user {DEMO_MENTOR!r} the active mentor of {', '.join(DEMO_MENTEES)}, with a welcome note. "
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
        mentor, learners = users[DEMO_MENTOR], [users[name] for name in DEMO_MENTEES]
        created = self.assign_mentees(mentor=mentor, learners=learners)
        notes = self.welcome(mentor=mentor, learners=learners)
        self.stdout.write(
            f"{DEMO_MENTOR} mentors {', '.join(DEMO_MENTEES)} "
            f"({created} mentorships and {notes} welcome notes created in this run)."
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

    def welcome(self, *, mentor, learners):
        """A first note from the mentor, so the learner's page shows the feedback thread."""
        count = 0
        for learner in learners:
            if MentorNote.objects.filter(mentor=mentor, learner=learner).exists():
                continue
            if Mentorship.objects.filter(mentor=mentor, learner=learner, is_active=True).exists():
                mentor_note_add(mentor=mentor, learner=learner, text=WELCOME_NOTE)
                count += 1
        return count
