"""Build the bench database: the demo content, a ~60-lesson course, and learners' history at scale.

Pages come from `seed_demo_content` and the page factories (Wagtail needs its tree built properly);
people and progress are generated in Python and loaded with PostgreSQL COPY, one pass per table.
Every row obeys the models' constraints: learners take items in course order (modules are
sequential), a quiz is passed before the next module starts, attempt numbers count up, at most
one attempt is open. Foreign keys hold by construction, so their triggers are switched off
while loading (`session_replication_role = replica`); unique and check constraints still apply.

A marker table records the scale; a second run at the same scale only applies new migrations.
"""

import argparse
import json
import random
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO

import psycopg
from psycopg import sql

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.cache import caches
from django.core.management import call_command
from django.db import connection

from courses.factories import (
    CoursePageFactory,
    LessonPageFactory,
    ModulePageFactory,
    QuizChoiceFactory,
    QuizPageFactory,
    QuizQuestionFactory,
)
from courses.models import CourseIndexPage, LessonPage, QuizPage
from progress.roles import MENTORS_GROUP
from school.models import PersonalDataNotice, Region


# Bump when the shape of the generated data changes: older bench databases are then rebuilt.
# 2: submitted attempts carry their snapshot; a second pool of learners takes the quiz.
DATA_VERSION = 2
MARKER_TABLE = "bench_marker"
SCALES = {"small": 2_000, "full": 100_000}

COURSE_SLUG = "bench-polnyy-kurs"
COURSE_TITLE = "Секретарь первичного отделения: полный курс"
# Lessons per module; each module ends with a quiz: 60 lessons and 8 quizzes.
MODULE_LESSONS = (8, 8, 8, 8, 7, 7, 7, 7)

# The demo puts its coordinator in the first demo region; that region gets this share of learners.
COORDINATOR_USERNAME = "coordinator"
ADMIN_USERNAME = "admin"
COORDINATOR_REGION_SHARE = 0.05
REGIONS_TOTAL = 89
BRANCHES_PER_LEARNER = 0.8
MENTORS_PER_LEARNER = 0.01
MENTEES_MAX = 200
MENTORED_SHARE = 0.95
# Learner 0 is the one whose pages are measured; learners 1..POST_POOL mark a lesson done in the run,
# the next POST_POOL start and submit the quiz of module 5. They all stand in the middle of module 5
# (items done, in course order).
BENCH_LEARNER_DONE = 40
POST_POOL = 100
# Answer patterns per quiz and score: attempts share them, so each snapshot is serialised once.
OUTCOME_VARIANTS = 4

DAY = 86_400.0
HOUR = 3_600.0
PASSWORD = "bench12345"  # noqa: S105 - shared by every generated user of a throwaway database
COPY_CHUNK_ROWS = 20_000

# (first names, patronymics, surnames) by grammatical gender.
NAMES = (
    (
        ("Иван", "Сергей", "Алексей", "Дмитрий", "Андрей", "Николай"),
        ("Петрович", "Сергеевич", "Алексеевич", "Олегович", "Иванович"),
        ("Иванов", "Смирнов", "Попов", "Лебедев", "Новиков", "Морозов"),
    ),
    (
        ("Мария", "Елена", "Ольга", "Наталья", "Татьяна", "Анна"),
        ("Ивановна", "Андреевна", "Викторовна", "Сергеевна", "Павловна"),
        ("Петрова", "Кузнецова", "Соколова", "Козлова", "Волкова", "Фёдорова"),
    ),
)
NOTE_TEXTS = (
    "Хорошо разобрали наказы, переходите к следующему модулю.",
    "Посмотрите ещё раз урок про устав ТОС перед тестом.",
    "Позвоните мне, обсудим заявку на грант.",
    "Отличный результат теста!",
)


def say(message=""):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


# The course as the generator needs it


@dataclass
class Question:
    pk: int
    text: str
    kind: str
    explanation: str
    review_lesson_id: int | None
    choices: list  # [(pk, text, is_correct)]

    @property
    def correct_ids(self):
        return [pk for pk, _text, is_correct in self.choices if is_correct]


