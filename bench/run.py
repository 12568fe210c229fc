"""Measure the site's pages over HTTP against gunicorn on the bench database and print one table.

Queries are counted in this process: each page is requested once through Django's test client
(the same settings and middleware) with its SQL captured. Times come from real HTTP: gunicorn
with 2 sync workers on 127.0.0.1, every signed-in user's session made in the database and sent
as a cookie, `X-Forwarded-Proto: https` as the proxy sends it. Per page and round: `--requests`
sequential requests (median and p95 latency), then `--load-seconds` of load from
`--connections` concurrent connections in a separate process (requests per second). The minimal
view (login required, returns "ok") is measured the same way, as the same learner, right after
each page, so "× minimal" compares two figures taken side by side.
"""

import argparse
import http.client
import json
import math
import os
import re
import resource
import shlex
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.middleware.csrf import CSRF_ALLOWED_CHARS, CSRF_SECRET_LENGTH
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.crypto import get_random_string

from wagtail.models import Page

from bench import explain
from bench.seed import DATA_VERSION, MARKER_TABLE
from bench.urls import MINIMAL_PATH
from courses.models import CaseStudyIndexPage, QuizChoice
from progress.models import LessonCompletion, QuizAttempt
from progress.services import quiz_attempt_start


DATA_TABLES = (
    ("users", "school_user"),
    ("regions", "school_region"),
    ("branches", "school_branch"),
    ("enrolments", "progress_enrolment"),
    ("lesson completions", "progress_lessoncompletion"),
    ("quiz attempts", "progress_quizattempt"),
    ("quiz answers", "progress_quizanswer"),
    ("mentorships", "progress_mentorship"),
    ("mentor notes", "progress_mentornote"),
)
# A word of the demo lessons (наказы избирателей), so the search has results to show.
SEARCH_WORD = "наказ"
WORKERS = 2
# The memory budget of one worker after the run.
WORKER_RSS_TARGET_MB = 100
SERVER_START_SECONDS = 60
# Enough requests per GET page for both workers to have served it before anything is timed.
WARM_UP_REQUESTS = 4


def say(message=""):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


class BenchError(Exception):
    """The bench itself cannot go on (the server did not start, a pool ran out)."""


# Who makes the requests


@dataclass
class Visitor:
    """A user with a session in the database: the test client (for the SQL capture) and the cookie
    that the HTTP requests send. `user` None is an anonymous visitor."""

    user: object = None
    client: Client = field(default_factory=Client)

    @classmethod
    def signed_in(cls, user):
        visitor = cls(user=user)
        visitor.client.force_login(user)
        return visitor

    @property
    def cookie(self):
        morsel = self.client.cookies.get(settings.SESSION_COOKIE_NAME)
        return f"{settings.SESSION_COOKIE_NAME}={morsel.value}" if morsel else ""


class Pool:
    """Learners who have not done the measured action yet: each POST is made by the next one."""

    def __init__(self, label, user_ids):
        self.label = label
        users = get_user_model().objects.in_bulk(user_ids)
        self.users = deque(users[pk] for pk in user_ids if pk in users)

    def take(self):
        if not self.users:
            raise BenchError(f"no fresh learner left for {self.label} (fewer --rounds or --requests)")
        return Visitor.signed_in(self.users.popleft())


@dataclass
class Request:
    path: str
    visitor: Visitor
    method: str = "GET"
    data: dict | None = None


# The pages


def status_ok(status, _body):
    return "" if status == 200 else f"answered {status}"


def json_ok(status, body):
    """The page's script asks for JSON; a refusal is 409 with {"error": ...}."""
    try:
        answer = json.loads(body)
    except ValueError:
        return f"answered {status}, not JSON"
    if status != 200 or "error" in answer:
        return f"answered {status}: {answer.get('error', '')}"
    return ""


def completion_ok(status, body):
    """A new completion row, not "done already": otherwise the POST did none of the real work."""
    problem = json_ok(status, body)
    if not problem and json.loads(body).get("created") is not True:
        return "the lesson was done already (no fresh learner)"
    return problem


def export_ok(status, body):
    """Read to the end: a header line at least."""
    return status_ok(status, body) or ("" if b"\n" in body else "an empty export")


