"""The mentor's workbench (/mentor/), the mentee page, notes and extra attempts, and what the learner sees of them."""

from datetime import timedelta

import pytest

from django.contrib.auth.models import Group
from django.test import Client
from django.utils import timezone

from progress.models import Enrolment, ExtraAttempt, LessonCompletion, MentorNote, Mentorship, QuizAttempt
from progress.services import (
    ATTEMPT_LIMIT_REACHED,
    NOT_YOUR_MENTEE,
    NOTE_EMPTY,
    QUIZ_NOT_USED_UP,
    ProgressError,
    lesson_mark_complete,
    mentor_note_add,
    mentorship_assign,
    mentorship_end,
    quiz_attempt_start,
    quiz_attempt_submit,
)
from school.factories import UserFactory
from tests.progress.helpers import in_russian, messages_of


pytestmark = pytest.mark.django_db


def make_mentor(username="mentor-anna", **kwargs):
    mentor = UserFactory(username=username, full_name=kwargs.pop("full_name", "Татьяна Морозова"), **kwargs)
    Group.objects.get(name="Mentors").user_set.add(mentor)
    return mentor


def submit_quiz(learner, quiz, *, correct):
    """One submitted attempt: every answer right, or every answer the first wrong choice."""
    attempt = quiz_attempt_start(learner=learner, quiz=quiz)
    answers = {}
    for question in quiz.questions.prefetch_related("choices"):
        choice = next(choice for choice in question.choices.all() if choice.is_correct is correct)
        answers[str(question.pk)] = [str(choice.pk)]
    return quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


@pytest.fixture
def mentor(db):
    return make_mentor()


@pytest.fixture
def mentor_client(mentor):
    client = Client()
    client.force_login(mentor)
    return client


@pytest.fixture
def mentee(mentor, learner, course_tree):
    mentorship_assign(mentor=mentor, learner=learner)
    return learner


class MentorAccessTests:
    def test_mentor_lands_on_the_workbench_after_login(self, client, mentor):
        """Logging in as a mentor leads to /mentor/, through the role landing page."""
        response = client.post("/accounts/login/", {"username": mentor.username, "password": "password"}, follow=True)
        assert response.redirect_chain[-1][0] == "/mentor/"

    def test_learner_gets_403_and_visitor_the_login_page(self, learner_client, mentee):
        """/mentor/ and a mentee page are for mentors: a learner gets 403, a visitor is sent to log in."""
        for url in ("/mentor/", f"/mentor/{mentee.pk}/"):
            assert learner_client.get(url).status_code == 403
            response = Client().get(url)
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")

    def test_mentor_with_no_mentees_sees_an_empty_state(self, mentor_client):
        """No mentees yet: a page that says so, not an error."""
        response = mentor_client.get("/mentor/")
        assert response.status_code == 200
        assert b"empty-state" in response.content
        assert b"mentees-table" not in response.content

    def test_navigation_shows_mentees_link_to_mentors_only(self, mentor_client, learner_client, mentee):
        """The header links to /mentor/ for a mentor and not for a learner."""
        assert b'href="/mentor/"' in mentor_client.get("/my/").content
        assert b'href="/mentor/"' not in learner_client.get("/my/").content

    @pytest.mark.parametrize("learner_id", ["999999", str(2**63), str(2**70)])
    def test_unknown_or_huge_id_is_404(self, mentor_client, mentee, learner_id):
        """An id that does not exist, even beyond 64 bits, is a 404."""
        assert mentor_client.get(f"/mentor/{learner_id}/").status_code == 404

    def test_another_mentors_mentee_is_404_without_data(self, mentor_client, other_learner, course_tree):
        """A learner mentored by someone else is a 404 and their name is not shown; POSTs change nothing."""
        mentorship_assign(mentor=make_mentor("mentor-boris"), learner=other_learner)
        response = mentor_client.get(f"/mentor/{other_learner.pk}/")
        assert response.status_code == 404
        assert other_learner.full_name not in response.content.decode()
        assert mentor_client.post(f"/mentor/{other_learner.pk}/notes/", {"text": "Привет"}).status_code == 404
        assert not MentorNote.objects.exists()

    def test_ended_mentorship_closes_the_mentee_page(self, mentor_client, mentor, mentee):
        """Once the mentorship ends the former mentee's page is a 404 and they leave the table."""
        mentorship_end(mentorship=Mentorship.objects.get(mentor=mentor, learner=mentee))
        assert mentor_client.get(f"/mentor/{mentee.pk}/").status_code == 404
        assert mentee.full_name not in mentor_client.get("/mentor/").content.decode()


