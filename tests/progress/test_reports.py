"""Regional reports at /reports/: figures for a small known data set, who may read which region,
the CSV and XLSX exports, the chart, and a query count that stays flat as a region grows."""

import csv
import io
import re
from datetime import timedelta
from types import SimpleNamespace

import openpyxl
import pytest

from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from courses.factories import CoursePageFactory, LessonPageFactory, ModulePageFactory
from progress import services
from progress.models import Enrolment
from progress.roles import COORDINATORS_GROUP, MENTORS_GROUP
from progress.selectors import (
    RequiredItems,
    course_progress_for_learner,
    done_counts_by_module,
    region_learners,
    region_report,
)
from progress.selectors.reports import branch_label
from school.factories import BranchFactory, RegionFactory, UserFactory


pytestmark = pytest.mark.django_db

INDEX = reverse("reports:index")
CSV_URL = reverse("reports:export_csv")
XLSX_URL = reverse("reports:export_xlsx")
FORMULA_NAME = '=HYPERLINK("http://evil.example","click")'
# User (1; the session, the site and the permission set come from the cache), regions (1), live courses
# (1), outline (3), learners (1), enrolments (1), done counts (2), branches (1), mentors (1), titles of
# unpublished pages where learners stopped (0 or 1).
INDEX_QUERY_LIMIT = 13
# User (1), regions (1), live courses (1), outline (3), learners (1), and per chunk of 1,000 learners:
# enrolments (1), done counts (2), mentors (1).
EXPORT_QUERY_LIMIT = 11


def complete(learner, *lessons):
    for lesson in lessons:
        services.lesson_mark_complete(learner=learner, lesson=lesson)


def pass_quiz(learner, quiz):
    attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {
        str(question.pk): [str(next(choice.pk for choice in question.choices.all() if choice.is_correct))]
        for question in quiz.questions.prefetch_related("choices")
    }
    return services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


def last_seen(learner, course, *, days_ago, page):
    Enrolment.objects.filter(learner=learner, course=course).update(
        last_seen_at=timezone.now() - timedelta(days=days_ago), last_page=page
    )


def make_coordinator(region, username="coordinator"):
    user = UserFactory(username=username, full_name="Игорь Координатор", region=region, branch=None)
    user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    return user


def make_mentor(region, username="mentor"):
    user = UserFactory(username=username, full_name="Татьяна Наставница", region=region, branch=None)
    user.groups.add(Group.objects.get(name=MENTORS_GROUP))
    return user


def read_csv(response):
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def read_xlsx(response):
    workbook = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = [list(row) for row in workbook.active.iter_rows(values_only=True)]
    # A read-only sheet leaves out empty cells at the end of a row.
    return [row + [None] * (len(rows[0]) - len(row)) for row in rows]


def ru(text_of):
    """A label as the Russian site shows it, whatever the catalogue says today."""
    with translation.override("ru"):
        return str(text_of())


def branch_3_label():
    return ru(lambda: branch_label(number="3", name=""))


def local(value):
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@pytest.fixture
def region_data(course_tree):
    """Region 52 with two branches and four learners, a mentor and a coordinator; region 36 with one learner.

    anna (branch 12): every item done, 100%, both modules complete, mentored.
    boris (branch 12): lesson three done, 25%, module two complete, mentored, last seen 20 days ago.
    vera (branch 3): enrolled, nothing done, last seen 30 days ago.
    gleb (branch 3): never enrolled; his full name looks like a formula.
    """
    tree = course_tree
    region = RegionFactory(code="52", name="Нижегородская область")
    other_region = RegionFactory(code="36", name="Воронежская область")
    branch_12 = BranchFactory(region=region, number="12", name="Первичное отделение № 12")
    branch_3 = BranchFactory(region=region, number="3", name="")
    anna = UserFactory(username="anna", full_name="Анна Первая", branch=branch_12)
    boris = UserFactory(username="boris", full_name="Борис Второй", branch=branch_12)
    vera = UserFactory(username="vera", full_name="Вера Третья", branch=branch_3)
    gleb = UserFactory(username="gleb", full_name=FORMULA_NAME, branch=branch_3)
    stranger = UserFactory(
        username="stranger", full_name="Чужой Учащийся", branch=BranchFactory(region=other_region, number="7")
    )
    complete(anna, tree.lesson_one, tree.lesson_two, tree.lesson_three)
    pass_quiz(anna, tree.quiz)
    complete(boris, tree.lesson_three)
    last_seen(boris, tree.course, days_ago=20, page=tree.lesson_two)
    services.enrolment_start(learner=vera, course=tree.course)
    last_seen(vera, tree.course, days_ago=30, page=tree.lesson_two)
    complete(stranger, tree.lesson_one)
    mentor = make_mentor(region)
    for mentee in (anna, boris, stranger):
        services.mentorship_assign(mentor=mentor, learner=mentee)
    coordinator = make_coordinator(region)
    staff = UserFactory(username="staff", is_staff=True, region=None, branch=None)
    return SimpleNamespace(
        tree=tree,
        region=region,
        other_region=other_region,
        anna=anna,
        boris=boris,
        vera=vera,
        gleb=gleb,
        stranger=stranger,
        mentor=mentor,
        coordinator=coordinator,
        staff=staff,
    )


