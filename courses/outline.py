"""The shape of a course as learners walk it: live modules in tree order, each with its live
lessons and quizzes. Built with a constant number of queries, whatever the course's size, and kept
in the shared cache until content changes (school.content_cache)."""

from dataclasses import dataclass, field
from functools import cached_property

from django.db.models import Q

from school.content_cache import cache_key, cached_content, content_version, shared_get, shared_set

from .models import CoursePage, LessonPage, ModulePage, QuizPage


@dataclass
class OutlineModule:
    page: ModulePage
    items: list = field(default_factory=list)

    @cached_property
    def item_ids(self):
        """The items' page ids, in order (read for every learner of a mentor's or a region's table)."""
        return [item.pk for item in self.items]

    @cached_property
    def required_item_ids(self):
        """Ids of the items that count towards progress (optional lessons do not)."""
        return frozenset(item.pk for item in self.items if item.is_required)

    @property
    def lesson_count(self):
        return sum(1 for item in self.items if isinstance(item, LessonPage))

    @property
    def quiz_count(self):
        return sum(1 for item in self.items if isinstance(item, QuizPage))


@dataclass
class CourseOutline:
    course: CoursePage
    modules: list[OutlineModule]

    @property
    def items(self):
        return [item for module in self.modules for item in module.items]

    def module_of(self, page):
        for module in self.modules:
            if module.page.pk == page.pk or any(item.pk == page.pk for item in module.items):
                return module
        return None

    def neighbours(self, page):
        """The items before and after `page` in the course, across module boundaries."""
        items = self.items
        for position, item in enumerate(items):
            if item.pk == page.pk:
                previous_item = items[position - 1] if position > 0 else None
                next_item = items[position + 1] if position + 1 < len(items) else None
                return previous_item, next_item
        return None, None


def course_outlines(*, courses):
    """Outlines of several courses at once: still three queries, however many courses and items."""
    courses = list(courses)
    if not courses:
        return {}
    within = Q()
    module_level = Q()
    for course in courses:
        within |= Q(path__startswith=course.path, depth__gt=course.depth)
        module_level |= Q(path__startswith=course.path, depth=course.depth + 1)
    modules = {module.path: OutlineModule(page=module) for module in ModulePage.objects.live().filter(module_level)}
    lessons = LessonPage.objects.live().filter(within).defer_streamfields()
    quizzes = QuizPage.objects.live().filter(within)
    for item in sorted([*lessons, *quizzes], key=lambda page: page.path):
        module = modules.get(item.path[: -item.steplen])
        if module is not None:
            module.items.append(item)
    outlines = {}
    for course in courses:
        course_modules = [module for path, module in sorted(modules.items()) if path.startswith(course.path)]
        outlines[course.pk] = CourseOutline(course=course, modules=course_modules)
    return outlines


def cached_course_outlines(*, courses, request=None):
    """Outlines of several courses from the shared cache; those missing are built together (3 queries)."""
    version = content_version(request)
    outlines, missing = {}, []
    for course in courses:
        outline = shared_get(cache_key("outline", version, course.pk))
        if outline is None:
            missing.append(course)
        else:
            outlines[course.pk] = outline
    for course_id, outline in course_outlines(courses=missing).items():
        shared_set(cache_key("outline", version, course_id), outline)
        outlines[course_id] = outline
    return outlines


def course_outline(*, course, request=None):
    """The outline of one course: from the shared cache, and once per request when a request is given."""
    memo = getattr(request, "_course_outlines", None) if request is not None else None
    if memo is not None and course.pk in memo:
        return memo[course.pk]
    outline = cached_course_outlines(courses=[course], request=request)[course.pk]
    if request is not None:
        request._course_outlines = {**(memo or {}), course.pk: outline}
    return outline


def _all_courses():
    return list(CoursePage.objects.order_by("path"))


def course_of(page, request=None):
    """The course a module, lesson or quiz belongs to, live or not (from the cached list of courses)."""
    courses = getattr(request, "_courses", None) if request is not None else None
    if courses is None:
        courses = cached_content(request, "courses", _all_courses)
        if request is not None:
            request._courses = courses
    for course in courses:
        if page.path.startswith(course.path) and page.depth > course.depth:
            return course
    return None


def outline_for_page(page, request=None):
    """Template context for a module, lesson or quiz page: its course, outline and neighbours."""
    course = course_of(page, request)
    if course is None:
        return {}
    outline = course_outline(course=course, request=request)
    previous_item, next_item = outline.neighbours(page)
    return {
        "course": course,
        "outline": outline,
        "current_module": outline.module_of(page),
        "previous_item": previous_item,
        "next_item": next_item,
    }
