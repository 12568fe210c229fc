"""The organisation: regions, primary branches and the people who learn and teach."""

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

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
