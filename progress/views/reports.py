"""Regional coordinators' reports: completion figures of a region, by branch and by module."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..roles import reads_reports


@never_cache
@require_GET
@login_required
def reports_index(request):
    if not reads_reports(request.user):
        raise PermissionDenied
    return HttpResponse("reports")