@dataclass
class Case:
    label: str
    # A fixed request, or a function that makes the next one (a fresh learner for each POST).
    request: Request | None = None
    request_next: object = None
    check: object = status_ok
    # Under load too (read-only pages), or sequential only.
    is_loaded: bool = True
    is_export: bool = False
    # Requests per round, when the page is too slow for the default.
    requests: int | None = None
    # Results
    error: str = ""
    note: str = ""
    queries: int = 0
    repeated: int = 0
    # The captured request's SQL, values bound (for the EXPLAIN pass); None when the page failed.
    statements: list | None = None
    times: list = field(default_factory=list)
    minimal_times: list = field(default_factory=list)
    # [(requests, seconds)] per round, for the page and for the minimal view beside it
    load: list = field(default_factory=list)
    minimal_load: list = field(default_factory=list)

    def next_request(self):
        return self.request_next() if self.request_next else self.request

    def fail(self, message):
        self.error = self.error or "error"
        self.note = self.note or f"{self.label}: {message}"


def quiz_cases(marker):
    """Starting the module 5 quiz, and submitting answers (all right) to an attempt just started."""
    quiz_id = marker["quiz_id"]
    pool = Pool("the quiz", marker["quiz_learner_ids"])
    started = deque()
    correct = {}
    for question_id, choice_id in QuizChoice.objects.filter(question__page_id=quiz_id, is_correct=True).values_list(
        "question_id", "id"
    ):
        correct.setdefault(question_id, []).append(choice_id)
    start_path = reverse("progress:quiz_start", args=[quiz_id])

    def start_next():
        visitor = pool.take()
        started.append(visitor)
        return Request(start_path, visitor, method="POST", data={})

    def submit_next():
        # Untimed: the attempt is opened here unless the start above has just opened it.
        visitor = started.popleft() if started else pool.take()
        quiz = Page.objects.get(pk=quiz_id).specific
        attempt = quiz_attempt_start(learner=visitor.user, quiz=quiz)
        data = {f"question-{question_id}": correct[question_id] for question_id, _choices in attempt.layout}
        return Request(reverse("progress:attempt_submit", args=[attempt.pk]), visitor, method="POST", data=data)

    return [
        Case("quiz: start an attempt (POST)", request_next=start_next, check=json_ok, is_loaded=False),
        Case("quiz: submit answers (POST)", request_next=submit_next, check=json_ok, is_loaded=False),
    ]


