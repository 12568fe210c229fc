"""Progress figures: the one place that computes them, split by who reads them."""

from .course import (
    CourseProgress,
    ItemProgress,
    ModuleProgress,
    attempt_layout_questions,
    attempt_shows_answers,
    attempts_left,
    course_progress_for_learner,
    courses_progress_for_learner,
    done_item_ids,
    percent_of,
    quiz_attempt_allowance,
    quiz_attempts_for_learner,
    recent_quiz_results,
)


__all__ = [
    "CourseProgress",
    "ItemProgress",
    "ModuleProgress",
    "attempt_layout_questions",
    "attempts_left",
    "attempt_shows_answers",
    "course_progress_for_learner",
    "courses_progress_for_learner",
    "done_item_ids",
    "percent_of",
    "quiz_attempt_allowance",
    "quiz_attempts_for_learner",
    "recent_quiz_results",
]
