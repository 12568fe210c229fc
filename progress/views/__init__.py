"""Site views of progress, one module per audience."""

from .learner import attempt_result, attempt_submit, dashboard, landing, lesson_complete, quiz_start
from .mentor import mentee_detail_view, mentee_extra_attempt, mentee_note_add, mentees
from .offline import outbox
from .reports import reports_index


__all__ = [
    "attempt_result",
    "attempt_submit",
    "dashboard",
    "landing",
    "lesson_complete",
    "mentee_detail_view",
    "mentee_extra_attempt",
    "mentee_note_add",
    "mentees",
    "outbox",
    "quiz_start",
    "reports_index",
]
