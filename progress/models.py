"""Per-learner state: enrolments, lesson completions, quiz attempts, mentorships.

History is kept whatever editors do to the content: unpublishing or moving a page leaves these
rows alone, and a lesson or quiz that anyone has progress on cannot be deleted (PROTECT);
editors unpublish it instead. Derived figures (percentages, next item) are computed by
`progress.selectors`, never stored.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Enrolment(models.Model):
    """A learner takes a course; also where they were last, so they can resume."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="enrolments"
    )
    course = models.ForeignKey(
        "courses.CoursePage", verbose_name=_("course"), on_delete=models.PROTECT, related_name="enrolments"
    )
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    last_page = models.ForeignKey(
        "wagtailcore.Page",
        verbose_name=_("last opened item"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_seen_at = models.DateTimeField(_("last seen at"), null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("enrolment")
        verbose_name_plural = _("enrolments")
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="progress_one_enrolment_per_course"),
        ]
        indexes = [models.Index(fields=["course", "completed_at"], name="progress_enrol_course_done")]

    def __str__(self):
        return f"{self.learner} — {self.course}"


class LessonCompletion(models.Model):
    """A learner marked a lesson as done. One row per learner and lesson, ever."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("learner"),
        on_delete=models.CASCADE,
        related_name="lesson_completions",
    )
    lesson = models.ForeignKey(
        "courses.LessonPage", verbose_name=_("lesson"), on_delete=models.PROTECT, related_name="completions"
    )
    completed_at = models.DateTimeField(_("completed at"), default=timezone.now)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("lesson completion")
        verbose_name_plural = _("lesson completions")
        constraints = [
            models.UniqueConstraint(fields=["learner", "lesson"], name="progress_one_completion_per_lesson"),
        ]

    def __str__(self):
        return f"{self.learner} — {self.lesson}"


class QuizAttempt(models.Model):
    """One try at a quiz: started, then submitted once and scored on the server."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="quiz_attempts"
    )
    quiz = models.ForeignKey(
        "courses.QuizPage", verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="attempts"
    )
    number = models.PositiveSmallIntegerField(_("attempt number"))
    # The order in which this attempt shows questions and choices: [[question_id, [choice_id, ...]], ...].
    layout = models.JSONField(_("question order"), default=list)
    started_at = models.DateTimeField(_("started at"), default=timezone.now)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("correct answers"), null=True, blank=True)
    max_score = models.PositiveSmallIntegerField(_("questions"), null=True, blank=True)
    percent = models.PositiveSmallIntegerField(_("score, %"), null=True, blank=True)
    is_passed = models.BooleanField(_("passed"), default=False)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("quiz attempt")
        verbose_name_plural = _("quiz attempts")
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(fields=["learner", "quiz", "number"], name="progress_attempt_number_unique"),
            models.UniqueConstraint(
                fields=["learner", "quiz"],
                condition=Q(submitted_at__isnull=True),
                name="progress_one_open_attempt_per_quiz",
            ),
            models.CheckConstraint(
                condition=Q(submitted_at__isnull=True) | Q(percent__isnull=False),
                name="progress_submitted_attempt_has_score",
            ),
            models.CheckConstraint(
                condition=Q(is_passed=False) | Q(submitted_at__isnull=False), name="progress_passed_is_submitted"
            ),
        ]
        indexes = [models.Index(fields=["learner", "quiz", "is_passed"], name="progress_attempt_passed")]

    def __str__(self):
        return f"{self.learner} — {self.quiz} #{self.number}"

    @property
    def is_submitted(self):
        return self.submitted_at is not None


class QuizAnswer(models.Model):
    """A choice the learner ticked in an attempt; a multiple-choice question has several rows."""

    attempt = models.ForeignKey(
        QuizAttempt, verbose_name=_("attempt"), on_delete=models.CASCADE, related_name="answers"
    )
    question = models.ForeignKey(
        "courses.QuizQuestion", verbose_name=_("question"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    choice = models.ForeignKey(
        "courses.QuizChoice", verbose_name=_("choice"), on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # Kept as they were when answered, so a later edit of the quiz does not rewrite history.
    question_text = models.TextField(_("question text"))
    choice_text = models.CharField(_("choice text"), max_length=500)
    is_correct = models.BooleanField(_("correct choice"))

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("quiz answer")
        verbose_name_plural = _("quiz answers")
        constraints = [
            models.UniqueConstraint(fields=["attempt", "choice"], name="progress_choice_once_per_attempt"),
        ]

    def __str__(self):
        return self.choice_text


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
