from django import template

from ..practices import lesson_case_studies as lesson_case_studies_for


register = template.Library()


@register.inclusion_tag("courses/practice_lesson_links.html", takes_context=True)
def lesson_case_studies(context):
    """The practices that show the lesson being shown at work ("see it done in practice")."""
    return {"case_studies": lesson_case_studies_for(lesson=context["page"]), "request": context.get("request")}