class MenteesTableTests:
    def test_row_shows_place_progress_lessons_and_last_quiz(self, mentor_client, mentee, course_tree):
        """A mentee's row: name, branch, percent (1 of 4 required items = 25%), lessons done, last quiz score."""
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_one)
        submit_quiz(mentee, course_tree.quiz, correct=True)
        html = mentor_client.get("/mentor/").content.decode()
        assert mentee.full_name in html
        assert mentee.branch.name in html
        assert "50%" in html  # the lesson and the passed quiz: 2 of 4
        assert f"{course_tree.quiz.title}: 100%" in html
        assert "status--on_track" in html

    def test_statuses_and_needs_attention_order(self, mentor, mentor_client, mentee, course_tree):
        """Failed a quiz comes first, then stalled, then not started, then on track, then completed."""
        failed = UserFactory(username="failed", full_name="Провалил Тест")
        stalled = UserFactory(username="stalled", full_name="Давно Неактивен")
        fresh = UserFactory(username="fresh", full_name="Ещё Не Начал")
        done = UserFactory(username="done", full_name="Всё Прошёл")
        for learner in (failed, stalled, fresh, done):
            mentorship_assign(mentor=mentor, learner=learner)
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_one)
        submit_quiz(failed, course_tree.quiz, correct=False)
        lesson_mark_complete(learner=stalled, lesson=course_tree.lesson_one)
        long_ago = timezone.now() - timedelta(days=20)
        LessonCompletion.objects.filter(learner=stalled).update(completed_at=long_ago)
        Enrolment.objects.filter(learner=stalled).update(last_seen_at=long_ago)
        for lesson in (course_tree.lesson_one, course_tree.lesson_two, course_tree.lesson_three):
            lesson_mark_complete(learner=done, lesson=lesson)
        submit_quiz(done, course_tree.quiz, correct=True)

        html = mentor_client.get("/mentor/").content.decode()
        order = [html.index(name) for name in ("Провалил Тест", "Давно Неактивен", "Ещё Не Начал", mentee.full_name)]
        assert order == sorted(order)
        assert html.index(mentee.full_name) < html.index("Всё Прошёл")
        for status in ("failed_quiz", "stalled", "not_started", "on_track", "completed"):
            assert f"status--{status}" in html

    def test_filter_by_status_and_sort_by_name(self, mentor, mentor_client, mentee, course_tree):
        """?status=not_started shows only those; ?sort=name orders by name."""
        mentorship_assign(mentor=mentor, learner=UserFactory(username="aaa", full_name="Абрам Аксёнов"))
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_one)
        html = mentor_client.get("/mentor/?status=not_started").content.decode()
        assert "Абрам Аксёнов" in html
        assert mentee.full_name not in html
        html = mentor_client.get("/mentor/?sort=name").content.decode()
        assert html.index("Абрам Аксёнов") < html.index(mentee.full_name)

    def test_most_missed_questions_with_the_wrong_choice(self, mentor, mentor_client, mentee, course_tree):
        """The questions mentees get wrong: the question, how many of how many, and the wrong choice picked."""
        second = UserFactory(username="second")
        mentorship_assign(mentor=mentor, learner=second)
        submit_quiz(mentee, course_tree.quiz, correct=False)
        submit_quiz(second, course_tree.quiz, correct=False)
        question = course_tree.quiz.questions.first()
        wrong_choice = next(choice for choice in question.choices.all() if not choice.is_correct)
        html = mentor_client.get("/mentor/").content.decode()
        section = html[html.index('class="missed"') : html.index('id="mentees-title"')]
        assert question.text in section
        assert wrong_choice.text in section
        assert "2" in section

    def test_missed_questions_only_count_my_mentees(self, mentor_client, mentee, other_learner, course_tree):
        """Another mentor's learner's wrong answers never show on my page."""
        submit_quiz(other_learner, course_tree.quiz, correct=False)
        assert 'class="missed"' not in mentor_client.get("/mentor/").content.decode()

    def test_long_lists_are_paged_after_sorting(self, mentor, mentor_client, course_tree):
        """60 mentees: 50 on the first page, the rest on the second, in the same order across pages."""
        for number in range(60):
            mentorship_assign(
                mentor=mentor, learner=UserFactory(username=f"m{number:02d}", full_name=f"Ученик {number:02d}")
            )
        first = mentor_client.get("/mentor/?sort=name").content.decode()
        second = mentor_client.get("/mentor/?sort=name&page=2").content.decode()
        assert first.count("mentee-row ") == 50
        assert second.count("mentee-row ") == 10
        assert "Ученик 49" in first
        assert "Ученик 50" in second
        assert "Ученик 50" not in first

    def test_learner_html_in_name_is_escaped(self, mentor, mentor_client, course_tree):
        """A full name with markup is shown as text."""
        mentorship_assign(mentor=mentor, learner=UserFactory(username="xss", full_name="<b>Хакер</b>"))
        html = mentor_client.get("/mentor/").content.decode()
        assert "&lt;b&gt;Хакер&lt;/b&gt;" in html
        assert "<b>Хакер</b>" not in html

    def test_query_count_does_not_grow_with_mentees(
        self, mentor, mentor_client, course_tree, django_assert_max_num_queries
    ):
        """The same number of queries for 1 and for 20 mentees with progress and attempts."""

        def add_mentees(count, start):
            for number in range(start, start + count):
                learner = UserFactory(username=f"mentee{number}")
                mentorship_assign(mentor=mentor, learner=learner)
                lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
                submit_quiz(learner, course_tree.quiz, correct=number % 2 == 0)

        add_mentees(1, 0)
        mentor_client.get("/mentor/")  # warm the site root cache
        with django_assert_max_num_queries(18):
            assert mentor_client.get("/mentor/").status_code == 200
        add_mentees(19, 1)
        with django_assert_max_num_queries(18):
            response = mentor_client.get("/mentor/")
        assert response.content.decode().count("mentee-row ") == 20


