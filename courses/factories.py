"""Page factories that build a real tree under the default site's home page."""

import factory
import wagtail_factories
from factory.django import DjangoModelFactory

from home.models import HomePage

from .models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    CourseIndexPage,
    CoursePage,
    LessonPage,
    ModulePage,
    QuizChoice,
    QuizPage,
    QuizQuestion,
    Topic,
)


def home_page():
    return HomePage.objects.first()


class TopicFactory(DjangoModelFactory):
    name = factory.Sequence(lambda n: f"Тема {n}")
    slug = factory.Sequence(lambda n: f"topic-{n}")

    class Meta:
        model = Topic
        django_get_or_create = ("slug",)


class CourseIndexPageFactory(wagtail_factories.PageFactory):
    title = "Курсы"
    slug = "courses"
    show_in_menus = True
    parent = factory.LazyFunction(home_page)

    class Meta:
        model = CourseIndexPage


class CoursePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Курс {n}")
    summary = factory.Faker("sentence", locale="ru_RU")
    intro = factory.LazyAttribute(lambda o: f"<p>{o.summary}</p>")
    estimated_hours = 10
    parent = factory.SubFactory(CourseIndexPageFactory)

    class Meta:
        model = CoursePage


class ModulePageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Модуль {n}")
    summary = factory.Faker("sentence", locale="ru_RU")
    parent = factory.SubFactory(CoursePageFactory)

    class Meta:
        model = ModulePage


class LessonPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Урок {n}")
    summary = factory.Faker("sentence", locale="ru_RU")
    estimated_minutes = 15
    body = factory.LazyAttribute(lambda o: [("paragraph", f"<p>{o.summary}</p>")])
    key_takeaways = "Первый вывод\nВторой вывод"
    parent = factory.SubFactory(ModulePageFactory)

    class Meta:
        model = LessonPage


class QuizPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Тест {n}")
    summary = factory.Faker("sentence", locale="ru_RU")
    pass_mark = 70
    attempt_limit = 3
    parent = factory.SubFactory(ModulePageFactory)

    class Meta:
        model = QuizPage


class QuizQuestionFactory(DjangoModelFactory):
    page = factory.SubFactory(QuizPageFactory)
    text = factory.Sequence(lambda n: f"Вопрос {n}?")
    sort_order = factory.Sequence(int)
    kind = QuizQuestion.Kind.SINGLE
    explanation = "Так сказано в уроке."

    class Meta:
        model = QuizQuestion


class QuizChoiceFactory(DjangoModelFactory):
    question = factory.SubFactory(QuizQuestionFactory)
    text = factory.Sequence(lambda n: f"Вариант {n}")
    sort_order = factory.Sequence(int)
    is_correct = False

    class Meta:
        model = QuizChoice


def quiz_with_questions(*, questions=5, choices=4, **quiz_kwargs):
    """A published quiz whose every question has exactly one correct choice (the first)."""
    quiz = QuizPageFactory(**quiz_kwargs)
    for _question in range(questions):
        question = QuizQuestionFactory(page=quiz)
        for position in range(choices):
            QuizChoiceFactory(question=question, is_correct=position == 0)
    return quiz


class CaseStudyIndexPageFactory(wagtail_factories.PageFactory):
    title = "Лучшие практики"
    slug = "practices"
    show_in_menus = True
    parent = factory.LazyFunction(home_page)

    class Meta:
        model = CaseStudyIndexPage


class CaseStudyPageFactory(wagtail_factories.PageFactory):
    title = factory.Sequence(lambda n: f"Практика {n}")
    summary = factory.Faker("sentence", locale="ru_RU")
    region = factory.SubFactory("school.factories.RegionFactory")
    branch = factory.SubFactory("school.factories.BranchFactory", region=factory.SelfAttribute("..region"))
    problem = "<p>Проблема.</p>"
    actions = "<p>Что сделано.</p>"
    results = "<p>Результаты.</p>"
    parent = factory.SubFactory(CaseStudyIndexPageFactory)

    class Meta:
        model = CaseStudyPage
        skip_postgeneration_save = True

    @factory.post_generation
    def topics(self, create, extracted, **kwargs):
        if create and extracted:
            self.topics.set(extracted)
            self.save_revision().publish()
