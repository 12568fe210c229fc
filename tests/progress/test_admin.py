"""Learners' records in the Wagtail admin: read-only listings built for millions of rows, their
exports, regional coordinators' view of their own region, and mentor assignment."""

import csv
import datetime
import html
import io

import openpyxl
import pytest

from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.text import capfirst

from progress.admin_mentorship import ALREADY_THE_MENTOR, MENTOR_NOT_LISTED, user_label
from progress.admin_views import CappedCountPaginator, local_time
from progress.models import Enrolment, LessonCompletion, Mentorship, QuizAttempt
from progress.roles import COORDINATORS_GROUP, MENTORS_GROUP
from progress.services import (
    LEARNER_HAS_MENTOR,
    lesson_mark_complete,
    mentorship_assign,
    quiz_attempt_start,
    quiz_attempt_submit,
)
from progress.wagtail_hooks import EnrolmentViewSet, LessonCompletionViewSet, QuizAttemptViewSet
from school.factories import BranchFactory, UserFactory


LISTINGS = ["enrolment", "lessoncompletion", "quizattempt"]
VIEWSETS = {
    "enrolment": EnrolmentViewSet,
    "lessoncompletion": LessonCompletionViewSet,
    "quizattempt": QuizAttemptViewSet,
}
FORMULA = '=HYPERLINK("http://evil.example/","Открыть")'


@pytest.fixture
def learner_records(course_tree, learner):
    lesson_mark_complete(learner=learner, lesson=course_tree.lesson_one)
    attempt = quiz_attempt_start(learner=learner, quiz=course_tree.quiz)
    answers = {str(question_id): [str(choice_ids[0])] for question_id, choice_ids in attempt.layout}
    return quiz_attempt_submit(learner=learner, attempt_id=attempt.pk, answers=answers)


@pytest.fixture
def records_of(course_tree):
    """Gives a learner one row in each listing: an enrolment, a lesson completion, a quiz attempt."""

    def make(learner):
        now = timezone.now()
        Enrolment.objects.create(
            learner=learner, course=course_tree.course, last_page=course_tree.lesson_one, last_seen_at=now
        )
        LessonCompletion.objects.create(learner=learner, lesson=course_tree.lesson_one)
        QuizAttempt.objects.create(
            learner=learner,
            quiz=course_tree.quiz,
            number=1,
            submitted_at=now,
            score=3,
            max_score=5,
            percent=60,
            is_passed=True,
        )
        return learner

    return make


def record_of(name, learner):
    model = VIEWSETS[name].model
    return model.objects.get(learner=learner)


def body(response):
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_rows(response):
    return list(csv.reader(io.StringIO(body(response).decode("utf-8-sig"))))


def xlsx_rows(response):
    workbook = openpyxl.load_workbook(io.BytesIO(body(response)))
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]


def headings(name):
    """What the export's first row must say: our headings for related fields, verbose names for the rest."""
    viewset = VIEWSETS[name]
    return [
        str(viewset.export_headings.get(field) or capfirst(viewset.model._meta.get_field(field).verbose_name))
        for field in viewset.list_export
    ]


def column(name, rows, field):
    index = VIEWSETS[name].list_export.index(field)
    return [row[index] for row in rows[1:]]


@pytest.fixture
def coordinator(learner):
    """A regional coordinator of the learner's region (not staff)."""
    user = UserFactory(username="coordinator", branch=BranchFactory(region=learner.region))
    user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
    return user


@pytest.fixture
def mentor(db):
    user = UserFactory(username="mentor", full_name="Мария Наставникова")
    user.groups.add(Group.objects.get(name=MENTORS_GROUP))
    return user


