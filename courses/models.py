"""Course content: the course tree, quizzes with their questions, and case studies."""

from django import forms
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Prefetch
from django.utils.translation import gettext_lazy as _

from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.admin.forms import WagtailAdminPageForm
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel
from wagtail.fields import RichTextField, StreamField
from wagtail.images import get_image_model
from wagtail.models import Orderable, Page
from wagtail.search import index
from wagtail.snippets.models import register_snippet

from home.blocks import BaseStreamBlock
from home.models import BasePage
from school.content_cache import cached_content

from .blocks import LessonStreamBlock


QUESTION_NEEDS_ONE_CORRECT = _("A single-choice question needs exactly one correct choice.")
QUESTION_NEEDS_A_CORRECT = _("A multiple-choice question needs at least one correct choice.")
QUESTION_NEEDS_TWO_CHOICES = _("A question needs at least two choices.")
QUIZ_HAS_INVALID_QUESTIONS = _("Some questions are not ready: see the messages next to them.")


@register_snippet
class Topic(index.Indexed, models.Model):
    """A theme that case studies are tagged with, e.g. voters' mandates or grants."""

    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), max_length=120, unique=True, allow_unicode=False)

    panels = [FieldPanel("name"), FieldPanel("slug")]

    search_fields = [index.SearchField("name"), index.AutocompleteField("name")]

    class Meta:
        ordering = ["name"]
        verbose_name = _("topic")
        verbose_name_plural = _("topics")

    def __str__(self):
        return self.name


def listing_images():
    """Card images with all their renditions: two queries for a whole listing."""
    return Prefetch("image", queryset=get_image_model().objects.prefetch_renditions())


class CourseIndexPage(BasePage):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CoursePage"]

    class Meta:
        verbose_name = _("course index")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["courses"] = CoursePage.objects.live().public().child_of(self).prefetch_related(listing_images())
        return context


class CoursePage(BasePage):
    readable_offline = True
    intro = RichTextField(_("introduction"), blank=True)
    image = models.ForeignKey(
        "home.CustomImage",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    estimated_hours = models.PositiveSmallIntegerField(
        _("estimated hours"), null=True, blank=True, help_text=_("How long the whole course takes, roughly.")
    )
    is_sequential = models.BooleanField(
        _("modules must be taken in order"),
        default=False,
        help_text=_("A module opens only when the previous one is complete."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        FieldPanel("image"),
        FieldRowPanel([FieldPanel("estimated_hours"), FieldPanel("is_sequential")]),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary"),
        index.SearchField("intro"),
    ]

    parent_page_types = ["courses.CourseIndexPage"]
    subpage_types = ["courses.ModulePage"]
    # The explorer lists modules in course order, not by last edit.
    admin_default_ordering = "ord"

    class Meta:
        verbose_name = _("course")
        verbose_name_plural = _("courses")


class ModulePage(BasePage):
    readable_offline = True
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("intro")]

    parent_page_types = ["courses.CoursePage"]
    subpage_types = ["courses.LessonPage", "courses.QuizPage"]
    # The explorer lists lessons and quizzes in course order (learners' order), not by last edit.
    admin_default_ordering = "ord"

    class Meta:
        verbose_name = _("module")
        verbose_name_plural = _("modules")


class CourseItemMixin(models.Model):
    """What lessons and quizzes share: they are items of a module that a learner takes."""

    # "lesson" or "quiz": lets templates tell outline items apart without a query.
    item_kind = None

    is_required = models.BooleanField(
        _("required"), default=True, help_text=_("Required items count towards course completion.")
    )

    parent_page_types = ["courses.ModulePage"]
    subpage_types = []

    class Meta:
        abstract = True

    def serve(self, request, *args, **kwargs):
        # Lessons and quizzes are for signed-in learners; the course landing page stays public.
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return super().serve(request, *args, **kwargs)


class LessonPage(CourseItemMixin, BasePage):
    readable_offline = True
    item_kind = "lesson"

    body = StreamField(LessonStreamBlock(), verbose_name=_("body"))
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), null=True, blank=True, validators=[MinValueValidator(1)]
    )
    key_takeaways = models.TextField(
        _("key takeaways"), blank=True, help_text=_("One takeaway per line; shown as a list after the lesson.")
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldRowPanel([FieldPanel("estimated_minutes"), FieldPanel("is_required")]),
        FieldPanel("body"),
        FieldPanel("key_takeaways"),
        InlinePanel(
            "case_study_links",
            heading=_("See it done in practice"),
            label=_("case study"),
            help_text=_("Best practices that show this lesson at work; they are listed after the lesson."),
        ),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary", boost=2),
        index.SearchField("body"),
        index.SearchField("key_takeaways"),
    ]

    class Meta:
        verbose_name = _("lesson")
        verbose_name_plural = _("lessons")

    @property
    def key_takeaway_list(self):
        return [line.strip() for line in self.key_takeaways.splitlines() if line.strip()]


