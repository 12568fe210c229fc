"""Every page type renders for a visitor, with its content, course navigation and no answers leaked."""

import re

import pytest
import wagtail_factories

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from courses.factories import LessonPageFactory, ModulePageFactory, quiz_with_questions
from courses.models import QuizChoice


def _get(client, page):
    response = client.get(page.url)
    assert response.status_code == 200, page.url
    return response.content.decode()


@pytest.mark.django_db
class PageRenderingTests:
    def test_home_lists_the_course_and_the_latest_case_study(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.home)
        assert course_tree.course.title in html
        assert course_tree.case_study.title in html
        assert 'href="/courses/"' in html and 'href="/practices/"' in html

    def test_course_index_lists_courses(self, learner_client, course_tree):
        assert course_tree.course.title in _get(learner_client, course_tree.course_index)

    def test_course_shows_modules_and_their_items_in_order(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.course)
        titles = [
            course_tree.module_one.title,
            course_tree.lesson_one.title,
            course_tree.lesson_two.title,
            course_tree.quiz.title,
            course_tree.module_two.title,
            course_tree.lesson_three.title,
        ]
        positions = [html.index(title) for title in titles]
        assert positions == sorted(positions)

    def test_module_lists_its_lessons_and_quiz(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.module_one)
        for page in (course_tree.lesson_one, course_tree.lesson_two, course_tree.quiz):
            assert page.title in html

    def test_lesson_shows_every_block_takeaways_and_next_link(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.lesson_one)
        for text in (
            "График приёма",
            "Приём проводится по графику",
            "Записывайте каждое обращение.",
            "Составьте график",
        ):
            assert text in html
        assert "Первый вывод" in html
        assert f'href="{course_tree.lesson_two.url}"' in html
        assert f'href="{course_tree.course.url}"' in html  # breadcrumbs

    def test_last_lesson_of_a_module_leads_to_the_next_module(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.quiz)
        assert f'href="{course_tree.lesson_three.url}"' in html
        assert f'href="{course_tree.lesson_two.url}"' in html

    def test_quiz_never_reveals_the_correct_choice(self, learner_client, course_tree):
        """During an attempt the quiz page carries every choice but nothing that tells the right one apart."""
        response = learner_client.post(reverse("progress:quiz_start", args=[course_tree.quiz.pk]))
        assert response.status_code == 302
        html = _get(learner_client, course_tree.quiz)
        question = course_tree.quiz.questions.first()
        assert question.text in html
        correct = QuizChoice.objects.filter(question__page=course_tree.quiz, is_correct=True)
        wrong = QuizChoice.objects.filter(question__page=course_tree.quiz, is_correct=False)
        for choice in (*correct, *wrong):
            assert f'value="{choice.pk}"' in html
        assert "is_correct" not in html
        assert question.explanation not in html

        # The markup around a right and a wrong choice differs only by ids and texts.
        def shape(choice):
            match = re.search(rf'<li[^>]*>\s*<input[^>]*value="{choice.pk}"[^>]*>', html)
            return re.sub(r"\d+", "N", match.group(0))

        assert shape(correct[0]) == shape(wrong[0])

    def test_case_study_index_filters_by_topic_and_region(self, learner_client, course_tree):
        case_study = course_tree.case_study
        html = _get(learner_client, course_tree.case_index)
        assert case_study.title in html
        response = learner_client.get(course_tree.case_index.url, {"region": "no-such-region", "topic": "<b>"})
        assert response.status_code == 200
        response = learner_client.get(course_tree.case_index.url, {"region": case_study.region.code})
        assert case_study.title in response.content.decode()

    def test_case_study_shows_problem_actions_results(self, learner_client, course_tree):
        html = _get(learner_client, course_tree.case_study)
        for text in ("Проблема.", "Что сделано.", "Результаты.", course_tree.case_study.region.name):
            assert text in html

    def test_unknown_url_is_a_404_page(self, learner_client, course_tree):
        response = learner_client.get("/courses/no-such-course/")
        assert response.status_code == 404

    def test_unpublished_lesson_is_a_404_and_leaves_the_outline(self, learner_client, course_tree):
        course_tree.lesson_two.unpublish()
        assert learner_client.get(course_tree.lesson_two.url).status_code == 404
        assert course_tree.lesson_two.title not in _get(learner_client, course_tree.course)


def _queries(client, url):
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


@pytest.mark.django_db
def test_lesson_and_course_pages_cost_the_same_queries_for_a_small_and_a_large_course(learner_client, course_tree):
    """The outline is three queries however many modules and lessons the course has."""
    urls = [course_tree.course.url, course_tree.lesson_one.url, course_tree.quiz.url, course_tree.module_one.url]
    for _round in range(
        2
    ):  # the first visit enrols the learner and creates the site settings: measure the steady state
        for url in urls:
            _queries(learner_client, url)
    small = [_queries(learner_client, url) for url in urls]
    for number in range(8):
        module = ModulePageFactory(parent=course_tree.course, slug=f"extra-{number}")
        for _lesson in range(6):
            LessonPageFactory(parent=module)
        quiz_with_questions(parent=module, questions=8)
    quiz_with_questions(parent=course_tree.module_one, questions=10, slug="long-quiz")
    for url in urls:  # the new pages changed the content: the shared parts are built again once
        _queries(learner_client, url)
    large = [_queries(learner_client, url) for url in urls]
    assert small == large
    # Wagtail routes a URL with one or two queries per path segment (9 for a lesson), the session
    # and user take 2, the outline 4, the learner's progress 2, the visit 1, the user bar 2, the
    # mentor's notes pinned to the page 1; a quiz adds its attempts and the extra attempts granted.
    assert max(large) <= 31


@pytest.mark.django_db
def test_quiz_page_queries_do_not_grow_with_questions(learner_client, course_tree, django_assert_max_num_queries):
    long_quiz = quiz_with_questions(parent=course_tree.module_two, questions=30, slug="long-quiz")
    short_count = _queries(learner_client, course_tree.quiz.url)
    with django_assert_max_num_queries(short_count):
        learner_client.get(long_quiz.url)


@pytest.mark.django_db
def test_course_and_case_study_images_are_served_as_responsive_renditions(learner_client, course_tree):
    """Cards offer the browser several sizes and formats, made by Wagtail from the original upload."""
    image = wagtail_factories.ImageFactory(title="Собрание жителей", file__width=1600, file__height=900)
    course_tree.course.image = image
    course_tree.course.save_revision().publish()
    course_tree.case_study.image = image
    course_tree.case_study.save_revision().publish()
    for page in (course_tree.course_index, course_tree.case_index, course_tree.home):
        html = _get(learner_client, page)
        assert "<picture" in html
        assert 'type="image/webp"' in html
        assert re.search(r'srcset="[^"]+400w, [^"]+800w"', html)
