"""What a mentor sees: their mentees' progress and status, the questions the group misses, and one
mentee in detail. Every figure comes from the course progress computation in `course.py`; each
selector costs a constant number of queries, whatever the number of mentees, lessons or attempts."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property

from django.contrib.auth import get_user_model
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from courses.models import CoursePage
from courses.outline import course_outlines

from ..models import Enrolment, LessonCompletion, MentorNote, Mentorship, QuizAnswer, QuizAttempt
from .course import STALLED_AFTER, CourseProgress, _progress_from, attempts_left, percent_of, quiz_attempt_allowances
from .quiz import AttemptReview, attempt_reviews


class MenteeStatus:
    """Statuses in the order a mentor should look at them ("needs attention" first)."""

    FAILED_QUIZ = "failed_quiz"
    STALLED = "stalled"
    NOT_STARTED = "not_started"
    ON_TRACK = "on_track"
    COMPLETED = "completed"

    ORDER = (FAILED_QUIZ, STALLED, NOT_STARTED, ON_TRACK, COMPLETED)
    NEEDS_ATTENTION = (FAILED_QUIZ, STALLED, NOT_STARTED)
    LABELS = {
        FAILED_QUIZ: _("Failed a quiz"),
        STALLED: _("Stalled"),
        NOT_STARTED: _("Not started"),
        ON_TRACK: _("On track"),
        COMPLETED: _("Completed"),
    }


@dataclass
class LastAttempt:
    quiz_title: str
    percent: int
    is_passed: bool
    submitted_at: datetime


@dataclass
class MenteeRow:
    learner: object
    courses: list[CourseProgress]
    lessons_done: int
    last_attempt: LastAttempt | None
    last_activity_at: datetime | None
    failed_quiz_title: str | None
    status: str
    stalled_days: int | None = None

    @cached_property
    def done(self):
        return sum(progress.done for progress in self.courses)

    @cached_property
    def required(self):
        return sum(progress.required for progress in self.courses)

    @cached_property
    def percent(self):
        # The same rule as one course's percent, over all the mentee's courses.
        return percent_of(self.done, self.required)

    @property
    def status_label(self):
        return MenteeStatus.LABELS[self.status]

    @property
    def needs_attention(self):
        return self.status in MenteeStatus.NEEDS_ATTENTION

    @property
    def attention_key(self):
        """Failed a quiz, then stalled longest, then not started, then on track; recent activity first within."""
        last = self.last_activity_at.timestamp() if self.last_activity_at else 0
        return (MenteeStatus.ORDER.index(self.status), -(self.stalled_days or 0), -last)


def mentees_of(*, mentor):
    """The learners the mentor actively mentors: every mentor view starts from here."""
    return get_user_model().objects.filter(
        mentorships_as_learner__mentor=mentor, mentorships_as_learner__is_active=True
    )


def _status(*, courses, done, attempts_count, failed_quiz_title, last_activity_at, now):
    if courses and all(progress.is_complete for progress in courses):
        return MenteeStatus.COMPLETED, None
    if failed_quiz_title:
        return MenteeStatus.FAILED_QUIZ, None
    if done == 0 and attempts_count == 0:
        return MenteeStatus.NOT_STARTED, None
    if last_activity_at is None or now - last_activity_at > STALLED_AFTER:
        days = (now - last_activity_at).days if last_activity_at else None
        return MenteeStatus.STALLED, days
    return MenteeStatus.ON_TRACK, None


def _latest(*moments):
    moments = [moment for moment in moments if moment is not None]
    return max(moments) if moments else None


def mentee_rows(*, mentor, now=None):
    """One row per active mentee, in "needs attention" order: 10 queries in all."""
    now = now or timezone.now()
    learners = list(mentees_of(mentor=mentor).select_related("region", "branch").order_by("full_name", "username"))
    if not learners:
        return []
    learner_ids = [learner.pk for learner in learners]
    # Courses once, not a course page per enrolment: hundreds of mentees share one or two courses.
    enrolments = list(
        Enrolment.objects.filter(learner_id__in=learner_ids).only(
            "learner_id", "course_id", "started_at", "completed_at", "last_seen_at"
        )
    )
    courses = CoursePage.objects.live().filter(pk__in={enrolment.course_id for enrolment in enrolments})
    outlines = course_outlines(courses=courses)
    enrolments = [enrolment for enrolment in enrolments if enrolment.course_id in outlines]
    lesson_ids = {item.pk for outline in outlines.values() for item in outline.items if item.item_kind == "lesson"}
    quiz_ids = {item.pk for outline in outlines.values() for item in outline.items if item.item_kind == "quiz"}

    done_ids = defaultdict(set)
    completions = LessonCompletion.objects.filter(learner_id__in=learner_ids, lesson_id__in=lesson_ids)
    for learner_id, lesson_id in completions.values_list("learner_id", "lesson_id"):
        done_ids[learner_id].add(lesson_id)
    last_done_at = dict(
        completions.order_by().values("learner_id").annotate(last=Max("completed_at")).values_list("learner_id", "last")
    )
    lessons_done = {learner_id: len(ids) for learner_id, ids in done_ids.items()}

    # Submitted attempts, newest first: the last quiz, the quizzes passed, the quizzes failed and not yet passed.
    last_attempt = {}
    attempts_count = defaultdict(int)
    passed = defaultdict(set)
    failed = defaultdict(dict)
    for learner_id, quiz_id, title, percent, is_passed, submitted_at in (
        QuizAttempt.objects.filter(learner_id__in=learner_ids, submitted_at__isnull=False)
        .order_by("-submitted_at")
        .values_list("learner_id", "quiz_id", "quiz__title", "percent", "is_passed", "submitted_at")
    ):
        attempts_count[learner_id] += 1
        last_attempt.setdefault(learner_id, LastAttempt(title, percent, is_passed, submitted_at))
        if is_passed:
            passed[learner_id].add(quiz_id)
        elif quiz_id in quiz_ids:
            failed[learner_id].setdefault(quiz_id, title)
    for learner_id, quiz_ids_passed in passed.items():
        done_ids[learner_id] |= quiz_ids_passed & quiz_ids

    enrolments_of = defaultdict(list)
    for enrolment in enrolments:
        enrolments_of[enrolment.learner_id].append(enrolment)

    rows = []
    for learner in learners:
        learner_enrolments = enrolments_of[learner.pk]
        courses = [
            _progress_from(outlines[enrolment.course_id], done_ids[learner.pk], enrolment)
            for enrolment in learner_enrolments
        ]
        attempt = last_attempt.get(learner.pk)
        last_activity_at = _latest(
            *(enrolment.last_seen_at for enrolment in learner_enrolments),
            last_done_at.get(learner.pk),
            attempt.submitted_at if attempt else None,
        )
        failed_titles = [title for quiz_id, title in failed[learner.pk].items() if quiz_id not in passed[learner.pk]]
        row = MenteeRow(
            learner=learner,
            courses=courses,
            lessons_done=lessons_done.get(learner.pk, 0),
            last_attempt=attempt,
            last_activity_at=last_activity_at,
            failed_quiz_title=failed_titles[0] if failed_titles else None,
            status=MenteeStatus.NOT_STARTED,
        )
        row.status, row.stalled_days = _status(
            courses=courses,
            done=row.done,
            attempts_count=attempts_count[learner.pk],
            failed_quiz_title=row.failed_quiz_title,
            last_activity_at=last_activity_at,
            now=now,
        )
        rows.append(row)
    rows.sort(key=lambda row: row.attention_key)
    return rows


MENTEE_SORTS = {
    "attention": lambda row: row.attention_key,
    "name": lambda row: (str(row.learner).lower(),),
    "progress": lambda row: (row.percent, str(row.learner).lower()),
    "activity": lambda row: (row.last_activity_at.timestamp() if row.last_activity_at else 0,),
}


def mentee_rows_filtered(rows, *, status="", query="", sort="attention"):
    """The mentees table as the mentor asked for it: filtered by status and name, then sorted."""
    query = query.strip().lower()
    if status in MenteeStatus.ORDER:
        rows = [row for row in rows if row.status == status]
    elif status == "attention":
        rows = [row for row in rows if row.needs_attention]
    if query:
        rows = [
            row
            for row in rows
            if query in str(row.learner).lower()
            or query in row.learner.get_username().lower()
            or (row.learner.branch and query in f"{row.learner.branch.name} {row.learner.branch.number}".lower())
        ]
    return sorted(rows, key=MENTEE_SORTS.get(sort, MENTEE_SORTS["attention"]))


@dataclass
class MissedQuestion:
    quiz_title: str
    question_text: str
    answered: int
    wrong: int
    top_wrong_choice: str | None = None
    top_wrong_choice_count: int = 0


def _wrong_answer():
    # Scored at submission; older rows only know whether each chosen choice was right.
    return Q(is_question_correct=False) | Q(is_question_correct__isnull=True, is_correct=False)


def most_missed_questions(*, learners, limit=5):
    """The questions the learners get wrong most: how many of those who answered got it wrong, and
    the wrong choice picked most often. From the attempts' own answers, as they were asked: 2 queries."""
    answers = QuizAnswer.objects.filter(attempt__learner__in=learners, attempt__submitted_at__isnull=False)
    top = list(
        answers.values("attempt__quiz_id", "attempt__quiz__title", "question_text")
        .annotate(
            answered=Count("attempt__learner_id", distinct=True),
            wrong=Count("attempt__learner_id", filter=_wrong_answer(), distinct=True),
        )
        .filter(wrong__gt=0)
        .order_by("-wrong", "attempt__quiz__title", "question_text")[:limit]
    )
    if not top:
        return []
    missed = {
        (row["attempt__quiz_id"], row["question_text"]): MissedQuestion(
            quiz_title=row["attempt__quiz__title"],
            question_text=row["question_text"],
            answered=row["answered"],
            wrong=row["wrong"],
        )
        for row in top
    }
    wrong_choices = (
        answers.filter(is_correct=False, question_text__in=[row["question_text"] for row in top])
        .values("attempt__quiz_id", "question_text", "choice_text")
        .annotate(learners=Count("attempt__learner_id", distinct=True))
        .order_by("-learners", "choice_text")
    )
    for row in wrong_choices:
        question = missed.get((row["attempt__quiz_id"], row["question_text"]))
        if question is not None and question.top_wrong_choice is None:
            question.top_wrong_choice = row["choice_text"]
            question.top_wrong_choice_count = row["learners"]
    return list(missed.values())


