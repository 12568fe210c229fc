"""Who may use which site view. The groups and their permissions come from migration 0004_roles;
views ask these functions, never group names."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from school.models import Region


MENTORS_GROUP = "Mentors"
COORDINATORS_GROUP = "Regional coordinators"
MENTOR_PERMISSION = "progress.mentor_learners"
REPORTS_PERMISSION = "progress.view_region_reports"


def is_mentor(user):
    return user.is_authenticated and user.is_active and user.has_perm(MENTOR_PERMISSION)


def sees_every_region(user):
    """Staff read any region's figures; a coordinator only their own."""
    return user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser)


def report_regions(user):
    """The regions whose reports the user may open (a queryset, empty when none)."""
    if sees_every_region(user):
        return Region.objects.all()
    if user.is_authenticated and user.is_active and user.region_id and user.has_perm(REPORTS_PERMISSION):
        return Region.objects.filter(pk=user.region_id)
    return Region.objects.none()


def reads_reports(user):
    return sees_every_region(user) or (user.is_authenticated and user.has_perm(REPORTS_PERMISSION))


def landing_url(user):
    """Where a user lands after logging in: the page of their role, else their own learning."""
    if user.has_perm(REPORTS_PERMISSION) and not user.is_superuser:
        return reverse("reports:index")
    if is_mentor(user) and not user.is_superuser:
        return reverse("mentor:mentees")
    if user.is_staff:
        return reverse("wagtailadmin_home")
    return reverse("progress:dashboard")


def role_required(test):
    """A view for users who pass `test` (is_mentor, reads_reports): anyone else signed in gets 403,
    a visitor the login page."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not test(request.user):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