@dataclass
class Outcome:
    """One way of answering a quiz: the attempt's snapshot (COPY-escaped JSON) and its answer rows
    without the attempt id (each line ends with a newline)."""

    snapshot: str
    answer_rows: list


@dataclass
class Item:
    pk: int
    kind: str
    questions: list = field(default_factory=list)
    layout: str = ""
    # {(score, variant): Outcome}, filled on first use
    outcomes: dict = field(default_factory=dict)


@dataclass
class Course:
    pk: int
    items: list

    @property
    def quiz_positions(self):
        return [position for position, item in enumerate(self.items) if item.kind == "quiz"]


def copy_text(value):
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


def course_build():
    """A sequential course of 8 modules, 60 lessons and 8 quizzes, with the demo's lesson bodies and questions."""
    course_index = CourseIndexPage.objects.first()
    demo_lessons = list(LessonPage.objects.order_by("path"))
    demo_quizzes = list(QuizPage.objects.order_by("path").prefetch_related("questions__choices"))
    course = CoursePageFactory(
        parent=course_index,
        title=COURSE_TITLE,
        slug=COURSE_SLUG,
        is_sequential=True,
        estimated_hours=40,
    )
    lesson_number = 0
    for module_number, lesson_count in enumerate(MODULE_LESSONS, start=1):
        module = ModulePageFactory(
            parent=course, title=f"Модуль {module_number}", slug=f"modul-{module_number}", intro="<p>О модуле.</p>"
        )
        for position in range(1, lesson_count + 1):
            source = demo_lessons[lesson_number % len(demo_lessons)]
            lesson_number += 1
            LessonPageFactory(
                parent=module,
                title=f"{source.title} ({module_number}.{position})",
                slug=f"urok-{module_number}-{position}",
                summary=source.summary,
                body=json.dumps(list(source.body.raw_data)),
                key_takeaways=source.key_takeaways,
                estimated_minutes=source.estimated_minutes,
            )
        source_quiz = demo_quizzes[(module_number - 1) % len(demo_quizzes)]
        quiz = QuizPageFactory(
            parent=module,
            title=f"{source_quiz.title} ({module_number})",
            slug=f"test-{module_number}",
            intro=source_quiz.intro,
            pass_mark=70,
            attempt_limit=3,
            is_shuffled=False,
            show_answers=QuizPage.ShowAnswers.AFTER_PASSING,
        )
        for question_position, source_question in enumerate(source_quiz.questions.all()):
            question = QuizQuestionFactory(
                page=quiz,
                text=source_question.text,
                kind=source_question.kind,
                explanation=source_question.explanation,
                sort_order=question_position,
            )
            for choice_position, source_choice in enumerate(source_question.choices.all()):
                QuizChoiceFactory(
                    question=question,
                    text=source_choice.text,
                    is_correct=source_choice.is_correct,
                    sort_order=choice_position,
                )
    return course


def course_load(course_page):
    """The course's items in order, with questions and choices, from the database."""
    items = []
    for page in sorted(
        [*LessonPage.objects.descendant_of(course_page), *QuizPage.objects.descendant_of(course_page)],
        key=lambda page: page.path,
    ):
        if isinstance(page, QuizPage):
            questions = [
                Question(
                    pk=question.pk,
                    text=question.text,
                    kind=question.kind,
                    explanation=question.explanation,
                    review_lesson_id=question.review_lesson_id,
                    choices=[(choice.pk, choice.text, choice.is_correct) for choice in question.choices.all()],
                )
                for question in page.questions.prefetch_related("choices")
            ]
            layout = json.dumps([[question.pk, [pk for pk, _t, _c in question.choices]] for question in questions])
            items.append(Item(pk=page.pk, kind="quiz", questions=questions, layout=copy_text(layout)))
        else:
            items.append(Item(pk=page.pk, kind="lesson"))
    return Course(pk=course_page.pk, items=items)


