"""What a regional coordinator reads: a region's figures for one course (by branch, by module, where
learners stop, mentor coverage) and the per-learner rows of its exports.

Done and required mean here what they mean in `selectors.course`, and `done_counts_by_module` is
the bulk form of that definition. Every selector costs a constant number of queries, whatever the
number of learners; the exports read learners in chunks, a few queries per chunk."""

from collections import Counter
from dataclasses import dataclass, field
from itertools import islice

from django.contrib.auth import get_user_model
from django.db.models import Count, Q
from django.db.models.functions import Coalesce
from django.db.models.lookups import LessThan
from django.utils import timezone
from django.utils.translation import gettext as _

from wagtail.models import Page

from courses.models import CoursePage
from courses.outline import course_outlines
from school.models import Branch

from ..models import Enrolment, LessonCompletion, Mentorship, QuizAttempt
from ..roles import COORDINATORS_GROUP, MENTORS_GROUP, report_regions
from .course import STALLED_AFTER, percent_of


# An enrolled learner who has not completed the course and has stalled (the same rule as a mentor's
# "stalled" mentee) has dropped off; where they stopped is reported.
DROP_OFF_AFTER = STALLED_AFTER
DROP_OFF_TOP = 5
EXPORT_CHUNK_SIZE = 1000


def region_learners(*, reader, region):
    """The learners of `region` that `reader` may see (none when the region is not theirs to read).

    A learner is an active user of the region who is neither staff nor a mentor or coordinator:
    those people have the region too, but they do not take the course as branch secretaries."""
    return (
        get_user_model()
        .objects.filter(region=region, region__in=report_regions(reader), is_active=True, is_staff=False)
        .exclude(groups__name__in=[MENTORS_GROUP, COORDINATORS_GROUP])
    )


def report_courses():
    """The live courses reports are about, in tree order (one query)."""
    return list(CoursePage.objects.live().order_by("path"))


@dataclass(frozen=True)
class RequiredItems:
    """The required items of a course's live outline, per module: what progress is counted over."""

    outline: object
    lessons: dict  # module page id -> ids of its required live lessons
    quizzes: dict  # module page id -> ids of its required live quizzes
    per_module: dict  # module page id -> how many required items
    total: int

    @classmethod
    def of(cls, outline):
        lessons, quizzes = {}, {}
        for module in outline.modules:
            required = [item for item in module.items if item.is_required]
            lessons[module.page.pk] = [item.pk for item in required if item.item_kind == "lesson"]
            quizzes[module.page.pk] = [item.pk for item in required if item.item_kind == "quiz"]
        per_module = {module_id: len(lessons[module_id]) + len(quizzes[module_id]) for module_id in lessons}
        return cls(
            outline=outline, lessons=lessons, quizzes=quizzes, per_module=per_module, total=sum(per_module.values())
        )


def done_counts_by_module(*, learners, required):
    """How many required items of each module every learner has done: {learner id: {module id: done}}.

    The bulk form of `done_item_ids` with `ModuleProgress.done`, and the one place reports count
    progress: a lesson is done when the learner has a LessonCompletion of it, a quiz when they have
    a passed QuizAttempt at it; only the required items of the live outline count, so the sum over
    modules is `CourseProgress.done`. Two grouped queries (one row per learner) whatever the number
    of learners; `learners` is a queryset of users or a list of ids. Learners with nothing done are
    left out."""
    counts = {}
    lesson_modules = {module_id: ids for module_id, ids in required.lessons.items() if ids}
    if lesson_modules:
        rows = (
            LessonCompletion.objects.filter(
                learner_id__in=learners, lesson_id__in=[pk for ids in lesson_modules.values() for pk in ids]
            )
            .values("learner_id")
            .annotate(
                **{
                    f"m{module_id}": Count("pk", filter=Q(lesson_id__in=ids))
                    for module_id, ids in lesson_modules.items()
                }
            )
            .order_by()
        )
        for row in rows:
            learner = counts.setdefault(row["learner_id"], {})
            for module_id in lesson_modules:
                learner[module_id] = learner.get(module_id, 0) + row[f"m{module_id}"]
    quiz_modules = {module_id: ids for module_id, ids in required.quizzes.items() if ids}
    if quiz_modules:
        rows = (
            QuizAttempt.objects.filter(
                learner_id__in=learners,
                quiz_id__in=[pk for ids in quiz_modules.values() for pk in ids],
                is_passed=True,
            )
            .values("learner_id")
            .annotate(
                **{
                    # Passing a quiz twice still makes one item done.
                    f"m{module_id}": Count("quiz_id", distinct=True, filter=Q(quiz_id__in=ids))
                    for module_id, ids in quiz_modules.items()
                }
            )
            .order_by()  # the model's ordering has no place in a GROUP BY
        )
        for row in rows:
            learner = counts.setdefault(row["learner_id"], {})
            for module_id in quiz_modules:
                learner[module_id] = learner.get(module_id, 0) + row[f"m{module_id}"]
    return counts


