from django.urls import path, register_converter

from . import views
from .views import personal_data as personal_data_views


class RowIdConverter:
    """A database id: digits that fit a 64-bit key, so a longer number is a 404, not a database error."""

    regex = "[0-9]{1,18}"

    def to_python(self, value):
        return int(value)

    def to_url(self, value):
        return str(value)


register_converter(RowIdConverter, "id")

app_name = "progress"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("start/", views.landing, name="landing"),
    path("lessons/<id:lesson_id>/complete/", views.lesson_complete, name="lesson_complete"),
    path("quizzes/<id:quiz_id>/attempts/", views.quiz_start, name="quiz_start"),
    path("attempts/<id:attempt_id>/", views.attempt_result, name="attempt"),
    path("attempts/<id:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
    path("outbox/", views.outbox, name="outbox"),
    path("data.json", personal_data_views.my_personal_data, name="personal_data"),
    path("data/<id:learner_id>.json", personal_data_views.personal_data_by_id, name="personal_data_by_id"),
]

# Mounted at /mentor/ by the project's URLconf.
mentor_patterns = (
    [
        path("", views.mentees, name="mentees"),
        path("<id:learner_id>/", views.mentee_detail_view, name="mentee"),
        path("<id:learner_id>/notes/", views.mentee_note_add, name="note_add"),
        path("<id:learner_id>/extra-attempts/", views.mentee_extra_attempt, name="extra_attempt"),
    ],
    "mentor",
)

# Mounted at /reports/ by the project's URLconf.
reports_patterns = (
    [
        path("", views.reports_index, name="index"),
        path("export.csv", views.reports.reports_export_csv, name="export_csv"),
        path("export.xlsx", views.reports.reports_export_xlsx, name="export_xlsx"),
    ],
    "reports",
)