class MenteePageTests:
    def test_lessons_with_dates_and_attempt_answers_from_the_snapshot(self, mentor_client, mentee, course_tree):
        """Lesson by lesson with the date done; each attempt with the answers as asked then, even after an edit."""
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_one)
        submit_quiz(mentee, course_tree.quiz, correct=False)
        question = course_tree.quiz.questions.first()
        old_text = question.text
        question.text = "Совсем другой вопрос?"
        question.save()
        html = mentor_client.get(f"/mentor/{mentee.pk}/").content.decode()
        assert course_tree.lesson_one.title in html
        assert timezone.localtime().strftime("%Y") in html
        assert old_text in html
        assert "Совсем другой вопрос?" not in html
        assert "attempt-review__question--wrong" in html
        assert "attempt-review__question--right" not in html

    def test_query_count_does_not_grow_with_history(
        self, mentor, mentor_client, mentee, course_tree, django_assert_max_num_queries
    ):
        """The mentee page costs the same with one attempt and note as with many."""
        submit_quiz(mentee, course_tree.quiz, correct=False)
        mentor_note_add(mentor=mentor, learner=mentee, text="Первая заметка", lesson=course_tree.lesson_one)
        mentor_client.get(f"/mentor/{mentee.pk}/")
        with django_assert_max_num_queries(24):
            assert mentor_client.get(f"/mentor/{mentee.pk}/").status_code == 200
        submit_quiz(mentee, course_tree.quiz, correct=False)
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_one)
        lesson_mark_complete(learner=mentee, lesson=course_tree.lesson_two)
        for number in range(10):
            mentor_note_add(mentor=mentor, learner=mentee, text=f"Заметка {number}", lesson=course_tree.lesson_two)
        with django_assert_max_num_queries(24):
            assert mentor_client.get(f"/mentor/{mentee.pk}/").status_code == 200


