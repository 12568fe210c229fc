"""Marking a lesson done: the page's script (JSON, then opening redirect_url) and the plain form (a redirect)
leave the learner on the same page, with the same message, figures and marks."""

import re

import pytest

from django.utils import translation

from progress import services
from progress.models import LessonCompletion
from tests.progress.helpers import complete_url


pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}
CSRF_TOKEN = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
MAIN = re.compile(r"<main\b.*</main>", re.DOTALL)


def main_content(response):
    """The page's <main>, with the per-response CSRF tokens blanked out."""
    html = response.content.decode()
    return CSRF_TOKEN.sub('name="csrfmiddlewaretoken" value=""', MAIN.search(html).group())


def page_after_form(client, lesson):
    """What the learner sees without the script: the form's POST, then its redirect."""
    response = client.post(complete_url(lesson))
    assert response.status_code == 302
    return response["Location"], client.get(response["Location"])


def page_after_script(client, lesson):
    """What the learner sees with the script: a POST asking for JSON, then redirect_url opened."""
    response = client.post(complete_url(lesson), headers=JSON)
    assert response.status_code == 200
    url = response.json()["redirect_url"]
    return url, client.get(url)


def pass_quiz(learner, quiz):
    attempt = services.quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {
        str(question.pk): [str(question.choices.get(is_correct=True).pk)]
        for question in quiz.questions.prefetch_related("choices")
    }
    services.quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


@pytest.fixture
def russian():
    with translation.override("ru"):
        yield


class LessonDonePathsTests:
    def test_script_and_form_lead_to_the_same_page(self, learner_client, learner, course_tree, russian):
        """Same URL, same <main>: message, "N of M", progress bar, outline marks."""
        form_url, form_page = page_after_form(learner_client, course_tree.lesson_one)
        LessonCompletion.objects.filter(learner=learner).delete()
        script_url, script_page = page_after_script(learner_client, course_tree.lesson_one)

        assert script_url == form_url == course_tree.lesson_two.url
        assert script_page.status_code == form_page.status_code == 200
        assert main_content(script_page) == main_content(form_page)
        message = translation.gettext("Lesson marked as done.")
        assert message in main_content(script_page)
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_last_item_leads_back_to_the_lesson_in_both_paths(self, learner_client, learner, course_tree, russian):
        """With nothing left to take, both paths reopen the lesson, which now says it is done."""
        for lesson in (course_tree.lesson_two, course_tree.lesson_three):
            services.lesson_mark_complete(learner=learner, lesson=lesson)
        pass_quiz(learner, course_tree.quiz)

        form_url, form_page = page_after_form(learner_client, course_tree.lesson_one)
        LessonCompletion.objects.filter(learner=learner, lesson=course_tree.lesson_one).delete()
        script_url, script_page = page_after_script(learner_client, course_tree.lesson_one)

        assert script_url == form_url == course_tree.lesson_one.url
        assert main_content(script_page) == main_content(form_page)
        assert translation.gettext("You have done this lesson.") in main_content(script_page)

    def test_json_answer_keeps_its_fields_and_adds_redirect_url(self, learner_client, course_tree):
        """Other clients (the offline outbox) read the same fields as before."""
        data = learner_client.post(complete_url(course_tree.lesson_one), headers=JSON).json()
        assert data == {
            "done": True,
            "created": True,
            "percent": 25,
            "done_count": 1,
            "required_count": 4,
            "next_url": course_tree.lesson_two.url,
            "redirect_url": course_tree.lesson_two.url,
        }

    def test_completing_twice_with_the_script_keeps_one_row(self, learner_client, learner, course_tree):
        """A retry after a lost answer: one completion, and the same place to go."""
        first = learner_client.post(complete_url(course_tree.lesson_one), headers=JSON).json()
        second = learner_client.post(complete_url(course_tree.lesson_one), headers=JSON).json()
        assert (first["created"], second["created"]) == (True, False)
        assert first["redirect_url"] == second["redirect_url"]
        assert LessonCompletion.objects.filter(learner=learner).count() == 1

    def test_mark_as_done_button_carries_the_words_the_script_shows(self, learner_client, course_tree, russian):
        """The busy label and the failure message come from the template (translated), not from the script."""
        html = learner_client.get(course_tree.lesson_one.url).content.decode()
        assert f'data-busy-label="{translation.gettext("Saving…")}"' in html
        failed = translation.gettext(
            "No connection to the server: the lesson is not marked as done yet. "
            "Check your connection and press the button again."
        )
        assert f'data-failed-message="{failed}"' in html
