"""Moderation of submitted practices in the Wagtail admin, and what the author sees and may do:
changes asked with a comment, the author's new version, publication; another learner's practice is
a 404 and a published one can no longer be edited."""

import json

import pytest

from django.urls import reverse

from wagtail.models import WorkflowState

from courses.models import CaseStudyPage
from courses.practices import PRACTICE_ALREADY_PUBLISHED
from school.factories import UserFactory

from .practice_helpers import exchange_fixture, photo, practice_data  # noqa: F401 - the "exchange" fixture


pytestmark = pytest.mark.django_db

SUBMIT_URL = "/practices/submit/"


def _draftail(text):
    """A rich text field's value as the admin's editor posts it."""
    block = {"key": "a", "type": "unstyled", "text": text, "depth": 0, "inlineStyleRanges": [], "entityRanges": []}
    return json.dumps({"blocks": [block], "entityMap": {}})


def _edit_url(page):
    return f"/practices/{page.pk}/edit/"


@pytest.fixture
def submitted(client, exchange):
    """A practice the learner has submitted (with one photo), and the learner's client."""
    client.force_login(exchange.learner)
    client.post(SUBMIT_URL, practice_data(exchange, photos=[photo("yard.jpg")]))
    return CaseStudyPage.objects.get()


def _moderate(client, page, action, comment):
    """What the moderator's "Request changes" or "Approve with comment" dialog in the admin posts."""
    state = page.current_workflow_state
    url = reverse("wagtailadmin_pages:workflow_action", args=[page.pk, action, state.current_task_state.pk])
    return client.post(url, {"comment": comment})


