"""Site-wide behaviour: health check, language, the custom user."""

import pytest

from django.conf import settings
from django.core.exceptions import ValidationError
from django.urls import reverse

from school.factories import BranchFactory, RegionFactory, UserFactory


@pytest.mark.django_db
def test_healthz_answers_200_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response.headers["Cache-Control"]


@pytest.mark.django_db
def test_healthz_refuses_post(client):
    assert client.post("/healthz").status_code == 405


@pytest.mark.django_db
def test_interface_is_russian_by_default_even_for_an_english_browser(client, course_tree):
    response = client.get(course_tree.course.url, HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    assert response.status_code == 200
    assert response.headers["Content-Language"] == "ru"
    assert '<html lang="ru"' in response.content.decode()
    assert "Войти" in response.content.decode()


@pytest.mark.django_db
def test_english_is_available_through_the_language_switcher(client, course_tree):
    response = client.post(reverse("set_language"), {"language": "en", "next": course_tree.course.url})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    response = client.get(course_tree.course.url)
    assert response.headers["Content-Language"] == "en"
    assert '<html lang="en"' in response.content.decode()
    assert "Log in" in response.content.decode()


@pytest.mark.django_db
def test_an_unknown_language_cookie_falls_back_to_russian(client, course_tree):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "xx"
    response = client.get(course_tree.course.url)
    assert response.headers["Content-Language"] == "ru"


@pytest.mark.django_db
def test_a_learner_belongs_to_a_region_and_a_branch():
    user = UserFactory(username="secretary", full_name="Анна Сергеевна Петрова")
    assert user.branch.region == user.region
    assert str(user) == "Анна Сергеевна Петрова"


@pytest.mark.django_db
def test_a_branch_of_another_region_is_refused():
    user = UserFactory(username="secretary")
    user.branch = BranchFactory(region=RegionFactory(code="99", name="Другой регион"))
    with pytest.raises(ValidationError) as error:
        user.full_clean()
    assert "branch" in error.value.message_dict


@pytest.mark.django_db
def test_branch_numbers_are_unique_within_a_region():
    branch = BranchFactory(number="7")
    with pytest.raises(ValidationError):
        type(branch)(region=branch.region, number="7").full_clean()


@pytest.mark.django_db
def test_pages_for_a_signed_in_learner_are_never_cached(learner_client, course_tree):
    for page in (course_tree.course, course_tree.module_one, course_tree.lesson_one, course_tree.quiz):
        response = learner_client.get(page.url)
        assert response.status_code == 200
        assert "private" in response.headers["Cache-Control"]
        assert "no-store" in response.headers["Cache-Control"]
