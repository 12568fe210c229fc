"""The shape of a course as learners walk it: live modules in tree order, each with its live
lessons and quizzes. Built with a constant number of queries, whatever the course's size."""

from dataclasses import dataclass, field

from .models import CoursePage, LessonPage, ModulePage, QuizPage


@dataclass
class OutlineModule:
    page: ModulePage
    items: list = field(default_factory=list)

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


def course_outline(*, course):
    # Query 1: the live modules of the course.
    modules = {module.path: OutlineModule(page=module) for module in ModulePage.objects.live().child_of(course)}
    # Queries 2 and 3: the live lessons and quizzes below it, without their heavy bodies.
    lessons = LessonPage.objects.live().descendant_of(course).defer_streamfields()
    quizzes = QuizPage.objects.live().descendant_of(course)
    for item in sorted([*lessons, *quizzes], key=lambda page: page.path):
        module = modules.get(item.path[: -item.steplen])
        if module is not None:
            module.items.append(item)
    return CourseOutline(course=course, modules=sorted(modules.values(), key=lambda module: module.page.path))


def outline_for_page(page):
    """Template context for a module, lesson or quiz page: its course, outline and neighbours."""
    course = CoursePage.objects.ancestor_of(page).first()
    if course is None:
        return {}
    outline = course_outline(course=course)
    previous_item, next_item = outline.neighbours(page)
    return {
        "course": course,
        "outline": outline,
        "current_module": outline.module_of(page),
        "previous_item": previous_item,
        "next_item": next_item,
    }
