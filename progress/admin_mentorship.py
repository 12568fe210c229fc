"""Administrators assign mentors to learners and end mentorships in the Wagtail admin. The forms
only collect the choice; progress.services does the assigning and ending."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.choosers import BaseFilterForm
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import CreateView, EditView
from wagtail.admin.views.generic import chooser as chooser_views
from wagtail.admin.viewsets.chooser import ChooserViewSet
from wagtail.permissions import policy_registry

from .models import Mentorship
from .roles import MENTOR_PERMISSION
from .services import ProgressError, mentorship_assign, mentorship_check, mentorship_end


MENTOR_NOT_LISTED = _("Choose one of the listed mentors: only members of the Mentors group can mentor.")
ALREADY_THE_MENTOR = _("%(mentor)s is already the mentor of %(learner)s.")
ACTIVE_HELP = _(
    "Untick to end the mentorship. An ended mentorship stays in the history and cannot be resumed: "
    "assign the mentor again instead."
)
MENTORSHIP_ENDED = _("Mentorship “%(object)s” ended.")


def field_label(name):
    return capfirst(Mentorship._meta.get_field(name).verbose_name)


def user_label(user):
    """A person as the admin forms show them: the full name, and the username to tell namesakes apart."""
    name = user.get_full_name()
    return f"{name} ({user.username})" if name and name != user.username else user.username


def mentor_candidates():
    """The active users who pass roles.is_mentor: superusers and holders of the mentoring permission,
    given directly or through a group (the Mentors group)."""
    User = get_user_model()
    app_label, codename = MENTOR_PERMISSION.split(".")
    permission = Permission.objects.filter(content_type__app_label=app_label, codename=codename)
    holders = User.objects.filter(Q(groups__permissions__in=permission) | Q(user_permissions__in=permission))
    return User.objects.filter(Q(is_superuser=True) | Q(pk__in=holders.values("pk")), is_active=True).order_by(
        "full_name", "username"
    )


def _user_may_assign_mentors(user):
    return policy_registry.get_by_type(Mentorship).user_has_permission(user, "add")


# The learner chooser: a searchable modal over every active user, for those who assign mentors only.


class LearnerSearchForm(BaseFilterForm):
    q = forms.CharField(
        label=_("Search term"),
        required=False,
        widget=forms.TextInput(attrs={"placeholder": _("Username or full name")}),
    )

    def filter(self, objects):
        objects = super().filter(objects)
        query = self.cleaned_data.get("q")
        if query:
            self.is_searching = True
            self.search_query = query
            objects = objects.filter(Q(username__icontains=query) | Q(full_name__icontains=query))
        return objects


class MentorAssignersOnlyMixin:
    """The chooser lists people of every region: only users who may assign mentors open it."""

    def dispatch(self, request, *args, **kwargs):
        if not _user_may_assign_mentors(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class LearnerListingMixin(MentorAssignersOnlyMixin):
    filter_form_class = LearnerSearchForm
    ordering = "-pk"  # the most recently registered first: those who usually wait for a mentor

    def get_object_list(self):
        return get_user_model().objects.filter(is_active=True).select_related("region")

    @property
    def columns(self):
        name = self.title_column
        name.label = _("Name")
        return [
            name,
            Column("username", label=_("Username")),
            Column("region", label=_("Region")),
        ]


class LearnerChooseView(LearnerListingMixin, chooser_views.ChooseView):
    pass


class LearnerChooseResultsView(LearnerListingMixin, chooser_views.ChooseResultsView):
    pass


class LearnerChosenView(MentorAssignersOnlyMixin, chooser_views.ChosenView):
    def get_display_title(self, instance):
        return user_label(instance)


class LearnerChosenMultipleView(MentorAssignersOnlyMixin, chooser_views.ChosenMultipleView):
    pass


class LearnerChooserViewSet(ChooserViewSet):
    model = get_user_model()
    icon = "user"
    choose_one_text = _("Choose a learner")
    choose_another_text = _("Choose another learner")
    # Only the mentorship form uses it; other admin forms keep their own user fields.
    register_widget = False
    choose_view_class = LearnerChooseView
    choose_results_view_class = LearnerChooseResultsView
    chosen_view_class = LearnerChosenView
    chosen_multiple_view_class = LearnerChosenMultipleView

    def get_urlpatterns(self):
        # No "create" tab: people are added in the Users section or by the learner import.
        return [pattern for pattern in super().get_urlpatterns() if pattern.name != "create"]


learner_chooser_viewset = LearnerChooserViewSet("learner_chooser")


class LearnerChooserWidget(learner_chooser_viewset.widget_class):
    def get_display_title(self, instance):
        return user_label(instance)


# Assigning a mentor.


class MentorshipAssignForm(forms.Form):
    mentor = forms.ModelChoiceField(
        label=field_label("mentor"),
        queryset=get_user_model().objects.none(),  # mentor_candidates(), set per form
        error_messages={"invalid_choice": MENTOR_NOT_LISTED},
    )
    learner = forms.ModelChoiceField(
        label=field_label("learner"),
        queryset=get_user_model().objects.filter(is_active=True),
        widget=LearnerChooserWidget,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["mentor"].queryset = mentor_candidates()
        self.fields["mentor"].label_from_instance = user_label

    def clean(self):
        cleaned_data = super().clean()
        mentor, learner = cleaned_data.get("mentor"), cleaned_data.get("learner")
        if mentor is None or learner is None:
            return cleaned_data
        if Mentorship.objects.filter(mentor=mentor, learner=learner, is_active=True).exists():
            raise ValidationError(ALREADY_THE_MENTOR % {"mentor": user_label(mentor), "learner": user_label(learner)})
        problem = mentorship_check(mentor=mentor, learner=learner)
        if problem:
            raise ValidationError(problem)
        return cleaned_data


class MentorshipAssignView(CreateView):
    """Saves through mentorship_assign; what it refuses (checked again under its lock) is shown as a
    form error and nothing is saved."""

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        return kwargs

    def save_instance(self):
        # The service records the assignment in the audit trail.
        return mentorship_assign(
            mentor=self.form.cleaned_data["mentor"],
            learner=self.form.cleaned_data["learner"],
            assigned_by=self.request.user,
        )

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except ProgressError as error:
            form.add_error(None, error)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)


# Ending a mentorship: the edit form has one box, "active", which can only be unticked.


class MentorshipEndForm(forms.Form):
    is_active = forms.BooleanField(label=field_label("is_active"), required=False, help_text=ACTIVE_HELP)

    def __init__(self, *args, mentorship, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["is_active"].initial = mentorship.is_active
        # An ended mentorship is history: the box stays unticked whatever is posted.
        self.fields["is_active"].disabled = not mentorship.is_active


class MentorshipEndView(EditView):
    """Unticking "active" ends the mentorship through mentorship_end; nothing else can change."""

    queryset = Mentorship.objects.select_related("mentor", "learner")

    def get_form_kwargs(self):
        kwargs = super().get_form_kwargs()
        kwargs.pop("instance", None)
        kwargs["mentorship"] = self.object
        return kwargs

    def save_instance(self):
        if self.ended:
            mentorship_end(mentorship=self.object, ended_by=self.request.user)
        return self.object

    def form_valid(self, form):
        self.ended = self.object.is_active and not form.cleaned_data["is_active"]
        return super().form_valid(form)

    def get_success_message(self):
        if self.ended:
            return MENTORSHIP_ENDED % {"object": self.object}
        return None