class ModerationTests:
    def test_moderator_sees_the_submission_in_the_admin(self, client, submitted, exchange):
        """The admin dashboard lists it under "awaiting your review" for a member of the task's group."""
        client.force_login(exchange.moderator)
        response = client.get("/admin/")
        assert response.status_code == 200
        assert "Единый журнал обращений" in response.content.decode()
        assert client.get(f"/admin/pages/{submitted.pk}/edit/").status_code == 200

    def test_moderator_reads_the_draft_as_it_will_look(self, client, submitted, exchange):
        """The admin's "view draft" renders the learner's draft with the site's practice template."""
        client.force_login(exchange.moderator)
        response = client.get(reverse("wagtailadmin_pages:view_draft", args=[submitted.pk]))
        assert response.status_code == 200
        content = response.content.decode()
        assert "Обращения терялись в тетрадях." in content
        assert "case-study__section--results" in content

    def test_the_migration_made_the_workflow_task_and_group(self):
        """Every installation has the "Case study review" workflow with one group approval task for
        the "Case study moderators" group, who may use the admin."""
        from django.contrib.auth.models import Group

        from wagtail.models import Workflow

        from courses.practices import CASE_STUDY_MODERATORS_GROUP, CASE_STUDY_WORKFLOW

        workflow = Workflow.objects.get(name=CASE_STUDY_WORKFLOW)
        [task] = [task.specific for task in workflow.tasks.all()]
        group = Group.objects.get(name=CASE_STUDY_MODERATORS_GROUP)
        assert list(task.groups.all()) == [group]
        assert group.permissions.filter(codename="access_admin").exists()

    def test_a_library_made_in_the_admin_gets_the_review(self, client, home_page):
        """An editor who makes a new case-study library in the admin finds the review assigned to it."""
        from courses.models import CaseStudyIndexPage

        client.force_login(UserFactory(username="chief", is_staff=True, is_superuser=True))
        url = reverse("wagtailadmin_pages:add", args=["courses", "casestudyindexpage", home_page.pk])
        data = {"title": "Практики", "slug": "practices-2", "summary": "", "intro": "", "action-publish": "1"}
        data["intro"] = '{"blocks":[],"entityMap":{}}'
        response = client.post(url, data)
        assert response.status_code == 302
        index = CaseStudyIndexPage.objects.get(slug="practices-2")
        assert index.get_workflow().name == "Case study review"

    def test_a_learner_outside_the_group_cannot_moderate(self, client, submitted, exchange):
        """Only the moderators' group may act on the task: another user's request changes nothing."""
        client.force_login(UserFactory(username="intruder", is_staff=True))
        _moderate(client, submitted, "approve", "Спасибо!")
        submitted.refresh_from_db()
        assert submitted.live is False
        assert submitted.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS

    def test_changes_asked_then_edited_then_published(self, client, submitted, exchange):
        """The moderator asks for a change with a comment; the author sees it on /my/ and in the form,
        sends a new version (the review starts again on it), and the moderator publishes it."""
        client.force_login(exchange.moderator)
        response = _moderate(client, submitted, "reject", "Добавьте, сколько жителей пришло на приём.")
        assert response.status_code in (200, 302)
        assert submitted.current_workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES

        client.force_login(exchange.learner)
        dashboard = client.get("/my/").content.decode()
        assert "practice-status--changes_asked" in dashboard
        assert "Добавьте, сколько жителей пришло на приём." in dashboard
        form_page = client.get(_edit_url(submitted))
        assert form_page.status_code == 200
        assert "Добавьте, сколько жителей пришло на приём." in form_page.content.decode()
        form = form_page.context["form"]
        assert form["problem"].value() == "Обращения терялись в тетрадях."
        assert form["actions"].value() == "- Завели таблицу\n- Назначили ответственных"

        data = practice_data(exchange, results="63 обращения, на приём пришли 120 жителей.")
        response = client.post(_edit_url(submitted), data)
        assert response.status_code == 302
        submitted.refresh_from_db()
        state = submitted.current_workflow_state
        assert state.status == WorkflowState.STATUS_IN_PROGRESS
        assert state.current_task_state.revision == submitted.get_latest_revision()
        assert "practice-status--in_review" in client.get("/my/").content.decode()

        client.force_login(exchange.moderator)
        response = _moderate(client, submitted, "approve", "Спасибо!")
        assert response.status_code in (200, 302), response
        submitted.refresh_from_db()
        assert submitted.live is True, response.content.decode()[:3000]
        assert "120 жителей" in submitted.results
        assert submitted.owner == exchange.learner
        # Its photo is still there after the new version.
        assert submitted.image is not None
        assert submitted.gallery_images.count() == 1

        client.force_login(exchange.learner)
        assert "practice-status--published" in client.get("/my/").content.decode()

    def test_the_author_may_edit_while_in_review(self, client, submitted, exchange):
        """While the review goes on the author may change the draft: a new revision, the review goes on."""
        response = client.post(_edit_url(submitted), practice_data(exchange, title="Журнал обращений в Ивановке"))
        assert response.status_code == 302
        submitted.refresh_from_db()
        assert submitted.draft_title == "Журнал обращений в Ивановке"
        assert submitted.current_workflow_state.status == WorkflowState.STATUS_IN_PROGRESS
        assert submitted.live is False

    def test_the_author_can_remove_and_add_photos(self, client, submitted, exchange):
        """The author removes the photos they tick and adds new ones; the first photo left is the picture."""
        from wagtail.images import get_image_model

        # Image ids that differ from the gallery rows' ids, so that mixing them up would show.
        get_image_model().objects.bulk_create(
            [get_image_model()(title=f"Другое {n}", file="other.jpg", width=1, height=1) for n in range(3)]
        )
        client.post(_edit_url(submitted), practice_data(exchange, photos=[photo("second.jpg")]))
        submitted.refresh_from_db()
        first, second = [item.image_id for item in submitted.get_latest_revision_as_object().gallery_images.all()]
        data = practice_data(exchange, remove_photos=[second], photos=[photo("c.jpg")])
        assert client.post(_edit_url(submitted), data).status_code == 302
        submitted.refresh_from_db()
        images = [item.image_id for item in submitted.get_latest_revision_as_object().gallery_images.all()]
        assert images[0] == first and second not in images and len(images) == 2
        # The draft's picture (the first photo) removed: the next one takes its place.
        old_image_id = submitted.get_latest_revision_as_object().image_id
        assert old_image_id == first
        data = practice_data(exchange, remove_photos=[old_image_id], photos=[photo("a.jpg"), photo("b.png", "PNG")])
        assert client.post(_edit_url(submitted), data).status_code == 302
        submitted.refresh_from_db()
        draft = submitted.get_latest_revision_as_object()
        images = [item.image_id for item in draft.gallery_images.all()]
        assert len(images) == 3 and old_image_id not in images
        assert draft.image_id == images[0]

    def test_more_than_five_photos_in_all_are_refused(self, client, submitted, exchange):
        """One photo kept plus five new ones is six: refused, the draft unchanged."""
        revision = submitted.get_latest_revision()
        data = practice_data(exchange, photos=[photo(f"{n}.jpg") for n in range(5)])
        response = client.post(_edit_url(submitted), data)
        assert response.status_code == 200
        assert response.context["form"].errors["photos"]
        assert submitted.get_latest_revision() == revision

    def test_another_learners_practice_is_a_404(self, client, submitted, exchange):
        """Opening or posting to someone else's practice is a 404, and the practice is unchanged."""
        client.force_login(UserFactory(username="other-secretary"))
        revision = submitted.get_latest_revision()
        assert client.get(_edit_url(submitted)).status_code == 404
        assert client.post(_edit_url(submitted), practice_data(exchange, title="Чужое")).status_code == 404
        assert submitted.get_latest_revision() == revision

    def test_editing_after_publication_is_refused_with_an_explanation(self, client, submitted, exchange):
        """Once published, the form is replaced by an explanation (403) and a POST changes nothing."""
        submitted.get_latest_revision().publish()
        revision = submitted.get_latest_revision()
        response = client.get(_edit_url(submitted))
        assert response.status_code == 403
        assert str(PRACTICE_ALREADY_PUBLISHED) in response.content.decode()
        response = client.post(_edit_url(submitted), practice_data(exchange, title="Новое"))
        assert response.status_code == 403
        submitted.refresh_from_db()
        assert submitted.get_latest_revision() == revision
        assert submitted.title == "Единый журнал обращений"
        # /my/ offers no "edit" for it.
        assert _edit_url(submitted) not in client.get("/my/").content.decode()


