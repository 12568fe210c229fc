"""Accounts: logging in and out, resetting and changing a password, the learner's own profile."""

import re

import pytest

from django.contrib.auth import SESSION_KEY
from django.core import mail
from django.urls import reverse

from school.factories import BranchFactory, RegionFactory, UserFactory
from school.models import User


NEW_PASSWORD = "Zelenaya-lampa-1917"
RESET_LINK = re.compile(r"http://testserver(/accounts/reset/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def learner(db):
    return UserFactory(
        username="secretary",
        full_name="Анна Сергеевна Петрова",
        email="anna@example.org",
        branch=BranchFactory(
            region=RegionFactory(code="52", name="Нижегородская область"),
            number="12",
            name="Первичное отделение № 12 (с. Ивановка)",
        ),
    )


def _is_logged_in(client):
    return SESSION_KEY in client.session


def _without_csrf_tokens(response):
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())


@pytest.mark.django_db
class LoginTests:
    def test_login_page_is_russian_by_default_with_accessible_fields(self, client):
        """The login page speaks Russian and offers labelled username and password fields with autocomplete."""
        response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        html = response.content.decode()
        assert response.status_code == 200
        assert '<html lang="ru"' in html
        assert "Войти" in html
        assert '<label for="id_username">' in html and '<label for="id_password">' in html
        assert 'autocomplete="username"' in html
        assert 'autocomplete="current-password"' in html
        assert f'href="{reverse("password_reset")}"' in html

    def test_login_page_keeps_a_local_next(self, client):
        """A local `next` travels with the login form as a hidden field."""
        response = client.get(reverse("login"), {"next": "/courses/secretary/"})
        assert '<input type="hidden" name="next" value="/courses/secretary/">' in response.content.decode()

    def test_login_page_drops_an_external_next(self, client):
        """An external `next` is not carried in the login form."""
        response = client.get(reverse("login"), {"next": "https://evil.example/"})
        assert response.context["next"] == ""
        assert '<input type="hidden" name="next" value="">' in response.content.decode()

    def test_wrong_password_shows_an_error_and_does_not_log_in(self, client, learner):
        """A wrong password re-renders the form with an error tied to the fields, and nobody is logged in."""
        response = client.post(reverse("login"), {"username": "secretary", "password": "wrong"})
        html = response.content.decode()
        assert response.status_code == 200
        assert not _is_logged_in(client)
        error = response.context["form"].non_field_errors()[0]
        assert "имя пользователя" in error  # Django's own Russian message
        assert 'class="error-summary"' in html
        assert f'<li id="login-error">{error}</li>' in html
        assert html.count('aria-describedby="login-error"') == 2
        assert 'value="secretary"' in html

    def test_right_password_logs_in_and_goes_to_a_local_next(self, client, learner):
        """The right password logs the learner in and sends them to the local `next`."""
        response = client.post(
            reverse("login"), {"username": "secretary", "password": "password", "next": "/courses/secretary/"}
        )
        assert response.status_code == 302
        assert response["Location"] == "/courses/secretary/"
        assert _is_logged_in(client)

    def test_right_password_never_goes_to_an_external_next(self, client, learner):
        """After logging in, an external `next` is replaced by the default landing page."""
        response = client.post(
            reverse("login"), {"username": "secretary", "password": "password", "next": "https://evil.example/"}
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("progress:landing")
        assert _is_logged_in(client)


@pytest.mark.django_db
class LogoutTests:
    def test_logout_refuses_get(self, client, learner):
        """GET on the logout URL is refused with 405 and the learner stays logged in."""
        client.force_login(learner)
        assert client.get(reverse("logout")).status_code == 405
        assert _is_logged_in(client)

    def test_logout_by_post_logs_out(self, client, learner):
        """POST on the logout URL logs the learner out."""
        client.force_login(learner)
        response = client.post(reverse("logout"))
        assert response.status_code == 302
        assert not _is_logged_in(client)


@pytest.mark.django_db
class PasswordResetTests:
    def test_reset_form_has_an_accessible_email_field(self, client):
        """The reset form offers a labelled e-mail field with autocomplete="email"."""
        html = client.get(reverse("password_reset")).content.decode()
        assert '<label for="id_email">' in html
        assert 'type="email"' in html and 'autocomplete="email"' in html

    def test_known_address_gets_one_email_with_a_link(self, client, learner):
        """A known address receives exactly one e-mail carrying a reset link."""
        response = client.post(reverse("password_reset"), {"email": "anna@example.org"})
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_done")
        assert len(mail.outbox) == 1
        message = mail.outbox[0]
        assert message.to == ["anna@example.org"]
        assert "\n" not in message.subject
        assert RESET_LINK.search(message.body)
        assert "secretary" in message.body

    def test_unknown_address_gets_the_same_done_page_and_no_email(self, client, learner):
        """An unknown address leads to the same "done" page as a known one, and no e-mail is sent."""
        known = client.post(reverse("password_reset"), {"email": "anna@example.org"}, follow=True)
        unknown = client.post(reverse("password_reset"), {"email": "nobody@example.org"}, follow=True)
        assert len(mail.outbox) == 1
        assert unknown.redirect_chain == known.redirect_chain == [(reverse("password_reset_done"), 302)]
        assert _without_csrf_tokens(unknown) == _without_csrf_tokens(known)

    def test_invalid_email_is_refused_with_an_error(self, client, learner):
        """A malformed address re-renders the form with an error tied to the field, and no e-mail is sent."""
        response = client.post(reverse("password_reset"), {"email": "not-an-address"})
        html = response.content.decode()
        assert response.status_code == 200
        assert len(mail.outbox) == 0
        assert 'aria-invalid="true"' in html
        assert 'aria-describedby="id_email_error"' in html and 'id="id_email_error"' in html

    def test_full_reset_flow_sets_a_new_password(self, client, learner):
        """Following the e-mailed link and setting a new password lets the learner log in with it."""
        client.post(reverse("password_reset"), {"email": "anna@example.org"})
        link = RESET_LINK.search(mail.outbox[0].body).group(1)

        response = client.get(link, follow=True)
        assert response.status_code == 200
        assert response.context["validlink"] is True
        html = response.content.decode()
        assert html.count('autocomplete="new-password"') == 2
        assert 'value="secretary" autocomplete="username"' in html
        set_password_url = response.redirect_chain[-1][0]

        response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
        assert response.status_code == 302
        assert response["Location"] == reverse("password_reset_complete")
        assert client.get(response["Location"]).status_code == 200

        assert client.post(reverse("login"), {"username": "secretary", "password": NEW_PASSWORD}).status_code == 302
        assert _is_logged_in(client)
        learner.refresh_from_db()
        assert not learner.check_password("password")

    def test_a_used_link_is_refused_clearly(self, client, learner):
        """Once used, the reset link shows the "link does not work" page with a way to ask for a new one."""
        client.post(reverse("password_reset"), {"email": "anna@example.org"})
        link = RESET_LINK.search(mail.outbox[0].body).group(1)
        set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
        client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})

        response = client.get(link, follow=True)
        assert response.context["validlink"] is False
        html = response.content.decode()
        assert 'name="new_password1"' not in html
        assert f'href="{reverse("password_reset")}"' in html

    def test_mismatched_new_passwords_are_refused(self, client, learner):
        """Two different new passwords re-render the form with an error and keep the old password."""
        client.post(reverse("password_reset"), {"email": "anna@example.org"})
        link = RESET_LINK.search(mail.outbox[0].body).group(1)
        set_password_url = client.get(link, follow=True).redirect_chain[-1][0]
        response = client.post(set_password_url, {"new_password1": NEW_PASSWORD, "new_password2": "другой-пароль-42"})
        assert response.status_code == 200
        assert 'class="error-summary"' in response.content.decode()
        learner.refresh_from_db()
        assert learner.check_password("password")