@pytest.mark.django_db
class ListingTests:
    @pytest.mark.parametrize("name", LISTINGS)
    def test_staff_see_learners_records(self, admin_client, learner_records, learner, name):
        """Staff open each listing and see the learner's row."""
        response = admin_client.get(reverse(f"{name}:index"))
        assert response.status_code == 200
        assert learner.full_name in response.content.decode()

    def test_quiz_attempt_can_be_inspected(self, admin_client, learner_records):
        """The inspect view shows the attempt's score."""
        response = admin_client.get(reverse("quizattempt:inspect", args=[learner_records.pk]))
        assert response.status_code == 200
        assert str(learner_records.percent) in response.content.decode()

    @pytest.mark.parametrize("name", LISTINGS)
    def test_nobody_adds_edits_or_deletes_records_by_hand(self, admin_client, learner_records, learner, name):
        """Even a superuser is refused the add, edit and delete views; nothing changes."""
        pk = record_of(name, learner).pk
        before = (Enrolment.objects.count(), QuizAttempt.objects.count(), LessonCompletion.objects.count())
        for url in (reverse(f"{name}:add"), reverse(f"{name}:edit", args=[pk]), reverse(f"{name}:delete", args=[pk])):
            assert admin_client.get(url).status_code in (302, 403)
            assert admin_client.post(url, {}).status_code in (302, 403)
        assert (Enrolment.objects.count(), QuizAttempt.objects.count(), LessonCompletion.objects.count()) == before

    @pytest.mark.parametrize("name", [*LISTINGS, "mentorship"])
    def test_learners_cannot_open_the_admin_listings(self, learner_client, learner_records, name):
        """A learner (no admin access) is sent to the admin login, for the listings and their exports."""
        for query in ("", "?export=csv"):
            response = learner_client.get(reverse(f"{name}:index") + query)
            assert response.status_code == 302
            assert "/admin/login/" in response.url

    @pytest.mark.parametrize("name", LISTINGS)
    def test_queries_do_not_grow_with_rows(self, admin_client, records_of, name, django_assert_num_queries):
        """1 and 20 rows cost the same 8 queries: user, user profile, the capped count, locales, the
        sidebar's root page (2), the filter's page choices, and the rows with their learner, region,
        branch and pages joined (the session comes from the cache)."""
        url = reverse(f"{name}:index")
        records_of(UserFactory())
        admin_client.get(url)  # the site and its home page then come from the shared cache
        with django_assert_num_queries(8):
            assert admin_client.get(url).status_code == 200
        for _ in range(19):
            records_of(UserFactory())
        with django_assert_num_queries(8):
            response = admin_client.get(url)
        assert len(response.context["object_list"]) == 20

    @pytest.mark.parametrize("name", LISTINGS)
    @pytest.mark.parametrize("export", ["csv", "xlsx"])
    def test_export_queries_do_not_grow_with_rows(
        self, admin_client, records_of, name, export, django_assert_num_queries
    ):
        """An export costs 3 queries at 1 row and at 20: user, user profile, and the rows (with every
        related object the columns read)."""
        url = reverse(f"{name}:index") + f"?export={export}"
        records_of(UserFactory())
        admin_client.get(url)  # the site and its home page then come from the shared cache
        with django_assert_num_queries(3):
            assert len(csv_rows(admin_client.get(url)) if export == "csv" else xlsx_rows(admin_client.get(url))) == 2
        for _ in range(19):
            records_of(UserFactory())
        with django_assert_num_queries(3):
            rows = csv_rows(admin_client.get(url)) if export == "csv" else xlsx_rows(admin_client.get(url))
        assert len(rows) == 21

    @pytest.mark.parametrize("name", LISTINGS)
    def test_count_stops_at_the_cap(self, admin_client, records_of, name, monkeypatch):
        """Past the cap the listing offers the first `cap` rows and says there are more, and the
        count query reads at most cap + 1 rows."""
        monkeypatch.setattr(CappedCountPaginator, "cap", 3)
        for _ in range(5):
            records_of(UserFactory())
        with CaptureQueriesContext(connection) as queries:
            response = admin_client.get(reverse(f"{name}:index"))
        assert len(response.context["object_list"]) == 3
        paginator = response.context["paginator"]
        assert paginator.is_capped is True
        assert paginator.items_count_label in response.content.decode()
        assert any("COUNT(*)" in query["sql"] and "LIMIT 4" in query["sql"] for query in queries.captured_queries)

    @pytest.mark.parametrize("name", LISTINGS)
    def test_count_below_the_cap_is_exact(self, admin_client, records_of, name):
        """Below the cap the listing counts its rows as usual."""
        for _ in range(2):
            records_of(UserFactory())
        response = admin_client.get(reverse(f"{name}:index"))
        assert response.context["paginator"].count == 2
        assert response.context["paginator"].is_capped is False

    @pytest.mark.parametrize("name", LISTINGS)
    def test_every_offered_ordering_has_an_index(self, admin_client, records_of, name):
        """The default ordering and every column offered for sorting are served by an index that
        starts with their column (sorting millions of rows without one takes a full scan)."""
        records_of(UserFactory())
        view = admin_client.get(reverse(f"{name}:index")).context["view"]
        model = VIEWSETS[name].model
        with connection.cursor() as cursor:
            constraints = connection.introspection.get_constraints(cursor, model._meta.db_table)
        indexed = {c["columns"][0] for c in constraints.values() if (c["index"] or c["unique"]) and c["columns"]}
        orderings = {VIEWSETS[name].ordering, *view.get_valid_orderings()}
        assert {model._meta.get_field(ordering.lstrip("-")).column for ordering in orderings} <= indexed

    @pytest.mark.parametrize(("name", "column"), [("enrolment", "last_seen_at"), ("quizattempt", "number")])
    def test_unindexed_columns_are_not_offered_for_sorting(self, admin_client, records_of, name, column):
        """Asking to sort by a column without an index gets the default order, newest first."""
        first, second = records_of(UserFactory()), records_of(UserFactory())
        QuizAttempt.objects.filter(learner=first).update(number=2)
        Enrolment.objects.filter(learner=first).update(last_seen_at=timezone.now() + datetime.timedelta(days=1))
        response = admin_client.get(reverse(f"{name}:index") + f"?ordering=-{column}")
        assert [row.learner for row in response.context["object_list"]] == [second, first]


