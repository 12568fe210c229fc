"""Per-learner state: enrolments, lesson completions, quiz attempts, mentorships."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _


class Mentorship(models.Model):
    """A mentor follows a learner; administrators assign them."""

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mentor"),
        on_delete=models.CASCADE,
        related_name="mentorships_as_mentor",
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="mentorships_as_learner",
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        constraints = [
            models.UniqueConstraint(fields=["mentor", "learner"], name="progress_one_mentorship_per_pair"),
            models.CheckConstraint(condition=~Q(mentor=F("learner")), name="progress_mentor_is_not_own_learner"),
        ]

    def __str__(self):
        return f"{self.mentor} → {self.learner}"
