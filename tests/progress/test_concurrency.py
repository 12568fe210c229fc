"""Progress under concurrency, on PostgreSQL: simultaneous requests of one learner, two gunicorn
instances on one database, and a restart under load.

In-process tests run the real views in threads, each thread with its own Django test client and
its own database connection, released together by a barrier. The gunicorn tests run the production
settings in subprocesses pointed at the test database, so every row they read must be committed
(hence transaction=True throughout).
"""

import copy
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from queue import Queue
from types import SimpleNamespace
from urllib.parse import quote

import pytest
import requests

from django.conf import settings
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.db import connection, connections
from django.test import Client

from courses.factories import LessonPageFactory, ModulePageFactory
from progress import services
from progress.models import Enrolment, LessonCompletion, QuizAnswer, QuizAttempt
from progress.services import ATTEMPT_ALREADY_SUBMITTED, ATTEMPT_LIMIT_REACHED
from school.factories import UserFactory
from tests.progress.helpers import complete_url, in_russian, start_url, submit_url


pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="Races need real concurrent transactions and row locks; SQLite serialises every writer",
    ),
]

JSON = {"Accept": "application/json"}
PASSWORD = "Concurrency-test-password-1"
SECRET_KEY = "concurrency-test-secret-key"  # the same for both instances, so either reads the other's cookies
PYTHON_DIR = Path(sys.executable).parent
# How long to wait for a gunicorn instance to answer /healthz, or to stop.
STARTUP_TIMEOUT = 60
REQUEST_TIMEOUT = 15


def form_answers(quiz, *, correct=True):
    """POST data of the quiz form: for each question its right (or a wrong) choice."""
    return {
        f"question-{question.pk}": [
            str(next(choice.pk for choice in question.choices.all() if choice.is_correct is correct))
        ]
        for question in quiz.questions.prefetch_related("choices")
    }


def service_answers(quiz, *, correct=True):
    return {key.removeprefix("question-"): value for key, value in form_answers(quiz, correct=correct).items()}


def logged_in_clients(user, count):
    """`count` test clients sharing one session of `user`: the same browser clicking again and again."""
    first = Client()
    first.force_login(user)
    clients = [first]
    for _number in range(count - 1):
        other = Client()
        other.cookies[settings.SESSION_COOKIE_NAME] = first.cookies[settings.SESSION_COOKIE_NAME].value
        clients.append(other)
    return clients


def run_together(count, work):
    """Call work(index) in `count` threads released at once; the results (or raised exceptions) in order."""
    barrier = threading.Barrier(count)
    results = [None] * count

    def run(index):
        try:
            barrier.wait(timeout=30)
            results[index] = work(index)
        except Exception as error:  # a 500 re-raised by the test client is a result to assert on
            results[index] = error
        finally:
            # Each thread opened its own connection; an open one would block dropping the test database.
            connections.close_all()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads), "a request thread hung"
    return results


def statuses(results):
    return [result.status_code if hasattr(result, "status_code") else repr(result) for result in results]


class ConcurrentCompletionTests:
    def test_twenty_simultaneous_completions_keep_one_row(self, learner, course_tree):
        """20 simultaneous "mark as done" POSTs of one lesson: all succeed, one row, one enrolment, created once."""
        lesson = course_tree.lesson_one
        clients = logged_in_clients(learner, 20)

        results = run_together(20, lambda index: clients[index].post(complete_url(lesson), headers=JSON))

        assert statuses(results) == [200] * 20
        answers = [result.json() for result in results]
        assert sum(answer["created"] for answer in answers) == 1
        assert {(answer["done"], answer["done_count"], answer["percent"]) for answer in answers} == {(True, 1, 25)}
        assert LessonCompletion.objects.filter(learner=learner, lesson=lesson).count() == 1
        enrolment = Enrolment.objects.get(learner=learner)
        assert enrolment.course_id == course_tree.course.pk
        assert enrolment.completed_at is None

    def test_last_lessons_done_at_once_complete_the_course_once(self, learner, course_tree):
        """The two last lessons marked done at the same moment (10 POSTs each): the course is recorded complete."""
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=service_answers(course_tree.quiz))
        lessons = [course_tree.lesson_two, course_tree.lesson_three]
        clients = logged_in_clients(learner, 20)

        results = run_together(20, lambda index: clients[index].post(complete_url(lessons[index % 2]), headers=JSON))

        assert statuses(results) == [200] * 20
        assert sum(result.json()["created"] for result in results) == 2
        assert LessonCompletion.objects.filter(learner=learner).count() == 3
        enrolment = Enrolment.objects.get(learner=learner)
        # Whichever request committed last saw both rows and stamped the course done.
        assert enrolment.completed_at is not None

    def test_last_lesson_and_quiz_pass_at_once_complete_the_course(self, learner, course_tree):
        """The last lesson marked done (10 POSTs) while the quiz is passed (10 submits of its attempt) at the
        same moment: the course is recorded complete."""
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
        services.lesson_mark_complete(learner=learner, lesson=course_tree.lesson_two)
        attempt = services.quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
        answers = form_answers(course_tree.quiz)
        clients = logged_in_clients(learner, 20)

        def post(index):
            if index % 2:
                return clients[index].post(submit_url(attempt), answers, headers=JSON)
            return clients[index].post(complete_url(course_tree.lesson_three), headers=JSON)

        results = run_together(20, post)

        codes = statuses(results)
        assert codes[0::2] == [200] * 10
        assert sorted(codes[1::2]) == [200] + [409] * 9
        assert QuizAttempt.objects.get(pk=attempt.pk).is_passed is True
        assert LessonCompletion.objects.filter(learner=learner).count() == 3
        assert Enrolment.objects.get(learner=learner).completed_at is not None


