from django import template

from ..models import CaseStudyPage, CoursePage, listing_images


register = template.Library()

LATEST_CASE_STUDIES = 3
FEATURED_COURSES = 6


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


@register.inclusion_tag("tags/course_outline.html", takes_context=True)
def course_outline_nav(context):
    """The outline of the current course, with the current page marked (context from outline_for_page)."""
    return {
        "outline": context.get("outline"),
        "current_page": context.get("page"),
        "current_module": context.get("current_module"),
        "request": context.get("request"),
    }
