"""Staff see learners' progress in the Wagtail admin, read-only."""

import pytest

from django.urls import reverse

from progress.models import Enrolment, LessonCompletion, QuizAttempt
from progress.services import lesson_mark_complete, quiz_attempt_start, quiz_attempt_submit


@pytest.fixture
def learner_records(course_tree, learner):
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
    attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
    answers = {str(question_id): [str(choice_ids[0])] for question_id, choice_ids in attempt.layout}
    return quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["enrolment", "lessoncompletion", "quizattempt"])
def test_staff_list_and_inspect_learner_records(admin_client, learner_records, learner, name):
    response = admin_client.get(reverse(f"{name}:index"))
    assert response.status_code == 200
    assert learner.full_name in response.content.decode()


@pytest.mark.django_db
def test_quiz_attempt_can_be_inspected(admin_client, learner_records):
    response = admin_client.get(reverse("quizattempt:inspect", args=[learner_records.pk]))
    assert response.status_code == 200
    assert str(learner_records.percent) in response.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["enrolment", "lessoncompletion", "quizattempt"])
def test_nobody_adds_edits_or_deletes_records_by_hand(admin_client, learner_records, name):
    """Even a superuser is refused the add, edit and delete views; nothing changes."""
    model_pk = {
        "enrolment": Enrolment.objects.get().pk,
        "lessoncompletion": LessonCompletion.objects.get().pk,
        "quizattempt": learner_records.pk,
    }[name]
    before = (QuizAttempt.objects.count(), LessonCompletion.objects.count())
    for url in (
        reverse(f"{name}:add"),
        reverse(f"{name}:edit", args=[model_pk]),
        reverse(f"{name}:delete", args=[model_pk]),
    ):
        assert admin_client.get(url).status_code in (302, 403)
        assert admin_client.post(url, {}).status_code in (302, 403)
    assert (QuizAttempt.objects.count(), LessonCompletion.objects.count()) == before


@pytest.mark.django_db
def test_learners_cannot_open_the_admin_views(learner_client, learner_records):
    response = learner_client.get(reverse("quizattempt:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response.url


@pytest.mark.django_db
@pytest.mark.parametrize("attr", ["lesson_one", "quiz", "module_one", "course"])
def test_pages_with_learner_history_cannot_be_deleted(admin_client, course_tree, learner_records, attr):
    """Deleting a page learners have progress on is refused with a message; everything stays."""
    page = getattr(course_tree, attr)
    url = reverse("wagtailadmin_pages:delete", args=[page.pk])
    before = (QuizAttempt.objects.count(), LessonCompletion.objects.count())
    response = admin_client.post(url)
    assert response.status_code == 302
    assert response.url == reverse("wagtailadmin_pages:edit", args=[page.pk])
    assert type(page).objects.filter(pk=page.pk).exists()
    assert (QuizAttempt.objects.count(), LessonCompletion.objects.count()) == before


@pytest.mark.django_db
def test_pages_without_history_can_still_be_deleted(admin_client, course_tree, learner_records):
    response = admin_client.post(reverse("wagtailadmin_pages:delete", args=[course_tree.lesson_three.pk]))
    assert response.status_code == 302
    assert not type(course_tree.lesson_three).objects.filter(pk=course_tree.lesson_three.pk).exists()


@pytest.mark.django_db
def test_bulk_delete_of_pages_with_learner_history_is_refused(admin_client, course_tree, learner_records):
    """The page listing's bulk delete refuses the whole action when any page has learners' history."""
    url = reverse("wagtail_bulk_action", args=["wagtailcore", "page", "delete"])
    ids = f"?id={course_tree.lesson_one.pk}&id={course_tree.lesson_three.pk}"
    response = admin_client.post(url + ids, {})
    assert response.status_code == 302
    assert type(course_tree.lesson_one).objects.filter(pk=course_tree.lesson_one.pk).exists()
    assert type(course_tree.lesson_three).objects.filter(pk=course_tree.lesson_three.pk).exists()
    assert LessonCompletion.objects.count() == 1