class MentorNoteTests:
    def test_note_pinned_to_a_lesson_reaches_the_learner(self, mentor_client, learner_client, mentee, course_tree):
        """A note pinned to a lesson shows on the mentee page, on the learner's /my/ and on that lesson only."""
        lesson = course_tree.lesson_one
        response = mentor_client.post(
            f"/mentor/{mentee.pk}/notes/", {"text": "Перечитайте график приёма.", "pin": f"lesson:{lesson.pk}"}
        )
        assert response.status_code == 302
        note = MentorNote.objects.get()
        assert (note.lesson_id, note.attempt_id, note.learner_id) == (lesson.pk, None, mentee.pk)
        assert "Перечитайте график приёма." in mentor_client.get(f"/mentor/{mentee.pk}/").content.decode()
        assert "Перечитайте график приёма." in learner_client.get("/my/").content.decode()
        assert "Перечитайте график приёма." in learner_client.get(lesson.url).content.decode()
        assert "Перечитайте график приёма." not in learner_client.get(course_tree.lesson_two.url).content.decode()

    def test_note_pinned_to_an_attempt_shows_on_the_quiz_page(self, mentor_client, learner_client, mentee, course_tree):
        """A note pinned to a quiz attempt shows on that quiz's page."""
        attempt = submit_quiz(mentee, course_tree.quiz, correct=False)
        mentor_client.post(
            f"/mentor/{mentee.pk}/notes/", {"text": "Разберём вопрос 2.", "pin": f"attempt:{attempt.pk}"}
        )
        assert MentorNote.objects.get().attempt_id == attempt.pk
        assert "Разберём вопрос 2." in learner_client.get(course_tree.quiz.url).content.decode()

    def test_notes_are_only_for_their_learner(self, mentor, mentee, other_learner, course_tree):
        """Another learner sees nothing of my mentee's notes, neither on /my/ nor on the lesson."""
        mentor_note_add(mentor=mentor, learner=mentee, text="Лично для вас", lesson=course_tree.lesson_one)
        other = Client()
        other.force_login(other_learner)
        assert "Лично для вас" not in other.get("/my/").content.decode()
        assert "Лично для вас" not in other.get(course_tree.lesson_one.url).content.decode()

    @pytest.mark.parametrize("text", ["", "   \n  "])
    def test_empty_note_is_refused(self, mentor_client, mentee, text):
        """An empty note gets a clear message and nothing is stored."""
        response = mentor_client.post(f"/mentor/{mentee.pk}/notes/", {"text": text, "pin": ""})
        assert response.status_code == 400
        assert in_russian(NOTE_EMPTY) in response.content.decode()
        assert not MentorNote.objects.exists()

    def test_note_over_5000_characters_is_refused(self, mentor_client, mentee):
        """5,001 characters: a clear message naming the limit; nothing stored. 5,000 pass."""
        response = mentor_client.post(f"/mentor/{mentee.pk}/notes/", {"text": "я" * 5001, "pin": ""})
        assert response.status_code == 400
        assert "5000" in response.content.decode()
        assert not MentorNote.objects.exists()
        assert mentor_client.post(f"/mentor/{mentee.pk}/notes/", {"text": "я" * 5000}).status_code == 302
        assert MentorNote.objects.count() == 1

    def test_pin_to_something_not_offered_is_refused(self, mentor_client, mentee, other_learner, course_tree):
        """Pinning to another learner's attempt or an unknown lesson is a form error; nothing stored."""
        attempt = submit_quiz(other_learner, course_tree.quiz, correct=True)
        for pin in (f"attempt:{attempt.pk}", "lesson:999999", "lesson:abc"):
            response = mentor_client.post(f"/mentor/{mentee.pk}/notes/", {"text": "Текст", "pin": pin})
            assert response.status_code == 400
        assert not MentorNote.objects.exists()

    def test_html_in_a_note_is_shown_escaped(self, mentor_client, learner_client, mentee):
        """Markup a mentor types is shown as text to the mentor and to the learner."""
        mentor_client.post(f"/mentor/{mentee.pk}/notes/", {"text": '<script>alert("x")</script>', "pin": ""})
        for html in (
            mentor_client.get(f"/mentor/{mentee.pk}/").content.decode(),
            learner_client.get("/my/").content.decode(),
        ):
            assert "<script>alert" not in html
            assert "&lt;script&gt;alert" in html

    def test_service_refuses_a_learner_who_is_not_the_mentee(self, mentor, other_learner):
        """mentor_note_add for someone else's learner raises NOT_YOUR_MENTEE."""
        with pytest.raises(ProgressError) as error:
            mentor_note_add(mentor=mentor, learner=other_learner, text="Привет")
        assert error.value.message == NOT_YOUR_MENTEE

    def test_learner_sees_mentor_and_notes_newest_first_unread_marked(self, mentor, learner_client, mentee):
        """/my/ shows my mentor's name and e-mail, notes newest first; unread ones are marked new once."""
        mentor_note_add(mentor=mentor, learner=mentee, text="Первая заметка")
        mentor_note_add(mentor=mentor, learner=mentee, text="Вторая заметка")
        html = learner_client.get("/my/").content.decode()
        assert mentor.full_name in html
        assert mentor.email in html
        assert html.index("Вторая заметка") < html.index("Первая заметка")
        assert html.count("note--new") == 2
        assert learner_client.get("/my/").content.decode().count("note--new") == 0
        assert MentorNote.objects.filter(read_at__isnull=True).count() == 0