def outcome_build(rng, item, score):
    """`score` questions answered right, the others wrong, as quiz_attempt_submit records them: the
    snapshot in progress.services.quiz's shape and one answer row per chosen choice."""
    right = set(rng.sample(range(len(item.questions)), score))
    snapshot = []
    answer_rows = []
    for index, question in enumerate(item.questions):
        correct = question.correct_ids
        if index in right:
            chosen = set(correct)
        else:
            wrong = [pk for pk, _text, is_correct in question.choices if not is_correct]
            chosen = {rng.choice(wrong)}
            if len(correct) > 1 and rng.random() < 0.5:
                chosen.add(correct[0])
        is_right = index in right
        snapshot.append(
            {
                "question": question.pk,
                "text": question.text,
                "kind": question.kind,
                "explanation": question.explanation,
                "review_lesson": question.review_lesson_id,
                "is_correct": is_right,
                "choices": [
                    {"id": pk, "text": text, "is_correct": is_correct, "is_chosen": pk in chosen}
                    for pk, text, is_correct in question.choices
                ],
            }
        )
        answer_rows += [
            f"{question.pk}\t{pk}\t{copy_text(question.text)}\t{copy_text(text)}"
            f"\t{'t' if is_correct else 'f'}\t{'t' if is_right else 'f'}\n"
            for pk, text, is_correct in question.choices
            if pk in chosen
        ]
    return Outcome(snapshot=copy_text(json.dumps(snapshot, ensure_ascii=False)), answer_rows=answer_rows)


def outcome_of(rng, item, score, attempt_id):
    """The attempt's outcome, the same on every pass over the attempts (picked by its id)."""
    key = (score, attempt_id % OUTCOME_VARIANTS)
    if key not in item.outcomes:
        item.outcomes[key] = outcome_build(rng, item, score)
    return item.outcomes[key]


# Learners' histories


@dataclass(slots=True)
class Plan:
    user_id: int
    region_id: int
    branch_id: int
    done: int
    joined: float
    started: float
    last_seen: float
    # (item position, attempt number, score or None while the attempt is open)
    attempts: list


def item_time(plan, position):
    """When the learner finished the item at `position` (they go through the course at an even pace)."""
    return plan.started + (plan.last_seen - plan.started) * (position + 1) / (plan.done + 1)


def attempt_times(plan, position, number, count):
    """Start and submission of attempt `number` of `count` at the quiz at `position`, half an hour apart."""
    end = item_time(plan, position) if position < plan.done else plan.last_seen
    submitted = end - (count - number) * 1800 - 60
    return submitted - 600, submitted


def done_count(rng, items):
    """Most learners are part-way; some never started; some finished."""
    draw = rng.random()
    if draw < 0.07:
        return 0
    if draw < 0.20:
        return items
    return max(1, min(items - 1, int(items * rng.betavariate(1.1, 1.3))))


