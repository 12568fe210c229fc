"""seed_demo_progress gives demo learners a history through the real services, once."""

from io import StringIO

import pytest

from django.core.management import call_command

from courses.models import CoursePage
from progress.models import LessonCompletion, QuizAttempt
from progress.selectors import course_progress_for_learner
from school.models import User


@pytest.mark.django_db
def test_demo_learners_get_progress_once():
    call_command("seed_demo_content", stdout=StringIO())
    call_command("seed_demo_progress", stdout=StringIO())
    course = CoursePage.objects.get()
    learner2 = User.objects.get(username="learner2")
    progress = course_progress_for_learner(learner=learner2, course=course)
    # Module 1 of the demo: four lessons and a passed quiz.
    assert progress.modules[0].is_complete
    assert QuizAttempt.objects.filter(learner=learner2, is_passed=True).count() == 1
    assert course_progress_for_learner(learner=User.objects.get(username="learner"), course=course).done == 2

    counts = (LessonCompletion.objects.count(), QuizAttempt.objects.count())
    call_command("seed_demo_progress", stdout=StringIO())
    assert (LessonCompletion.objects.count(), QuizAttempt.objects.count()) == counts


@pytest.mark.django_db
def test_without_the_demo_course_it_does_nothing():
    errors = StringIO()
    call_command("seed_demo_progress", stdout=StringIO(), stderr=errors)
    assert "Skipped" in errors.getvalue()
    assert not LessonCompletion.objects.exists()
