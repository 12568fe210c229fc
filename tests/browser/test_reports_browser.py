"""A regional coordinator logs in, lands on the region's report, sees the chart and downloads the
CSV and XLSX exports, on a phone and on a desktop."""

import csv
import io
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from axe_playwright_python.sync_playwright import Axe

from django.contrib.auth.models import Group, Permission
from django.utils import timezone

from progress import services
from progress.models import Enrolment
from progress.roles import COORDINATORS_GROUP, MENTORS_GROUP
from school.factories import BranchFactory, RegionFactory, UserFactory


pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

VIEWPORTS = {
    "phone": {
        "viewport": {"width": 360, "height": 800},
        "device_scale_factor": 2,
        "is_mobile": True,
        "has_touch": True,
    },
    "desktop": {"viewport": {"width": 1280, "height": 900}},
}
SCREENSHOTS = Path("/tmp")  # noqa: S108 - looked at by people, never kept in the repository
BLOCKING_IMPACTS = {"serious", "critical"}


def _role_group(name, codename):
    """The role group of migration 0004; a transactional test's flush removes groups, not permissions."""
    group, _created = Group.objects.get_or_create(name=name)
    group.permissions.add(Permission.objects.get(content_type__app_label="progress", codename=codename))
    return group


@pytest.fixture(params=list(VIEWPORTS))
def report_page(request, browser):
    context = browser.new_context(accept_downloads=True, **VIEWPORTS[request.param])
    page = context.new_page()
    page.viewport_name = request.param
    yield page
    context.close()


@pytest.fixture
def region_with_learners(course_tree):
    """Region 52: six learners in three branches at different points of the course, one mentor; a
    learner of region 36 whose name must not show up."""
    tree = course_tree
    region = RegionFactory(code="52", name="Нижегородская область")
    branches = [
        BranchFactory(region=region, number="12", name="Первичное отделение № 12 (с. Ивановка)"),
        BranchFactory(region=region, number="27", name="Первичное отделение № 27 (р. п. Заречный)"),
        BranchFactory(region=region, number="31", name="Первичное отделение № 31 (с. Берёзовка)"),
    ]
    names = [
        "Мария Ивановна Петрова",
        "Сергей Александрович Козлов",
        "Елена Дмитриевна Новикова",
        "Алексей Михайлович Фёдоров",
        "Наталья Юрьевна Кузнецова",
        '=HYPERLINK("http://evil.example","x")',
    ]
    learners = [
        UserFactory(username=f"learner{number}", full_name=name, branch=branches[number % 3])
        for number, name in enumerate(names)
    ]
    lessons = (tree.lesson_one, tree.lesson_two, tree.lesson_three)
    for count, learner in zip((3, 2, 1, 1, 0), learners, strict=False):
        for lesson in lessons[:count]:
            services.lesson_mark_complete(learner=learner, lesson=lesson)
    attempt = services.quiz_attempt_start(learner=learners[0], quiz=tree.quiz)
    answers = {
        str(question.pk): [str(next(choice.pk for choice in question.choices.all() if choice.is_correct))]
        for question in tree.quiz.questions.prefetch_related("choices")
    }
    services.quiz_attempt_submit(learner=learners[0], attempt_id=attempt.pk, answers=answers)
    # Learner 1 stopped at lesson two three weeks ago.
    Enrolment.objects.filter(learner=learners[1]).update(
        last_seen_at=timezone.now() - timedelta(days=21), last_page=tree.lesson_two
    )
    mentor = UserFactory(username="mentor", full_name="Татьяна Викторовна Морозова", region=region, branch=None)
    mentor.groups.add(_role_group(MENTORS_GROUP, "mentor_learners"))
    services.mentorship_assign(mentor=mentor, learner=learners[0])
    services.mentorship_assign(mentor=mentor, learner=learners[1])
    UserFactory(username="stranger", full_name="Чужой Учащийся", branch=BranchFactory(region=RegionFactory(code="36")))
    coordinator = UserFactory(username="coordinator", full_name="Игорь Павлович Соколов", region=region, branch=None)
    coordinator.groups.add(_role_group(COORDINATORS_GROUP, "view_region_reports"))
    return learners