def quiz_attempts(rng, *, position, done, questions, forced_failures=None):
    """Attempts at one quiz: failures then a pass when the learner went past it; failures (and maybe
    an open attempt) when they stopped at it; nothing when they have not reached it."""
    fail_scores = range(max(1, questions - 4), (questions * 7 + 9) // 10)  # below the 70% pass mark
    pass_scores = range((questions * 7 + 9) // 10, questions + 1)
    if position < done:
        failures = forced_failures if forced_failures is not None else rng.choices((0, 1, 2), (75, 19, 6))[0]
        attempts = [(position, number, rng.choice(fail_scores)) for number in range(1, failures + 1)]
        return [*attempts, (position, failures + 1, rng.choice(pass_scores))]
    if position == done:
        failures = rng.choices((0, 1, 2, 3), (40, 35, 15, 10))[0]
        attempts = [(position, number, rng.choice(fail_scores)) for number in range(1, failures + 1)]
        if failures < 3 and rng.random() < 0.1:
            attempts.append((position, failures + 1, None))
        return attempts
    return []


def plans_make(rng, *, course, learners, first_user_id, region_of, branch_of, now):
    total = len(course.items)
    plans = []
    for index in range(learners):
        done = BENCH_LEARNER_DONE if index <= 2 * POST_POOL else done_count(rng, total)
        last_seen = now - rng.uniform(0, 60 * DAY)
        started = last_seen - (0.2 + 0.8 * rng.random()) * 120 * DAY * done / total - HOUR
        attempts = []
        for module_number, position in enumerate(course.quiz_positions):
            if position > done:
                break
            # The measured learner failed the quiz of module 4 once before passing it.
            forced = (1 if module_number == 3 else 0) if index == 0 else None
            questions = len(course.items[position].questions)
            attempts += quiz_attempts(rng, position=position, done=done, questions=questions, forced_failures=forced)
        plans.append(
            Plan(
                user_id=first_user_id + index,
                region_id=region_of[index],
                branch_id=branch_of[index],
                done=done,
                joined=started - rng.uniform(0, 30 * DAY),
                started=started,
                last_seen=last_seen,
                attempts=attempts,
            )
        )
    return plans


def stamp(epoch):
    return datetime.fromtimestamp(epoch, UTC).isoformat()


def full_name(rng):
    return " ".join(rng.choice(names) for names in rng.choice(NAMES))


# Loading


def copy_rows(table, columns, lines):
    """COPY pre-formatted text lines (tab-separated, newline-terminated) into a table; returns the row count."""
    statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(column) for column in columns)
    )
    count = 0
    buffer = []
    with connection.cursor() as cursor, cursor.copy(statement) as copy:
        for line in lines:
            buffer.append(line)
            if len(buffer) >= COPY_CHUNK_ROWS:
                copy.write("".join(buffer))
                count += len(buffer)
                buffer.clear()
        if buffer:
            copy.write("".join(buffer))
            count += len(buffer)
    return count


def next_id(table):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("SELECT COALESCE(MAX(id), 0) + 1 FROM {}").format(sql.Identifier(table)))
        return cursor.fetchone()[0]


def sequence_reset(table):
    with connection.cursor() as cursor:
        cursor.execute(
            sql.SQL("SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {}))").format(
                sql.Identifier(table)
            ),
            [table],
        )