@pytest.mark.django_db
class PasswordChangeTests:
    def test_password_change_requires_login(self, client):
        """An anonymous visitor is sent to log in before changing a password."""
        response = client.get(reverse("password_change"))
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={reverse('password_change')}"

    def test_password_change_sets_the_new_password(self, client, learner):
        """With the current password and a new one twice, the password changes and the learner stays logged in."""
        client.force_login(learner)
        html = client.get(reverse("password_change")).content.decode()
        assert 'autocomplete="current-password"' in html and html.count('autocomplete="new-password"') == 2
        response = client.post(
            reverse("password_change"),
            {"old_password": "password", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response.status_code == 302
        assert response["Location"] == reverse("password_change_done")
        assert client.get(response["Location"]).status_code == 200
        assert _is_logged_in(client)
        learner.refresh_from_db()
        assert learner.check_password(NEW_PASSWORD)

    def test_wrong_current_password_changes_nothing(self, client, learner):
        """A wrong current password is refused and the password stays as it was."""
        client.force_login(learner)
        response = client.post(
            reverse("password_change"),
            {"old_password": "wrong", "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
        )
        assert response.status_code == 200
        assert 'aria-describedby="id_old_password_error"' in response.content.decode()
        learner.refresh_from_db()
        assert learner.check_password("password")


@pytest.mark.django_db
class ProfileTests:
    url = "/accounts/profile/"

    def test_profile_url_is_named_profile(self):
        """The profile lives at /accounts/profile/, Django's default landing page after login."""
        assert reverse("profile") == self.url

    def test_profile_requires_login(self, client):
        """An anonymous visitor is sent to the login page with `next` pointing back to the profile."""
        response = client.get(self.url)
        assert response.status_code == 302
        assert response["Location"] == f"{reverse('login')}?next={self.url}"

    def test_profile_shows_the_learners_own_data_only(self, client, learner):
        """The profile shows the learner's username, name, e-mail, region and branch, and nobody else's."""
        other = UserFactory(username="neighbour", full_name="Пётр Иванович Сидоров", email="petr@example.org")
        client.force_login(learner)
        response = client.get(self.url)
        html = response.content.decode()
        assert response.status_code == 200
        for text in (
            "secretary",
            "Анна Сергеевна Петрова",
            "anna@example.org",
            "Нижегородская область",
            "Первичное отделение № 12 (с. Ивановка)",
        ):
            assert text in html
        for text in (other.username, other.full_name, other.email, other.region.name, other.branch.name):
            assert text not in html

    def test_profile_form_offers_only_name_and_email(self, client, learner):
        """Only the full name and e-mail are form fields, with autocomplete; region and branch are text."""
        client.force_login(learner)
        html = client.get(self.url).content.decode()
        profile_form = html[html.index('action="/accounts/profile/"') :]
        profile_form = profile_form[: profile_form.index("</form>")]
        assert set(re.findall(r'name="([^"]+)"', profile_form)) == {"csrfmiddlewaretoken", "full_name", "email"}
        assert 'autocomplete="name"' in profile_form and 'autocomplete="email"' in profile_form
        assert '<label for="id_full_name">' in profile_form and '<label for="id_email">' in profile_form

    def test_profile_saves_name_and_email_with_a_message(self, client, learner):
        """Saving a new name and e-mail stores them (name stripped) and returns to the profile with a message."""
        client.force_login(learner)
        response = client.post(self.url, {"full_name": "  Анна Сергеевна Иванова  ", "email": "ivanova@example.org"})
        assert response.status_code == 302
        assert response["Location"] == self.url
        learner.refresh_from_db()
        assert learner.full_name == "Анна Сергеевна Иванова"
        assert learner.email == "ivanova@example.org"
        html = client.get(response["Location"]).content.decode()
        assert "message--success" in html

    def test_profile_accepts_an_empty_email(self, client, learner):
        """The e-mail address is optional."""
        client.force_login(learner)
        response = client.post(self.url, {"full_name": "Анна Петрова", "email": ""})
        assert response.status_code == 302
        learner.refresh_from_db()
        assert learner.email == ""

    @pytest.mark.parametrize(
        ("data", "field"),
        [
            ({"full_name": "Анна Петрова", "email": "not-an-address"}, "email"),
            ({"full_name": "   ", "email": "new@example.org"}, "full_name"),
            ({"full_name": "А" * 256, "email": "new@example.org"}, "full_name"),
        ],
    )
    def test_profile_refuses_bad_input_and_changes_nothing(self, client, learner, data, field):
        """An invalid e-mail, an empty or overlong name re-render the form with an error and change nothing."""
        client.force_login(learner)
        response = client.post(self.url, data)
        html = response.content.decode()
        assert response.status_code == 200
        assert list(response.context["form"].errors) == [field]
        assert 'class="error-summary"' in html
        assert f'aria-describedby="id_{field}_helptext id_{field}_error"' in html
        assert f'id="id_{field}_error"' in html
        learner.refresh_from_db()
        assert learner.full_name == "Анна Сергеевна Петрова"
        assert learner.email == "anna@example.org"

    def test_profile_ignores_every_other_field(self, client, learner):
        """Posted region, branch, username, staff flags, password or another user's id change nothing."""
        other = UserFactory(username="neighbour", full_name="Пётр Иванович Сидоров")
        elsewhere = BranchFactory(region=RegionFactory(code="36", name="Воронежская область"), number="7")
        region, branch = learner.region, learner.branch
        client.force_login(learner)
        response = client.post(
            self.url,
            {
                "full_name": "Анна Петрова",
                "email": "anna@example.org",
                "region": elsewhere.region.pk,
                "branch": elsewhere.pk,
                "username": "boss",
                "is_staff": "on",
                "is_superuser": "on",
                "is_active": "",
                "groups": "1",
                "password": "md5$x$y",
                "id": other.pk,
                "pk": other.pk,
            },
        )
        assert response.status_code == 302
        learner.refresh_from_db()
        assert learner.full_name == "Анна Петрова"
        assert (learner.region, learner.branch, learner.username) == (region, branch, "secretary")
        assert (learner.is_staff, learner.is_superuser, learner.is_active) == (False, False, True)
        assert learner.check_password("password")
        assert not learner.groups.exists()
        other.refresh_from_db()
        assert other.full_name == "Пётр Иванович Сидоров"
        assert not User.objects.filter(username="boss").exists()

    def test_profile_is_never_cached(self, client, learner):
        """The profile response forbids shared and stored caching."""
        client.force_login(learner)
        cache_control = client.get(self.url)["Cache-Control"]
        for directive in ("no-cache", "no-store", "private"):
            assert directive in cache_control

    def test_header_links_to_the_profile_only_when_logged_in(self, client, learner):
        """The header's account area links to the profile for a logged-in learner and not for a visitor."""
        link = f'href="{self.url}"'
        assert link not in client.get(reverse("login")).content.decode()
        client.force_login(learner)
        assert link in client.get(reverse("password_change")).content.decode()
