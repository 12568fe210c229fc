"""Measure the site's pages in-process against the bench database and print one table.

Each page is requested through Django's test client (the whole middleware stack, production
settings, HTTPS as behind the proxy): one warm-up request, one request whose SQL is captured,
then `--rounds` rounds of `--requests` requests. Every page request is paired with a request to
the minimal view (login required, returns "ok"), so "× minimal" compares the two measured side
by side: the minimal view's median time divided by the page's. A page that fails is printed as
"error <status>" and the run goes on.
"""

import argparse
import json
import math
import re
import resource
import shlex
import statistics
import subprocess
import sys
import time
import tracemalloc
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, get_resolver, reverse

from wagtail.models import Page

from bench.seed import MARKER_TABLE
from bench.urls import MINIMAL_PATH
from progress.models import LessonCompletion


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
# Looked for in this order among the URL names of the "reports" namespace.
EXPORT_HINTS = ("csv", "export", "download")


def say(message=""):
    sys.stdout.write(message + "\n")
    sys.stdout.flush()


@dataclass
class Case:
    label: str
    path: str | None
    client: object = None
    method: str = "get"
    headers: dict = field(default_factory=dict)
    is_export: bool = False
    # Requests per round, when the page is too slow for the default.
    requests: int | None = None
    # For POSTs that change data: a fresh client (another learner) per request.
    clients: list = field(default_factory=list)
    # Results
    error: str = ""
    note: str = ""
    queries: int = 0
    repeated: int = 0
    times: list = field(default_factory=list)
    minimal_times: list = field(default_factory=list)

    def next_client(self):
        return self.clients.pop(0) if self.clients else self.client


# Requests


def request(case, client):
    """One request; a streamed response is read to its end. Returns (seconds, response, bytes)."""
    started = time.perf_counter()
    call = client.post if case.method == "post" else client.get
    response = call(case.path, secure=True, headers=case.headers)
    size = sum(len(chunk) for chunk in response.streaming_content) if response.streaming else len(response.content)
    seconds = time.perf_counter() - started
    response.close()
    return seconds, response, size


def shape(statement):
    """The statement with its literals taken out, to tell the same query repeated (N+1) from others."""
    statement = re.sub(r"'(?:[^']|'')*'", "?", statement)
    statement = re.sub(r"\b\d+(\.\d+)?\b", "?", statement)
    return re.sub(r"\(\?(, \?)*\)", "(?)", statement)


def probe(case):
    """Warm up, then capture one request's queries. Returns False (with case.error) when the page fails."""
    try:
        _seconds, response, size = request(case, case.next_client())
        if response.status_code != 200:
            location = response.get("Location", "")
            case.error = f"error {response.status_code}"
            case.note = f"{case.path} answered {response.status_code}" + (f" → {location}" if location else "")
            return False
        with CaptureQueriesContext(connection) as captured:
            request(case, case.next_client())
    except Exception as error:
        case.error = "error 500"
        case.note = f"{case.path}: {type(error).__name__}: {str(error).splitlines()[0][:150] if str(error) else ''}"
        return False
    shapes = [shape(query["sql"]) for query in captured.captured_queries]
    case.queries = len(shapes)
    case.repeated = len(shapes) - len(set(shapes))
    if case.is_export:
        content_type = response.get("Content-Type", "")
        if "csv" not in content_type:
            case.note = f"{case.path}: Content-Type {content_type!r}, not CSV"
    return True


def measure_export_memory(case):
    """Bytes streamed, and how much the Python heap grew at most while streaming one export."""
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    baseline = tracemalloc.get_traced_memory()[0]
    tracemalloc.reset_peak()
    _seconds, response, size = request(case, case.client)
    peak = tracemalloc.get_traced_memory()[1] - baseline
    tracemalloc.stop()
    rss_growth = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - rss_before
    kind = "streamed" if response.streaming else "NOT streamed (whole body built in memory)"
    case.note = (
        f"{case.label}: {size / 1024:,.0f} KB {kind}; Python heap peak growth {peak / 1024 / 1024:.1f} MB, "
        f"max RSS growth {rss_growth / 1024:.1f} MB"
    ) + (f"; {case.note}" if case.note else "")


