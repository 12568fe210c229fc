"""Personal data requests in the Wagtail admin (menu "Personal data", and a button in the Users listing):
find a person, download everything the platform holds about them, or erase it on their request.

Exporting needs the permission to change users, erasing the permission to delete them; both are
recorded in the audit trail (progress.audit). The work itself is progress.services.personal_data's."""

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.shortcuts import get_object_or_404, redirect
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.widgets.button import Button

from .models import Mentorship
from .services import ProgressError, erasure_problem, is_erased, personal_data_erase
from .urls import RowIdConverter  # noqa: F401 - registers the "id" path converter used below
from .views.personal_data import personal_data_response


EXPORT_PERMISSION = "school.change_user"
ERASE_PERMISSION = "school.delete_user"
SEARCH_RESULTS_LIMIT = 50
ERASED = _("The personal data of account No. %(id)s has been deleted; the account is now “%(username)s”.")


def can_export_personal_data(user):
    return user.is_authenticated and user.is_active and user.has_perm(EXPORT_PERMISSION)


def can_erase_personal_data(user):
    return user.is_authenticated and user.is_active and user.has_perm(ERASE_PERMISSION)


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Username, full name or e-mail"),
        required=False,
        max_length=255,
        widget=forms.TextInput(attrs={"type": "search", "autofocus": True}),
    )


class PersonalDataMixin(WagtailAdminTemplateMixin):
    page_title = _("Personal data")
    header_icon = "user"

    def dispatch(self, request, *args, **kwargs):
        if not can_export_personal_data(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": reverse("progress_personal_data"), "label": self.page_title}]

    def get_person(self, user_id):
        return get_object_or_404(get_user_model().objects.select_related("region", "branch__region"), pk=user_id)


class PersonalDataIndexView(PersonalDataMixin, View):
    """Find a person by username, name or e-mail."""

    template_name = "progress/admin/personal_data_index.html"

    def get(self, request):
        form = PersonSearchForm(request.GET)
        people = []
        query = ""
        if form.is_valid() and form.cleaned_data["q"].strip():
            query = form.cleaned_data["q"].strip()
            people = list(
                get_user_model()
                .objects.filter(
                    Q(username__icontains=query) | Q(full_name__icontains=query) | Q(email__icontains=query)
                )
                .select_related("region")
                .order_by("full_name", "username")[:SEARCH_RESULTS_LIMIT]
            )
        return self.render_to_response(
            self.get_context_data(form=form, people=people, query=query, limit=SEARCH_RESULTS_LIMIT)
        )

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]


class PersonalDataDetailView(PersonalDataMixin, View):
    """One person: what can be done with their data, and why erasing is refused, if it is."""

    template_name = "progress/admin/personal_data_detail.html"

    def get(self, request, user_id):
        person = self.get_person(user_id)
        return self.render_to_response(
            self.get_context_data(
                person=person,
                is_erased=is_erased(person),
                can_erase=can_erase_personal_data(request.user),
                problem=erasure_problem(learner=person, actor=request.user),
                mentees_count=Mentorship.objects.filter(mentor=person, is_active=True).count(),
            )
        )


class PersonalDataExportView(PersonalDataMixin, View):
    def get(self, request, user_id):
        return personal_data_response(learner=self.get_person(user_id), actor=request.user)


class PersonalDataEraseView(PersonalDataMixin, View):
    """GET asks to confirm; POST erases, or shows why it cannot, with nothing changed."""

    template_name = "progress/admin/personal_data_erase.html"

    def dispatch(self, request, *args, **kwargs):
        if not can_erase_personal_data(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get(self, request, user_id):
        person = self.get_person(user_id)
        problem = erasure_problem(learner=person, actor=request.user)
        return self.render_to_response(self.get_context_data(person=person, problem=problem))

    def post(self, request, user_id):
        person = self.get_person(user_id)
        try:
            person = personal_data_erase(learner=person, actor=request.user)
        except ProgressError as error:
            messages.error(request, error.message)
            return self.render_to_response(self.get_context_data(person=person, problem=error.message), status=409)
        messages.success(request, ERASED % {"id": person.pk, "username": person.get_username()})
        return redirect("progress_personal_data_person", person.pk)


class PersonalDataMenuItem(MenuItem):
    def is_shown(self, request):
        return can_export_personal_data(request.user)


@hooks.register("register_admin_urls")
def register_personal_data_urls():
    return [
        path("personal-data/", PersonalDataIndexView.as_view(), name="progress_personal_data"),
        path("personal-data/<id:user_id>/", PersonalDataDetailView.as_view(), name="progress_personal_data_person"),
        path(
            "personal-data/<id:user_id>/export/",
            PersonalDataExportView.as_view(),
            name="progress_personal_data_export",
        ),
        path("personal-data/<id:user_id>/erase/", PersonalDataEraseView.as_view(), name="progress_personal_data_erase"),
    ]


@hooks.register("register_admin_menu_item")
def register_personal_data_menu_item():
    return PersonalDataMenuItem(
        _("Personal data"), reverse("progress_personal_data"), name="personal-data", icon_name="user", order=270
    )


@hooks.register("register_user_listing_buttons")
def personal_data_user_button(user, request_user):
    """In Settings → Users, each person's "More" menu leads to their personal data."""
    if can_export_personal_data(request_user):
        yield Button(
            _("Personal data"),
            url=reverse("progress_personal_data_person", args=[user.pk]),
            icon_name="user",
            priority=90,
        )
