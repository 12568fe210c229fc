"""Enrolment, the learner's place in a course, and lessons marked as done."""

import time
from datetime import timedelta
from typing import NamedTuple

from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import LessonPage
from school.content_cache import LocalEntries

from ..models import Enrolment, LessonCompletion
from ..selectors import CourseProgress, ItemAvailability, course_progress_for_learner, item_availability


# How stale "last seen" and the last page may be: the mentor's and the region's pages count in days.
VISIT_RECORD_INTERVAL = timedelta(minutes=10)
ITEM_NOT_AVAILABLE = _("This lesson is not available.")
MODULE_LOCKED = _("This module opens when you complete the previous one.")


class ProgressError(ValidationError):
    """A learner's request that cannot be carried out; its message is shown to them."""


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


def _place_record(*, learner, page, course):
    """Enrol the learner if they were not, and remember `page` as their place in the course."""
    visit = {"last_page": page, "last_seen_at": timezone.now()}
    # One UPDATE, except on the first visit, which enrols the learner.
    if not Enrolment.objects.filter(learner=learner, course=course).update(**visit):
        enrolment = enrolment_start(learner=learner, course=course)
        Enrolment.objects.filter(pk=enrolment.pk).update(**visit)


# Learner-and-course pairs this worker recorded, or found recorded, lately, with when that stops holding:
# the views that follow ask nothing of the shared cache until then.
_recent_visits = LocalEntries(5000)


def page_visit_record(*, learner, page, course):
    """Remember the item the learner opened, so the dashboard and the reports know where they are.

    Written at most once per VISIT_RECORD_INTERVAL per learner and course (the shared cache decides
    between app hosts), so that reading a page costs no database write; marking a lesson done
    records the place at once."""
    key = f"visit:{learner.pk}:{course.pk}"
    now = time.monotonic()
    recorded_until = _recent_visits.get(key)
    if recorded_until is not None and now < recorded_until:
        return
    interval = VISIT_RECORD_INTERVAL.total_seconds()
    _recent_visits.remember(key, now + interval)
    # False: recorded a moment ago. (A cache that cannot answer gives None: then record every time.)
    if cache.add(key, True, interval) is False:
        return
    _place_record(learner=learner, page=page, course=course)


def course_completion_record(*, learner, course, progress):
    """Stamp the enrolment complete (once) when `progress` says the course is."""
    if progress.is_complete:
        Enrolment.objects.filter(learner=learner, course=course, completed_at__isnull=True).update(
            completed_at=timezone.now()
        )


class LessonDone(NamedTuple):
    completion: LessonCompletion
    created: bool
    progress: CourseProgress  # the learner's progress in the course, this lesson done


def lesson_mark_complete(*, learner, lesson, done_at=None):
    """Mark a lesson done; again and again, or concurrently, it stays one record. Returns the
    completion, whether it is new, and the learner's progress in the course with it. `done_at` is
    when the learner did it, if not now (an action sent later from a device that was offline)."""
    if not isinstance(lesson, LessonPage):
        raise ProgressError(ITEM_NOT_AVAILABLE)
    course, progress = _check_open(learner=learner, page=lesson, not_available=ITEM_NOT_AVAILABLE)
    _place_record(learner=learner, page=lesson, course=course)
    try:
        with transaction.atomic():
            completion, created = LessonCompletion.objects.get_or_create(
                learner=learner, lesson=lesson, defaults={"completed_at": done_at or timezone.now()}
            )
    except IntegrityError:
        completion, created = LessonCompletion.objects.get(learner=learner, lesson=lesson), False
    if created:
        # Read again after the commit: of the last two lessons done at the same moment, each request's
        # first reading misses the other's, and only a reading after both sees the course complete.
        progress = course_progress_for_learner(learner=learner, course=course)
        course_completion_record(learner=learner, course=course, progress=progress)
    else:
        progress = progress.with_item_done(lesson)
    return LessonDone(completion, created, progress)
