from django.contrib.auth.mixins import LoginRequiredMixin
from django.contrib.messages.views import SuccessMessageMixin
from django.db import DatabaseError, connection
from django.http import JsonResponse
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django.views.generic import UpdateView

from .forms import ProfileForm
from .models import User


@never_cache
@require_GET
def healthz(request):
    """200 while the database answers, 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        return JsonResponse({"status": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@method_decorator(never_cache, name="dispatch")
class ProfileView(LoginRequiredMixin, SuccessMessageMixin, UpdateView):
    """The learner's own profile: name and e-mail are theirs to edit, region and branch are shown only."""

    form_class = ProfileForm
    template_name = "school/profile.html"
    success_url = reverse_lazy("profile")
    success_message = _("Your profile has been saved.")

    def get_object(self, queryset=None):
        # Always the signed-in user, whatever the request says; region and branch for the read-only part.
        return User.objects.select_related("region", "branch").get(pk=self.request.user.pk)