class ConcurrentQuizTests:
    def test_ten_simultaneous_submissions_score_the_attempt_once(self, learner, course_tree):
        """10 simultaneous submits of one attempt: one is scored, the nine others are told it was already
        submitted; one set of answers, one score, no 500."""
        quiz = course_tree.quiz
        attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
        answers = form_answers(quiz)
        clients = logged_in_clients(learner, 10)

        results = run_together(10, lambda index: clients[index].post(submit_url(attempt), answers, headers=JSON))

        assert sorted(statuses(results)) == [200] + [409] * 9
        assert [result.json()["redirect_url"] for result in results if result.status_code == 200] == [
            f"/my/attempts/{attempt.pk}/"
        ]
        refusals = {result.json()["error"] for result in results if result.status_code == 409}
        assert refusals == {in_russian(ATTEMPT_ALREADY_SUBMITTED)}
        stored = QuizAttempt.objects.get(learner=learner)
        assert stored.pk == attempt.pk
        assert (stored.is_submitted, stored.score, stored.max_score, stored.percent, stored.is_passed) == (
            True,
            5,
            5,
            100,
            True,
        )
        assert len(stored.snapshot) == 5
        # One ticked choice per single-choice question, written once.
        assert QuizAnswer.objects.filter(attempt=stored).count() == 5

    def test_ten_simultaneous_starts_open_one_attempt(self, learner, course_tree):
        """10 simultaneous "start quiz" POSTs: one open attempt, number 1, shared by all ten answers."""
        quiz = course_tree.quiz
        clients = logged_in_clients(learner, 10)

        results = run_together(10, lambda index: clients[index].post(start_url(quiz), headers=JSON))

        assert statuses(results) == [200] * 10
        assert {result.json()["redirect_url"] for result in results} == {f"{quiz.url}#quiz"}
        assert not any("error" in result.json() for result in results)
        attempt = QuizAttempt.objects.get(learner=learner, quiz=quiz)
        assert (attempt.number, attempt.is_submitted) == (1, False)
        assert Enrolment.objects.filter(learner=learner).count() == 1

    def test_simultaneous_starts_at_the_limit_open_only_the_last_allowed_attempt(self, learner, course_tree):
        """With two of three attempts used, 10 simultaneous starts open attempt 3 and no more; once it is
        submitted, 10 more simultaneous starts are all refused."""
        quiz = course_tree.quiz
        assert quiz.attempt_limit == 3
        for _used in range(2):
            attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
            services.quiz_attempt_submit(
                learner=learner, attempt_id=attempt.pk, answers=service_answers(quiz, correct=False)
            )
        clients = logged_in_clients(learner, 10)

        results = run_together(10, lambda index: clients[index].post(start_url(quiz), headers=JSON))

        # A start that finds attempt 3 opened by a concurrent one must return it, not count it as used
        # and refuse with "You have used all attempts" (a 409 here).
        assert statuses(results) == [200] * 10
        attempts = QuizAttempt.objects.filter(learner=learner, quiz=quiz).order_by("number")
        assert [(item.number, item.is_submitted) for item in attempts] == [(1, True), (2, True), (3, False)]

        services.quiz_attempt_submit(
            learner=learner, attempt_id=attempts[2].pk, answers=service_answers(quiz, correct=False)
        )
        results = run_together(10, lambda index: clients[index].post(start_url(quiz), headers=JSON))

        assert statuses(results) == [409] * 10
        assert {result.json()["error"] for result in results} == {in_russian(ATTEMPT_LIMIT_REACHED)}
        assert QuizAttempt.objects.filter(learner=learner, quiz=quiz).count() == 3


# Gunicorn instances on the test database.


