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
        # Regional coordinators read their region's figures; staff read every region's.
        permissions = [("view_region_reports", _("Can see the progress reports of their own region"))]
        constraints = [
            models.UniqueConstraint(fields=["learner", "course"], name="progress_one_enrolment_per_course"),
        ]
        indexes = [
            models.Index(fields=["course", "completed_at"], name="progress_enrol_course_done"),
            # The admin listing's default ordering (newest first; the id keeps pages stable).
            models.Index(fields=["started_at", "id"], name="progress_enrol_started"),
        ]

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
        # The admin listing's default ordering (newest first; the id keeps pages stable).
        indexes = [models.Index(fields=["completed_at", "id"], name="progress_completion_at")]

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
    # What was asked, answered and scored, as it was at submission, in the order shown:
    # [{"question", "text", "kind", "explanation", "review_lesson", "is_correct",
    #   "choices": [{"id", "text", "is_correct", "is_chosen"}]}]. Result pages read this, never
    # today's quiz, so a later edit of the quiz cannot change a result.
    snapshot = models.JSONField(_("questions as answered"), default=list, blank=True)

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
        indexes = [
            models.Index(fields=["learner", "quiz", "is_passed"], name="progress_attempt_passed"),
            # Meta.ordering and the admin listing's (newest first; the id keeps pages stable).
            models.Index(fields=["started_at", "id"], name="progress_attempt_started"),
        ]

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
    # Whether the whole question was answered right, as scored at submission (null for older rows).
    is_question_correct = models.BooleanField(_("question answered right"), null=True)

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
    """A mentor follows a learner; administrators assign them. Ended mentorships are kept as history,
    and a learner has at most one active mentor at a time."""

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
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("mentorship")
        verbose_name_plural = _("mentorships")
        permissions = [("mentor_learners", _("Can follow assigned mentees and write them notes"))]
        constraints = [
            models.UniqueConstraint(
                fields=["learner"], condition=Q(is_active=True), name="progress_one_active_mentor_per_learner"
            ),
            models.CheckConstraint(condition=~Q(mentor=F("learner")), name="progress_mentor_is_not_own_learner"),
            models.CheckConstraint(
                condition=Q(is_active=True) | Q(ended_at__isnull=False), name="progress_ended_mentorship_has_date"
            ),
        ]
        indexes = [models.Index(fields=["mentor", "is_active"], name="progress_mentorship_mentor")]

    def __str__(self):
        return f"{self.mentor} → {self.learner}"


class MentorNote(models.Model):
    """Feedback from a mentor to a mentee: general, or pinned to one lesson or one quiz attempt.

    A note of kind "extra attempt" tells the learner that the mentor granted one more try at the
    quiz of the attempt it is pinned to; its text is the mentor's optional comment."""

    class Kind(models.TextChoices):
        NOTE = "note", _("Note")
        EXTRA_ATTEMPT = "extra_attempt", _("Extra attempt granted")

    TEXT_MAX_LENGTH = 5000

    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("mentor"), on_delete=models.CASCADE, related_name="notes_written"
    )
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="mentor_notes"
    )
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.NOTE)
    text = models.TextField(_("text"), max_length=TEXT_MAX_LENGTH, blank=True)
    lesson = models.ForeignKey(
        "courses.LessonPage",
        verbose_name=_("lesson"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    attempt = models.ForeignKey(
        QuizAttempt,
        verbose_name=_("quiz attempt"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mentor_notes",
    )
    created_at = models.DateTimeField(_("written at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("mentor note")
        verbose_name_plural = _("mentor notes")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(lesson__isnull=True) | Q(attempt__isnull=True), name="progress_note_pinned_once"
            ),
        ]
        indexes = [models.Index(fields=["learner", "-created_at"], name="progress_note_learner")]

    def __str__(self):
        return f"{self.mentor} → {self.learner}: {self.text[:40]}"


class ExtraAttempt(models.Model):
    """One more attempt at a quiz whose limit a learner has used up, granted by their mentor."""

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="extra_attempts"
    )
    quiz = models.ForeignKey(
        "courses.QuizPage", verbose_name=_("quiz"), on_delete=models.PROTECT, related_name="extra_attempts"
    )
    # The attempt number this grant allows: two grants for the same used-up limit collide here.
    allows_attempt = models.PositiveSmallIntegerField(_("allows attempt number"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("granted by"),
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
    )
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("extra attempt")
        verbose_name_plural = _("extra attempts")
        constraints = [
            models.UniqueConstraint(
                fields=["learner", "quiz", "allows_attempt"], name="progress_one_grant_per_attempt_number"
            ),
        ]

    def __str__(self):
        return f"{self.learner} — {self.quiz} #{self.allows_attempt}"


class OfflineAction(models.Model):
    """An action a learner took on their device without a connection, received later from the page's outbox.

    One row per learner and client-made id: a replayed or doubled send finds its row and changes nothing.
    Only actions that were accepted are kept (a refusal is answered, not stored), so an item refused while
    a lesson was unpublished can be sent again once it is back."""

    class Kind(models.TextChoices):
        LESSON_COMPLETE = "lesson_complete", _("lesson marked as done")

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("applied")
        ALREADY_DONE = "already_done", _("already done")

    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("learner"), on_delete=models.CASCADE, related_name="offline_actions"
    )
    client_id = models.UUIDField(_("id given on the device"))
    kind = models.CharField(_("action"), max_length=32, choices=Kind.choices)
    # The page id as the device sent it: the record outlives the page.
    page_id = models.PositiveBigIntegerField(_("page id"))
    outcome = models.CharField(_("outcome"), max_length=16, choices=Outcome.choices)
    # When the learner acted, by the device's clock, if that was believable; otherwise when it arrived.
    acted_at = models.DateTimeField(_("done on the device at"))
    received_at = models.DateTimeField(_("received at"), default=timezone.now)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("offline action")
        verbose_name_plural = _("offline actions")
        constraints = [
            models.UniqueConstraint(fields=["learner", "client_id"], name="progress_offline_action_once"),
        ]

    def __str__(self):
        return f"{self.learner} — {self.kind} {self.page_id}"


class LearnerImport(models.Model):
    """One CSV import of learners that was applied: who ran it, when, and what it did (the audit trail of
    imports; the Wagtail log entry "Learners imported" points here)."""

    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    imported_at = models.DateTimeField(_("imported at"), default=timezone.now)
    rows_count = models.PositiveIntegerField(_("rows"))
    created_count = models.PositiveIntegerField(_("learners created"))
    updated_count = models.PositiveIntegerField(_("learners updated"))
    mentors_count = models.PositiveIntegerField(_("mentors assigned"))
    # Which file it was, without keeping its personal data.
    file_sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)

    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("learner import")
        verbose_name_plural = _("learner imports")

    def __str__(self):
        return _("Learner import No. %(number)s") % {"number": self.pk}
