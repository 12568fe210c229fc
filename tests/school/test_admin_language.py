"""The Wagtail admin speaks Russian to editors: the sign-in form, and the names the project gives
its own models."""

import pytest

from django.urls import reverse

from school.factories import UserFactory
from school.forms import AdminLoginForm


class AdminLoginTests:
    def test_admin_uses_the_projects_login_form(self, client, db):
        """The admin's sign-in page is built with AdminLoginForm."""
        response = client.get(reverse("wagtailadmin_login"))
        assert isinstance(response.context["form"], AdminLoginForm)

    def test_password_label_is_russian(self, client, db):
        """Both fields are labelled in Russian ("Password" used to come from the field's name)."""
        html = client.get(reverse("wagtailadmin_login")).content.decode()
        assert '<label class="w-field__label" for="id_password"' in html
        assert "Пароль" in html
        assert ">Password" not in html

    def test_editor_signs_in_through_it(self, client, db):
        """The form still signs an editor in."""
        UserFactory(username="chief", is_superuser=True, is_staff=True)
        response = client.post(reverse("wagtailadmin_login"), {"username": "chief", "password": "password"})
        assert response.status_code == 302
        assert response.url == reverse("wagtailadmin_home")


@pytest.mark.django_db
class AdminNamesTests:
    def test_image_model_is_called_images(self, admin_client):
        """The image upload screen names the project's image model in Russian, not "Custom images"."""
        html = admin_client.get(reverse("wagtailimages:add_multiple")).content.decode()
        assert "Custom image" not in html
        assert "изображения" in html.lower()