@pytest.fixture(scope="session")
def collected_static():
    """The production settings serve hashed static names from a manifest; collect it once (unchanged files
    are skipped, so this takes a second or two). STATIC_ROOT is the project's git-ignored staticfiles/."""
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "school.settings.production", "SECRET_KEY": SECRET_KEY},
        check=True,
        timeout=120,
    )


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def database_url_of_test_db():
    """DATABASE_URL of the database pytest-django created (test_<name>), for the subprocesses."""
    db = connection.settings_dict
    credentials = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{quote(db['NAME'], safe='')}"


class Gunicorn:
    """One gunicorn master with two workers serving the production settings on 127.0.0.1:port."""

    def __init__(self, *, port, log_path, cache_dir):
        self.port = port
        self.cache_dir = cache_dir
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self.process = None

    def start(self):
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "school.settings.production",
            "SECRET_KEY": SECRET_KEY,
            "ALLOWED_HOSTS": "127.0.0.1",
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "DATABASE_URL": database_url_of_test_db(),
            # Without REDIS_URL the settings share a file cache among the workers of a host. One
            # directory per test: the instances share it as they would Redis, and no entry left by an
            # earlier run (keyed by ids the new test database hands out again) answers for this one.
            "CACHE_DIR": str(self.cache_dir),
        }
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(  # noqa: S603 (the virtualenv's gunicorn, fixed arguments)
                [
                    str(PYTHON_DIR / "gunicorn"),
                    "school.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--graceful-timeout",
                    "20",
                    # gunicorn 27 opens a control socket at one fixed path per user: each instance
                    # here would take over the other's (and a developer's own).
                    "--no-control-socket",
                ],
                cwd=settings.BASE_DIR,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    def wait_ready(self):
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"gunicorn exited early:\n{self.log()}"
            try:
                if requests.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"gunicorn on port {self.port} did not answer /healthz:\n{self.log()}")

    def terminate(self):
        """Ask for a graceful shutdown (SIGTERM): the workers finish the requests they hold, then exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait_stopped(self):
        if self.process is None:
            return
        try:
            self.process.wait(timeout=STARTUP_TIMEOUT)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log(self):
        return Path(self.log_path).read_text(errors="replace")[-4000:]


@pytest.fixture
def gunicorn(transactional_db, collected_static, tmp_path):
    """Start gunicorn instances on free ports: gunicorn(count) -> [Gunicorn, ...], all answering.
    Each is stopped after the test, before pytest-django empties the tables."""
    started = []

    def start(count=1):
        instances = [
            Gunicorn(
                port=free_port(), log_path=tmp_path / f"gunicorn-{len(started) + n}.log", cache_dir=tmp_path / "cache"
            )
            for n in range(count)
        ]
        for instance in instances:
            started.append(instance)
            instance.start()
        for instance in instances:
            instance.wait_ready()
        return instances

    yield start
    # All at once: each master takes a second or two to wind down.
    for instance in started:
        instance.terminate()
    for instance in started:
        instance.wait_stopped()


def learner_with_password(**kwargs):
    """A learner whose password the production hasher (Argon2) verifies; the test settings hash with MD5,
    which production does not know."""
    user = UserFactory(**kwargs)
    user.password = make_password(PASSWORD, hasher=Argon2PasswordHasher())
    user.save(update_fields=["password"])
    return user


def log_in(instance, user):
    """Log in through the real form (CSRF and django-axes included); the browser session that results."""
    browser = requests.Session()
    form = browser.get(f"{instance.url}/accounts/login/", timeout=REQUEST_TIMEOUT)
    assert form.status_code == 200, instance.log()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    response = browser.post(
        f"{instance.url}/accounts/login/",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )
    assert response.status_code == 302, f"login failed ({response.status_code}):\n{instance.log()}"
    assert "sessionid" in browser.cookies
    return browser


def same_browser(browser):
    """Another client carrying the same cookies, as the browser does when the balancer picks another instance."""
    other = requests.Session()
    for cookie in browser.cookies:
        other.cookies.set_cookie(copy.copy(cookie))
    return other


def post_completion(instance, browser, lesson):
    return browser.post(
        f"{instance.url}{complete_url(lesson)}",
        headers={**JSON, "X-CSRFToken": browser.cookies["csrftoken"]},
        allow_redirects=False,
        timeout=REQUEST_TIMEOUT,
    )


def percent_shown(instance, browser):
    response = browser.get(f"{instance.url}/my/", timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, instance.log()
    return re.search(r"data-progress-percent>(\d+)%<", response.text).group(1)


def lesson_shown_done(instance, browser, lesson):
    response = browser.get(f"{instance.url}{lesson.url}", timeout=REQUEST_TIMEOUT)
    assert response.status_code == 200, instance.log()
    return "state--done" in response.text


class TwoInstancesTests:
    def test_a_completion_posted_to_one_instance_shows_on_the_other_at_once(self, gunicorn, course_tree):
        """One session works on both instances; a lesson done through A shows on B's lesson page and /my/ on
        the very next request, and the other way round (no per-process cache holds progress)."""
        learner = learner_with_password(username="two-instances")
        one, two = gunicorn(2)
        browser_one = log_in(one, learner)
        browser_two = same_browser(browser_one)
        # B renders both pages first, so any per-process cache would now hold the "not done" state.
        assert lesson_shown_done(two, browser_two, course_tree.lesson_one) is False
        assert percent_shown(two, browser_two) == "0"

        response = post_completion(one, browser_one, course_tree.lesson_one)

        assert response.status_code == 200, one.log()
        assert response.json()["created"] is True
        assert lesson_shown_done(two, browser_two, course_tree.lesson_one) is True
        assert percent_shown(two, browser_two) == "25"

        response = post_completion(two, browser_two, course_tree.lesson_two)

        assert response.status_code == 200, two.log()
        assert lesson_shown_done(one, browser_one, course_tree.lesson_two) is True
        assert percent_shown(one, browser_one) == "50"
        assert LessonCompletion.objects.filter(learner=learner).count() == 2
        assert Enrolment.objects.filter(learner=learner).count() == 1


@pytest.fixture
def many_lessons(course_tree):
    """The course tree with a third module of eight more lessons: eleven lessons in all."""
    module = ModulePageFactory(parent=course_tree.course, title="Отчётность", slug="reports")
    extra = [LessonPageFactory(parent=module, title=f"Отчёт {number}", slug=f"report-{number}") for number in range(8)]
    return SimpleNamespace(
        tree=course_tree, lessons=[course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three, *extra]
    )


class RestartUnderLoadTests:
    def test_reload_and_restart_mid_load_lose_no_acknowledged_completion(self, gunicorn, many_lessons):
        """A client thread posts 44 completions (4 learners x 11 lessons) while the instance is reloaded
        (SIGHUP), then stopped (SIGTERM) and started again on the same port. It retries only requests that got
        no answer, as the page's script asks the learner to. Every completion answered 200 is in the database,
        each exactly once, and no request is answered with an error."""
        (instance,) = gunicorn(1)
        learners = [learner_with_password(username=f"restart-{number}") for number in range(4)]
        browsers = {learner.pk: log_in(instance, learner) for learner in learners}
        jobs = [(learner, lesson) for lesson in many_lessons.lessons for learner in learners]
        # The main thread hands the poster its work in four batches, so that each phase (before and after the
        # reload, during the stop, after the restart) has requests of its own whatever the machine's speed.
        batches = [jobs[:12], jobs[12:24], jobs[24:36], jobs[36:]]
        queue = Queue()
        acknowledged = []
        answered_otherwise = []
        unanswered = []
        progress = threading.Condition()

        def post_one(learner, lesson):
            deadline = time.monotonic() + STARTUP_TIMEOUT
            while time.monotonic() < deadline:
                try:
                    response = post_completion(instance, browsers[learner.pk], lesson)
                except (requests.ConnectionError, requests.Timeout):
                    # Refused, or cut before an answer: not acknowledged, so the client tries again.
                    time.sleep(0.05)
                    continue
                is_json = response.headers.get("Content-Type", "").startswith("application/json")
                if response.status_code == 200 and is_json and response.json().get("done") is True:
                    with progress:
                        acknowledged.append((learner.pk, lesson.pk))
                        progress.notify_all()
                else:
                    answered_otherwise.append((learner.pk, lesson.pk, response.status_code))
                return
            unanswered.append((learner.pk, lesson.pk))

        def post_all():
            while (job := queue.get()) is not None:
                post_one(*job)

        def feed(batch):
            for job in batch:
                queue.put(job)

        def wait_for_acknowledged(count):
            with progress:
                assert progress.wait_for(lambda: len(acknowledged) >= count, timeout=STARTUP_TIMEOUT), instance.log()

        poster = threading.Thread(target=post_all)
        poster.start()
        try:
            feed(batches[0])
            # Signals arrive while the batch before them is still being posted.
            wait_for_acknowledged(8)
            instance.process.send_signal(signal.SIGHUP)
            feed(batches[1])
            wait_for_acknowledged(20)
            instance.terminate()
            feed(batches[2])
            instance.wait_stopped()
            instance.start()
            instance.wait_ready()
            feed(batches[3])
        finally:
            queue.put(None)
            poster.join(timeout=2 * STARTUP_TIMEOUT)

        assert not poster.is_alive()
        assert (answered_otherwise, unanswered) == ([], []), instance.log()
        assert len(acknowledged) == len(jobs)
        stored = list(LessonCompletion.objects.values_list("learner_id", "lesson_id"))
        assert sorted(stored) == sorted((learner.pk, lesson.pk) for learner, lesson in jobs)
