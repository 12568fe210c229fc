from django.urls import path

from . import views


app_name = "progress"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("lessons/<int:lesson_id>/complete/", views.lesson_complete, name="lesson_complete"),
    path("quizzes/<int:quiz_id>/attempts/", views.quiz_start, name="quiz_start"),
    path("attempts/<int:attempt_id>/", views.attempt_result, name="attempt"),
    path("attempts/<int:attempt_id>/submit/", views.attempt_submit, name="attempt_submit"),
]