def display_name(*, full_name, first_name="", last_name="", username=""):
    """What `User.__str__` shows, from values() columns."""
    return full_name or f"{first_name} {last_name}".strip() or username


def branch_label(*, number, name):
    if number is None:
        return _("No branch")
    return name or _("Branch No. %(number)s") % {"number": number}


def _branch_sort_key(number):
    """Branch numbers are text: "2" comes before "10"."""
    return (not number.isdigit(), int(number) if number.isdigit() else 0, number)


@dataclass(slots=True)
class LearnerFigures:
    """One learner's standing in a course, from `done_counts_by_module` and their enrolment."""

    id: int
    required_items: RequiredItems = field(repr=False)
    done_by_module: dict = field(default_factory=dict)
    branch_id: int | None = None
    # The enrolment's values: all of them for the exports, the report's only what it needs.
    enrolment: dict | None = None
    name: str = ""
    username: str = ""
    branch: str = ""
    mentor: str = ""
    # Computed once, from the fields above: thousands of learners are tallied at a time.
    done: int = field(init=False)
    required: int = field(init=False)
    percent: int = field(init=False)
    is_complete: bool = field(init=False)

    def __post_init__(self):
        self.done = sum(self.done_by_module.values())
        self.required = self.required_items.total
        self.percent = percent_of(self.done, self.required)
        # As `CourseProgress.is_complete`: every required live item done (there being some).
        self.is_complete = self.required > 0 and self.done == self.required

    @property
    def is_started(self):
        return self.done > 0

    @property
    def is_enrolled(self):
        return self.enrolment is not None

    def has_completed_module(self, module_id):
        required = self.required_items.per_module[module_id]
        return required > 0 and self.done_by_module.get(module_id, 0) == required

    @property
    def enrolled_at(self):
        return self.enrolment["started_at"] if self.enrolment else None

    @property
    def completed_at(self):
        return self.enrolment["completed_at"] if self.enrolment else None

    @property
    def last_activity_at(self):
        """When the learner last opened an item of the course (when they enrolled, if never since)."""
        if not self.enrolment:
            return None
        return self.enrolment["last_seen_at"] or self.enrolment["started_at"]


@dataclass
class Tally:
    """Counts over a group of learners: a region or one of its branches."""

    learners: int = 0
    enrolled: int = 0
    started: int = 0
    completed: int = 0
    percent_sum: int = 0  # of the enrolled learners' percents

    def add(self, learner):
        self.learners += 1
        if learner.is_enrolled:
            self.enrolled += 1
            self.percent_sum += learner.percent
        self.started += learner.is_started
        self.completed += learner.is_complete

    @property
    def average_percent(self):
        """The mean progress of the enrolled learners, rounded down as `percent_of` rounds."""
        return percent_of(self.percent_sum, 100 * self.enrolled)

    @property
    def completed_percent(self):
        return percent_of(self.completed, self.enrolled)


@dataclass
class BranchFigures:
    id: int | None
    number: str | None
    label: str
    tally: Tally = field(default_factory=Tally)


@dataclass
class ModuleFigures:
    page: object
    required: int
    completed: int = 0  # learners who did every required item of the module
    enrolled: int = 0

    @property
    def percent(self):
        """Learners who completed the module, as a percentage of the enrolled learners."""
        return percent_of(self.completed, self.enrolled)


@dataclass
class DropOff:
    page_id: int | None
    title: str
    learners: int


@dataclass
class MentorLoad:
    name: str
    username: str
    mentees: int


