from django import forms
from django.utils.translation import gettext_lazy as _

from .models import MentorNote


class MentorNoteForm(forms.Form):
    """A note to a mentee; `pin` offers the mentee's lessons and submitted attempts."""

    text = forms.CharField(
        label=_("Note"),
        max_length=MentorNote.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("Write the note before sending it.")},
    )
    pin = forms.ChoiceField(label=_("About"), required=False)

    def __init__(self, *args, lessons=(), attempts=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lessons = {str(lesson.pk): lesson for lesson in lessons}
        self.attempts = {str(review.attempt.pk): review.attempt for review in attempts}
        self.fields["pin"].choices = [
            ("", _("The course in general")),
            (
                _("Lesson"),
                [(f"lesson:{pk}", lesson.title) for pk, lesson in self.lessons.items()],
            ),
            (
                _("Quiz attempt"),
                [
                    (
                        f"attempt:{pk}",
                        _("%(quiz)s, attempt %(number)s (%(percent)s%%)")
                        % {"quiz": attempt.quiz.title, "number": attempt.number, "percent": attempt.percent},
                    )
                    for pk, attempt in self.attempts.items()
                ],
            ),
        ]

    def pinned_to(self):
        """(lesson, attempt) chosen in `pin`; only one of them is set, or neither."""
        kind, _sep, pk = self.cleaned_data["pin"].partition(":")
        if kind == "lesson":
            return self.lessons[pk], None
        if kind == "attempt":
            return None, self.attempts[pk]
        return None, None


class ExtraAttemptForm(forms.Form):
    quiz = forms.IntegerField(widget=forms.HiddenInput)
    comment = forms.CharField(
        label=_("Comment for the learner (optional)"),
        required=False,
        max_length=MentorNote.TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