class Loader:
    def __init__(self, *, learners, seed):
        self.learners = learners
        self.mentors = max(1, round(learners * MENTORS_PER_LEARNER))
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.now = time.time()

    def step(self, label, function, *args):
        started = time.perf_counter()
        result = function(*args)
        rows = f"{result:,} rows, " if isinstance(result, int) else ""
        say(f"  {label}: {rows}{time.perf_counter() - started:.1f} s")
        return result

    def run(self):
        course_page = self.step("course (factories)", course_build)
        self.course = course_load(course_page)
        self.password = make_password(PASSWORD)
        with connection.cursor() as cursor:
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("SET synchronous_commit = off")
        try:
            self.step("regions", self.regions_load)
            self.step("branches", self.branches_load)
            self.plans = plans_make(
                self.rng,
                course=self.course,
                learners=self.learners,
                first_user_id=next_id("school_user"),
                region_of=self.region_of,
                branch_of=self.branch_of,
                now=self.now,
            )
            # Read before any COPY starts: a query cannot run on the connection in the middle of one.
            self.first_attempt_id = next_id("progress_quizattempt")
            self.step("learners", self.learners_load)
            self.step("mentors", self.mentors_load)
            self.step("enrolments", self.enrolments_load)
            self.step("lesson completions", self.completions_load)
            self.step("quiz attempts", self.attempts_load)
            self.step("quiz answers", self.answers_load)
            self.step("mentorships", self.mentorships_load)
            self.step("mentor notes", self.notes_load)
            self.step("personal-data consents", self.consents_load)
            for table in ("school_region", "school_branch", "school_user", "progress_quizattempt"):
                sequence_reset(table)
        finally:
            with connection.cursor() as cursor:
                cursor.execute("SET session_replication_role = DEFAULT")
        return course_page

    # Regions and branches: the demo's seven regions plus more up to 89; one coordinator region
    # holds COORDINATOR_REGION_SHARE of the learners, the others share the rest unevenly.

    def regions_load(self):
        taken = set(Region.objects.values_list("code", flat=True))
        codes = [str(code) for code in range(1, 100) if str(code) not in taken][: max(0, REGIONS_TOTAL - len(taken))]
        Region.objects.bulk_create(Region(code=code, name=f"Регион {code}") for code in codes)
        coordinator = get_user_model().objects.get(username=COORDINATOR_USERNAME)
        self.coordinator_region_id = coordinator.region_id
        others = list(Region.objects.exclude(pk=self.coordinator_region_id).values_list("pk", flat=True))
        weights = [self.rng.lognormvariate(0, 0.6) for _region in others]
        in_coordinator_region = round(self.learners * COORDINATOR_REGION_SHARE)
        rest = self.learners - in_coordinator_region
        counts = [int(rest * weight / sum(weights)) for weight in weights]
        counts[0] += rest - sum(counts)
        self.learners_per_region = {
            self.coordinator_region_id: in_coordinator_region,
            **dict(zip(others, counts, strict=True)),
        }
        region_of = [pk for pk, count in self.learners_per_region.items() for _learner in range(count)]
        self.rng.shuffle(region_of)
        # The measured learner and the pool stay in the coordinator's region, so its report shows them.
        region_of.sort(key=lambda pk: pk != self.coordinator_region_id)
        self.region_of = region_of
        return len(codes)

    def branches_load(self):
        first_id = next_id("school_branch")
        branch_ids = {}
        lines = []
        branch_id = first_id
        for region_id, learners in self.learners_per_region.items():
            count = max(1, int(learners * BRANCHES_PER_LEARNER))
            branch_ids[region_id] = range(branch_id, branch_id + count)
            for number in range(count):
                lines.append(f"{branch_id}\t{region_id}\t{1000 + number}\tПервичное отделение № {1000 + number}\n")
                branch_id += 1
        seen = dict.fromkeys(branch_ids, 0)
        self.branch_of = []
        for region_id in self.region_of:
            branches = branch_ids[region_id]
            self.branch_of.append(branches[seen[region_id] % len(branches)])
            seen[region_id] += 1
        return copy_rows("school_branch", ["id", "region_id", "number", "name"], lines)

    def users_lines(self, users):
        for user_id, username, region_id, branch_id, joined in users:
            branch = "\\N" if branch_id is None else branch_id
            yield (
                f"{user_id}\t{self.password}\t\\N\tf\t{username}\t\t\t{username}@example.org\tf\tt\t{stamp(joined)}"
                f"\t{full_name(self.rng)}\t{branch}\t{region_id}\n"
            )

    USER_COLUMNS = (
        "id",
        "password",
        "last_login",
        "is_superuser",
        "username",
        "first_name",
        "last_name",
        "email",
        "is_staff",
        "is_active",
        "date_joined",
        "full_name",
        "branch_id",
        "region_id",
    )

    def learners_load(self):
        users = (
            (plan.user_id, f"sec{index:06d}", plan.region_id, plan.branch_id, plan.joined)
            for index, plan in enumerate(self.plans)
        )
        return copy_rows("school_user", self.USER_COLUMNS, self.users_lines(users))

    def mentors_load(self):
        """Mentors with their mentees: the first has exactly MENTEES_MAX (the measured learner among
        them), the others fewer; MENTORED_SHARE of learners have an active mentor."""
        first_id = self.plans[-1].user_id + 1
        others = list(range(1, len(self.plans)))
        self.rng.shuffle(others)
        self.mentees = [[0, *others[: MENTEES_MAX - 1]]]
        position = MENTEES_MAX - 1
        average = max(1, (MENTORED_SHARE * len(self.plans) - MENTEES_MAX) / max(1, self.mentors - 1))
        low, high = max(1, int(average / 5)), min(MENTEES_MAX, int(2 * average - average / 5))
        for _mentor in range(1, self.mentors):
            count = self.rng.randint(low, max(low, high))
            self.mentees.append(others[position : position + count])
            position += count
        self.mentor_ids = [first_id + number for number in range(self.mentors)]
        users = (
            (
                user_id,
                f"mentor{number:04d}",
                self.plans[mentees[0]].region_id if mentees else self.coordinator_region_id,
                None,
                self.now - 400 * DAY,
            )
            for number, (user_id, mentees) in enumerate(zip(self.mentor_ids, self.mentees, strict=True))
        )
        count = copy_rows("school_user", self.USER_COLUMNS, self.users_lines(users))
        group_id = Group.objects.get(name=MENTORS_GROUP).pk
        copy_rows("school_user_groups", ["user_id", "group_id"], (f"{pk}\t{group_id}\n" for pk in self.mentor_ids))
        return count

    def enrolments_load(self):
        items = self.course.items
        total = len(items)

        def lines():
            for plan in self.plans:
                if not plan.done and not plan.attempts:
                    continue
                completed = stamp(item_time(plan, total - 1)) if plan.done == total else "\\N"
                last_page = items[min(plan.done, total - 1)].pk
                yield (
                    f"{plan.user_id}\t{self.course.pk}\t{stamp(plan.started)}\t{completed}\t{last_page}"
                    f"\t{stamp(plan.last_seen)}\n"
                )

        columns = ["learner_id", "course_id", "started_at", "completed_at", "last_page_id", "last_seen_at"]
        return copy_rows("progress_enrolment", columns, lines())

    def completions_load(self):
        items = self.course.items

        def lines():
            for plan in self.plans:
                for position in range(plan.done):
                    if items[position].kind == "lesson":
                        yield f"{plan.user_id}\t{items[position].pk}\t{stamp(item_time(plan, position))}\n"

        return copy_rows("progress_lessoncompletion", ["learner_id", "lesson_id", "completed_at"], lines())

    def attempts_of(self):
        """Every attempt with its id, in the same order on every pass."""
        attempt_id = self.first_attempt_id
        for plan in self.plans:
            counts = {}
            for position, _number, _score in plan.attempts:
                counts[position] = counts.get(position, 0) + 1
            for position, number, score in plan.attempts:
                yield attempt_id, plan, position, number, score, counts[position]
                attempt_id += 1

    def attempts_load(self):
        items = self.course.items

        def lines():
            for attempt_id, plan, position, number, score, count in self.attempts_of():
                item = items[position]
                started, submitted = attempt_times(plan, position, number, count)
                if score is None:
                    submitted_at, scores, passed, snapshot = "\\N", "\\N\t\\N\t\\N", "f", "[]"
                else:
                    questions = len(item.questions)
                    percent = score * 100 // questions
                    submitted_at = stamp(submitted)
                    scores = f"{score}\t{questions}\t{percent}"
                    passed = "t" if percent >= 70 else "f"
                    snapshot = outcome_of(self.rng, item, score, attempt_id).snapshot
                yield (
                    f"{attempt_id}\t{plan.user_id}\t{item.pk}\t{number}\t{item.layout}\t{stamp(started)}"
                    f"\t{submitted_at}\t{scores}\t{passed}\t{snapshot}\n"
                )

        columns = [
            "id",
            "learner_id",
            "quiz_id",
            "number",
            "layout",
            "started_at",
            "submitted_at",
            "score",
            "max_score",
            "percent",
            "is_passed",
            "snapshot",
        ]
        return copy_rows("progress_quizattempt", columns, lines())

    def answers_load(self):
        items = self.course.items

        def lines():
            for attempt_id, _plan, position, _number, score, _count in self.attempts_of():
                if score is None:
                    continue
                prefix = f"{attempt_id}\t"
                for row in outcome_of(self.rng, items[position], score, attempt_id).answer_rows:
                    yield prefix + row

        columns = [
            "attempt_id",
            "question_id",
            "choice_id",
            "question_text",
            "choice_text",
            "is_correct",
            "is_question_correct",
        ]
        return copy_rows("progress_quizanswer", columns, lines())

    def mentorships_load(self):
        def lines():
            for mentor_id, mentees in zip(self.mentor_ids, self.mentees, strict=True):
                for index in mentees:
                    created = self.plans[index].joined
                    yield f"{mentor_id}\t{self.plans[index].user_id}\tt\t{stamp(created)}\t\\N\t\\N\n"

        columns = ["mentor_id", "learner_id", "is_active", "created_at", "ended_at", "assigned_by_id"]
        return copy_rows("progress_mentorship", columns, lines())

    def notes_load(self):
        """A few notes for some mentees; half of those of the measured mentor."""
        items = self.course.items
        rng = self.rng

        def lines():
            for number, (mentor_id, mentees) in enumerate(zip(self.mentor_ids, self.mentees, strict=True)):
                share = 0.5 if number == 0 else 0.15
                for index in mentees:
                    plan = self.plans[index]
                    if index and rng.random() >= share:
                        continue
                    lessons = [items[position].pk for position in range(plan.done) if items[position].kind == "lesson"]
                    for _note in range(rng.randint(1, 3)):
                        written = rng.uniform(plan.started, self.now)
                        read = stamp(written + rng.uniform(HOUR, 3 * DAY)) if rng.random() < 0.6 else "\\N"
                        lesson = rng.choice(lessons) if lessons and rng.random() < 0.3 else "\\N"
                        yield (
                            f"{mentor_id}\t{plan.user_id}\tnote\t{rng.choice(NOTE_TEXTS)}\t{lesson}\t\\N"
                            f"\t{stamp(written)}\t{read}\n"
                        )

        columns = ["mentor_id", "learner_id", "kind", "text", "lesson_id", "attempt_id", "created_at", "read_at"]
        return copy_rows("progress_mentornote", columns, lines())

    def consents_load(self):
        """Everyone has accepted the site's personal-data notice, as on a running site (the demo content
        brings one); otherwise every page would lead to the consent page."""
        notice = PersonalDataNotice.objects.filter(site__is_default_site=True).first()
        if notice is None or not notice.is_set:
            return 0
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO school_consentrecord (user_id, version, accepted_at) "
                "SELECT id, %s, now() FROM school_user ON CONFLICT DO NOTHING",
                [notice.version],
            )
            return cursor.rowcount

    def marker(self, course_page, *, scale, seconds):
        items = self.course.items
        pool = self.plans[1 : POST_POOL + 1]
        quiz_pool = self.plans[POST_POOL + 1 : 2 * POST_POOL + 1]
        return {
            "version": DATA_VERSION,
            "scale": scale,
            "learners": self.learners,
            "mentors": self.mentors,
            "seconds": round(seconds),
            "seeded_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "course_id": course_page.pk,
            "module_id": course_page.get_children().live().order_by("path")[4].pk,
            "lesson_id": items[BENCH_LEARNER_DONE].pk,
            "quiz_id": next(item.pk for item in items[BENCH_LEARNER_DONE:] if item.kind == "quiz"),
            "learner_id": self.plans[0].user_id,
            "mentor_id": self.mentor_ids[0],
            "coordinator_id": get_user_model().objects.get(username=COORDINATOR_USERNAME).pk,
            "coordinator_region_learners": self.learners_per_region[self.coordinator_region_id],
            "admin_id": get_user_model().objects.get(username=ADMIN_USERNAME).pk,
            "post_learner_ids": [plan.user_id for plan in pool],
            "post_lesson_id": items[BENCH_LEARNER_DONE].pk,
            # They take the quiz of "quiz_id", each once.
            "quiz_learner_ids": [plan.user_id for plan in quiz_pool],
        }