def quiz_question_errors(*, kind, correct_flags):
    """The editor-side rule for one question, given the is_correct flag of each of its choices."""
    if len(correct_flags) < 2:
        return [QUESTION_NEEDS_TWO_CHOICES]
    correct = sum(1 for flag in correct_flags if flag)
    if kind == QuizQuestion.Kind.SINGLE and correct != 1:
        return [QUESTION_NEEDS_ONE_CORRECT]
    if kind == QuizQuestion.Kind.MULTIPLE and correct < 1:
        return [QUESTION_NEEDS_A_CORRECT]
    return []


class QuizPageForm(WagtailAdminPageForm):
    """Refuses to save a quiz whose questions could not be answered correctly."""

    def clean(self):
        cleaned_data = super().clean()
        questions = self.formsets.get("questions")
        if questions is None or not questions.is_valid():
            return cleaned_data
        has_errors = False
        for question_form in questions.forms:
            if not question_form.has_changed() and question_form.instance.pk is None:
                continue
            if questions.can_delete and questions._should_delete_form(question_form):
                continue
            choices = question_form.formsets["choices"]
            correct_flags = [
                choice_form.cleaned_data.get("is_correct", False)
                for choice_form in choices.forms
                if choice_form.cleaned_data and not (choices.can_delete and choices._should_delete_form(choice_form))
            ]
            for message in quiz_question_errors(
                kind=question_form.cleaned_data.get("kind"), correct_flags=correct_flags
            ):
                question_form.add_error(None, message)
                has_errors = True
        if has_errors:
            raise ValidationError(QUIZ_HAS_INVALID_QUESTIONS)
        return cleaned_data


class QuizPage(CourseItemMixin, BasePage):
    class ShowAnswers(models.TextChoices):
        NEVER = "never", _("Never")
        AFTER_EACH_ATTEMPT = "after_each_attempt", _("After each attempt")
        AFTER_PASSING = "after_passing", _("After passing")

    item_kind = "quiz"

    intro = RichTextField(_("introduction"), blank=True)
    pass_mark = models.PositiveSmallIntegerField(
        _("pass mark, %"),
        default=70,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text=_("The share of points, from 0 to 100, needed to pass."),
    )
    attempt_limit = models.PositiveSmallIntegerField(
        _("attempt limit"), default=3, help_text=_("How many attempts a learner has; 0 means no limit.")
    )
    is_shuffled = models.BooleanField(
        _("shuffle questions and choices"), default=False, help_text=_("Each attempt shows them in a new order.")
    )
    show_answers = models.CharField(
        _("show correct answers"),
        max_length=32,
        choices=ShowAnswers.choices,
        default=ShowAnswers.AFTER_PASSING,
    )

    base_form_class = QuizPageForm

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        FieldPanel("intro"),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("pass_mark"), FieldPanel("attempt_limit")]),
                FieldRowPanel([FieldPanel("is_shuffled"), FieldPanel("is_required")]),
                FieldPanel("show_answers"),
            ],
            heading=_("Rules"),
        ),
        InlinePanel("questions", heading=_("Questions"), label=_("question"), min_num=1),
    ]

    search_fields = [*Page.search_fields, index.SearchField("summary"), index.SearchField("intro")]

    class Meta:
        verbose_name = _("quiz")
        verbose_name_plural = _("quizzes")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)

        # Two queries for all questions and their choices, however long the quiz, then kept with the
        # content (school.content_cache) while the quiz is unchanged; a preview shows the draft's own.
        # Only the server reads is_correct.
        def questions():
            return list(self.questions.prefetch_related("choices"))

        if getattr(request, "is_preview", False):
            context["questions"] = questions()
        else:
            context["questions"] = cached_content(request, "quiz-questions", questions, self.pk)
        return context