@pytest.mark.django_db
class ExportTests:
    @pytest.mark.parametrize("name", LISTINGS)
    def test_csv_downloads_every_row_with_readable_headings(self, admin_client, records_of, course_tree, name):
        """The CSV holds one row per record with the learner's username, name, region and branch."""
        learners = [records_of(UserFactory()) for _ in range(3)]
        response = admin_client.get(reverse(f"{name}:index") + "?export=csv")
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        rows = csv_rows(response)
        assert rows[0] == headings(name)
        assert sorted(column(name, rows, "learner.username")) == sorted(user.username for user in learners)
        by_username = dict(zip(column(name, rows, "learner.username"), rows[1:], strict=True))
        first = learners[0]
        expected = [first.username, first.full_name, first.region.name, str(first.branch)]
        assert by_username[first.username][:4] == expected

    @pytest.mark.parametrize("name", LISTINGS)
    def test_xlsx_downloads_every_row_with_readable_headings(self, admin_client, records_of, name):
        """The XLSX holds the same rows, date-times in the site's time zone."""
        learners = [records_of(UserFactory()) for _ in range(3)]
        response = admin_client.get(reverse(f"{name}:index") + "?export=xlsx")
        assert response.status_code == 200
        rows = xlsx_rows(response)
        assert list(rows[0]) == headings(name)
        assert sorted(column(name, rows, "learner.username")) == sorted(user.username for user in learners)
        record = record_of(name, learners[0])
        date_field = "completed_at" if name == "lessoncompletion" else "started_at"
        exported = dict(zip(column(name, rows, "learner.username"), column(name, rows, date_field), strict=True))
        difference = exported[learners[0].username] - local_time(getattr(record, date_field))
        assert abs(difference) < datetime.timedelta(seconds=1)

    def test_exports_follow_the_listing_filter(self, admin_client, records_of, course_tree):
        """An export holds the filtered rows only: passed attempts here."""
        passed, failed = records_of(UserFactory()), records_of(UserFactory())
        QuizAttempt.objects.filter(learner=failed).update(is_passed=False)
        rows = csv_rows(admin_client.get(reverse("quizattempt:index") + "?export=csv&is_passed=true"))
        assert column("quizattempt", rows, "learner.username") == [passed.username]

    @pytest.mark.parametrize("name", LISTINGS)
    @pytest.mark.parametrize("start", ["=", "+", "-", "@"])
    def test_csv_neutralises_formula_looking_cells(self, admin_client, records_of, name, start):
        """A name that a spreadsheet would run as a formula comes out with a leading apostrophe."""
        records_of(UserFactory(full_name=start + FORMULA[1:]))
        rows = csv_rows(admin_client.get(reverse(f"{name}:index") + "?export=csv"))
        assert column(name, rows, "learner.full_name") == ["'" + start + FORMULA[1:]]

    @pytest.mark.parametrize("name", LISTINGS)
    def test_xlsx_keeps_formula_looking_cells_as_text(self, admin_client, records_of, name):
        """In the XLSX such a name is a text cell, not a formula."""
        records_of(UserFactory(full_name=FORMULA))
        workbook = openpyxl.load_workbook(io.BytesIO(body(admin_client.get(reverse(f"{name}:index") + "?export=xlsx"))))
        cell = workbook.active.cell(row=2, column=VIEWSETS[name].list_export.index("learner.full_name") + 1)
        assert (cell.value, cell.data_type) == (FORMULA, "s")

    def test_xlsx_drops_control_characters(self, admin_client, records_of):
        """A control character pasted into a name does not break the XLSX export."""
        records_of(UserFactory(full_name="Анна\x07 Петрова"))
        rows = xlsx_rows(admin_client.get(reverse("enrolment:index") + "?export=xlsx"))
        assert column("enrolment", rows, "learner.full_name") == ["Анна Петрова"]

    def test_branch_export_can_be_imported_again(self, admin_client, learner):
        """The branch snippet's CSV downloads with the columns import_branches reads."""
        branch = learner.branch
        response = admin_client.get(reverse("wagtailsnippets_school_branch:list") + "?export=csv")
        assert response.status_code == 200
        rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
        assert rows == [
            {
                "region_code": branch.region.code,
                "region_name": branch.region.name,
                "branch_number": branch.number,
                "branch_name": branch.name,
            }
        ]

    def test_branch_csv_neutralises_formulas(self, admin_client, learner):
        """A branch name typed as a formula comes out of the CSV as text."""
        learner.branch.name = '=HYPERLINK("http://evil.example")'
        learner.branch.save()
        response = admin_client.get(reverse("wagtailsnippets_school_branch:list") + "?export=csv")
        rows = list(csv.DictReader(io.StringIO(body(response).decode("utf-8-sig"))))
        assert rows[0]["branch_name"] == "'" + learner.branch.name

    def test_branch_xlsx_export_downloads(self, admin_client, learner):
        """The branch snippet's XLSX export downloads with the region's code."""
        response = admin_client.get(reverse("wagtailsnippets_school_branch:list") + "?export=xlsx")
        assert response.status_code == 200
        assert xlsx_rows(response)[1][0] == learner.branch.region.code