@dataclass
class MenteeDetail:
    learner: object
    mentorship: Mentorship
    courses: list[CourseProgress]
    # When each lesson was completed and each quiz first passed, by page id.
    done_at: dict
    attempts: list[AttemptReview]
    notes: list[MentorNote]
    grantable_quizzes: list
    attempts_used: dict

    @property
    def outline_with_dates(self):
        """[(course progress, [(module progress, [(item progress, done at)])])] for the template."""
        return [
            (
                progress,
                [
                    (module, [(item, self.done_at.get(item.page.pk)) for item in module.items])
                    for module in progress.modules
                ],
            )
            for progress in self.courses
        ]


def mentee_detail(*, mentor, learner_id):
    """One mentee of this mentor in detail, or None when the id is not their active mentee
    (unknown, someone else's, ended): views answer 404 then. 11 queries."""
    mentorship = (
        Mentorship.objects.filter(mentor=mentor, learner_id=learner_id, is_active=True)
        .select_related("learner__region", "learner__branch__region")
        .first()
    )
    if mentorship is None:
        return None
    learner = mentorship.learner
    enrolments = [
        enrolment
        for enrolment in Enrolment.objects.filter(learner=learner).select_related("course").order_by("started_at")
        if enrolment.course.live
    ]
    # A mentee who has not started yet is shown the live courses, so notes can point at a first lesson.
    courses = [enrolment.course for enrolment in enrolments] or list(CoursePage.objects.live().order_by("path"))
    enrolment_of = {enrolment.course_id: enrolment for enrolment in enrolments}
    outlines = course_outlines(courses=courses)
    items = [item for outline in outlines.values() for item in outline.items]
    completed_at = dict(
        LessonCompletion.objects.filter(learner=learner, lesson_id__in=[item.pk for item in items]).values_list(
            "lesson_id", "completed_at"
        )
    )
    attempts = list(QuizAttempt.objects.filter(learner=learner).select_related("quiz").order_by("-started_at"))
    passed_at = {}
    attempts_used = defaultdict(int)
    open_quizzes = set()
    for attempt in attempts:
        attempts_used[attempt.quiz_id] = max(attempts_used[attempt.quiz_id], attempt.number)
        if attempt.is_passed:
            passed_at[attempt.quiz_id] = min(passed_at.get(attempt.quiz_id, attempt.submitted_at), attempt.submitted_at)
        if not attempt.is_submitted:
            open_quizzes.add(attempt.quiz_id)
    done_ids = set(completed_at) | set(passed_at)
    courses = [_progress_from(outlines[course.pk], done_ids, enrolment_of.get(course.pk)) for course in courses]
    quizzes = [item for item in items if item.item_kind == "quiz"]
    allowances = quiz_attempt_allowances(learner=learner, quizzes=quizzes)
    grantable = [
        quiz
        for quiz in quizzes
        if quiz.pk not in open_quizzes
        and attempts_left(allowance=allowances[quiz.pk], attempts_used=attempts_used[quiz.pk]) == 0
    ]
    notes = list(
        MentorNote.objects.filter(learner=learner)
        .select_related("mentor", "lesson", "attempt__quiz")
        .order_by("-created_at", "-pk")
    )
    return MenteeDetail(
        learner=learner,
        mentorship=mentorship,
        courses=courses,
        done_at={**completed_at, **passed_at},
        attempts=attempt_reviews(attempts=[attempt for attempt in attempts if attempt.is_submitted]),
        notes=notes,
        grantable_quizzes=grantable,
        attempts_used=dict(attempts_used),
    )


def mentor_of(*, learner):
    """The learner's active mentorship with the mentor's place, or None: one query."""
    return (
        Mentorship.objects.filter(learner=learner, is_active=True)
        .select_related("mentor__region", "mentor__branch")
        .first()
    )


def notes_for_learner(*, learner, limit=20):
    """The notes mentors wrote to the learner, newest first, with what they are pinned to: one query."""
    return list(
        MentorNote.objects.filter(learner=learner)
        .select_related("mentor", "lesson", "attempt__quiz")
        .order_by("-created_at", "-pk")[:limit]
    )


def notes_pinned_to_page(*, learner, page, noted_ids=None):
    """Notes pinned to this lesson, or to an attempt at this quiz, newest first: one query, and none
    when `noted_ids` (the pages with a note, read with the learner's progress) leaves the page out."""
    if noted_ids is not None and page.pk not in noted_ids:
        return []
    return list(
        MentorNote.objects.filter(Q(lesson_id=page.pk) | Q(attempt__quiz_id=page.pk), learner=learner)
        .select_related("mentor")
        # Most pages have no note: joining the page tables would cost every view, prefetching only these.
        .prefetch_related("lesson", "attempt__quiz")
        .order_by("-created_at", "-pk")
    )