@pytest.fixture
def coordinator_client(client, region_data):
    client.force_login(region_data.coordinator)
    return client


def stat(html, name):
    return re.search(rf'data-stat="{name}">([^<]*)<', html).group(1)


class ReportFiguresTests:
    def test_summary_figures(self, region_data):
        """4 learners (not the mentor or coordinator), 3 enrolled, 2 started, 1 completed, average
        (100+25+0)/3 → 41%."""
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        totals = report.totals
        assert (totals.learners, totals.enrolled, totals.started, totals.completed) == (4, 3, 2, 1)
        assert totals.average_percent == 41

    def test_by_branch_in_number_order(self, region_data):
        """Branch 3 comes before branch 12; branch 12 averages (100+25)/2 → 62%, branch 3 has one enrolled at 0%."""
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        rows = [
            (
                branch.label,
                branch.tally.learners,
                branch.tally.enrolled,
                branch.tally.completed,
                branch.tally.average_percent,
            )
            for branch in report.branches
        ]
        assert rows == [(branch_3_label(), 2, 1, 0, 0), ("Первичное отделение № 12", 2, 2, 1, 62)]

    def test_by_module(self, region_data):
        """Module one (3 required) is complete for anna only: 1 of 3 enrolled, 33%; module two for anna
        and boris: 66%."""
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        rows = [(module.page.title, module.required, module.completed, module.percent) for module in report.modules]
        assert rows == [("Работа с обращениями", 3, 1, 33), ("Создание ТОС", 1, 2, 66)]

    def test_drop_offs(self, region_data):
        """boris (20 days) and vera (30 days) stopped at lesson two; anna completed, gleb never enrolled."""
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        assert report.dropped_off == 2
        assert [(drop.title, drop.learners) for drop in report.drop_offs] == [("Наказы избирателей", 2)]

    def test_recently_active_learner_has_not_dropped_off(self, region_data):
        """A learner last seen 6 days ago has not dropped off (a week without activity is stalling);
        one who stopped at a lesson since unpublished is still reported there."""
        tree = region_data.tree
        last_seen(region_data.vera, tree.course, days_ago=6, page=tree.lesson_two)
        last_seen(region_data.boris, tree.course, days_ago=8, page=tree.lesson_one)
        tree.lesson_one.unpublish()
        report = region_report(reader=region_data.coordinator, region=region_data.region, course=tree.course)
        assert report.dropped_off == 1
        assert [(drop.title, drop.learners) for drop in report.drop_offs] == [("Приём граждан", 1)]

    def test_mentor_coverage(self, region_data):
        """The mentor has 2 mentees in this region (the third is in another); 2 of 4 learners have none (50%)."""
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        assert [(mentor.name, mentor.mentees) for mentor in report.mentors] == [("Татьяна Наставница", 2)]
        assert (report.without_mentor, report.without_mentor_percent) == (2, 50)

    def test_learner_without_branch_has_a_row(self, region_data):
        """A learner of the region with no branch is counted under "No branch", after the branches."""
        UserFactory(username="nobranch", region=region_data.region, branch=None)
        report = region_report(
            reader=region_data.coordinator, region=region_data.region, course=region_data.tree.course
        )
        assert report.totals.learners == 5
        no_branch = ru(lambda: branch_label(number=None, name=""))
        assert (report.branches[-1].label, report.branches[-1].tally.learners) == (no_branch, 1)

    def test_page_shows_the_figures(self, coordinator_client, region_data):
        """The page shows the summary, the branch and module tables, drop-offs and the mentor's load."""
        response = coordinator_client.get(INDEX)
        assert response.status_code == 200
        html = response.content.decode()
        assert [stat(html, name) for name in ("learners", "enrolled", "started", "completed", "average")] == [
            "4",
            "3",
            "2",
            "1",
            "41%",
        ]
        assert "Нижегородская область" in html
        assert "Первичное отделение № 12" in html
        assert "Наказы избирателей" in html
        assert "Татьяна Наставница" in html
        assert 'id="report-region"' not in html  # a coordinator has one region: nothing to choose


