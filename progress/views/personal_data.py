"""A learner's copy of their own personal data (152-FZ), as a JSON file."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from ..services import personal_data_export


def personal_data_response(*, learner, actor):
    """The export as a download named after the account and the day, recorded as made by `actor`."""
    response = HttpResponse(
        personal_data_export(learner=learner, actor=actor), content_type="application/json; charset=utf-8"
    )
    filename = f"personal-data-{learner.pk}-{timezone.localdate():%Y-%m-%d}.json"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@never_cache
@require_GET
@login_required
def my_personal_data(request):
    return personal_data_response(learner=request.user, actor=request.user)


@never_cache
@require_GET
@login_required
def personal_data_by_id(request, learner_id):
    """The same by account id: only one's own; any other id is a 404, as if it did not exist (staff export
    anyone's from the admin, Settings → Personal data)."""
    if learner_id != request.user.pk:
        raise Http404
    return personal_data_response(learner=request.user, actor=request.user)
