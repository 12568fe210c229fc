"""Forms of the organisation app."""

from django import forms
from django.utils.translation import gettext_lazy as _

from wagtail.admin.forms.auth import LoginForm

from .models import User


class ProfileForm(forms.ModelForm):
    """What a learner may change about themself: their name and e-mail address, nothing else.

    Region and branch decide which coordinator and mentor follow a learner, so only
    administrators set them; they are deliberately not fields here.
    """

    class Meta:
        model = User
        fields = ["full_name", "email"]
        widgets = {
            "full_name": forms.TextInput(attrs={"autocomplete": "name", "spellcheck": "false"}),
            "email": forms.EmailInput(attrs={"autocomplete": "email", "autocapitalize": "none", "spellcheck": "false"}),
        }
        help_texts = {
            "full_name": _("Surname, first name and patronymic, as your mentor and coordinator should see them."),
            "email": _("Used to send you a link when you forget your password."),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional on the model (administrators may create accounts without it), required here.
        self.fields["full_name"].required = True


class AdminLoginForm(LoginForm):
    """Wagtail's sign-in form with a translatable label on the password field.

    Wagtail redeclares `password` without a label, so Django derives "Password" from the field
    name and no catalogue translates it; AuthenticationForm's own field has `label=_("Password")`.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["password"].label = _("Password")