@pytest.mark.django_db
class CoordinatorTests:
    @pytest.mark.parametrize("name", LISTINGS)
    def test_coordinator_sees_only_their_regions_learners(
        self, client, coordinator, records_of, learner, other_learner, name
    ):
        """The listing of a regional coordinator holds their region's learners, nobody else."""
        records_of(learner), records_of(other_learner)
        client.force_login(coordinator)
        response = client.get(reverse(f"{name}:index"))
        assert response.status_code == 200
        assert [row.learner for row in response.context["object_list"]] == [learner]
        assert html.escape(other_learner.full_name) not in response.content.decode()

    @pytest.mark.parametrize("name", LISTINGS)
    @pytest.mark.parametrize("export", ["csv", "xlsx"])
    def test_coordinator_exports_only_their_region(
        self, client, coordinator, records_of, learner, other_learner, name, export
    ):
        """A coordinator's export holds their region's rows only."""
        records_of(learner), records_of(other_learner)
        client.force_login(coordinator)
        response = client.get(reverse(f"{name}:index") + f"?export={export}")
        rows = csv_rows(response) if export == "csv" else xlsx_rows(response)
        assert column(name, rows, "learner.username") == [learner.username]

    @pytest.mark.parametrize("name", LISTINGS)
    def test_coordinator_cannot_inspect_another_regions_record(
        self, client, coordinator, records_of, learner, other_learner, name
    ):
        """Another region's record is not found; their own region's opens."""
        records_of(learner), records_of(other_learner)
        client.force_login(coordinator)
        assert client.get(reverse(f"{name}:inspect", args=[record_of(name, other_learner).pk])).status_code == 404
        assert client.get(reverse(f"{name}:inspect", args=[record_of(name, learner).pk])).status_code == 200

    @pytest.mark.parametrize("name", LISTINGS)
    def test_coordinator_without_a_region_sees_nothing(self, client, records_of, learner, name):
        """A coordinator with no region gets an empty listing and no record to inspect."""
        records_of(learner)
        user = UserFactory(username="lost-coordinator", branch=None, region=None)
        user.groups.add(Group.objects.get(name=COORDINATORS_GROUP))
        client.force_login(user)
        response = client.get(reverse(f"{name}:index"))
        assert response.status_code == 200
        assert list(response.context["object_list"]) == []
        assert client.get(reverse(f"{name}:inspect", args=[record_of(name, learner).pk])).status_code == 404

    @pytest.mark.parametrize("name", LISTINGS)
    def test_coordinator_cannot_change_records(self, client, coordinator, records_of, learner, name):
        """Add, edit and delete are refused to a coordinator; the record stays as it was."""
        record = record_of(name, records_of(learner))
        client.force_login(coordinator)
        for url in (
            reverse(f"{name}:add"),
            reverse(f"{name}:edit", args=[record.pk]),
            reverse(f"{name}:delete", args=[record.pk]),
        ):
            assert client.post(url, {}).status_code in (302, 403)
        assert type(record).objects.filter(pk=record.pk).exists()

    @pytest.mark.parametrize("name", LISTINGS)
    def test_coordinators_queries_do_not_grow_with_rows(
        self, client, coordinator, records_of, learner, name, django_assert_num_queries
    ):
        """A coordinator's listing costs 9 queries at 1 row and at 20 of their region: user, user
        profile, the capped count of their region's rows, locales, the sidebar's page, collection
        and site permissions (3), the filter's page choices and the rows (their session and their
        permission set come from the cache)."""
        url = reverse(f"{name}:index")
        records_of(learner)
        client.force_login(coordinator)
        client.get(url)  # the site, its home page and the user's permissions then come from the cache
        with django_assert_num_queries(9):
            client.get(url)
        for _ in range(19):
            records_of(UserFactory(branch=BranchFactory(region=learner.region)))
        with django_assert_num_queries(9):
            response = client.get(url)
        assert len(response.context["object_list"]) == 20

    def test_coordinator_does_not_assign_mentors(self, client, coordinator, mentor, learner):
        """The mentorship listing, its form and the learner chooser are refused to a coordinator."""
        client.force_login(coordinator)
        for url in (reverse("mentorship:index"), reverse("learner_chooser:choose")):
            assert client.get(url).status_code in (302, 403)
        response = client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        assert response.status_code in (302, 403)
        assert not Mentorship.objects.exists()


