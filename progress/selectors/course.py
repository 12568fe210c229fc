"""Progress figures: the one place that computes them. Every selector costs a constant number
of queries, whatever the number of lessons, courses or attempts."""

import hashlib
from dataclasses import dataclass
from datetime import timedelta
from functools import cache, cached_property
from typing import NamedTuple

from django.db import connection
from django.db.models import Count

from courses.models import QuizPage
from courses.outline import cached_course_outlines, course_of, course_outline

from ..models import Enrolment, ExtraAttempt, LessonCompletion, MentorNote, QuizAttempt


# A learner with no activity for this long has stalled: the mentor's status and the region's
# drop-off figures both count with it.
STALLED_AFTER = timedelta(days=7)


@dataclass
class ItemProgress:
    page: object
    is_done: bool
    is_locked: bool

    @property
    def is_required(self):
        return self.page.is_required


@dataclass
class ModuleProgress:
    """A learner's state in one module: done and required count the module's required items; the
    per-item list is built only when a page shows it (a mentor's or a region's table never does)."""

    outline_module: object
    done_ids: set
    is_locked: bool

    @property
    def page(self):
        return self.outline_module.page

    @cached_property
    def items(self):
        return [
            ItemProgress(page=item, is_done=item_id in self.done_ids, is_locked=self.is_locked)
            for item, item_id in zip(self.outline_module.items, self.outline_module.item_ids, strict=True)
        ]

    @cached_property
    def required(self):
        return len(self.outline_module.required_item_ids)

    @cached_property
    def done(self):
        return len(self.outline_module.required_item_ids & self.done_ids)

    @property
    def is_complete(self):
        return self.done == self.required

    @property
    def percent(self):
        return percent_of(self.done, self.required)


@dataclass
class CourseProgress:
    course: object
    outline: object
    modules: list[ModuleProgress]
    enrolment: Enrolment | None = None
    # Items a mentor's note is pinned to; None where the progress was read without them.
    noted_ids: set | None = None

    @cached_property
    def _module_of(self):
        # No per-item objects: a page asks about one item, a mentor's or a region's table about none.
        return {item_id: module for module in self.modules for item_id in module.outline_module.item_ids}

    @cached_property
    def required(self):
        return sum(module.required for module in self.modules)

    @cached_property
    def done(self):
        return sum(module.done for module in self.modules)

    @property
    def percent(self):
        return percent_of(self.done, self.required)

    @property
    def is_complete(self):
        return self.required > 0 and self.done == self.required

    @property
    def next_item(self):
        """The first required item not done yet in an open module, else any item not done yet."""
        open_items = [item for module in self.modules if not module.is_locked for item in module.items]
        for item in open_items:
            if item.is_required and not item.is_done:
                return item.page
        for item in open_items:
            if not item.is_done:
                return item.page
        return None

    @property
    def resume_item(self):
        """Where "continue" leads: the next item to take, or the first item once everything is done."""
        if self.next_item is not None:
            return self.next_item
        items = self.outline.items
        return items[0] if items else None

    @cached_property
    def item_done_ids(self):
        """Page ids of the course's items done (the modules share the learner's whole set)."""
        return self._module_of.keys() & self.modules[0].done_ids if self.modules else set()

    @cached_property
    def done_ids(self):
        """Page ids of done items and complete modules, for templates to mark."""
        complete = {module.page.pk for module in self.modules if module.is_complete and module.required}
        return self.item_done_ids | complete

    @cached_property
    def locked_ids(self):
        """Page ids of locked modules and of their items."""
        locked = [module for module in self.modules if module.is_locked]
        return {module.page.pk for module in locked} | {
            item_id for module in locked for item_id in module.outline_module.item_ids
        }

    def with_item_done(self, page):
        """The same learner's progress once `page` is done too (no query)."""
        return _progress_from(self.outline, self.item_done_ids | {page.pk}, self.enrolment)

    @cached_property
    def state_key(self):
        """Names what the learner has done in the course: pages that show progress are shared by the
        learners with the same key (their done and locked marks and percentages are the same)."""
        done = ",".join(str(page_id) for page_id in sorted(self.done_ids))
        return hashlib.md5(done.encode(), usedforsecurity=False).hexdigest()

    def item(self, page):
        module = self._module_of.get(page.pk)
        if module is None:
            return None
        return module.items[module.outline_module.item_ids.index(page.pk)]

    def module(self, page):
        for module in self.modules:
            if module.page.pk == page.pk:
                return module
        return None

    def is_locked(self, page):
        """A module, lesson or quiz of a locked module (only in courses taken in order)."""
        item = self.item(page)
        if item is not None:
            return item.is_locked
        module = self.module(page)
        return module.is_locked if module is not None else False


