"""Each user's permission set is cached (school.auth_backends.CachedPermissionsBackend): a change of
their groups, of a group's permissions, of is_active or is_superuser holds on the next request, and
no user is ever answered with another user's set."""

import pytest

from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from wagtail.test.utils.form_data import querydict_from_html

from progress.roles import MENTORS_GROUP
from school.content_cache import PERMISSIONS_VERSION_KEY, bump_version
from school.factories import UserFactory
from school.models import User
from tests.threads import in_another_connection


MENTEES_URL = "/mentor/"
MENTOR_PERMISSION = ("progress", "mentor_learners")


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


def _mentor_link_shown(client, page):
    """Whether the site header of `page` links to the mentor's pages."""
    response = client.get(page.url)
    assert response.status_code == 200
    account = response.content.decode().split('<div class="account">', 1)[1].split("</div>", 1)[0]
    return f'href="{reverse("mentor:mentees")}"' in account


def _fresh(user):
    """The user as the next request loads it (the test's own object keeps its _perm_cache)."""
    return User.objects.get(pk=user.pk)


@pytest.fixture
def person(db):
    return UserFactory(username="person", full_name="Мария Иванова")


@pytest.fixture
def person_client(person):
    return _client_for(person)


@pytest.mark.django_db
class GroupMembershipTests:
    def test_user_added_to_mentors_gets_the_mentor_pages_on_the_next_request(
        self, person, person_client, role_groups, course_tree
    ):
        """The cached "no permissions" set is dropped when the user joins the Mentors group."""
        assert person_client.get(MENTEES_URL).status_code == 403
        assert _mentor_link_shown(person_client, course_tree.course) is False
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        assert _mentor_link_shown(person_client, course_tree.course) is True

    def test_user_added_from_the_groups_side_gets_the_mentor_pages(self, person, person_client, role_groups):
        """Adding through group.user_set (the reverse side of the relation) invalidates as well."""
        assert person_client.get(MENTEES_URL).status_code == 403
        role_groups[MENTORS_GROUP].user_set.add(person)
        assert person_client.get(MENTEES_URL).status_code == 200

    def test_a_change_made_on_another_app_host_holds_here_on_the_next_request(
        self, person, person_client, role_groups, course_tree
    ):
        """This worker keeps the set in memory; another host's change reaches it through the shared
        version alone (the membership written without signals, the version bumped as that host does)."""
        assert _mentor_link_shown(person_client, course_tree.course) is False
        User.groups.through.objects.create(user_id=person.pk, group_id=role_groups[MENTORS_GROUP].pk)
        assert _mentor_link_shown(person_client, course_tree.course) is False  # nothing told this worker yet
        bump_version(PERMISSIONS_VERSION_KEY)
        assert _mentor_link_shown(person_client, course_tree.course) is True
        assert person_client.get(MENTEES_URL).status_code == 200

    def test_user_removed_from_mentors_loses_the_mentor_pages_on_the_next_request(
        self, person, person_client, role_groups, course_tree
    ):
        """A mentor taken out of the group is refused at once, and the header link goes."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        assert _mentor_link_shown(person_client, course_tree.course) is True
        person.groups.remove(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 403
        assert _mentor_link_shown(person_client, course_tree.course) is False

    def test_groups_cleared_loses_the_mentor_pages(self, person, person_client, role_groups):
        """groups.clear() (as a form's save of an empty selection may do) counts as a change."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        person.groups.clear()
        assert person_client.get(MENTEES_URL).status_code == 403

    def test_group_removed_in_the_wagtail_admin_takes_effect_at_once(
        self, admin_client, person, person_client, role_groups
    ):
        """An administrator unticking "Mentors" in the Wagtail user editor ends the mentor's access."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        url = reverse("wagtailusers_users:edit", args=[person.pk])
        response = admin_client.get(url)
        assert response.status_code == 200
        data = querydict_from_html(response.content.decode(), form_id="w-editor-form")
        assert data.getlist("groups") == [str(role_groups[MENTORS_GROUP].pk)]
        data.setlist("groups", [])
        data.update({"first_name": "Мария", "last_name": "Иванова"})  # required by the editor's form
        data["is_active"] = "on"  # ticked; a browser sends "on" for a checkbox without a value
        response = admin_client.post(url, data)
        assert response.status_code == 302, response.context["form"].errors
        assert not _fresh(person).groups.exists()
        assert _fresh(person).is_active is True
        assert person_client.get(MENTEES_URL).status_code == 403


@pytest.mark.django_db
class GroupPermissionTests:
    def test_permission_removed_from_the_group_takes_effect_at_once(self, person, person_client, role_groups):
        """Every member's cached set is dropped when their group loses a permission."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        permission = Permission.objects.get(content_type__app_label=MENTOR_PERMISSION[0], codename=MENTOR_PERMISSION[1])
        role_groups[MENTORS_GROUP].permissions.remove(permission)
        assert person_client.get(MENTEES_URL).status_code == 403

    def test_permission_added_to_a_group_takes_effect_at_once(self, person, person_client, role_groups):
        """A group given the mentor permission gives it to its members on their next request."""
        coordinators = role_groups["Regional coordinators"]
        person.groups.add(coordinators)
        assert person_client.get(MENTEES_URL).status_code == 403
        coordinators.permissions.add(
            Permission.objects.get(content_type__app_label=MENTOR_PERMISSION[0], codename=MENTOR_PERMISSION[1])
        )
        assert person_client.get(MENTEES_URL).status_code == 200

    def test_user_permission_granted_and_revoked_directly(self, person, person_client):
        """A permission given to the user alone (user_permissions) holds and ends at once."""
        permission = Permission.objects.get(content_type__app_label=MENTOR_PERMISSION[0], codename=MENTOR_PERMISSION[1])
        assert person_client.get(MENTEES_URL).status_code == 403
        person.user_permissions.add(permission)
        assert person_client.get(MENTEES_URL).status_code == 200
        person.user_permissions.remove(permission)
        assert person_client.get(MENTEES_URL).status_code == 403

    def test_group_deleted_takes_its_permissions_with_it(self, person, person_client, role_groups):
        """Deleting the Mentors group ends its members' mentor access at once."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        role_groups[MENTORS_GROUP].delete()
        assert person_client.get(MENTEES_URL).status_code == 403


@pytest.mark.django_db
class UserFlagsTests:
    def test_deactivated_user_is_refused_at_once(self, person, person_client, role_groups):
        """is_active False: the mentor's next request is no longer served as the mentor."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert person_client.get(MENTEES_URL).status_code == 200
        User.objects.filter(pk=person.pk).update(is_active=False)
        response = person_client.get(MENTEES_URL)
        assert response.status_code in (302, 403)
        assert response.status_code == 403 or "login" in response["Location"]

    def test_deactivated_user_has_no_permissions_even_when_cached(self, person, role_groups):
        """has_perm of an inactive user is False although their active set is in the cache."""
        person.groups.add(role_groups[MENTORS_GROUP])
        assert _fresh(person).has_perm("progress.mentor_learners") is True
        User.objects.filter(pk=person.pk).update(is_active=False)
        assert _fresh(person).has_perm("progress.mentor_learners") is False

    def test_user_made_superuser_gets_every_page_at_once(self, person, person_client, course_tree):
        """Made superuser, the user opens the mentor pages and sees the admin link on the next request."""
        assert person_client.get(MENTEES_URL).status_code == 403
        assert _fresh(person).has_perm("wagtailadmin.access_admin") is False
        person.is_superuser = True
        person.save()
        assert person_client.get(MENTEES_URL).status_code == 200
        html = person_client.get(course_tree.course.url).content.decode()
        assert f'href="{reverse("wagtailadmin_home")}"' in html

    def test_superuser_demoted_loses_the_permissions_at_once(self, person, person_client):
        """Taking is_superuser away is not answered with the superuser's cached set."""
        User.objects.filter(pk=person.pk).update(is_superuser=True)
        assert person_client.get(MENTEES_URL).status_code == 200
        assert len(_fresh(person).get_all_permissions()) > 0
        User.objects.filter(pk=person.pk).update(is_superuser=False)
        assert person_client.get(MENTEES_URL).status_code == 403
        assert _fresh(person).get_all_permissions() == set()


@pytest.mark.django_db
class NoSharingTests:
    def test_another_user_never_gets_a_mentors_cached_permissions(self, person, role_groups, course_tree):
        """The mentor's set, cached first, is not what a learner without a group is answered with."""
        mentor = UserFactory(username="mentor")
        mentor.groups.add(role_groups[MENTORS_GROUP])
        mentor_client = _client_for(mentor)
        assert mentor_client.get(MENTEES_URL).status_code == 200
        assert _mentor_link_shown(mentor_client, course_tree.course) is True
        learner_client = _client_for(person)
        assert learner_client.get(MENTEES_URL).status_code == 403
        assert _mentor_link_shown(learner_client, course_tree.course) is False
        assert _fresh(person).get_all_permissions() == set()
        assert _fresh(mentor).get_all_permissions() == {"progress.mentor_learners"}

    def test_a_learners_empty_set_cached_first_is_not_a_mentors(self, person, role_groups):
        """The other way round: a learner's empty set cached first leaves the mentor their permission."""
        assert _client_for(person).get(MENTEES_URL).status_code == 403
        mentor = UserFactory(username="mentor")
        mentor.groups.add(role_groups[MENTORS_GROUP])
        assert _client_for(mentor).get(MENTEES_URL).status_code == 200


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs a second connection reading committed rows")
@pytest.mark.django_db(transaction=True)
class CommitRaceTests:
    def test_a_request_served_while_a_removal_commits_does_not_keep_the_old_permissions(self, role_groups):
        """A mentor's request served between the group removal (which bumps the version) and its
        commit must not leave the mentor's permissions cached under the new version.

        Wagtail's user and group editors save inside transaction.atomic (generic EditView.form_valid),
        so m2m_changed bumps the version before the change is visible to other connections."""
        mentor = UserFactory(username="mentor")
        mentor.groups.add(role_groups[MENTORS_GROUP])
        mentor_client = _client_for(mentor)
        assert mentor_client.get(MENTEES_URL).status_code == 200
        with transaction.atomic():  # as the Wagtail user editor saves
            mentor.groups.remove(role_groups[MENTORS_GROUP])
            during = in_another_connection(lambda: mentor_client.get(MENTEES_URL).status_code)
        assert during == 200  # the other worker still read the committed membership
        assert mentor_client.get(MENTEES_URL).status_code == 403