def _log_in(page, base_url):
    page.goto(f"{base_url}/accounts/login/")
    page.fill("input[name=username]", "coordinator")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()


def _download(page, selector):
    with page.expect_download() as download_info:
        page.locator(selector).click()
    download = download_info.value
    return download.suggested_filename, Path(download.path()).read_bytes()


def test_coordinator_reads_the_report_and_downloads_the_exports(live_server, report_page, region_with_learners):
    page = report_page

    # Logging in lands on the region's report.
    _log_in(page, live_server.url)
    page.wait_for_url("**/reports/")
    assert "Нижегородская область" in page.locator(".page-head").inner_text()
    assert page.locator("[data-stat=learners]").inner_text() == "6"

    # The chart is drawn, with a bar for each module, and the page does not scroll sideways.
    chart = page.locator("figure.chart svg[role=img]")
    chart.scroll_into_view_if_needed()
    assert chart.is_visible()
    assert chart.locator(".chart__track").count() == 2
    assert chart.bounding_box()["width"] <= page.viewport_size["width"]
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"the page scrolls sideways by {overflow}px"
    assert "Чужой Учащийся" not in page.content()
    assert page.locator("#drop-off-table").inner_text().count("Наказы избирателей") == 1

    violations = [
        f"{violation['id']}: {[node['target'] for node in violation['nodes']][:3]}"
        for violation in Axe().run(page).response["violations"]
        if violation["impact"] in BLOCKING_IMPACTS
    ]
    assert violations == []
    page.screenshot(path=str(SCREENSHOTS / f"reports-{page.viewport_name}.png"), full_page=True)

    # The CSV holds the six learners, the formula-like name neutralised.
    filename, content = _download(page, "[data-export=csv]")
    assert filename.startswith("progress-52-") and filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert len(rows) == 7
    by_username = {row[1]: row for row in rows[1:]}
    assert sorted(by_username) == [f"learner{number}" for number in range(6)]
    assert by_username["learner0"][5:8] == ["4", "4", "100"]
    assert by_username["learner1"][3] == "Татьяна Викторовна Морозова"
    assert by_username["learner5"][0] == '\'=HYPERLINK("http://evil.example","x")'

    # The XLSX holds the same rows.
    filename, content = _download(page, "[data-export=xlsx]")
    assert filename.startswith("progress-52-") and filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(content), read_only=True).active
    xlsx_rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert len(xlsx_rows) == 7
    assert sorted(row[1] for row in xlsx_rows[1:]) == sorted(by_username)
    assert next(row for row in xlsx_rows if row[1] == "learner0")[5:8] == [4, 4, 100]


def test_staff_chooses_a_region(live_server, phone_page, region_with_learners):
    """Staff pick a region in the <select> and the figures follow, without any script."""
    page = phone_page
    UserFactory(username="staff-reader", is_staff=True, region=None, branch=None)
    page.goto(f"{live_server.url}/accounts/login/?next=/reports/")
    page.fill("input[name=username]", "staff-reader")
    page.fill("input[name=password]", "password")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/reports/")
    page.select_option("#report-region", "52")
    page.locator(".report-filters button[type=submit]").click()
    page.wait_for_url("**/reports/?region=52*")
    assert page.locator("[data-stat=learners]").inner_text() == "6"
    page.select_option("#report-region", "36")
    page.locator(".report-filters button[type=submit]").click()
    page.wait_for_url("**/reports/?region=36*")
    assert page.locator("[data-stat=learners]").inner_text() == "1"
    page.screenshot(path=str(SCREENSHOTS / "reports-staff-phone.png"), full_page=False)