@dataclass
class RegionReport:
    region: object
    course: object
    outline: object
    totals: Tally
    branches: list[BranchFigures]
    modules: list[ModuleFigures]
    dropped_off: int
    drop_offs: list[DropOff]
    mentors: list[MentorLoad]
    without_mentor: int
    drop_off_days: int = DROP_OFF_AFTER.days

    @property
    def without_mentor_percent(self):
        return percent_of(self.without_mentor, self.totals.learners)


def _enrolments(*, course, learners):
    """{learner id: enrolment values} for the course (one query)."""
    return {
        row["learner_id"]: row
        for row in Enrolment.objects.filter(course=course, learner_id__in=learners).values(
            "learner_id", "started_at", "completed_at", "last_seen_at", "last_page_id"
        )
    }


def _enrolment_activity(*, course, learners, since):
    """{learner id: (where they last were, whether their last activity was before `since`)} for the
    course (one query); the database compares the dates, so thousands of them are not read."""
    rows = (
        Enrolment.objects.filter(course=course, learner_id__in=learners)
        .annotate(is_inactive=LessThan(Coalesce("last_seen_at", "started_at"), since))
        .values_list("learner_id", "last_page_id", "is_inactive")
    )
    return {
        learner_id: {"last_page_id": page_id, "is_inactive": is_inactive} for learner_id, page_id, is_inactive in rows
    }


def _page_titles(*, outline, page_ids):
    """Titles of pages a learner last opened: from the outline, else one query (unpublished pages)."""
    titles = {module.page.pk: module.page.title for module in outline.modules}
    titles.update((item.pk, item.title) for item in outline.items)
    missing = [pk for pk in page_ids if pk is not None and pk not in titles]
    if missing:
        titles.update(Page.objects.filter(pk__in=missing).values_list("pk", "title"))
    return titles


def _drop_offs(*, learners, outline):
    """Where the learners who dropped off stopped: the pages most often their last, with how many
    stopped there. `learners` carry `_enrolment_activity` values."""
    dropped_off = [
        learner
        for learner in learners
        if learner.is_enrolled and not learner.is_complete and learner.enrolment["is_inactive"]
    ]
    counts = Counter(learner.enrolment["last_page_id"] for learner in dropped_off)
    # Most learners first; ties in course order, pages outside the live outline after it.
    position = {item.pk: number for number, item in enumerate(outline.items)}
    top = sorted(counts.items(), key=lambda pair: (-pair[1], position.get(pair[0], len(position)), pair[0] or 0))
    top = top[:DROP_OFF_TOP]
    titles = _page_titles(outline=outline, page_ids=[page_id for page_id, _count in top])
    return len(dropped_off), [
        DropOff(
            page_id=page_id,
            title=titles.get(page_id, "") if page_id is not None else _("No lesson opened yet"),
            learners=count,
        )
        for page_id, count in top
    ]


def _mentor_loads(*, learners):
    """Each mentor's active mentees among `learners`, busiest first (one query)."""
    rows = (
        Mentorship.objects.filter(is_active=True, learner_id__in=learners)
        .values("mentor_id", "mentor__full_name", "mentor__first_name", "mentor__last_name", "mentor__username")
        .annotate(mentees=Count("pk"))
        .order_by("-mentees", "mentor__full_name", "mentor__username")
    )
    return [
        MentorLoad(
            name=display_name(
                full_name=row["mentor__full_name"],
                first_name=row["mentor__first_name"],
                last_name=row["mentor__last_name"],
                username=row["mentor__username"],
            ),
            username=row["mentor__username"],
            mentees=row["mentees"],
        )
        for row in rows
    ]