def rounds_run(cases, minimal, *, rounds, requests):
    for round_number in range(1, rounds + 1):
        started = time.perf_counter()
        for case in cases:
            if case.error:
                continue
            for _request in range(case.requests or requests):
                seconds, _response, _size = request(minimal, minimal.client)
                case.minimal_times.append(seconds)
                minimal.times.append(seconds)
                try:
                    seconds, response, _size = request(case, case.next_client())
                except Exception as error:
                    case.error, case.note = "error 500", f"{case.path}: {type(error).__name__} after warm-up"
                    break
                if response.status_code != 200:
                    case.error, case.note = f"error {response.status_code}", f"{case.path}: failed after warm-up"
                    break
                case.times.append(seconds)
        say(f"  round {round_number}/{rounds}: {time.perf_counter() - started:.1f} s")


# Results


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def table(cases, minimal):
    header = ("page", "queries", "p50 ms", "p90 ms", "× minimal")
    rows = [header]
    for case in [minimal, *cases]:
        if case.error or not case.times:
            rows.append((case.label, "", case.error or "no data", "", ""))
            continue
        p50 = statistics.median(case.times)
        ratio = "1" if case is minimal else f"{statistics.median(case.minimal_times) / p50:.3f}"
        queries = f"{case.queries} ({case.repeated})" if case.repeated else str(case.queries)
        rows.append(
            (case.label, queries, f"{p50 * 1000:.1f}", f"{percentile(case.times, 0.9) * 1000:.1f}", ratio),
        )
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        cells = [row[0].ljust(widths[0]), *(cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True))]
        lines.append(" | ".join(cells))
        if number == 0:
            lines.append("-+-".join("-" * width for width in widths))
    return "\n".join(lines)


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


def reports_export_path():
    """The coordinators' export, found by URL name in the "reports" namespace (None while there is none)."""
    namespace = get_resolver().namespace_dict.get("reports")
    if namespace is None:
        return None
    _prefix, resolver = namespace
    names = [name for name in resolver.reverse_dict if isinstance(name, str)]
    for hint in EXPORT_HINTS:
        for name in names:
            if hint in name:
                try:
                    return reverse(f"reports:{name}")
                except NoReverseMatch:
                    continue
    return None


def logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def cases_build(marker, options, *, requests_total):
    users = get_user_model().objects.in_bulk(
        [marker["learner_id"], marker["mentor_id"], marker["coordinator_id"], marker["admin_id"]]
    )
    learner = logged_in(users[marker["learner_id"]])
    mentor = logged_in(users[marker["mentor_id"]])
    coordinator = logged_in(users[marker["coordinator_id"]])
    admin = logged_in(users[marker["admin_id"]])
    pages = Page.objects.in_bulk([marker["course_id"], marker["module_id"], marker["lesson_id"], marker["quiz_id"]])
    export_path = options.reports_export or reports_export_path()
    export_requests = max(1, options.requests // 5)
    cases = [
        Case("home, anonymous", "/", Client()),
        Case("course page, learner", pages[marker["course_id"]].url, learner),
        Case("module page, learner", pages[marker["module_id"]].url, learner),
        Case("lesson page, learner", pages[marker["lesson_id"]].url, learner),
        Case("quiz page, learner", pages[marker["quiz_id"]].url, learner),
        Case("search ?query=наказ, learner", "/search/?query=наказ", learner),
        Case("/my/, learner", reverse("progress:dashboard"), learner),
        Case("/mentor/, 200 mentees", reverse("mentor:mentees"), mentor),
        Case("/mentor/<id>/, one mentee", reverse("mentor:mentee", args=[marker["learner_id"]]), mentor),
        Case(f"/reports/, region of {marker['coordinator_region_learners']:,}", reverse("reports:index"), coordinator),
        Case("/reports/ CSV export, whole", export_path, coordinator, is_export=True, requests=export_requests),
        Case("admin: enrolments", reverse("enrolment:index"), admin),
        Case("admin: lesson completions", reverse("lessoncompletion:index"), admin),
        Case("admin: quiz attempts", reverse("quizattempt:index"), admin),
    ]
    post = Case(
        "mark a lesson done (POST, JSON)",
        reverse("progress:lesson_complete", args=[marker["post_lesson_id"]]),
        method="post",
        headers={"Accept": "application/json"},
    )
    # Each request marks the lesson as another learner of the pool, so every one creates a row.
    pool = get_user_model().objects.in_bulk(marker["post_learner_ids"][:requests_total])
    post.clients = [logged_in(pool[pk]) for pk in marker["post_learner_ids"][:requests_total]]
    post.client = post.clients[-1] if post.clients else learner
    if requests_total > len(marker["post_learner_ids"]):
        post.note = f"{post.label}: more requests than pool learners; the last ones found the lesson done already"
    cases.append(post)
    for case in cases:
        if case.path is None:
            case.error = "n/a"
            case.note = f"{case.label}: no export URL in the reports namespace yet (--reports-export PATH names one)"
    return cases, learner


def pool_reset(marker):
    """Undo what the POSTs did, so every run starts from the same data."""
    LessonCompletion.objects.filter(
        learner_id__in=marker["post_learner_ids"], lesson_id=marker["post_lesson_id"]
    ).delete()


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m bench run", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="rounds over all pages (default 3)")
    parser.add_argument("--requests", type=int, default=10, help="requests per page per round (default 10)")
    parser.add_argument("--reports-export", metavar="PATH", help="URL of the coordinators' CSV export")
    options = parser.parse_args(argv)
    marker = marker_load()
    if marker is None:
        say("The bench database has no data yet: run `make bench` or `python -m bench seed` first.")
        return 1
    started = time.perf_counter()
    pool_reset(marker)
    cases, learner = cases_build(marker, options, requests_total=2 + options.rounds * options.requests)
    minimal = Case('minimal view (login required, "ok")', MINIMAL_PATH, learner)
    counts, size = data_sizes()
    run_args = ["--rounds", str(options.rounds), "--requests", str(options.requests)]
    if options.reports_export:
        run_args += ["--reports-export", options.reports_export]
    run_args = shlex.join(run_args)
    say(f"Command: python -m bench seed --scale {marker['scale']} && python -m bench run {run_args}")
    say(f"Commit: {git_commit()}; data seeded {marker['seeded_at']} in {marker['seconds']} s")
    say("Data: " + ", ".join(f"{label} {count:,}" for label, count in counts.items()) + f"; {size / 2**30:.2f} GB")
    say(
        f"  learners {marker['learners']:,}, mentors {marker['mentors']:,} (measured one: 200 mentees), "
        f"coordinator's region {marker['coordinator_region_learners']:,} learners"
    )
    say(f"Settings: {settings.SETTINGS_MODULE}, DEBUG={settings.DEBUG}, cache {settings.CACHES['default']['BACKEND']}")
    say()
    try:
        probe(minimal)
        for case in cases:
            if not case.error:
                probe(case)
        rounds_run(cases, minimal, rounds=options.rounds, requests=options.requests)
        for case in cases:
            if case.is_export and not case.error:
                measure_export_memory(case)
    finally:
        pool_reset(marker)
    say()
    say(table(cases, minimal))
    say()
    say('queries: per request, "(n)" = how many repeat an earlier query\'s shape (N+1 suspects).')
    say("× minimal: minimal view's median time / the page's median time, the pairs measured side by side;")
    say("  it is the page's throughput as a share of the cheapest signed-in page on the same machine.")
    notes = [case.note for case in cases if case.note]
    if notes:
        say()
        say("Notes:")
        for note in notes:
            say(f"  {note}")
    say()
    say(f"Measured in {time.perf_counter() - started:.0f} s.")
    return 0