def percent_of(done, required):
    return (done * 100) // required if required else 0


class LearnerMarks(NamedTuple):
    done_ids: set  # lessons completed, quizzes passed
    noted_ids: set  # lessons and quizzes a mentor's note is pinned to


@cache
def _marks_sql():
    # The tables' names come from the models; the learner's id is a parameter.
    completion, attempt, note = (model._meta.db_table for model in (LessonCompletion, QuizAttempt, MentorNote))
    return (
        f"SELECT lesson_id, 'done' FROM {completion} WHERE learner_id = %s"  # noqa: S608
        f" UNION SELECT quiz_id, 'done' FROM {attempt} WHERE learner_id = %s AND is_passed"
        f" UNION SELECT lesson_id, 'note' FROM {note} WHERE learner_id = %s AND lesson_id IS NOT NULL"
        f" UNION SELECT a.quiz_id, 'note' FROM {note} n JOIN {attempt} a ON a.id = n.attempt_id WHERE n.learner_id = %s"
    )


def learner_marks(*, learner, items):
    """What the learner has done among `items`, and which of them carry a note from their mentor:
    one query, a UNION of index reads by learner. Everything of the learner's is read and `items`
    picked in Python (a learner has done at most the site's lessons). Written as SQL: every page of
    a course runs it, and the ORM took longer to build the four parts than the database to answer."""
    item_ids = {item.pk for item in items}
    marks = LearnerMarks(done_ids=set(), noted_ids=set())
    if not item_ids:
        return marks
    with connection.cursor() as cursor:
        cursor.execute(_marks_sql(), [learner.pk] * 4)
        for page_id, mark in cursor.fetchall():
            if page_id in item_ids:
                (marks.done_ids if mark == "done" else marks.noted_ids).add(page_id)
    return marks


def done_item_ids(*, learner, items):
    """Ids of the lessons the learner completed and the quizzes they passed, among `items`."""
    return learner_marks(learner=learner, items=items).done_ids


def _progress_from(outline, done_ids, enrolment=None, noted_ids=None):
    modules = []
    earlier_modules_complete = True
    for outline_module in outline.modules:
        is_locked = outline.course.is_sequential and not earlier_modules_complete
        module = ModuleProgress(outline_module=outline_module, done_ids=done_ids, is_locked=is_locked)
        earlier_modules_complete = earlier_modules_complete and module.is_complete
        modules.append(module)
    return CourseProgress(
        course=outline.course, outline=outline, modules=modules, enrolment=enrolment, noted_ids=noted_ids
    )


def course_progress_for_learner(*, learner, course, request=None):
    """A learner's progress in one course, with the items their mentor's notes are pinned to: the
    outline (shared, from the cache) plus 1 query."""
    outline = course_outline(course=course, request=request)
    if not learner.is_authenticated:
        return _progress_from(outline, set(), noted_ids=set())
    marks = learner_marks(learner=learner, items=outline.items)
    return _progress_from(outline, marks.done_ids, noted_ids=marks.noted_ids)


@dataclass
class ItemAvailability:
    """Whether a learner may take a lesson or quiz now, and if not, why."""

    NOT_AVAILABLE = "not_available"  # unpublished, outside a live course
    LOCKED = "locked"  # in a module that opens later

    course: object = None
    progress: CourseProgress | None = None
    problem: str | None = None

    @property
    def is_open(self):
        return self.problem is None


