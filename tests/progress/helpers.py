"""What the progress tests share: the learner endpoints' addresses and the words the site shows."""

from django.contrib.messages import get_messages
from django.utils import translation


def complete_url(page):
    return f"/my/lessons/{page.pk}/complete/"


def start_url(quiz):
    return f"/my/quizzes/{quiz.pk}/attempts/"


def submit_url(attempt):
    return f"/my/attempts/{attempt.pk}/submit/"


def result_url(attempt):
    return f"/my/attempts/{attempt.pk}/"


def in_russian(message):
    """The text the site shows (Russian by default) for a message constant."""
    with translation.override("ru"):
        return str(message)


def messages_of(response):
    return [str(message) for message in get_messages(response.wsgi_request)]
