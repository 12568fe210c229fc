from django.urls import path

from . import views


app_name = "progress"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("start/", views.landing, name="landing"),
    path("lessons/<int:lesson_id>/complete/", views.lesson_complete, name="lesson_complete"),
    path("quizzes/<int:quiz_id>/attempts/", views.quiz_start, name="quiz_start"),
    path("attempts/<int:attempt_id>/", views.attempt_result, name="attempt"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
]

# Mounted at /mentor/ by the project's URLconf.
mentor_patterns = (
    [
        path("", views.mentees, name="mentees"),
        path("<int:learner_id>/", views.mentee_detail, name="mentee"),
        path("<int:learner_id>/notes/", views.mentee_note_add, name="note_add"),
        path("<int:learner_id>/extra-attempts/", views.mentee_extra_attempt, name="extra_attempt"),
    ],
    "mentor",
)

# Mounted at /reports/ by the project's URLconf.
reports_patterns = (
    [
        path("", views.reports_index, name="index"),
    ],
    "reports",
)
