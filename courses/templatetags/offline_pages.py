from django import template

from school.content_cache import cached_content

from ..models import LessonPage


register = template.Library()

# How many of the following lessons a lesson page asks the browser to keep for reading offline.
NEXT_LESSONS_KEPT = 2


def _lessons(module):
    return [item for item in module.items if isinstance(item, LessonPage)] if module else []


@register.simple_tag(takes_context=True)
def module_offline_urls(context, module):
    """The addresses a module saved for offline keeps, space-separated: the module page and its lessons
    (quizzes are never kept: they need the server)."""
    request = context.get("request")
    return " ".join(page.get_url(request=request) for page in [module.page, *_lessons(module)])


@register.simple_tag(takes_context=True)
def next_lessons_offline_urls(context, module, page):
    """The addresses of the lessons after `page` in its module, to keep for reading offline."""
    request = context.get("request")

    def build():
        lessons = _lessons(module)
        following = next(
            (lessons[position + 1 :] for position, lesson in enumerate(lessons) if lesson.pk == page.pk), []
        )
        return " ".join(lesson.get_url(request=request) for lesson in following[:NEXT_LESSONS_KEPT])

    # The same for every learner: built once per content version.
    return cached_content(request, "next-lessons-offline", build, page.pk)
