"""Site roles: the groups the migration creates, where each role lands after login, what the header offers."""

import pytest

from django.contrib.auth.models import Group
from django.test import Client

from school.factories import UserFactory


pytestmark = pytest.mark.django_db


def login_and_land(username):
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": "password"}, follow=True)
    return client, response.redirect_chain[-1][0]


def test_migration_creates_role_groups_with_their_permissions():
    """Mentors may follow mentees; coordinators read reports and the admin's progress listings, nothing more."""
    mentors = set(Group.objects.get(name="Mentors").permissions.values_list("codename", flat=True))
    coordinators = set(Group.objects.get(name="Regional coordinators").permissions.values_list("codename", flat=True))
    assert mentors == {"mentor_learners"}
    assert {"view_region_reports", "access_admin", "view_enrolment", "view_lessoncompletion", "view_quizattempt"} <= (
        coordinators
    )
    assert not {codename for codename in coordinators if codename.startswith(("add_", "change_", "delete_"))}


@pytest.mark.parametrize(
    ("group", "is_staff", "landing"),
    [
        (None, False, "/my/"),
        ("Mentors", False, "/mentor/"),
        ("Regional coordinators", False, "/reports/"),
        (None, True, "/admin/"),
    ],
)
def test_each_role_lands_on_its_own_page(group, is_staff, landing):
    """After login a learner lands on /my/, a mentor on /mentor/, a coordinator on /reports/, staff in the admin."""
    user = UserFactory(username="someone", is_staff=is_staff)
    if group:
        Group.objects.get(name=group).user_set.add(user)
    if is_staff:
        Group.objects.get(name="Editors").user_set.add(user)
    _client, landed = login_and_land("someone")
    assert landed == landing


def test_next_parameter_still_wins_over_the_role_landing():
    """Logging in from a lesson's link goes back to that page, whatever the role."""
    user = UserFactory(username="mentor-with-next")
    Group.objects.get(name="Mentors").user_set.add(user)
    response = Client().post(
        "/accounts/login/?next=/my/", {"username": "mentor-with-next", "password": "password", "next": "/my/"}
    )
    assert response["Location"] == "/my/"


def test_header_shows_each_user_only_their_views():
    """A learner sees no role links; a coordinator sees reports and the admin (their region's listings);
    a mentor sees their mentees only."""
    UserFactory(username="plain")
    coordinator = UserFactory(username="coord")
    Group.objects.get(name="Regional coordinators").user_set.add(coordinator)
    mentor = UserFactory(username="ment")
    Group.objects.get(name="Mentors").user_set.add(mentor)
    expected = {"plain": (False, False, False), "coord": (False, True, True), "ment": (True, False, False)}
    for username, (has_mentor_link, has_reports_link, has_admin_link) in expected.items():
        client, _landed = login_and_land(username)
        html = client.get("/my/").content.decode()
        assert ('href="/mentor/"' in html) is has_mentor_link, username
        assert ('href="/reports/"' in html) is has_reports_link, username
        assert ('href="/admin/"' in html) is has_admin_link, username