class ReportDefinitionTests:
    def test_bulk_done_counts_match_course_progress(self, course_tree):
        """done_counts_by_module agrees with course_progress_for_learner, with an optional lesson, an
        unpublished completed lesson and a quiz passed twice."""
        tree = course_tree
        region = RegionFactory(code="77")
        learners = [
            UserFactory(username=f"learner{number}", branch=BranchFactory(region=region)) for number in range(4)
        ]
        complete(learners[0], tree.lesson_one, tree.lesson_two, tree.lesson_three)
        pass_quiz(learners[0], tree.quiz)
        complete(learners[1], tree.lesson_two)
        pass_quiz(learners[1], tree.quiz)
        pass_quiz(learners[1], tree.quiz)
        complete(learners[2], tree.lesson_one, tree.lesson_three)
        tree.lesson_two.is_required = False
        tree.lesson_two.save_revision().publish()
        tree.lesson_one.unpublish()
        outline_required = RequiredItems.of(
            region_report(reader=UserFactory(is_staff=True), region=region, course=tree.course).outline
        )
        counts = done_counts_by_module(learners=[learner.pk for learner in learners], required=outline_required)
        for learner in learners:
            progress = course_progress_for_learner(learner=learner, course=tree.course)
            done = counts.get(learner.pk, {})
            assert sum(done.values()) == progress.done
            assert outline_required.total == progress.required
            for module in progress.modules:
                assert done.get(module.page.pk, 0) == module.done

    def test_region_learners_leave_out_roles_and_other_regions(self, region_data):
        """Mentors, coordinators, staff and another region's learners are not learners of the region."""
        learners = region_learners(reader=region_data.coordinator, region=region_data.region)
        assert sorted(learners.values_list("username", flat=True)) == ["anna", "boris", "gleb", "vera"]

    def test_a_reader_gets_no_learners_of_a_region_not_theirs(self, region_data):
        """Scoping starts from the reader: asking for another region's learners gives none."""
        assert not region_learners(reader=region_data.coordinator, region=region_data.other_region).exists()