@pytest.mark.django_db
class MentorshipAdminTests:
    def test_assigning_a_mentor_saves_through_the_service(self, admin_client, admin_user, mentor, learner):
        """The form creates an active mentorship assigned by the administrator."""
        response = admin_client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        assert response.status_code == 302
        mentorship = Mentorship.objects.get()
        assert (mentorship.mentor, mentorship.learner, mentorship.is_active) == (mentor, learner, True)
        assert mentorship.assigned_by == admin_user

    def test_form_offers_only_mentors(self, admin_client, mentor, learner):
        """The mentor field lists members of the Mentors group (and superusers), not learners."""
        response = admin_client.get(reverse("mentorship:add"))
        mentors = list(response.context["form"].fields["mentor"].queryset)
        assert mentor in mentors
        assert learner not in mentors

    def test_non_mentor_is_refused_with_a_message(self, admin_client, learner, other_learner):
        """A user outside the Mentors group is refused with a clear message; nothing is saved."""
        response = admin_client.post(reverse("mentorship:add"), {"mentor": other_learner.pk, "learner": learner.pk})
        assert response.status_code == 200
        assert response.context["form"].errors["mentor"] == [str(MENTOR_NOT_LISTED)]
        assert html.escape(str(MENTOR_NOT_LISTED)) in response.content.decode()
        assert not Mentorship.objects.exists()

    def test_learner_with_another_active_mentor_is_refused(self, admin_client, mentor, learner):
        """A learner who has an active mentor is refused with the service's message; nothing is saved."""
        first = UserFactory(username="first-mentor")
        first.groups.add(Group.objects.get(name=MENTORS_GROUP))
        mentorship_assign(mentor=first, learner=learner)
        response = admin_client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        assert response.status_code == 200
        message = str(LEARNER_HAS_MENTOR % {"learner": learner.username, "mentor": first.username})
        assert response.context["form"].non_field_errors() == [message]
        assert html.escape(message) in response.content.decode()
        assert list(Mentorship.objects.values_list("mentor", flat=True)) == [first.pk]

    def test_assigning_the_current_mentor_again_is_refused(self, admin_client, mentor, learner):
        """Assigning a learner's current mentor again says so and creates no second row."""
        mentorship_assign(mentor=mentor, learner=learner)
        response = admin_client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        message = str(ALREADY_THE_MENTOR % {"mentor": user_label(mentor), "learner": user_label(learner)})
        assert response.context["form"].non_field_errors() == [message]
        assert Mentorship.objects.count() == 1

    def test_service_refusal_after_the_form_check_is_a_form_error(self, admin_client, mentor, learner, monkeypatch):
        """When the service refuses what the form's own check let through (another administrator
        assigned a mentor meanwhile), its message is a form error and nothing is saved."""
        first = UserFactory(username="first-mentor")
        first.groups.add(Group.objects.get(name=MENTORS_GROUP))
        mentorship_assign(mentor=first, learner=learner)
        monkeypatch.setattr("progress.admin_mentorship.mentorship_check", lambda **kwargs: None)
        response = admin_client.post(reverse("mentorship:add"), {"mentor": mentor.pk, "learner": learner.pk})
        assert response.status_code == 200
        message = str(LEARNER_HAS_MENTOR % {"learner": learner.username, "mentor": first.username})
        assert response.context["form"].non_field_errors() == [message]
        assert Mentorship.objects.count() == 1

    def test_ending_keeps_the_row(self, admin_client, mentor, learner):
        """Unticking "active" ends the mentorship through the service: the row stays, dated."""
        mentorship = mentorship_assign(mentor=mentor, learner=learner)
        response = admin_client.post(reverse("mentorship:edit", args=[mentorship.pk]), {})
        assert response.status_code == 302
        mentorship.refresh_from_db()
        assert mentorship.is_active is False
        assert mentorship.ended_at is not None

    def test_ended_mentorship_cannot_be_resumed(self, admin_client, mentor, learner):
        """Ticking "active" on an ended mentorship changes nothing."""
        mentorship = mentorship_assign(mentor=mentor, learner=learner)
        admin_client.post(reverse("mentorship:edit", args=[mentorship.pk]), {})
        admin_client.post(reverse("mentorship:edit", args=[mentorship.pk]), {"is_active": "on"})
        mentorship.refresh_from_db()
        assert mentorship.is_active is False

    def test_saving_with_active_ticked_keeps_the_mentorship(self, admin_client, mentor, learner):
        """Saving the form with "active" still ticked ends nothing."""
        mentorship = mentorship_assign(mentor=mentor, learner=learner)
        admin_client.post(reverse("mentorship:edit", args=[mentorship.pk]), {"is_active": "on"})
        mentorship.refresh_from_db()
        assert (mentorship.is_active, mentorship.ended_at) == (True, None)

    def test_nobody_deletes_a_mentorship(self, admin_client, mentor, learner):
        """Even a superuser is refused the delete view; the history stays."""
        mentorship = mentorship_assign(mentor=mentor, learner=learner)
        url = reverse("mentorship:delete", args=[mentorship.pk])
        assert admin_client.get(url).status_code in (302, 403)
        assert admin_client.post(url).status_code in (302, 403)
        assert Mentorship.objects.filter(pk=mentorship.pk).exists()

    def test_listing_filters_and_searches(self, admin_client, mentor, learner, other_learner):
        """The listing filters by "active" and finds a learner by name."""
        other_learner.full_name = "Борис Сидоров"  # a name that cannot share a word with the learner's
        other_learner.save()
        ended = mentorship_assign(mentor=mentor, learner=other_learner)
        ended.is_active, ended.ended_at = False, timezone.now()
        ended.save()
        active = mentorship_assign(mentor=mentor, learner=learner)
        url = reverse("mentorship:index")
        assert list(admin_client.get(url + "?is_active=true").context["object_list"]) == [active]
        assert list(admin_client.get(url, {"q": learner.full_name.split()[0]}).context["object_list"]) == [active]

    def test_listing_queries_do_not_grow_with_rows(self, admin_client, mentor, django_assert_num_queries):
        """1 and 20 mentorships cost the same 7 queries: user, user profile, the capped count,
        locales, the sidebar's root page (2) and the rows with mentor, learner and assigner."""
        url = reverse("mentorship:index")
        mentorship_assign(mentor=mentor, learner=UserFactory(), assigned_by=UserFactory())
        admin_client.get(url)  # the site and its home page then come from the shared cache
        with django_assert_num_queries(7):
            admin_client.get(url)
        for _ in range(19):
            mentorship_assign(mentor=mentor, learner=UserFactory(), assigned_by=UserFactory())
        with django_assert_num_queries(7):
            response = admin_client.get(url)
        assert len(response.context["object_list"]) == 20

    def test_learner_chooser_searches_by_name(self, admin_client, learner, other_learner):
        """The learner chooser finds people by full name or username."""
        url = reverse("learner_chooser:choose_results")
        response = admin_client.get(url, {"q": learner.full_name})
        assert response.status_code == 200
        assert list(response.context["results"]) == [learner]
        assert list(admin_client.get(url, {"q": "other-sec"}).context["results"]) == [other_learner]
