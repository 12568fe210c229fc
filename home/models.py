import copy

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _

from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField
from wagtail.images.models import AbstractImage, AbstractRendition, Image
from wagtail.models import Page, PageViewRestriction

from school.content_cache import cached_content


class CustomImage(AbstractImage):
    """The project's image model, so that image fields can grow without a swap later."""

    admin_form_fields = Image.admin_form_fields

    class Meta(AbstractImage.Meta):
        verbose_name = _("image")
        verbose_name_plural = _("images")


class CustomRendition(AbstractRendition):
    image = models.ForeignKey(CustomImage, on_delete=models.CASCADE, related_name="renditions")

    class Meta:
        unique_together = (("image", "filter_spec", "focal_point_key"),)


def page_at_url_path(request, url_path):
    """The specific page whose URL path is `url_path`, or None: from the shared cache (every change to
    a page changes the content version), as a copy, so that what one request sets on it stays there."""

    def find():
        slug = url_path.rstrip("/").rsplit("/", 1)[-1]
        found = Page.objects.filter(slug=slug, url_path=url_path).values_list("pk", "content_type_id").first()
        if found is None:
            return None
        model = ContentType.objects.get_for_id(found[1]).model_class()
        return model.objects.filter(pk=found[0]).first() if model is not None else None

    page = cached_content(request, "page-at", find, url_path)
    return copy.copy(page) if page is not None else None


class BasePage(Page):
    """Every page of the site: a short summary used in listings, cards and search results."""

    summary = models.TextField(
        _("summary"),
        blank=True,
        max_length=500,
        help_text=_("One or two sentences for listings and search results."),
    )

    # Whether a signed-in learner's browser keeps this page to read it without a connection: the service
    # worker keeps only page responses that carry the X-Offline-Keep header (templates/offline/sw.js).
    readable_offline = False

    class Meta:
        abstract = True

    def route(self, request, path_components):
        # Wagtail walks the tree with one or two queries per URL segment; the page at the whole path is
        # found in the shared cache (school.content_cache) or with one query, then loaded with one more.
        if path_components:
            page = page_at_url_path(request, f"{self.url_path}{'/'.join(path_components)}/")
            if page is not None:
                return page.route(request, [])
        return super().route(request, path_components)

    def get_view_restrictions(self):
        # Wagtail asks on every page view, with two queries; few sites restrict any page, so ask the
        # database only when some page is restricted (the answer is cached until content changes,
        # and saving or deleting a restriction is such a change).
        if not cached_content(None, "any-view-restriction", PageViewRestriction.objects.exists):
            return PageViewRestriction.objects.none()
        return super().get_view_restrictions()

    def serve(self, request, *args, **kwargs):
        response = super().serve(request, *args, **kwargs)
        if request.user.is_authenticated:
            # Signed-in pages carry the learner's name and progress: never cache them in shared caches.
            add_never_cache_headers(response)
            if self.readable_offline and response.status_code == 200:
                response["X-Offline-Keep"] = "1"
        return response


class HomePage(BasePage):
    hero_title = models.CharField(_("hero title"), max_length=255, blank=True)
    hero_text = RichTextField(_("hero text"), blank=True, features=["bold", "italic", "link"])
    hero_image = models.ForeignKey(
        "home.CustomImage",
        verbose_name=_("hero image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    content_panels = [
        *Page.content_panels,
        MultiFieldPanel(
            [FieldPanel("hero_title"), FieldPanel("hero_text"), FieldPanel("hero_image")],
            heading=_("Hero"),
        ),
        FieldPanel("summary"),
    ]

    parent_page_types = ["wagtailcore.Page"]
    subpage_types = ["courses.CourseIndexPage", "courses.CaseStudyIndexPage"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    """What appears in every page's footer."""

    organisation_name = models.CharField(_("organisation name"), max_length=255, default="Высшая партийная школа")
    footer_text = models.TextField(_("footer text"), blank=True)
    contact_email = models.EmailField(_("contact e-mail"), blank=True)

    panels = [FieldPanel("organisation_name"), FieldPanel("footer_text"), FieldPanel("contact_email")]

    class Meta:
        verbose_name = _("site settings")