class ReportAccessTests:
    def test_anonymous_visitor_is_sent_to_log_in(self, client, region_data):
        """A visitor is redirected to the login page, for the page and for the exports."""
        for url in (INDEX, CSV_URL, XLSX_URL):
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    def test_learner_is_forbidden(self, client, region_data):
        """A learner gets 403."""
        client.force_login(region_data.anna)
        for url in (INDEX, CSV_URL, XLSX_URL):
            assert client.get(url).status_code == 403

    def test_mentor_is_forbidden(self, client, region_data):
        """A mentor without the reports permission gets 403."""
        client.force_login(region_data.mentor)
        for url in (INDEX, CSV_URL, XLSX_URL):
            assert client.get(url).status_code == 403

    def test_coordinator_sees_only_their_region(self, coordinator_client, region_data):
        """Another region's learner never appears, on the page or in the exports."""
        html = coordinator_client.get(INDEX).content.decode()
        csv_text = b"".join(coordinator_client.get(CSV_URL).streaming_content).decode()
        for text in (html, csv_text):
            assert "Чужой Учащийся" not in text
            assert "Воронежская" not in text
        assert "stranger" not in csv_text

    def test_coordinator_asking_for_another_region_gets_404(self, coordinator_client, region_data):
        """?region=36 (not theirs) or an unknown code is a 404, for the page and the exports."""
        for url in (INDEX, CSV_URL, XLSX_URL):
            assert coordinator_client.get(url, {"region": "36"}).status_code == 404
            assert coordinator_client.get(url, {"region": "XX"}).status_code == 404
        assert coordinator_client.get(INDEX, {"region": "52"}).status_code == 200

    def test_coordinator_without_a_region_gets_a_message(self, client, region_data):
        """A coordinator with no region sees a clear message, not an error; the exports are 404."""
        coordinator = make_coordinator(None, username="lost-coordinator")
        client.force_login(coordinator)
        response = client.get(INDEX)
        assert response.status_code == 200
        assert "data-no-region" in response.content.decode()
        assert client.get(CSV_URL).status_code == 404

    def test_staff_can_choose_a_region(self, client, region_data):
        """Staff see a region <select> and read any region's figures."""
        client.force_login(region_data.staff)
        html = client.get(INDEX).content.decode()
        assert 'id="report-region"' in html
        assert '<option value="36"' in html
        assert stat(html, "learners") == "1"  # the first region by name, Воронежская: the stranger
        html = client.get(INDEX, {"region": "52"}).content.decode()
        assert stat(html, "learners") == "4"
        assert '<option value="52" selected>' in html

    def test_staff_default_is_their_own_region(self, client, region_data):
        """A staff user with a region starts at it."""
        region_data.staff.region = region_data.region
        region_data.staff.save()
        client.force_login(region_data.staff)
        assert stat(client.get(INDEX).content.decode(), "learners") == "4"

    def test_unknown_course_is_404(self, coordinator_client, region_data):
        """A course id that is not a live course, or not a number, is a 404."""
        assert coordinator_client.get(INDEX, {"course": "999999"}).status_code == 404
        assert coordinator_client.get(INDEX, {"course": "abc"}).status_code == 404

    def test_several_courses_are_reported_one_at_a_time(self, coordinator_client, region_data):
        """With two live courses a course <select> appears, and ?course= shows the other course."""
        tree = region_data.tree
        second = CoursePageFactory(parent=tree.course_index, title="Второй курс", slug="second")
        module = ModulePageFactory(parent=second, title="Модуль второго курса", slug="second-module")
        lesson = LessonPageFactory(parent=module, title="Урок второго курса", slug="second-lesson")
        complete(region_data.vera, lesson)
        html = coordinator_client.get(INDEX).content.decode()
        assert 'id="report-course"' in html
        html = coordinator_client.get(INDEX, {"course": second.pk}).content.decode()
        assert "Модуль второго курса" in html
        assert [stat(html, name) for name in ("enrolled", "completed", "average")] == ["1", "1", "100%"]


class ReportBranchPagesTests:
    def test_branch_table_is_paged(self, coordinator_client, region_data, monkeypatch):
        """With more branches than a page holds, the table shows a page and links to the next, keeping the region."""
        from progress.views import reports as report_views

        monkeypatch.setattr(report_views, "BRANCHES_PER_PAGE", 1)
        html = coordinator_client.get(INDEX).content.decode()
        assert branch_3_label() in html
        assert "Первичное отделение № 12" not in html.split('id="branches-table"')[1].split("</table>")[0]
        assert "region=52&amp;course=" in html and "branches=2#branches-title" in html
        html = coordinator_client.get(INDEX, {"branches": "2"}).content.decode()
        assert "Первичное отделение № 12" in html.split('id="branches-table"')[1].split("</table>")[0]
        assert coordinator_client.get(INDEX, {"branches": "junk"}).status_code == 200


class ReportChartTests:
    def test_chart_is_inline_svg_with_a_title_and_a_table(self, coordinator_client, region_data):
        """The module chart is inline SVG (role img, title, one bar per module) with a table of the same figures."""
        html = coordinator_client.get(INDEX).content.decode()
        svg = re.search(r"<svg.*?</svg>", html, re.DOTALL).group(0)
        assert 'role="img"' in svg
        assert 'viewBox="0 0 360 84"' in svg
        assert '<title id="module-chart-title">' in svg
        assert svg.count('class="chart__bar"') == 2
        assert "1. Работа с обращениями" in svg
        assert 'width="119"' in svg  # 33% of 360, rounded
        assert 'id="modules-table"' in html
        assert "<script" not in svg