def cases_build(marker, options):
    users = get_user_model().objects.in_bulk(
        [marker["learner_id"], marker["mentor_id"], marker["coordinator_id"], marker["admin_id"]]
    )
    learner = Visitor.signed_in(users[marker["learner_id"]])
    mentor = Visitor.signed_in(users[marker["mentor_id"]])
    coordinator = Visitor.signed_in(users[marker["coordinator_id"]])
    admin = Visitor.signed_in(users[marker["admin_id"]])
    pages = Page.objects.in_bulk([marker["course_id"], marker["module_id"], marker["lesson_id"], marker["quiz_id"]])
    library = CaseStudyIndexPage.objects.live().first()
    region = f"{marker['coordinator_region_learners']:,}"

    def page(label, path, visitor, **options):
        return Case(label, Request(path, visitor), **options)

    cases = [
        page("home, anonymous", "/", Visitor()),
        page("course page, learner", pages[marker["course_id"]].url, learner),
        page("module page, learner", pages[marker["module_id"]].url, learner),
        page("lesson page, learner", pages[marker["lesson_id"]].url, learner),
        page("quiz page, learner", pages[marker["quiz_id"]].url, learner),
        page("practice library, learner", library.url if library else None, learner),
        page(f"search ?query={SEARCH_WORD}, learner", f"/search/?query={quote(SEARCH_WORD)}", learner),
        page("/my/, learner", reverse("progress:dashboard"), learner),
        page("/mentor/, 200 mentees", reverse("mentor:mentees"), mentor),
        page("/mentor/<id>/, one mentee", reverse("mentor:mentee", args=[marker["learner_id"]]), mentor),
        page(f"/reports/, region of {region}", reverse("reports:index"), coordinator),
        page(
            "/reports/ CSV export, whole",
            reverse("reports:export_csv"),
            coordinator,
            check=export_ok,
            is_loaded=False,
            is_export=True,
            requests=max(1, options.requests // 5),
        ),
        page("admin: enrolments", reverse("enrolment:index"), admin),
        page("admin: lesson completions", reverse("lessoncompletion:index"), admin),
        page("admin: quiz attempts", reverse("quizattempt:index"), admin),
    ]
    completion_pool = Pool("marking a lesson done", marker["post_learner_ids"])
    completion_path = reverse("progress:lesson_complete", args=[marker["post_lesson_id"]])
    cases.append(
        Case(
            "mark a lesson done (POST)",
            request_next=lambda: Request(completion_path, completion_pool.take(), method="POST", data={}),
            check=completion_ok,
            is_loaded=False,
        )
    )
    cases += quiz_cases(marker)
    for case in cases:
        if case.request is not None and case.request.path is None:
            case.fail("the page does not exist in the bench database")
    return cases, learner


def pools_reset(marker):
    """Undo what the POSTs did, so every run starts from the same data."""
    LessonCompletion.objects.filter(
        learner_id__in=marker["post_learner_ids"], lesson_id=marker["post_lesson_id"]
    ).delete()
    QuizAttempt.objects.filter(learner_id__in=marker["quiz_learner_ids"], quiz_id=marker["quiz_id"]).delete()


# In this process: the SQL of one request


def shape(statement):
    """The statement with its literals taken out, to tell the same query repeated (N+1) from others."""
    statement = re.sub(r"'(?:[^']|'')*'", "?", statement)
    statement = re.sub(r"\b\d+(\.\d+)?\b", "?", statement)
    return re.sub(r"\(\?(, \?)*\)", "(?)", statement)


def in_process(request):
    """One request through the test client; a streamed response is read to its end. Returns (status, body)."""
    client = request.visitor.client
    if request.method == "POST":
        response = client.post(request.path, request.data, secure=True, headers={"Accept": "application/json"})
    else:
        response = client.get(request.path, secure=True)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, body


def probe(case):
    """Warm up, then capture one request's queries; a failing page is marked as such."""
    try:
        for is_captured in (False, True):
            request = case.next_request()
            with CaptureQueriesContext(connection) as captured:
                status, body = in_process(request)
            if problem := case.check(status, body):
                case.fail(f"{request.path} {problem} (in process{', after warm-up' if is_captured else ''})")
                return
    except BenchError as error:
        case.fail(str(error))
        return
    except Exception as error:
        message = str(error).splitlines()[0][:150] if str(error) else ""
        case.fail(f"{type(error).__name__}: {message} (in process)")
        return
    case.statements = [query["sql"] for query in captured.captured_queries]
    shapes = [shape(query["sql"]) for query in captured.captured_queries]
    case.queries = len(shapes)
    case.repeated = len(shapes) - len(set(shapes))


def export_memory_note(case):
    """Bytes streamed, and how much the Python heap grew at most while streaming one export."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    client = case.request.visitor.client
    response = client.get(case.request.path, secure=True)
    size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
    response.close()
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    kind = "streamed" if response.streaming else "NOT streamed (whole body built in memory)"
    return (
        f"{case.label}: {size / 1024:,.0f} KB {kind}; in one process, Python heap peak growth "
        f"{peak / 1024 / 1024:.1f} MB, max RSS growth {rss_growth / 1024:.1f} MB"
    )


# gunicorn


def free_port():
    with socket.socket() as probe_socket:
        probe_socket.bind(("127.0.0.1", 0))
        return probe_socket.getsockname()[1]


class Server:
    """gunicorn with 2 sync workers on a free loopback port; every setting is on its command line."""

    def __init__(self):
        self.port = free_port()
        self.process = None
        self.log = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by stop()

    def start(self, ready_request):
        environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
        environment.pop("GUNICORN_CMD_ARGS", None)
        command = [
            str(Path(sys.executable).with_name("gunicorn")),
            # An explicit config that sets nothing (the bench package has no gunicorn names), so
            # neither the project's gunicorn.conf.py nor anything else is read.
            "--config",
            "python:bench",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{self.port}",
            # The default control socket is per user: another gunicorn on the machine holds it.
            "--no-control-socket",
            # As gunicorn.conf.py serves production: the app loaded once, its pages shared by the workers.
            "--preload",
            "--log-level",
            "warning",
            "school.wsgi:application",
        ]
        self.process = subprocess.Popen(  # noqa: S603 - our own command line
            command, cwd=settings.BASE_DIR, env=environment, stdout=self.log, stderr=self.log
        )
        deadline = time.monotonic() + SERVER_START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                _seconds, status, _body = self.send(ready_request)
            except OSError:
                time.sleep(0.2)
                continue
            if status == 200:
                return
            raise BenchError(f"gunicorn answered {status} to {ready_request.path}:\n{self.log_tail()}")
        raise BenchError(f"gunicorn did not answer within {SERVER_START_SECONDS} s:\n{self.log_tail()}")

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # graceful: workers finish their request
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()

    def log_tail(self, lines=20):
        self.log.seek(0)
        return "".join(self.log.readlines()[-lines:])

    def worker_rss(self):
        """{worker pid: (resident memory, proportional share) in MB}, read from /proc (Linux).

        RSS counts the pages the preloaded workers share with the master in full; PSS divides each
        shared page among the processes that map it, so the workers' PSS add up to what they cost."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        memory = {}
        for pid in children.read_text().split():
            try:
                rollup = Path(f"/proc/{pid}/smaps_rollup").read_text()
            except FileNotFoundError:
                continue  # a worker that just exited
            rss, pss = (int(re.search(rf"^{name}:\s+(\d+)", rollup, re.MULTILINE).group(1)) for name in ("Rss", "Pss"))
            memory[int(pid)] = (rss / 1024, pss / 1024)
        return memory

    def headers(self, request):
        headers = {"X-Forwarded-Proto": "https"}
        cookies = [request.visitor.cookie]
        if request.method == "POST":
            # The CSRF cookie and the same secret in the header, as the page's script sends them;
            # over HTTPS Django also wants the page's own origin.
            cookies.append(f"{settings.CSRF_COOKIE_NAME}={CSRF_SECRET}")
            origin = f"https://127.0.0.1:{self.port}"
            headers |= {
                "X-CSRFToken": CSRF_SECRET,
                "Origin": origin,
                "Referer": origin + "/",
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            }
        if cookie := "; ".join(filter(None, cookies)):
            headers["Cookie"] = cookie
        return headers

    def send(self, request):
        """One request on a new connection, read to the end. Returns (seconds, status, body)."""
        body = urlencode(request.data or {}, doseq=True) if request.method == "POST" else None
        headers = self.headers(request)
        started = time.perf_counter()
        client = http.client.HTTPConnection("127.0.0.1", self.port, timeout=300)
        try:
            client.request(request.method, request.path, body=body, headers=headers)
            response = client.getresponse()
            content = response.read()
        finally:
            client.close()
        return time.perf_counter() - started, response.status, content

    def load(self, request, *, connections, seconds):
        """Requests per second from a separate process; raises BenchError on any answer but 200."""
        job = {
            "port": self.port,
            "method": "GET",
            "path": request.path,
            "headers": self.headers(request),
            "connections": connections,
            "seconds": seconds,
        }
        finished = subprocess.run(
            [sys.executable, "-m", "bench.load"],
            input=json.dumps(job),
            capture_output=True,
            text=True,
            cwd=settings.BASE_DIR,
            timeout=seconds + 330,
            check=False,
        )
        if finished.returncode != 0:
            raise BenchError(f"the load process failed: {finished.stderr.strip()[-300:]}")
        result = json.loads(finished.stdout)
        others = {status: count for status, count in result["statuses"].items() if status != "200"}
        if others or result["errors"]:
            raise BenchError(f"under load: answers {others or ''} {'; '.join(result['errors'][:2])}".strip())
        return result["requests"], result["seconds"]


CSRF_SECRET = get_random_string(CSRF_SECRET_LENGTH, CSRF_ALLOWED_CHARS)


# Measuring


def sequential(server, case, count):
    """`count` requests one after another; the seconds of each."""
    times = []
    for _request in range(count):
        request = case.next_request()
        seconds, status, body = server.send(request)
        if problem := case.check(status, body):
            raise BenchError(f"{request.path} {problem}")
        times.append(seconds)
    return times


def warm_up(server, cases, minimal):
    for case in [minimal, *cases]:
        if case.error:
            continue
        try:
            sequential(server, case, WARM_UP_REQUESTS if case.is_loaded else 1)
        except BenchError as error:
            case.fail(str(error))


def rounds_run(server, cases, minimal, options):
    for round_number in range(1, options.rounds + 1):
        started = time.perf_counter()
        for case in cases:
            if case.error:
                continue
            count = case.requests or options.requests
            try:
                case.times += sequential(server, case, count)
                minimal_times = sequential(server, minimal, count)
                case.minimal_times += minimal_times
                minimal.times += minimal_times
                if case.is_loaded:
                    load = {"connections": options.connections, "seconds": options.load_seconds}
                    case.load.append(server.load(case.request, **load))
                    minimal_load = server.load(minimal.request, **load)
                    case.minimal_load.append(minimal_load)
                    minimal.load.append(minimal_load)
            except BenchError as error:
                case.fail(str(error))
            except OSError as error:
                case.fail(f"{type(error).__name__}: {error}")
        say(f"  round {round_number}/{options.rounds}: {time.perf_counter() - started:.1f} s")


# Results


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def rate(load):
    return sum(requests for requests, _seconds in load) / sum(seconds for _requests, seconds in load)


def table(cases, minimal):
    header = ("page", "queries", "p50 ms", "p95 ms", "req/s", "× min p50", "× min req/s")
    rows = [header]
    for case in [minimal, *cases]:
        if case.error or not case.times:
            rows.append((case.label, "", case.error or "no data", "", "", "", ""))
            continue
        p50 = statistics.median(case.times)
        queries = f"{case.queries} ({case.repeated})" if case.repeated else str(case.queries)
        requests_per_second = f"{rate(case.load):.1f}" if case.load else "—"
        if case is minimal:
            ratios = ("1", "1")
        else:
            ratios = (
                f"{statistics.median(case.minimal_times) / p50:.3f}",
                f"{rate(case.load) / rate(case.minimal_load):.3f}" if case.load else "—",
            )
        rows.append(
            (
                case.label,
                queries,
                f"{p50 * 1000:.1f}",
                f"{percentile(case.times, 0.95) * 1000:.1f}",
                requests_per_second,
                *ratios,
            )
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append(" | ".join(cells))
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def rss_line(label, memory):
    workers = (
        ", ".join(f"RSS {rss:.0f} MB (PSS {pss:.0f} MB)" for _pid, (rss, pss) in sorted(memory.items())) or "no workers"
    )
    return f"{label}: {workers} (pids {', '.join(str(pid) for pid in sorted(memory))})"


def data_sizes():
    counts = {}
    with connection.cursor() as cursor:
        for label, table_name in DATA_TABLES:
            cursor.execute(f"SELECT COUNT(*) FROM {table_name}")  # noqa: S608 - names from the constant above
            counts[label] = cursor.fetchone()[0]
        cursor.execute("SELECT pg_database_size(current_database())")
        size = cursor.fetchone()[0]
    return counts, size


def git_commit():
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            capture_output=True,
            text=True,
            check=True,
            cwd=settings.BASE_DIR,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} (with uncommitted changes)" if dirty else commit


def marker_load():
    with connection.cursor() as cursor:
        try:
            cursor.execute(f"SELECT data FROM {MARKER_TABLE}")  # noqa: S608 - a constant
        except Exception:
            return None
        row = cursor.fetchone()
    if row is None:
        return None
    return row[0] if isinstance(row[0], dict) else json.loads(row[0])


def header_print(marker, options):
    counts, size = data_sizes()
    run_args = shlex.join(
        [
            "--rounds",
            str(options.rounds),
            "--requests",
            str(options.requests),
            "--load-seconds",
            str(options.load_seconds),
            "--connections",
            str(options.connections),
        ]
    )
    say(f"Command: python -m bench seed --scale {marker['scale']} && python -m bench run {run_args}")
    say(f"Commit: {git_commit()}; data seeded {marker['seeded_at']} in {marker['seconds']} s")
    say("Data: " + ", ".join(f"{label} {count:,}" for label, count in counts.items()) + f"; {size / 2**30:.2f} GB")
    say(
        f"  learners {marker['learners']:,}, mentors {marker['mentors']:,} (measured one: 200 mentees), "
        f"coordinator's region {marker['coordinator_region_learners']:,} learners"
    )
    say(
        f"Serving: gunicorn, {WORKERS} sync workers, {settings.SETTINGS_MODULE} (DEBUG={settings.DEBUG}, "
        f"cache {settings.CACHES['default']['BACKEND'].rsplit('.', 1)[-1]}), 127.0.0.1, X-Forwarded-Proto: https"
    )
    say(
        f"Load: {options.connections} connections for {options.load_seconds:g} s per page and round, "
        f"from a separate process; {options.rounds} rounds of {options.requests} sequential requests"
    )
    say()


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages (default 3)")
    parser.add_argument("--requests", type=int, default=10, help="sequential requests per page per round (10)")
    parser.add_argument("--load-seconds", type=float, default=2, help="seconds of load per page per round (2)")
    parser.add_argument("--connections", type=int, default=4, help="concurrent connections under load (4)")
    options = parser.parse_args(argv)
    marker = marker_load()
    if marker is None or marker.get("version") != DATA_VERSION:
        say("The bench database has no current data: run `make bench` or `python -m bench seed` first.")
        return 1
    started = time.perf_counter()
    # Every run starts from an empty cache: no entry of an earlier run (or earlier code) is measured.
    cache.clear()
    pools_reset(marker)
    cases, learner = cases_build(marker, options)
    minimal = Case('minimal view (login required, "ok")', Request(MINIMAL_PATH, learner))
    header_print(marker, options)
    server = Server()
    notes = []
    try:
        for case in [minimal, *cases]:
            if not case.error:
                probe(case)
        export = next((case for case in cases if case.is_export and not case.error), None)
        if export is not None:
            notes.append(export_memory_note(export))
        # Planned now, on this process's connection; printed after the table. Report only.
        index_use = explain.section([(case.label, case.statements) for case in [minimal, *cases]], shape)
        server.start(minimal.request)
        rss_started = server.worker_rss()
        warm_up(server, cases, minimal)
        rounds_run(server, cases, minimal, options)
        rss_finished = server.worker_rss()
    except BenchError as error:
        say(f"The bench stopped: {error}")
        return 1
    finally:
        server.stop()
        pools_reset(marker)
    say()
    say(table(cases, minimal))
    say()
    say('queries: per request, captured in process; "(n)" = how many repeat an earlier query\'s shape (N+1 suspects).')
    say("p50, p95: latency of sequential requests over loopback (one at a time, the server otherwise idle).")
    say(f"req/s: completed requests per second with {options.connections} connections on {WORKERS} workers.")
    say("× min: the page's share of the minimal view measured beside it; p50: minimal p50 / page p50,")
    say("  req/s: page req/s / minimal req/s. 0.05 means the page costs 20 times the minimal view.")
    say()
    say(rss_line("Worker RSS after start", rss_started))
    over = {pid: rss for pid, (rss, _pss) in rss_finished.items() if rss > WORKER_RSS_TARGET_MB}
    verdict = f"over the {WORKER_RSS_TARGET_MB} MB target" if over else f"within the {WORKER_RSS_TARGET_MB} MB target"
    say(rss_line("Worker RSS after the run", rss_finished) + f": {verdict}")
    if set(rss_finished) != set(rss_started):
        say("  a worker was replaced during the run (timeout or crash): see the errors above")
    say()
    for line in index_use:
        say(line)
    notes += [case.note for case in cases if case.note]
    if notes:
        say()
        say("Notes:")
        for note in notes:
            say(f"  {note}")
    say()
    failed = [case.label for case in cases if case.error]
    say(f"Measured in {time.perf_counter() - started:.0f} s." + (f" {len(failed)} page(s) failed." if failed else ""))
    return 1 if failed else 0
