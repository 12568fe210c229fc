"""Mentors and mentees: assigning mentors, notes from a mentor, extra attempts a mentor grants."""

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import LessonPage, QuizPage

from ..audit import EXTRA_ATTEMPT_GRANT, MENTORSHIP_ASSIGN, MENTORSHIP_END, audit_log, audit_log_bulk
from ..models import ExtraAttempt, MentorNote, Mentorship, QuizAttempt
from ..roles import is_mentor
from ..selectors import attempts_left, quiz_attempt_allowance
from .completion import ProgressError


MENTOR_NOT_IN_GROUP = _("%(user)s is not in the Mentors group.")
MENTOR_IS_LEARNER = _("A learner cannot be their own mentor.")
LEARNER_HAS_MENTOR = _("%(learner)s already has an active mentor, %(mentor)s: end that mentorship first.")
NOT_YOUR_MENTEE = _("This learner is not your mentee.")
NOTE_EMPTY = _("Write the note before sending it.")
NOTE_TOO_LONG = _("A note can be at most %(limit)d characters long; this one has %(length)d.")
NOTE_PINNED_TWICE = _("Pin a note to a lesson or to a quiz attempt, not both.")
NOTE_ATTEMPT_NOT_OF_LEARNER = _("That quiz attempt is not this learner's.")
QUIZ_HAS_NO_LIMIT = _("This quiz has no attempt limit: there is nothing to grant.")
QUIZ_NOT_USED_UP = _(
    "The learner still has attempts left at this quiz; an extra one can be granted once they are used up."
)
QUIZ_ATTEMPT_OPEN = _("The learner has an attempt in progress at this quiz.")


def _check_mentor_of(*, mentor, learner):
    if not Mentorship.objects.filter(mentor=mentor, learner=learner, is_active=True).exists():
        raise ProgressError(NOT_YOUR_MENTEE)


def _pair_problem(*, mentor, learner):
    if not is_mentor(mentor):
        return MENTOR_NOT_IN_GROUP % {"user": mentor.get_username()}
    if mentor.pk == learner.pk:
        return MENTOR_IS_LEARNER
    return None


def _mentorship_data(mentorship):
    return {"mentor_id": mentorship.mentor_id, "learner_id": mentorship.learner_id}


def _current_problem(*, mentor, learner, current):
    if current is not None and current.mentor_id != mentor.pk:
        return LEARNER_HAS_MENTOR % {"learner": learner.get_username(), "mentor": current.mentor.get_username()}
    return None


def mentorship_check(*, mentor, learner):
    """Why the mentor cannot be assigned to the learner, or None: the rules the admin, the import and
    mentorship_assign share."""
    problem = _pair_problem(mentor=mentor, learner=learner)
    if problem:
        return problem
    current = Mentorship.objects.filter(learner=learner, is_active=True).select_related("mentor").first()
    return _current_problem(mentor=mentor, learner=learner, current=current)


def _active_mentorships(learners):
    """The active mentorship of each saved learner, by the learner's pk: one query per 500 learners."""
    pks = sorted({learner.pk for learner in learners if learner.pk is not None})
    current = {}
    for start in range(0, len(pks), 500):  # SQLite limits the parameters of one query
        mentorships = Mentorship.objects.filter(learner_id__in=pks[start : start + 500], is_active=True)
        current.update({mentorship.learner_id: mentorship for mentorship in mentorships.select_related("mentor")})
    return current


def _assignment_problem(*, mentor, learner, current):
    return _pair_problem(mentor=mentor, learner=learner) or _current_problem(
        mentor=mentor, learner=learner, current=current
    )


def mentorships_check_bulk(*, pairs):
    """mentorship_check for many (mentor, learner) pairs, each as it would be answered now, in a constant
    number of queries per 500 learners (plus the permission lookups of each distinct mentor). Returns
    the problems by the pair's index in `pairs`; a pair that can be assigned has none. A learner not
    saved yet has no mentor."""
    pairs = list(pairs)
    current = _active_mentorships(learner for mentor, learner in pairs)
    problems = {}
    for index, (mentor, learner) in enumerate(pairs):
        problem = _assignment_problem(mentor=mentor, learner=learner, current=current.get(learner.pk))
        if problem:
            problems[index] = problem
    return problems


@transaction.atomic
def mentorship_assign(*, mentor, learner, assigned_by=None):
    """Make `mentor` the learner's active mentor. Assigning the current mentor again changes nothing;
    a learner with another active mentor is refused (end that mentorship first). A new assignment is
    recorded in the audit trail with `assigned_by`."""
    problem = mentorship_check(mentor=mentor, learner=learner)
    if problem:
        raise ProgressError(problem)
    current = Mentorship.objects.filter(learner=learner, is_active=True).first()
    if current is not None:
        return current
    try:
        with transaction.atomic():
            mentorship = Mentorship.objects.create(mentor=mentor, learner=learner, assigned_by=assigned_by)
    except IntegrityError:
        # A concurrent request assigned a mentor first: check again with what is there now.
        current = Mentorship.objects.select_related("mentor").get(learner=learner, is_active=True)
        if current.mentor_id != mentor.pk:
            raise ProgressError(
                LEARNER_HAS_MENTOR % {"learner": learner.get_username(), "mentor": current.mentor.get_username()}
            ) from None
        return current
    audit_log(instance=mentorship, action=MENTORSHIP_ASSIGN, user=assigned_by, data=_mentorship_data(mentorship))
    return mentorship