class ReportExportTests:
    def expected_rows(self, data):
        tree = data.tree
        enrolments = {enrolment.learner_id: enrolment for enrolment in Enrolment.objects.filter(course=tree.course)}
        anna, boris, vera = (enrolments[learner.pk] for learner in (data.anna, data.boris, data.vera))
        return [
            # Sorted by full name: "=HYPERLINK" sorts before the Cyrillic names.
            ["'" + FORMULA_NAME, "gleb", branch_3_label(), "", "", "0", "4", "0", "", ""],
            [
                "Анна Первая",
                "anna",
                "Первичное отделение № 12",
                "Татьяна Наставница",
                local(anna.started_at),
                "4",
                "4",
                "100",
                local(anna.completed_at),
                local(anna.started_at),
            ],
            [
                "Борис Второй",
                "boris",
                "Первичное отделение № 12",
                "Татьяна Наставница",
                local(boris.started_at),
                "1",
                "4",
                "25",
                "",
                local(boris.last_seen_at),
            ],
            [
                "Вера Третья",
                "vera",
                branch_3_label(),
                "",
                local(vera.started_at),
                "0",
                "4",
                "0",
                "",
                local(vera.last_seen_at),
            ],
        ]

    def test_csv_rows(self, coordinator_client, region_data):
        """The CSV is streamed, has a header and one row per learner of the region, formula-like names neutralised."""
        response = coordinator_client.get(CSV_URL)
        assert response.status_code == 200
        assert response.streaming
        assert response["Content-Type"].startswith("text/csv")
        assert 'filename="progress-52-secretary-' in response["Content-Disposition"]
        rows = read_csv(response)
        assert rows[0][:2] == [ru(lambda: _("Name")), ru(lambda: _("Username"))]
        assert len(rows[0]) == 10
        assert rows[1:] == self.expected_rows(region_data)

    def test_xlsx_rows(self, coordinator_client, region_data):
        """The XLSX opens with openpyxl and holds the same rows, numbers as numbers."""
        response = coordinator_client.get(XLSX_URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        assert 'filename="progress-52-secretary-' in response["Content-Disposition"]
        rows = read_xlsx(response)
        assert len(rows[0]) == 10
        as_text = [
            [
                "" if cell is None else cell.strftime("%Y-%m-%d %H:%M") if hasattr(cell, "strftime") else str(cell)
                for cell in row
            ]
            for row in rows[1:]
        ]
        assert as_text == self.expected_rows(region_data)
        assert rows[2][5:8] == [4, 4, 100]
        assert rows[1][0] == "'" + FORMULA_NAME

    def test_csv_is_read_in_chunks(self, coordinator_client, region_data, monkeypatch):
        """With chunks of two learners the CSV still holds every learner once, in the same order."""
        from progress.selectors import reports

        monkeypatch.setattr(reports, "EXPORT_CHUNK_SIZE", 2)
        monkeypatch.setattr(reports.region_learner_figures, "__kwdefaults__", {"chunk_size": 2})
        rows = read_csv(coordinator_client.get(CSV_URL))
        assert rows[1:] == self.expected_rows(region_data)


def add_learners(region, course_tree, count, offset):
    """`count` more learners of the region with some progress, a mentor for every other one."""
    tree = course_tree
    mentor = make_mentor(region, username=f"mentor-{offset}")
    for number in range(count):
        learner = UserFactory(username=f"bulk{offset + number}", branch=BranchFactory(region=region))
        complete(learner, tree.lesson_one)
        if number % 3 == 0:
            pass_quiz(learner, tree.quiz)
        last_seen(learner, tree.course, days_ago=number * 5, page=tree.lesson_two)
        if number % 2 == 0:
            services.mentorship_assign(mentor=mentor, learner=learner)


class ReportQueryCountTests:
    """The page and the exports cost the same number of queries for 2 learners as for 15."""

    @pytest.mark.parametrize("learners", [2, 15])
    def test_index_query_count_is_flat(self, client, course_tree, django_assert_max_num_queries, learners):
        region = RegionFactory(code="52")
        add_learners(region, course_tree, learners, offset=0)
        client.force_login(make_coordinator(region))
        client.get(INDEX)  # the first page a user sees creates their site settings and user profile
        with django_assert_max_num_queries(INDEX_QUERY_LIMIT):
            response = client.get(INDEX)
        assert stat(response.content.decode(), "learners") == str(learners)

    @pytest.mark.parametrize("learners", [2, 15])
    def test_export_query_count_is_flat(self, client, course_tree, django_assert_max_num_queries, learners):
        region = RegionFactory(code="52")
        add_learners(region, course_tree, learners, offset=0)
        client.force_login(make_coordinator(region))
        read_csv(client.get(CSV_URL))  # the site and the outline then come from the shared cache
        with django_assert_max_num_queries(EXPORT_QUERY_LIMIT):
            rows = read_csv(client.get(CSV_URL))
        assert len(rows) == learners + 1
        with django_assert_max_num_queries(EXPORT_QUERY_LIMIT):
            rows = read_xlsx(client.get(XLSX_URL))
        assert len(rows) == learners + 1