class QuizQuestion(Orderable, ClusterableModel):
    class Kind(models.TextChoices):
        SINGLE = "single", _("Single choice")
        MULTIPLE = "multiple", _("Multiple choice")

    page = ParentalKey(QuizPage, on_delete=models.CASCADE, related_name="questions")
    text = models.TextField(_("question"))
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.SINGLE)
    explanation = models.TextField(
        _("explanation"), blank=True, help_text=_("Why the right answer is right; shown as the quiz settings allow.")
    )
    review_lesson = models.ForeignKey(
        "courses.LessonPage",
        verbose_name=_("lesson to review"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("A learner who gets this question wrong is offered a link to this lesson."),
    )

    panels = [
        FieldPanel("text", widget=forms.Textarea(attrs={"rows": 2})),
        FieldPanel("kind"),
        FieldPanel("explanation", widget=forms.Textarea(attrs={"rows": 2})),
        FieldPanel("review_lesson"),
        InlinePanel("choices", heading=_("Choices"), label=_("choice"), min_num=2),
    ]

    class Meta(Orderable.Meta):
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self):
        return self.text


class QuizChoice(Orderable):
    question = ParentalKey(QuizQuestion, on_delete=models.CASCADE, related_name="choices")
    text = models.CharField(_("choice"), max_length=500)
    is_correct = models.BooleanField(_("correct"), default=False)

    panels = [FieldRowPanel([FieldPanel("text", classname="col9"), FieldPanel("is_correct", classname="col3")])]

    class Meta(Orderable.Meta):
        verbose_name = _("choice")
        verbose_name_plural = _("choices")

    def __str__(self):
        return self.text


