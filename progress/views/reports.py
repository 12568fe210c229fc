"""Regional coordinators' reports: completion figures of a region, by branch and by module, and the
per-learner exports. Staff read any region; a coordinator only their own (another region is a 404)."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..exports import csv_streaming_response, xlsx_response
from ..roles import reads_reports, report_regions, role_required
from ..selectors import region_learner_figures, region_report, report_courses


reports_required = role_required(reads_reports)


@dataclass
class ReportScope:
    """The region and course a request asks for, among those the user may read."""

    regions: list
    region: object
    courses: list
    course: object

    def query(self):
        """The query string that names this scope, for the export links."""
        params = {}
        if self.region is not None:
            params["region"] = self.region.code
        if self.course is not None:
            params["course"] = self.course.pk
        return urlencode(params)


def _report_scope(request):
    """Region by code (?region=), course by id (?course=); the defaults are the user's own region (else
    the first) and the first live course. A region or course the user may not read is a 404."""
    regions = list(report_regions(request.user))
    code = request.GET.get("region")
    if code:
        region = next((region for region in regions if region.code == code), None)
        if region is None:
            raise Http404(_("No such region among those you can read."))
    else:
        region = next((region for region in regions if region.pk == request.user.region_id), None)
        region = region or (regions[0] if regions else None)
    courses = report_courses()
    course_id = request.GET.get("course")
    if course_id:
        course = next((course for course in courses if str(course.pk) == course_id), None)
        if course is None:
            raise Http404(_("No such course."))
    else:
        course = courses[0] if courses else None
    return ReportScope(regions=regions, region=region, courses=courses, course=course)


BRANCHES_PER_PAGE = 50

# The bar chart: a viewBox 360 units wide, so that at a phone's width one unit is about one pixel.
CHART_WIDTH = 360
CHART_ROW = 46  # label line, bar, gap
CHART_BAR = 16
CHART_LABEL_CHARS = 34


@dataclass
class ChartBar:
    label: str
    short_label: str
    percent: int
    title: str
    label_y: int
    bar_y: int
    width: int


def module_chart(report):
    """Geometry of a horizontal bar chart of module completion (% of enrolled learners), drawn as SVG."""
    bars = []
    for number, module in enumerate(report.modules, start=1):
        label = f"{number}. {module.page.title}"
        top = (number - 1) * CHART_ROW
        bars.append(
            ChartBar(
                label=label,
                short_label=Truncator(label).chars(CHART_LABEL_CHARS),
                percent=module.percent,
                title=_("%(module)s: %(percent)s%% (%(completed)s of %(enrolled)s)")
                % {
                    "module": label,
                    "percent": module.percent,
                    "completed": module.completed,
                    "enrolled": module.enrolled,
                },
                label_y=top + 16,
                bar_y=top + 22,
                width=round(CHART_WIDTH * module.percent / 100),
            )
        )
    return {"width": CHART_WIDTH, "height": max(len(bars) * CHART_ROW - 8, 0), "bar_height": CHART_BAR, "bars": bars}


@never_cache
@require_GET
@reports_required
def reports_index(request):
    scope = _report_scope(request)
    context = {"scope": scope, "report": None}
    if scope.region is not None and scope.course is not None:
        report = region_report(reader=request.user, region=scope.region, course=scope.course)
        context.update(
            report=report,
            chart=module_chart(report),
            # A region may have thousands of branches: the table shows them a page at a time.
            branch_page=Paginator(report.branches, BRANCHES_PER_PAGE).get_page(request.GET.get("branches")),
            scope_query=scope.query(),
        )
    return TemplateResponse(request, "progress/reports/index.html", context)


def _export_scope(request):
    scope = _report_scope(request)
    if scope.region is None or scope.course is None:
        raise Http404(_("There is nothing to export."))
    return scope


def _export_header():
    return [
        _("Name"),
        _("Username"),
        _("Branch"),
        _("Mentor"),
        _("Enrolled at"),
        _("Items done"),
        _("Required items"),
        _("Progress, %"),
        _("Completed at"),
        _("Last activity"),
    ]


def _export_rows(request, scope):
    for learner in region_learner_figures(reader=request.user, region=scope.region, course=scope.course):
        yield [
            learner.name,
            learner.username,
            learner.branch,
            learner.mentor,
            learner.enrolled_at,
            learner.done,
            learner.required,
            learner.percent,
            learner.completed_at,
            learner.last_activity_at,
        ]


def _export_filename(scope, extension):
    today = timezone.localdate().isoformat()
    return f"progress-{scope.region.code}-{scope.course.slug}-{today}.{extension}"


@never_cache
@require_GET
@reports_required
def reports_export_csv(request):
    """Every learner of the region with their figures, streamed: memory stays flat for any region."""
    scope = _export_scope(request)
    return csv_streaming_response(
        filename=_export_filename(scope, "csv"), header=_export_header(), rows=_export_rows(request, scope)
    )


@never_cache
@require_GET
@reports_required
def reports_export_xlsx(request):
    """The same rows as the CSV, as an Excel workbook built in constant memory."""
    scope = _export_scope(request)
    return xlsx_response(
        filename=_export_filename(scope, "xlsx"),
        sheet_title=_("Progress"),
        header=_export_header(),
        rows=_export_rows(request, scope),
    )