def _mentorships_create(pairs, assigned_by):
    current = _active_mentorships(learner for mentor, learner in pairs)
    problems = {}
    to_create = []
    for index, (mentor, learner) in enumerate(pairs):
        problem = _assignment_problem(mentor=mentor, learner=learner, current=current.get(learner.pk))
        if problem:
            problems[index] = [problem]
        elif learner.pk not in current:
            current[learner.pk] = Mentorship(mentor=mentor, learner=learner, assigned_by=assigned_by)
            to_create.append(current[learner.pk])
    if problems:
        raise ProgressError(problems)
    with transaction.atomic():
        Mentorship.objects.bulk_create(to_create)
    # PostgreSQL and SQLite give the new rows their ids: the audit entries point at them.
    audit_log_bulk(instances=to_create, action=MENTORSHIP_ASSIGN, user=assigned_by, data_of=_mentorship_data)
    return [current[learner.pk] for mentor, learner in pairs]


@transaction.atomic
def mentorships_assign_bulk(*, pairs, assigned_by=None):
    """mentorship_assign for many (mentor, learner) pairs of saved learners, as if assigned one after
    another, in a constant number of queries per 500 pairs (plus the permission lookups of each
    distinct mentor). All or nothing: when a pair breaks a rule nothing is assigned and ProgressError
    says why, its `error_dict` keyed by the pair's index in `pairs`. Returns the learners' active
    mentorships in the order of `pairs`."""
    pairs = list(pairs)
    try:
        return _mentorships_create(pairs, assigned_by)
    except IntegrityError:
        # A concurrent request assigned a mentor first: check again with what is there now.
        return _mentorships_create(pairs, assigned_by)


@transaction.atomic
def mentorship_end(*, mentorship, ended_by=None):
    """End an active mentorship; the row stays as history, and the audit trail records `ended_by`.
    Ending it again changes nothing."""
    ended = Mentorship.objects.filter(pk=mentorship.pk, is_active=True).update(is_active=False, ended_at=timezone.now())
    mentorship.refresh_from_db()
    if ended:
        audit_log(instance=mentorship, action=MENTORSHIP_END, user=ended_by, data=_mentorship_data(mentorship))
    return mentorship


def _clean_note_text(text):
    text = (text or "").strip()
    if not text:
        raise ProgressError(NOTE_EMPTY)
    if len(text) > MentorNote.TEXT_MAX_LENGTH:
        raise ProgressError(NOTE_TOO_LONG % {"limit": MentorNote.TEXT_MAX_LENGTH, "length": len(text)})
    return text


def mentor_note_add(*, mentor, learner, text, lesson=None, attempt=None):
    """A note from the learner's active mentor, general or pinned to one lesson or one quiz attempt."""
    _check_mentor_of(mentor=mentor, learner=learner)
    text = _clean_note_text(text)
    if lesson is not None and attempt is not None:
        raise ProgressError(NOTE_PINNED_TWICE)
    if lesson is not None and not isinstance(lesson, LessonPage):
        raise ProgressError(NOTE_PINNED_TWICE)
    if attempt is not None and attempt.learner_id != learner.pk:
        raise ProgressError(NOTE_ATTEMPT_NOT_OF_LEARNER)
    return MentorNote.objects.create(mentor=mentor, learner=learner, text=text, lesson=lesson, attempt=attempt)


def mentor_notes_mark_read(*, learner):
    """The learner has seen their notes: one UPDATE of the unread ones."""
    return MentorNote.objects.filter(learner=learner, read_at__isnull=True).update(read_at=timezone.now())


@transaction.atomic
def extra_attempt_grant(*, mentor, learner, quiz, comment=""):
    """One more attempt at a quiz whose limit the learner has used up; recorded with who and when,
    and the learner is told by a note pinned to their last attempt. A second grant for the same
    used-up limit (a double click, two tabs) is refused: the first one left an attempt to take."""
    _check_mentor_of(mentor=mentor, learner=learner)
    if not isinstance(quiz, QuizPage):
        raise ProgressError(QUIZ_HAS_NO_LIMIT)
    comment = (comment or "").strip()
    if len(comment) > MentorNote.TEXT_MAX_LENGTH:
        raise ProgressError(NOTE_TOO_LONG % {"limit": MentorNote.TEXT_MAX_LENGTH, "length": len(comment)})
    allowance = quiz_attempt_allowance(learner=learner, quiz=quiz)
    if allowance is None:
        raise ProgressError(QUIZ_HAS_NO_LIMIT)
    attempts = QuizAttempt.objects.filter(learner=learner, quiz=quiz)
    if attempts.filter(submitted_at__isnull=True).exists():
        raise ProgressError(QUIZ_ATTEMPT_OPEN)
    used = attempts.aggregate(last=Max("number"))["last"] or 0
    if attempts_left(allowance=allowance, attempts_used=used) != 0:
        raise ProgressError(QUIZ_NOT_USED_UP)
    try:
        with transaction.atomic():
            grant = ExtraAttempt.objects.create(learner=learner, quiz=quiz, allows_attempt=used + 1, granted_by=mentor)
    except IntegrityError:
        raise ProgressError(QUIZ_NOT_USED_UP) from None
    MentorNote.objects.create(
        mentor=mentor,
        learner=learner,
        kind=MentorNote.Kind.EXTRA_ATTEMPT,
        text=comment,
        attempt=attempts.order_by("-number").first(),
    )
    audit_log(
        instance=grant,
        action=EXTRA_ATTEMPT_GRANT,
        user=mentor,
        data={"learner_id": learner.pk, "quiz_id": quiz.pk, "allows_attempt": grant.allows_attempt},
    )
    return grant
