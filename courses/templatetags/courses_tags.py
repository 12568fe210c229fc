from django import template

from ..models import CaseStudyPage, CoursePage, listing_images
from ..outline import course_outline, outline_for_page


register = template.Library()

LATEST_CASE_STUDIES = 3
FEATURED_COURSES = 6


def title_initial(title):
    """The first letter or digit of a title, in capitals ("«Чистый двор»" gives "Ч"), or "" if it has none."""
    return next((character.upper() for character in title if character.isalnum()), "")


@register.filter
def initial(title):
    """The letter that stands for a case study without a picture on its card."""
    return title_initial(str(title))


@register.inclusion_tag("tags/course_cards.html", takes_context=True)
def featured_courses(context):
    courses = CoursePage.objects.live().public().prefetch_related(listing_images()).order_by("path")[:FEATURED_COURSES]
    return {"courses": courses, "request": context.get("request")}


@register.inclusion_tag("tags/case_study_cards.html", takes_context=True)
def latest_case_studies(context):
    case_studies = (
        CaseStudyPage.objects.live()
        .public()
        .select_related("region", "branch")
        .prefetch_related(listing_images())
        .order_by("-first_published_at")[:LATEST_CASE_STUDIES]
    )
    return {"case_studies": case_studies, "request": context.get("request")}


@register.simple_tag(takes_context=True)
def course_programme(context):
    """The outline of the course page being shown."""
    return course_outline(course=context["page"], request=context.get("request"))


@register.simple_tag(takes_context=True)
def course_place(context):
    """Where the module, lesson or quiz being shown stands in its course: a dict of `course`, `outline`,
    `current_module`, `previous_item` and `next_item` (empty outside a course)."""
    return outline_for_page(context["page"], context.get("request"))


@register.inclusion_tag("tags/course_outline.html", takes_context=True)
def course_outline_nav(context):
    """The outline of the current course, with the current page marked (context from course_place)."""
    return {
        "outline": context.get("outline"),
        "current_page": context.get("page"),
        "current_module": context.get("current_module"),
        "request": context.get("request"),
    }