def item_availability(*, learner, page):
    """Open when the item is live, in a live course's outline, and not in a locked module."""
    if not page.live:
        return ItemAvailability(problem=ItemAvailability.NOT_AVAILABLE)
    course = course_of(page)
    if course is None or not course.live:
        return ItemAvailability(problem=ItemAvailability.NOT_AVAILABLE)
    progress = course_progress_for_learner(learner=learner, course=course)
    if progress.item(page) is None:
        return ItemAvailability(course=course, progress=progress, problem=ItemAvailability.NOT_AVAILABLE)
    if progress.is_locked(page):
        return ItemAvailability(course=course, progress=progress, problem=ItemAvailability.LOCKED)
    return ItemAvailability(course=course, progress=progress)


def courses_progress_for_learner(*, learner, request=None):
    """Progress in every course the learner is enrolled in, newest activity first: 2 queries (the
    enrolments, and what the learner did), plus 3 for the outlines not in the cache yet."""
    enrolments = list(
        Enrolment.objects.filter(learner=learner)
        .select_related("course", "last_page")
        .order_by("-last_seen_at", "-started_at")
    )
    enrolments = [enrolment for enrolment in enrolments if enrolment.course.live]
    outlines = cached_course_outlines(courses=[enrolment.course for enrolment in enrolments], request=request)
    all_items = [item for outline in outlines.values() for item in outline.items]
    done_ids = done_item_ids(learner=learner, items=all_items)
    return [_progress_from(outlines[enrolment.course.pk], done_ids, enrolment) for enrolment in enrolments]


def recent_quiz_results(*, learner, limit=5):
    return list(
        QuizAttempt.objects.filter(learner=learner, submitted_at__isnull=False)
        .select_related("quiz")
        .order_by("-submitted_at")[:limit]
    )


def quiz_attempt_allowances(*, learner, quizzes):
    """{quiz id: attempts the learner has}: each quiz's limit plus the extra attempts their mentor
    granted; None for a quiz without a limit. One query, whatever the number of quizzes."""
    limited = [quiz.pk for quiz in quizzes if quiz.attempt_limit]
    granted = {}
    if limited:
        granted = dict(
            ExtraAttempt.objects.filter(learner_id=learner.pk, quiz_id__in=limited)
            .values("quiz_id")
            .annotate(count=Count("pk"))
            .values_list("quiz_id", "count")
        )
    return {quiz.pk: _allowance(quiz, granted.get(quiz.pk, 0)) for quiz in quizzes}


def quiz_attempt_allowance(*, learner, quiz):
    """The allowance of one quiz (see quiz_attempt_allowances): a plain count, on every quiz page."""
    if not quiz.attempt_limit:
        return None
    return _allowance(quiz, ExtraAttempt.objects.filter(learner_id=learner.pk, quiz_id=quiz.pk).count())


def _allowance(quiz, granted):
    return quiz.attempt_limit + granted if quiz.attempt_limit else None


def attempts_left(*, allowance, attempts_used):
    """Attempts still to take, from an allowance (None: unlimited, so None left to count)."""
    if allowance is None:
        return None
    return max(allowance - attempts_used, 0)


def attempt_layout_questions(*, attempt, questions):
    """The quiz's questions (with prefetched choices) in the order this attempt shows them."""
    by_id = {question.pk: question for question in questions}
    laid_out = []
    for question_id, choice_ids in attempt.layout:
        question = by_id.get(question_id)
        if question is None:
            continue
        choices = {choice.pk: choice for choice in question.choices.all()}
        laid_out.append((question, [choices[choice_id] for choice_id in choice_ids if choice_id in choices]))
    return laid_out


def attempt_shows_answers(*, attempt):
    """Whether the result page of a submitted attempt may show the right answers and explanations."""
    quiz = attempt.quiz
    if quiz.show_answers == QuizPage.ShowAnswers.AFTER_EACH_ATTEMPT:
        return True
    if quiz.show_answers == QuizPage.ShowAnswers.AFTER_PASSING:
        return (
            attempt.is_passed
            or QuizAttempt.objects.filter(learner_id=attempt.learner_id, quiz=quiz, is_passed=True).exists()
        )
    return False
