"""What a mentor sees and does: the mentees table, one mentee in detail, notes, extra attempts."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from ..roles import is_mentor


def mentor_required(view):
    """Mentors only: anyone else signed in gets 403, a visitor the login page."""

    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_mentor(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


@never_cache
@require_GET
@mentor_required
def mentees(request):
    return HttpResponse("mentees")


@never_cache
@require_GET
@mentor_required
def mentee_detail(request, learner_id):
    return HttpResponse("mentee")


@never_cache
@require_POST
@mentor_required
def mentee_note_add(request, learner_id):
    return HttpResponse("note")


@never_cache
@require_POST
@mentor_required
def mentee_extra_attempt(request, learner_id):
    return HttpResponse("grant")