class CaseStudyIndexPage(BasePage):
    intro = RichTextField(_("introduction"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("summary"), FieldPanel("intro")]

    parent_page_types = ["home.HomePage"]
    subpage_types = ["courses.CaseStudyPage"]

    class Meta:
        verbose_name = _("case study index")

    def get_context(self, request, *args, **kwargs):
        from .practices import practice_library

        context = super().get_context(request, *args, **kwargs)
        context.update(practice_library(index=self, params=request.GET))
        return context

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        # Filters, orderings and pages of the library are one template; crawlers need not index each.
        if request.GET:
            response["X-Robots-Tag"] = "noindex"
        return response


class CaseStudyPage(BasePage):
    """A best practice written by a secretary: the problem, what was done, what came of it."""

    region = models.ForeignKey(
        "school.Region",
        verbose_name=_("region"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="case_studies",
    )
    branch = models.ForeignKey(
        "school.Branch",
        verbose_name=_("branch"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="case_studies",
    )
    topics = ParentalManyToManyField(Topic, verbose_name=_("topics"), blank=True, related_name="case_studies")
    image = models.ForeignKey(
        "home.CustomImage",
        verbose_name=_("main image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    problem = RichTextField(_("problem"), features=["bold", "italic", "ol", "ul", "link"])
    actions = RichTextField(_("what was done"), features=["bold", "italic", "ol", "ul", "link"])
    results = RichTextField(_("results"), features=["bold", "italic", "ol", "ul", "link"])
    body = StreamField(
        BaseStreamBlock(),
        verbose_name=_("more materials"),
        blank=True,
        help_text=_("Optional: photos, documents, video."),
    )

    content_panels = [
        *Page.content_panels,
        FieldPanel("summary"),
        MultiFieldPanel(
            [FieldRowPanel([FieldPanel("region"), FieldPanel("branch")]), FieldPanel("topics")],
            heading=_("Where and what"),
        ),
        FieldPanel("image"),
        FieldPanel("problem"),
        FieldPanel("actions"),
        FieldPanel("results"),
        FieldPanel("body"),
        InlinePanel("gallery_images", heading=_("Gallery"), label=_("image")),
    ]

    search_fields = [
        *Page.search_fields,
        index.SearchField("summary", boost=2),
        index.SearchField("problem"),
        index.SearchField("actions"),
        index.SearchField("results"),
        index.RelatedFields("region", [index.SearchField("name")]),
        index.RelatedFields("topics", [index.SearchField("name")]),
        index.FilterField("region"),
    ]

    parent_page_types = ["courses.CaseStudyIndexPage"]
    subpage_types = []

    class Meta:
        verbose_name = _("case study")
        verbose_name_plural = _("case studies")

    def clean(self):
        super().clean()
        if self.branch_id and self.region_id and self.branch.region_id != self.region_id:
            raise ValidationError({"branch": _("The branch belongs to another region.")})

    def get_context(self, request, *args, **kwargs):
        from .practices import case_study_page_context

        context = super().get_context(request, *args, **kwargs)
        context.update(case_study_page_context(page=self, user=request.user))
        return context


class CaseStudyPageGalleryImage(Orderable):
    page = ParentalKey(CaseStudyPage, on_delete=models.CASCADE, related_name="gallery_images")
    image = models.ForeignKey("home.CustomImage", verbose_name=_("image"), on_delete=models.CASCADE, related_name="+")
    caption = models.CharField(_("caption"), max_length=255, blank=True)

    panels = [FieldPanel("image"), FieldPanel("caption")]

    class Meta(Orderable.Meta):
        verbose_name = _("gallery image")
        verbose_name_plural = _("gallery images")


class LessonPageCaseStudy(Orderable):
    """A lesson's link to a case study that shows it done in practice ("see it done in practice")."""

    lesson = ParentalKey(LessonPage, on_delete=models.CASCADE, related_name="case_study_links")
    case_study = models.ForeignKey(
        CaseStudyPage, verbose_name=_("case study"), on_delete=models.CASCADE, related_name="lesson_links"
    )

    panels = [FieldPanel("case_study")]

    class Meta(Orderable.Meta):
        verbose_name = _("case study of the lesson")
        verbose_name_plural = _("case studies of the lesson")
        constraints = [
            models.UniqueConstraint(fields=["lesson", "case_study"], name="courses_lesson_case_study_once"),
        ]

    def __str__(self):
        return str(self.case_study)


class CaseStudyReaction(models.Model):
    """One reader's mark on a case study: found it useful, applied it too, or read it (for "most read").
    Each kind at most once per person and case study."""

    class Kind(models.TextChoices):
        USEFUL = "useful", _("Useful")
        APPLIED = "applied", _("We applied it too")
        READ = "read", _("Read")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="case_study_reactions",
    )
    page = models.ForeignKey(
        CaseStudyPage, verbose_name=_("case study"), on_delete=models.CASCADE, related_name="reactions"
    )
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    # Per-user state, not content: never a reference to follow or a reason to keep a page.
    wagtail_reference_index_ignore = True

    class Meta:
        verbose_name = _("case study reaction")
        verbose_name_plural = _("case study reactions")
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "kind"], name="courses_reaction_once_per_user_kind"),
        ]
        indexes = [models.Index(fields=["page", "kind"], name="courses_reaction_page_kind")]

    def __str__(self):
        return f"{self.user} · {self.page} · {self.kind}"
