"""Enrolment, the learner's place in a course, and lessons marked as done."""

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import LessonPage
from courses.outline import course_of

from ..models import Enrolment, LessonCompletion
from ..selectors import ItemAvailability, course_progress_for_learner, item_availability


ITEM_NOT_AVAILABLE = _("This lesson is not available.")
MODULE_LOCKED = _("This module opens when you complete the previous one.")


class ProgressError(ValidationError):
    """A learner's request that cannot be carried out; its message is shown to them."""


def _live_course_of(page):
    course = course_of(page)
    if course is None or not course.live:
        return None
    return course


def _check_open(*, learner, page, not_available):
    """The item's course and the learner's progress in it, once the item is open to them."""
    availability = item_availability(learner=learner, page=page)
    if availability.problem == ItemAvailability.LOCKED:
        raise ProgressError(MODULE_LOCKED)
    if not availability.is_open:
        raise ProgressError(not_available)
    return availability.course, availability.progress


def enrolment_start(*, learner, course):
    """Enrol the learner in the course once; a second call returns the same enrolment."""
    try:
        with transaction.atomic():
            enrolment, _created = Enrolment.objects.get_or_create(learner=learner, course=course)
    except IntegrityError:
        # A concurrent request enrolled first.
        enrolment = Enrolment.objects.get(learner=learner, course=course)
    return enrolment


def page_visit_record(*, learner, page, course):
    """Remember the last item the learner opened, so the dashboard can resume there."""
    visit = {"last_page": page, "last_seen_at": timezone.now()}
    # One UPDATE on every visit but the first, which enrols the learner.
    if not Enrolment.objects.filter(learner=learner, course=course).update(**visit):
        enrolment = enrolment_start(learner=learner, course=course)
        Enrolment.objects.filter(pk=enrolment.pk).update(**visit)


def _course_completion_update(*, learner, course):
    progress = course_progress_for_learner(learner=learner, course=course)
    if progress.is_complete:
        Enrolment.objects.filter(learner=learner, course=course, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )


def lesson_mark_complete(*, learner, lesson):
    """Mark a lesson done; again and again, or concurrently, it stays one record. Returns (completion, created)."""
    if not isinstance(lesson, LessonPage):
        raise ProgressError(ITEM_NOT_AVAILABLE)
    course, _progress = _check_open(learner=learner, page=lesson, not_available=ITEM_NOT_AVAILABLE)
    enrolment_start(learner=learner, course=course)
    try:
        with transaction.atomic():
            completion, created = LessonCompletion.objects.get_or_create(learner=learner, lesson=lesson)
    except IntegrityError:
        completion, created = LessonCompletion.objects.get(learner=learner, lesson=lesson), False
    if created:
        _course_completion_update(learner=learner, course=course)
    return completion, created