class ExtraAttemptTests:
    @pytest.fixture
    def used_up(self, mentee, course_tree):
        """The mentee used both attempts of a two-attempt quiz without passing."""
        quiz = course_tree.quiz
        quiz.attempt_limit = 2
        quiz.save_revision().publish()
        for _attempt in range(2):
            submit_quiz(mentee, quiz, correct=False)
        return quiz

    def test_grant_opens_one_more_attempt_and_the_learner_is_told(
        self, mentor, mentor_client, learner_client, mentee, used_up
    ):
        """Granting records who and when, the learner can start attempt 3 and sees the mentor's note."""
        assert learner_client.post(f"/my/quizzes/{used_up.pk}/attempts/").status_code == 302
        assert QuizAttempt.objects.filter(learner=mentee).count() == 2
        response = mentor_client.post(f"/mentor/{mentee.pk}/extra-attempts/", {"quiz": used_up.pk, "comment": "Удачи!"})
        assert response.status_code == 302
        grant = ExtraAttempt.objects.get()
        assert (grant.granted_by, grant.allows_attempt, grant.quiz_id) == (mentor, 3, used_up.pk)
        assert grant.granted_at is not None
        html = learner_client.get("/my/").content.decode()
        assert "Удачи!" in html
        assert used_up.title in html
        learner_client.post(f"/my/quizzes/{used_up.pk}/attempts/")
        assert QuizAttempt.objects.filter(learner=mentee, number=3).exists()

    def test_granting_twice_is_refused(self, mentor_client, mentee, used_up):
        """A second grant before the extra attempt is used is refused with a message; one grant stays."""
        mentor_client.post(f"/mentor/{mentee.pk}/extra-attempts/", {"quiz": used_up.pk})
        response = mentor_client.post(f"/mentor/{mentee.pk}/extra-attempts/", {"quiz": used_up.pk})
        assert in_russian(QUIZ_NOT_USED_UP) in messages_of(response)
        assert ExtraAttempt.objects.count() == 1

    def test_grant_on_a_quiz_not_used_up_is_refused(self, mentor_client, mentee, course_tree):
        """Attempts left: the grant is refused with a message and nothing recorded."""
        submit_quiz(mentee, course_tree.quiz, correct=False)
        response = mentor_client.post(f"/mentor/{mentee.pk}/extra-attempts/", {"quiz": course_tree.quiz.pk})
        assert in_russian(QUIZ_NOT_USED_UP) in messages_of(response)
        assert not ExtraAttempt.objects.exists()
        assert not MentorNote.objects.exists()

    def test_grant_for_an_unknown_quiz_is_refused(self, mentor_client, mentee, used_up):
        """A quiz id that is not one of the learner's quizzes changes nothing."""
        for quiz_id in ("999999", "abc", ""):
            mentor_client.post(f"/mentor/{mentee.pk}/extra-attempts/", {"quiz": quiz_id})
        assert not ExtraAttempt.objects.exists()

    def test_without_a_grant_the_limit_holds(self, learner_client, mentee, used_up):
        """The used-up quiz refuses a third attempt until a mentor grants one."""
        response = learner_client.post(f"/my/quizzes/{used_up.pk}/attempts/")
        assert in_russian(ATTEMPT_LIMIT_REACHED) in messages_of(response)
