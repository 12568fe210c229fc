"""The site's form for a secretary's practice (submitted and edited at /practices/)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy, pgettext_lazy

from home.forms import CheckedImageField
from school.models import Branch, Region

from .models import Topic
from .practices import MAX_PHOTOS


PHOTO_EXTENSIONS = ("jpg", "jpeg", "png", "webp")
PHOTO_ACCEPT = "image/jpeg,image/png,image/webp,.jpg,.jpeg,.png,.webp"

TOO_MANY_PHOTOS = ngettext_lazy(
    "A practice can have up to %(limit)d photo; you chose %(count)d.",
    "A practice can have up to %(limit)d photos; you chose %(count)d.",
    "limit",
)
TOO_MANY_PHOTOS_IN_ALL = ngettext_lazy(
    "A practice can have up to %(limit)d photo in all: remove some of the photos it has or choose fewer new ones.",
    "A practice can have up to %(limit)d photos in all: remove some of the photos it has or choose fewer new ones.",
    "limit",
)
PHOTO_NOT_ALLOWED = _("%(name)s: only JPEG, PNG and WebP photos can be attached.")
PHOTO_REFUSED = _("%(name)s: %(reason)s")
NO_SUCH_BRANCH = _("There is no branch No. %(number)s in the region %(region)s. Check the number in your profile.")
TOPICS_REQUIRED = _("Choose at least one topic.")


class PhotosInput(forms.FileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to `max_count` photos from one file input. Each is checked as the admin's image upload
    checks it (home.forms.CheckedImageField: a real image, WAGTAILIMAGES_MAX_UPLOAD_SIZE,
    WAGTAILIMAGES_MAX_IMAGE_PIXELS, a damaged file), and only JPEG, PNG and WebP are taken."""

    widget = PhotosInput

    def __init__(self, *, max_count=MAX_PHOTOS, **kwargs):
        self.max_count = max_count
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "accept": PHOTO_ACCEPT}

    def clean(self, data, initial=None):
        uploads = [upload for upload in (data if isinstance(data, list | tuple) else [data]) if upload]
        if len(uploads) > self.max_count:
            raise ValidationError(
                TOO_MANY_PHOTOS, code="too_many", params={"limit": self.max_count, "count": len(uploads)}
            )
        photos, errors = [], []
        for upload in uploads:
            name = upload.name
            if name.rsplit(".", 1)[-1].lower() not in PHOTO_EXTENSIONS:
                errors.append(ValidationError(PHOTO_NOT_ALLOWED, code="format", params={"name": name}))
                continue
            try:
                # A field per file, so that the limits are read from the settings of the moment.
                photos.append(CheckedImageField(required=False).clean(upload))
            except ValidationError as error:
                errors.extend(
                    ValidationError(PHOTO_REFUSED, code="invalid", params={"name": name, "reason": message})
                    for message in error.messages
                )
        if errors:
            raise ValidationError(errors)
        return photos


class CaseStudyForm(forms.Form):
    """A practice as its author writes it; `existing_photos` are the photos of the version being edited
    (gallery items with their images), which the author may remove."""

    title = forms.CharField(
        label=pgettext_lazy("practice", "Title"),
        max_length=200,
        help_text=_("What was done and where, in a few words."),
    )
    topics = forms.ModelMultipleChoiceField(
        label=_("Topics"),
        queryset=Topic.objects.all(),
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Choose one or more: readers find practices by topic."),
        error_messages={"required": TOPICS_REQUIRED},
    )
    region = forms.ModelChoiceField(label=_("Region"), queryset=Region.objects.all(), empty_label=_("Choose a region"))
    branch_number = forms.CharField(
        label=_("Branch number"),
        max_length=20,
        required=False,
        help_text=_("Leave it empty if the practice is not tied to one branch."),
    )
    summary = forms.CharField(
        label=_("In one or two sentences"),
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Shown in the library under the title. If left empty, the start of the problem is shown."),
    )
    problem = forms.CharField(
        label=_("The problem"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What was wrong or what was needed, and for whom."),
    )
    actions = forms.CharField(
        label=_("What was done"),
        max_length=8000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "The steps in order: who did what, with whom, how long it took. "
            "Start lines with “-” or “1.” to make a list."
        ),
    )
    results = forms.CharField(
        label=_("Results"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "In numbers where possible: how many requests were answered, how many residents took part, "
            "how much money was raised."
        ),
    )
    photos = PhotosField(label=_("Photos"))
    remove_photos = forms.TypedMultipleChoiceField(
        label=_("Remove these photos"), required=False, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, existing_photos=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.existing_photos = list(existing_photos)
        self.fields["photos"].help_text = _(
            "Up to %(count)d photos of the work and its results: JPEG, PNG or WebP. You can choose several at once."
        ) % {"count": MAX_PHOTOS}
        if self.existing_photos:
            self.fields["remove_photos"].choices = [(item.image_id, str(item.image)) for item in self.existing_photos]
        else:
            del self.fields["remove_photos"]
        if not self.is_bound and "region" not in self.initial:
            self.initial["region"] = user.region_id
            self.initial["branch_number"] = user.branch.number if user.branch_id else ""

    def clean_title(self):
        return " ".join(self.cleaned_data["title"].split())

    def clean_branch_number(self):
        return self.cleaned_data["branch_number"].strip().removeprefix("№").strip()

    def clean(self):
        cleaned_data = super().clean()
        region, number = cleaned_data.get("region"), cleaned_data.get("branch_number")
        cleaned_data["branch"] = None
        if region and number:
            cleaned_data["branch"] = Branch.objects.filter(region=region, number=number).first()
            if cleaned_data["branch"] is None:
                self.add_error(
                    "branch_number",
                    ValidationError(NO_SUCH_BRANCH, code="no_branch", params={"number": number, "region": region}),
                )
        photos = cleaned_data.get("photos")
        if photos is not None:
            kept = len(self.existing_photos) - len(cleaned_data.get("remove_photos") or ())
            if kept + len(photos) > MAX_PHOTOS:
                self.add_error("photos", ValidationError(TOO_MANY_PHOTOS_IN_ALL, params={"limit": MAX_PHOTOS}))
        return cleaned_data
