"""Actions a learner took without a connection, sent later in one batch by the page's outbox.

Each item is checked as the single endpoint checks it (the same service does the work) and answered on
its own: one bad item never holds back the others. Items are applied in the order sent, which is the order
the learner acted in, so a module opened by the lessons before it opens within the same batch."""

import uuid
from typing import NamedTuple

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from courses.models import LessonPage
from courses.outline import course_of

from ..models import Enrolment, OfflineAction
from .completion import ProgressError, lesson_mark_complete


# Bounds of one batch: what a week of offline study produces, far below what would tie up a worker.
BATCH_MAX_ITEMS = 100
BATCH_MAX_BYTES = 64 * 1024
# Database ids are 64-bit; a larger number is no page.
_MAX_ID = 2**63 - 1

ITEM_INVALID = _("This action could not be read, so it was not saved.")
ITEM_OTHER_LEARNER = _("This action was made under another account. Sign in as that person to send it.")
ITEM_ID_REUSED = _("This action's number was already used for another lesson, so it was not saved.")
ITEM_LESSON_GONE = _("This lesson no longer exists.")


class ItemAnswer(NamedTuple):
    id: str | None
    status: str  # "applied", "already_done", "duplicate" (sent before) or "refused"
    message: str = ""
    # The device's clock was not believable: the time of arrival was recorded instead.
    time_corrected: bool = False

    def as_json(self):
        answer = {"id": self.id, "status": self.status}
        if self.message:
            answer["message"] = str(self.message)
        if self.time_corrected:
            answer["time_corrected"] = True
        return answer


def _refused(item_id, message):
    return ItemAnswer(item_id, "refused", message)


def _parsed_id(raw):
    try:
        return uuid.UUID(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _believable_time(raw, *, learner, course, now):
    """When the device says the learner acted, if that lies between their enrolment and now; else None.

    A phone's clock may be wrong by years, or set ahead: a completion is never dated in the future, nor
    before the learner started the course."""
    try:
        acted_at = parse_datetime(raw) if isinstance(raw, str) else None
    except ValueError:  # well formed, but no such date ("2026-13-45")
        acted_at = None
    if acted_at is None or timezone.is_naive(acted_at):
        return None
    started_at = Enrolment.objects.filter(learner=learner, course=course).values_list("started_at", flat=True)
    earliest = started_at.first() or now
    return acted_at if earliest <= acted_at <= now else None


def _record(*, learner, client_id, page_id, outcome, acted_at):
    """Keep the accepted action under its id; False if the same id arrived at the same moment."""
    try:
        with transaction.atomic():
            OfflineAction.objects.create(
                learner=learner,
                client_id=client_id,
                kind=OfflineAction.Kind.LESSON_COMPLETE,
                page_id=page_id,
                outcome=outcome,
                acted_at=acted_at,
            )
    except IntegrityError:
        return False
    return True


def _lesson_complete(*, learner, item, item_id, client_id, lesson_id):
    sent_before = OfflineAction.objects.filter(learner=learner, client_id=client_id).first()
    if sent_before is not None:
        if sent_before.page_id != lesson_id or sent_before.kind != OfflineAction.Kind.LESSON_COMPLETE:
            return _refused(item_id, ITEM_ID_REUSED)
        return ItemAnswer(item_id, "duplicate")
    lesson = LessonPage.objects.filter(pk=lesson_id).first()
    if lesson is None:
        return _refused(item_id, ITEM_LESSON_GONE)
    now = timezone.now()
    acted_at = _believable_time(item.get("at"), learner=learner, course=course_of(lesson), now=now)
    try:
        done = lesson_mark_complete(learner=learner, lesson=lesson, done_at=acted_at or now)
    except ProgressError as error:
        return _refused(item_id, error.message)
    outcome = OfflineAction.Outcome.APPLIED if done.created else OfflineAction.Outcome.ALREADY_DONE
    if not _record(learner=learner, client_id=client_id, page_id=lesson_id, outcome=outcome, acted_at=acted_at or now):
        # The same item, sent twice at once: the other request recorded it (and the completion is one row).
        return ItemAnswer(item_id, "duplicate")
    return ItemAnswer(item_id, outcome, time_corrected=acted_at is None)


def offline_action_apply(*, learner, item):
    """Apply one item of an outbox batch for `learner` (the session's user); the answer says what happened."""
    if not isinstance(item, dict):
        return _refused(None, ITEM_INVALID)
    raw_id = item.get("id")
    item_id = raw_id if isinstance(raw_id, str) and len(raw_id) <= 64 else None
    client_id = _parsed_id(raw_id)
    lesson_id = item.get("lesson")
    if (
        client_id is None
        or item.get("type") != OfflineAction.Kind.LESSON_COMPLETE
        or not isinstance(lesson_id, int)
        or isinstance(lesson_id, bool)
        or not 0 < lesson_id <= _MAX_ID
    ):
        return _refused(item_id, ITEM_INVALID)
    # Whose device queue this came from: a shared phone may hold another person's actions.
    if item.get("learner") != learner.pk:
        return _refused(item_id, ITEM_OTHER_LEARNER)
    return _lesson_complete(learner=learner, item=item, item_id=item_id, client_id=client_id, lesson_id=lesson_id)


def offline_actions_apply(*, learner, items):
    """Apply a batch in the order sent; one answer per item, in the same order."""
    return [offline_action_apply(learner=learner, item=item) for item in items]