def region_report(*, reader, region, course, now=None):
    """A region's figures for one course, as `reader` may see them: 10 queries at most, whatever the
    number of learners (outline 3, learners 1, enrolments 1, done counts 2, branches 1, mentors 1,
    titles of unpublished pages where learners stopped 0 or 1). Learners are read as (id, branch)
    pairs and every figure is tallied in one pass; 5,000 learners take about a quarter of a second.

    Enrolled learners are the denominator of averages and module completion; "started" is at least
    one required item done; "completed" is every required live item done (`CourseProgress.is_complete`),
    whatever `Enrolment.completed_at` recorded when the course had other items."""
    now = now or timezone.now()
    outline = course_outlines(courses=[course])[course.pk]
    required = RequiredItems.of(outline)
    learner_ids = region_learners(reader=reader, region=region).values("pk")
    rows = list(learner_ids.values_list("pk", "branch_id"))
    enrolments = _enrolment_activity(course=course, learners=learner_ids, since=now - DROP_OFF_AFTER)
    done = done_counts_by_module(learners=learner_ids, required=required)
    learners = [
        LearnerFigures(
            id=pk,
            required_items=required,
            done_by_module=done.get(pk, {}),
            branch_id=branch_id,
            enrolment=enrolments.get(pk),
        )
        for pk, branch_id in rows
    ]

    totals = Tally()
    branches = {
        branch["id"]: BranchFigures(
            id=branch["id"], number=branch["number"], label=branch_label(number=branch["number"], name=branch["name"])
        )
        for branch in Branch.objects.filter(region=region).values("id", "number", "name")
    }
    modules = {
        module.page.pk: ModuleFigures(page=module.page, required=required.per_module[module.page.pk])
        for module in outline.modules
    }
    for learner in learners:
        totals.add(learner)
        # No branch, or (against the rules) a branch of another region: still one of the region's learners.
        branch_id = learner.branch_id if learner.branch_id in branches else None
        if branch_id is None and None not in branches:
            branches[None] = BranchFigures(id=None, number=None, label=branch_label(number=None, name=""))
        branches[branch_id].tally.add(learner)
        if learner.is_enrolled:
            for module_id in learner.done_by_module:
                modules[module_id].completed += learner.has_completed_module(module_id)
    for module in modules.values():
        module.enrolled = totals.enrolled

    dropped_off, drop_offs = _drop_offs(learners=learners, outline=outline)
    mentors = _mentor_loads(learners=learner_ids)
    return RegionReport(
        region=region,
        course=course,
        outline=outline,
        totals=totals,
        branches=sorted(
            branches.values(), key=lambda branch: (branch.number is None, _branch_sort_key(branch.number or ""))
        ),
        modules=list(modules.values()),
        dropped_off=dropped_off,
        drop_offs=drop_offs,
        mentors=mentors,
        without_mentor=totals.learners - sum(mentor.mentees for mentor in mentors),
    )


def _chunks(iterable, size):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


def region_learner_figures(*, reader, region, course, chunk_size=EXPORT_CHUNK_SIZE):
    """Every learner of the region with their figures in the course, by name, for the exports.

    A generator in constant memory: learners are read with a server-side cursor where the database
    has one, `chunk_size` at a time, and each chunk costs three queries (enrolments, done counts) plus
    one for mentors; the outline costs three once."""
    outline = course_outlines(courses=[course])[course.pk]
    required = RequiredItems.of(outline)
    learners = (
        region_learners(reader=reader, region=region)
        .order_by("full_name", "last_name", "first_name", "username", "pk")
        .values("pk", "username", "full_name", "first_name", "last_name", "branch_id", "branch__number", "branch__name")
    )
    for chunk in _chunks(learners.iterator(chunk_size=chunk_size), chunk_size):
        ids = [row["pk"] for row in chunk]
        enrolments = _enrolments(course=course, learners=ids)
        done = done_counts_by_module(learners=ids, required=required)
        mentors = {
            row["learner_id"]: display_name(
                full_name=row["mentor__full_name"],
                first_name=row["mentor__first_name"],
                last_name=row["mentor__last_name"],
                username=row["mentor__username"],
            )
            for row in Mentorship.objects.filter(is_active=True, learner_id__in=ids).values(
                "learner_id", "mentor__full_name", "mentor__first_name", "mentor__last_name", "mentor__username"
            )
        }
        for row in chunk:
            yield LearnerFigures(
                id=row["pk"],
                required_items=required,
                done_by_module=done.get(row["pk"], {}),
                branch_id=row["branch_id"],
                enrolment=enrolments.get(row["pk"]),
                name=display_name(
                    full_name=row["full_name"],
                    first_name=row["first_name"],
                    last_name=row["last_name"],
                    username=row["username"],
                ),
                username=row["username"],
                branch=branch_label(number=row["branch__number"], name=row["branch__name"]) if row["branch_id"] else "",
                mentor=mentors.get(row["pk"], ""),
            )