class EditorsWriteDirectlyTests:
    def test_an_editor_publishes_a_case_study_from_the_admin(self, client, exchange):
        """An editor (the Editors and Moderators groups) adds and publishes a case study in the admin."""
        from django.contrib.auth.models import Group

        editor = UserFactory(username="editor", is_staff=True)
        editor.groups.add(*Group.objects.filter(name__in=["Editors", "Moderators"]))
        client.force_login(editor)
        url = reverse("wagtailadmin_pages:add", args=["courses", "casestudypage", exchange.index.pk])
        assert client.get(url).status_code == 200
        data = {
            "title": "Практика редакции",
            "slug": "redaktsiya",
            "summary": "",
            "region": exchange.region.pk,
            "branch": "",
            "topics": [exchange.topic.pk],
            "problem": _draftail("Проблема"),
            "actions": _draftail("Сделано"),
            "results": _draftail("Итог"),
            "body-count": "0",
            "gallery_images-TOTAL_FORMS": "0",
            "gallery_images-INITIAL_FORMS": "0",
            "gallery_images-MIN_NUM_FORMS": "0",
            "gallery_images-MAX_NUM_FORMS": "1000",
            "comments-TOTAL_FORMS": "0",
            "comments-INITIAL_FORMS": "0",
            "comments-MIN_NUM_FORMS": "0",
            "comments-MAX_NUM_FORMS": "1000",
            "action-publish": "action-publish",
        }
        response = client.post(url, data)
        assert response.status_code == 302, response.context["form"].errors if response.context else response
        page = CaseStudyPage.objects.get(slug="redaktsiya")
        assert page.live is True


class MyPracticesTests:
    def test_my_page_costs_the_same_with_one_or_five_practices(self, client, exchange, django_assert_max_num_queries):
        """The "my practices" section reads the practices and their review states in two queries,
        however many practices the learner has (each in a different state)."""
        from courses.factories import CaseStudyPageFactory

        client.force_login(exchange.learner)
        counts = []
        for total in (1, 5):
            while CaseStudyPage.objects.filter(owner=exchange.learner).count() < total:
                client.post(SUBMIT_URL, practice_data(exchange, title=f"Практика {CaseStudyPage.objects.count()}"))
            CaseStudyPageFactory(parent=exchange.index, owner=exchange.learner, title=f"Опубликованная {total}")
            client.get("/my/")
            with django_assert_max_num_queries(40) as captured:
                response = client.get("/my/")
            assert response.status_code == 200
            assert len(response.context["my_practices"]) == CaseStudyPage.objects.filter(owner=exchange.learner).count()
            counts.append(len(captured.captured_queries))
        assert counts[0] == counts[1]

    def test_other_learners_practices_are_not_listed(self, client, submitted, exchange):
        """/my/ shows only the learner's own practices."""
        client.force_login(UserFactory(username="other-secretary"))
        response = client.get("/my/")
        assert response.context["my_practices"] == []
        assert "Единый журнал обращений" not in response.content.decode()


class SeededReviewTests:
    def test_the_demo_library_is_reviewed_by_the_demo_editor(self, home_page):
        """After seed_demo_content the library has the "Case study review" workflow and the demo editor
        is in its task's group, with the right to publish there."""
        from io import StringIO

        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        from courses.models import CaseStudyIndexPage
        from courses.practices import CASE_STUDY_WORKFLOW

        call_command("seed_demo_content", stdout=StringIO())
        index = CaseStudyIndexPage.objects.get()
        workflow = index.get_workflow()
        assert workflow.name == CASE_STUDY_WORKFLOW
        editor = get_user_model().objects.get(username="editor")
        task = workflow.tasks.get().specific
        assert task.groups.filter(user=editor).exists()
        practice = CaseStudyPage.objects.child_of(index).first()
        assert practice.permissions_for_user(editor).can_publish()
