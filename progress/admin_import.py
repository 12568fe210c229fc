"""Bulk import of learners and their mentors from a CSV file, in the Wagtail admin.

Upload a file -> a preview of what each row would do and the row errors -> confirm. The confirm
form carries the decoded text back; it is validated again from scratch before anything is written.
"""

import base64
import binascii

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.defaultfilters import filesizeformat
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from wagtail import hooks
from wagtail.admin import messages
from wagtail.admin.menu import MenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin

from .imports import (
    COLUMNS,
    MAX_FILE_SIZE,
    ImportFileError,
    decode_csv_file,
    learner_import_apply,
    learner_import_plan,
)


IMPORT_PERMISSION = "progress.add_mentorship"
# The preview table shows this many rows (the list of errors is always whole), to stay light.
PREVIEW_ROWS = 500
CONTENT_DAMAGED = _("The confirmed content is damaged: upload the file again.")
IMPORT_DONE = _(
    "Learners imported: %(created)d created, %(updated)d updated, %(mentors)d mentors assigned, "
    "%(unchanged)d unchanged."
)
IMPORT_REFUSED = _("Nothing was imported: the file has errors now. Correct them and upload the file again.")


def can_import_learners(user):
    """Administrators who may assign mentors (and superusers) may import learners."""
    return user.is_authenticated and user.is_active and user.has_perm(IMPORT_PERMISSION)


def encode_content(text):
    return base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii")


class LearnerImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        allow_empty_file=True,  # refused by decode_csv_file, with the same message as the command's
        help_text=_(
            "A header row and one learner a row. Columns: %(columns)s. UTF-8 or Windows-1251, "
            "separated by commas or semicolons, up to %(limit)s."
        )
        % {"columns": ", ".join(COLUMNS), "limit": filesizeformat(MAX_FILE_SIZE)},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        try:
            if upload.size > MAX_FILE_SIZE:
                decode_csv_file(b"", size=upload.size)
            text = decode_csv_file(upload.read())
            self.plan = learner_import_plan(text=text)
        except ImportFileError as error:
            raise forms.ValidationError(error.message) from error
        return upload


class LearnerImportConfirmForm(forms.Form):
    """The text shown in the preview, base64 so that it comes back byte for byte. Never trusted:
    it is decoded and validated again like an upload."""

    content = forms.CharField(widget=forms.HiddenInput, strip=False)

    def clean_content(self):
        try:
            data = base64.urlsafe_b64decode(self.cleaned_data["content"].encode("ascii"))
            if len(data) > 2 * MAX_FILE_SIZE:  # a 2 MB Windows-1251 file is up to 4 MB of UTF-8
                raise ImportFileError(CONTENT_DAMAGED)
            text = data.decode("utf-8")
            decode_csv_file(data, size=0)  # empty and binary content are refused as in an upload
        except (binascii.Error, UnicodeError, ValueError) as error:
            raise forms.ValidationError(CONTENT_DAMAGED) from error
        except ImportFileError as error:
            raise forms.ValidationError(error.message) from error
        return text


def upload_form_with_errors(errors):
    """A fresh upload form that shows why the confirmed content was refused."""
    form = LearnerImportUploadForm()
    form.errors["file"] = form.error_class(errors)
    return form


class LearnerImportMixin(WagtailAdminTemplateMixin):
    page_title = _("Import learners")
    header_icon = "upload"
    upload_template_name = "progress/admin/learner_import.html"
    preview_template_name = "progress/admin/learner_import_preview.html"

    def dispatch(self, request, *args, **kwargs):
        if not can_import_learners(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_breadcrumbs_items(self):
        return [*self.breadcrumbs_items, {"url": "", "label": self.page_title}]

    def render_upload(self, form):
        self.template_name = self.upload_template_name
        return self.render_to_response(self.get_context_data(form=form))

    def render_preview(self, plan):
        self.template_name = self.preview_template_name
        confirm_form = LearnerImportConfirmForm(initial={"content": encode_content(plan.text)})
        context = self.get_context_data(
            plan=plan,
            confirm_form=confirm_form,
            preview_rows=plan.rows[:PREVIEW_ROWS],
            hidden_rows_count=max(len(plan.rows) - PREVIEW_ROWS, 0),
        )
        return self.render_to_response(context)


class LearnerImportView(LearnerImportMixin, View):
    """Page 1: the upload form; a valid upload shows page 2, the preview."""

    def get(self, request):
        return self.render_upload(LearnerImportUploadForm())

    def post(self, request):
        form = LearnerImportUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_upload(form)
        return self.render_preview(form.plan)


class LearnerImportConfirmView(LearnerImportMixin, View):
    """The preview's button: validate the content again and apply it, all or nothing."""

    http_method_names = ["post"]

    def post(self, request):
        form = LearnerImportConfirmForm(request.POST)
        if not form.is_valid():
            return self.render_upload(upload_form_with_errors(form.errors["content"]))
        try:
            plan = learner_import_apply(text=form.cleaned_data["content"], assigned_by=request.user)
        except ImportFileError as error:
            return self.render_upload(upload_form_with_errors([error.message]))
        if not plan.is_applied:
            messages.error(request, IMPORT_REFUSED)
            return self.render_preview(plan)
        messages.success(
            request,
            IMPORT_DONE
            % {
                "created": plan.created_count,
                "updated": plan.updated_count,
                "mentors": plan.mentors_count,
                "unchanged": plan.unchanged_count,
            },
        )
        return redirect("progress_learner_import")


class LearnerImportMenuItem(MenuItem):
    def is_shown(self, request):
        return can_import_learners(request.user)


@hooks.register("register_admin_urls")
def register_learner_import_urls():
    return [
        path("import-learners/", LearnerImportView.as_view(), name="progress_learner_import"),
        path("import-learners/confirm/", LearnerImportConfirmView.as_view(), name="progress_learner_import_confirm"),
    ]


@hooks.register("register_admin_menu_item")
def register_learner_import_menu_item():
    return LearnerImportMenuItem(
        _("Import learners"),
        reverse("progress_learner_import"),
        name="import-learners",
        icon_name="upload",
        order=260,
    )