# The database and its marker


def database_settings():
    database = settings.DATABASES["default"]
    if database["ENGINE"] != "django.db.backends.postgresql":
        raise SystemExit("The bench needs PostgreSQL: set BENCH_DATABASE_URL.")
    if "bench" not in database["NAME"]:
        raise SystemExit(f"Refusing to rebuild database {database['NAME']!r}: its name must contain 'bench'.")
    return database


def connect(database, dbname):
    return psycopg.connect(
        dbname=dbname,
        user=database.get("USER") or None,
        password=database.get("PASSWORD") or None,
        host=database.get("HOST") or None,
        port=database.get("PORT") or None,
        autocommit=True,
    )


def marker_read(database):
    """The marker of the existing bench database, or None if there is no database or no marker."""
    try:
        with connect(database, database["NAME"]) as conn:
            row = conn.execute(sql.SQL("SELECT data FROM {}").format(sql.Identifier(MARKER_TABLE))).fetchone()
    except (psycopg.OperationalError, psycopg.errors.UndefinedTable):
        return None
    return row[0] if row else None


def marker_write(data):
    with connection.cursor() as cursor:
        cursor.execute(sql.SQL("CREATE TABLE {} (data jsonb NOT NULL)").format(sql.Identifier(MARKER_TABLE)))
        insert = sql.SQL("INSERT INTO {} (data) VALUES (%s)").format(sql.Identifier(MARKER_TABLE))
        cursor.execute(insert, [json.dumps(data)])


