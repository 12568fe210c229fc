from django.template.response import TemplateResponse

from wagtail import hooks

from courses.models import LessonPage, QuizPage
from courses.outline import course_of

from .selectors import course_progress_for_learner
from .services import page_visit_record


@hooks.register("before_serve_page")
def guard_and_record_course_items(page, request, serve_args, serve_kwargs):
    """A lesson or quiz of a locked module explains why instead of being served; an open one is
    remembered as the learner's place in the course."""
    if not isinstance(page, LessonPage | QuizPage) or not request.user.is_authenticated:
        return None
    course = course_of(page, request)
    if course is None:
        return None
    progress = course_progress_for_learner(learner=request.user, course=course, request=request)
    request.learner_progress = progress
    if progress.is_locked(page):
        context = {"page": page, "course": course, "progress": progress, "request": request}
        return TemplateResponse(request, "progress/locked.html", context, status=403)
    page_visit_record(learner=request.user, page=page, course=course)
    return None
