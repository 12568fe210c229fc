"""The organisation: regions, primary branches and the people who learn and teach."""

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.search import index


class Region(index.Indexed, models.Model):
    """A federal subject; loaded by administrators, never hard-coded."""

    code = models.CharField(_("code"), max_length=8, unique=True, help_text=_("Official region code, e.g. 52."))
    name = models.CharField(_("name"), max_length=120, unique=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("code"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return self.name


class Branch(index.Indexed, models.Model):
    """A primary branch of a region; its secretary is a learner."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="branches")
    number = models.CharField(_("number"), max_length=20, help_text=_("Branch number within the region."))
    name = models.CharField(_("name"), max_length=255, blank=True, help_text=_("Local name, e.g. the settlement."))

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.FilterField("region"),
        index.FilterField("number"),
    ]

    class Meta:
        ordering = ["region__name", "number"]
        verbose_name = _("branch")
        verbose_name_plural = _("branches")
        constraints = [
            models.UniqueConstraint(fields=["region", "number"], name="school_branch_unique_number_per_region"),
        ]

    def __str__(self):
        if self.name:
            return f"{self.region} — {self.name}"
        return _("%(region)s — branch No. %(number)s") % {"region": self.region, "number": self.number}


class User(AbstractUser):
    """A person on the platform. Learners are branch secretaries; their place is region + branch."""

    full_name = models.CharField(_("full name"), max_length=255, blank=True)
    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
    )
    branch = models.ForeignKey(
        Branch,
        verbose_name=_("branch"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="users",
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"

    def __str__(self):
        return self.get_full_name() or self.username

    def get_full_name(self):
        return self.full_name or super().get_full_name()

    def clean(self):
        super().clean()
        if self.branch_id and self.region_id and self.branch.region_id != self.region_id:
            raise ValidationError({"branch": _("The branch belongs to another region.")})


@register_setting(icon="doc-full")
class PersonalDataNotice(BaseSiteSetting):
    """The personal-data processing notice every user accepts before using the site (152-FZ).

    Editors write the text; a new version number asks everyone again. Until both are filled in, nobody
    is asked (school.consent)."""

    version = models.CharField(
        _("version"),
        max_length=40,
        blank=True,
        help_text=_(
            "For example 2026-01. Change it whenever the text changes in substance: every user is then asked "
            "to accept the new version at their next visit."
        ),
    )
    text = RichTextField(
        _("text"), blank=True, features=["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]
    )

    panels = [FieldPanel("version"), FieldPanel("text")]

    class Meta:
        verbose_name = _("personal data notice")

    def clean(self):
        super().clean()
        if self.text and not self.version.strip():
            raise ValidationError({"version": _("Give the notice a version, so that acceptances can refer to it.")})

    @property
    def is_set(self):
        return bool(self.version.strip() and self.text.strip())


class ConsentRecord(models.Model):
    """A user accepted one version of the personal-data notice, at this time. Kept after an account is
    anonymised: it shows that the processing was consented to."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="consents"
    )
    version = models.CharField(_("version"), max_length=40)
    accepted_at = models.DateTimeField(_("accepted at"), default=timezone.now)

    class Meta:
        verbose_name = _("personal data consent")
        verbose_name_plural = _("personal data consents")
        constraints = [
            models.UniqueConstraint(fields=["user", "version"], name="school_consent_once_per_version"),
        ]

    def __str__(self):
        return f"{self.user} — {self.version}"