def database_recreate(database):
    connection.close()
    name = sql.Identifier(database["NAME"])
    with connect(database, "postgres") as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(name))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(name))


def cache_forget():
    """Drop the bench's cached entries (Wagtail's site root paths and the like) of an older database:
    only keys under the bench's own prefix, whatever else shares the Redis database."""
    cache = caches["default"]
    get_client = getattr(getattr(cache, "_cache", None), "get_client", None)
    if get_client is None:
        cache.clear()  # local memory: this process's own
        return
    client = get_client(write=True)
    for key in client.scan_iter(match=f"{cache.key_prefix}:*"):
        client.delete(key)


def learners_for(scale):
    if scale in SCALES:
        return SCALES[scale]
    try:
        return int(scale)
    except ValueError:
        raise SystemExit(f"Unknown scale {scale!r}: use {', '.join(SCALES)} or a number of learners.") from None


def quietly(command, **options):
    call_command(command, stdout=StringIO(), stderr=StringIO(), **options)


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench seed", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="full", help="small (2,000 learners), full (100,000) or a number")
    parser.add_argument("--fresh", action="store_true", help="drop the bench database and build it again")
    parser.add_argument("--seed", type=int, default=42, help="random seed of the generated data")
    options = parser.parse_args(argv)
    learners = learners_for(options.scale)
    database = database_settings()
    marker = marker_read(database)
    if marker and not options.fresh and marker.get("version") == DATA_VERSION and marker.get("learners") == learners:
        say(f"Bench database {database['NAME']!r} holds scale {marker['scale']} already: reused (FRESH=1 rebuilds).")
        quietly("migrate", interactive=False)
        return 0
    started = time.perf_counter()
    say(f"Building bench database {database['NAME']!r} at scale {options.scale} ({learners:,} learners):")
    database_recreate(database)
    cache_forget()
    step = time.perf_counter()
    quietly("migrate", interactive=False)
    say(f"  migrations: {time.perf_counter() - step:.1f} s")
    step = time.perf_counter()
    quietly("seed_demo_content", seed=options.seed)
    say(f"  demo content (seed_demo_content): {time.perf_counter() - step:.1f} s")
    loader = Loader(learners=learners, seed=options.seed)
    course_page = loader.run()
    step = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    say(f"  ANALYZE: {time.perf_counter() - step:.1f} s")
    seconds = time.perf_counter() - started
    marker_write(loader.marker(course_page, scale=options.scale, seconds=seconds))
    say(f"Seeded in {seconds:.0f} s.")
    return 0
