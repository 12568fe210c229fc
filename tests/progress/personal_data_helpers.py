"""What the personal-data tests share: a learner with one record of every kind the platform keeps."""

import uuid
from types import SimpleNamespace

import pytest

from django.utils import timezone

from courses.models import CaseStudyReaction
from courses.practices import case_study_review_setup, case_study_submit
from progress.models import ExtraAttempt, OfflineAction
from progress.services import (
    enrolment_start,
    lesson_mark_complete,
    mentor_note_add,
    mentorship_assign,
    quiz_attempt_start,
    quiz_attempt_submit,
)
from school.factories import UserFactory
from school.models import Branch, ConsentRecord, Region
from tests.courses.practice_helpers import photo


LEARNER_NAME = "Анна Кузнецова-Белоярская"
LEARNER_EMAIL = "anna.belo@example.org"
MENTOR_NAME = "Игорь Смирнов"
NOTE_TEXT = "Анна, хороший разбор обращений."
PRACTICE_TITLE = "Единый журнал обращений"


def answers_for(quiz):
    """Form-shaped answers: the first choice of each question."""
    return {
        str(question.pk): [str(question.choices.order_by("sort_order").first().pk)]
        for question in quiz.questions.prefetch_related("choices")
    }


def practice_fields(region, branch, title=PRACTICE_TITLE):
    return {
        "title": title,
        "summary": "Свели записи в один журнал.",
        "region": region,
        "branch": branch,
        "problem": "Обращения терялись в тетрадях.",
        "actions": "- Завели таблицу\n- Назначили ответственных",
        "results": "63 обращения за год, 48 решены.",
        "topics": [],
    }


def give_records(world, learner, *, count=1, start=0):
    """`count` records of every kind that can repeat, for `learner` (count=1 is the export test's set)."""
    for number in range(start, start + count):
        OfflineAction.objects.create(
            learner=learner,
            client_id=uuid.uuid4(),
            kind=OfflineAction.Kind.LESSON_COMPLETE,
            page_id=world.course.lesson_one.pk,
            outcome=OfflineAction.Outcome.APPLIED,
            acted_at=timezone.now(),
        )
        mentor_note_add(mentor=world.mentor, learner=learner, text=f"{NOTE_TEXT} {number}" if number else NOTE_TEXT)
        ConsentRecord.objects.create(user=learner, version=f"v{number}")
        page = case_study_submit(
            author=learner,
            fields=practice_fields(world.region, world.branch, PRACTICE_TITLE if not number else f"Практика {number}"),
            photos=[photo()],
        )
        if number == 0:
            world.practice = page


@pytest.fixture(name="world")
def world_fixture(course_tree, role_groups):
    """A learner of region 52, branch 12, with a mentor, a consent, an enrolment, a completion, a submitted
    quiz attempt with answers, a mentor note, an extra attempt, an offline action, a published practice
    and a mark on another practice; staff to export and erase it."""
    region = Region.objects.create(code="52", name="Нижегородская область")
    branch = Branch.objects.create(region=region, number="12", name="Ивановка")
    learner = UserFactory(
        username="secretary", full_name=LEARNER_NAME, email=LEARNER_EMAIL, region=region, branch=branch
    )
    mentor = UserFactory(username="mentor", full_name=MENTOR_NAME, region=region, branch=None)
    mentor.groups.add(role_groups["Mentors"])
    staff = UserFactory(username="admin", full_name="Администратор", is_staff=True, is_superuser=True)
    case_study_review_setup(index=course_tree.case_index)
    world = SimpleNamespace(
        course=course_tree, region=region, branch=branch, learner=learner, mentor=mentor, staff=staff
    )
    enrolment_start(learner=learner, course=course_tree.course)
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
    attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
    world.attempt = quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers_for(course_tree.quiz))
    mentorship_assign(mentor=mentor, learner=learner, assigned_by=staff)
    ExtraAttempt.objects.create(learner=learner, quiz=course_tree.quiz, allows_attempt=2, granted_by=mentor)
    CaseStudyReaction.objects.create(user=learner, page=course_tree.case_study, kind=CaseStudyReaction.Kind.USEFUL)
    give_records(world, learner)
    # The editors published the practice.
    world.practice.get_latest_revision().publish()
    world.practice.refresh_from_db()
    return world
