"""Give demo learners some history, so the dashboard and course pages have something to show.

Run after seed_demo_content. A learner who already has any progress is left alone, so a second
run, or a learner who has been clicking around the demo, changes nothing.
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from courses.models import CoursePage
from progress.models import LessonCompletion, QuizAttempt
from progress.selectors import course_progress_for_learner
from progress.services import lesson_mark_complete, quiz_attempt_start, quiz_attempt_submit


# How many items of the course each demo learner has done, from the start.
DEMO_ITEMS_DONE = {"learner": 2, "learner2": 5, "learner3": 3}


class Command(BaseCommand):
    help = (
        "Mark the first items of the demo course as done for learner, learner2 and learner3 "
        "(lessons completed, quizzes passed), through the same services the site uses. Idempotent."
    )

    def handle(self, *args, **options):
        course = CoursePage.objects.live().order_by("path").first()
        if course is None:
            self.stderr.write(self.style.WARNING("Skipped: no live course; run seed_demo_content first."))
            return
        users = get_user_model().objects.in_bulk(list(DEMO_ITEMS_DONE), field_name="username")
        for username, count in DEMO_ITEMS_DONE.items():
            learner = users.get(username)
            if learner is None or self.has_history(learner):
                continue
            self.take_items(learner=learner, course=course, count=count)
            progress = course_progress_for_learner(learner=learner, course=course)
            self.stdout.write(f"{username}: {progress.done} of {progress.required} items done ({progress.percent}%).")

    def has_history(self, learner):
        return (
            LessonCompletion.objects.filter(learner=learner).exists()
            or QuizAttempt.objects.filter(learner=learner).exists()
        )

    @transaction.atomic
    def take_items(self, *, learner, course, count):
        for item in course_progress_for_learner(learner=learner, course=course).outline.items[:count]:
            if item.item_kind == "lesson":
                lesson_mark_complete(learner=learner, lesson=item)
            else:
                self.pass_quiz(learner=learner, quiz=item)

    def pass_quiz(self, *, learner, quiz):
        attempt = quiz_attempt_start(learner=learner, quiz=quiz)
        correct = {
            question.pk: [str(choice.pk) for choice in question.choices.all() if choice.is_correct]
            for question in quiz.questions.prefetch_related("choices")
        }
        answers = {str(question_id): correct[question_id] for question_id, _choices in attempt.layout}
        quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)
