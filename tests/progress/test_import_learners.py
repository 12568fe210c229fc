"""Bulk import of learners and mentors from CSV: the validation, the admin upload -> preview ->
confirm flow and the import_learners command. A file with any error imports nothing."""

import html
from io import StringIO
from types import SimpleNamespace

import pytest

from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from progress import imports
from progress.admin_import import CONTENT_DAMAGED, IMPORT_DONE, encode_content
from progress.imports import (
    ACTION_ASSIGN_MENTOR,
    ACTION_CREATE,
    ACTION_UNCHANGED,
    ACTION_UPDATE,
    FIELD_LABELS,
    FILE_EMPTY,
    FILE_NO_ROWS,
    FILE_NOT_TEXT,
    FILE_TOO_LARGE,
    HEADER_MISSING,
    HEADER_NO_IDENTITY,
    HEADER_REPEATED,
    HEADER_UNKNOWN,
    MAX_FILE_SIZE,
    ROW_BAD_EMAIL,
    ROW_BAD_USERNAME,
    ROW_BRANCH_NEEDS_REGION,
    ROW_CHANGED_MEANWHILE,
    ROW_DUPLICATE,
    ROW_EMAIL_REPEATED,
    ROW_EMAIL_TAKEN,
    ROW_NEW_NEEDS_EMAIL,
    ROW_NEW_NEEDS_USERNAME,
    ROW_NO_IDENTITY,
    ROW_REGION_NEEDS_BRANCH,
    ROW_STAFF_ACCOUNT,
    ROW_TOO_MANY_CELLS,
    ROW_TWO_MENTORS,
    ROW_UNKNOWN_BRANCH,
    ROW_UNKNOWN_MENTOR,
    ROW_UNKNOWN_REGION,
    ROW_USERNAME_CASE,
    ImportFileError,
    decode_csv_file,
    learner_import_apply,
    learner_import_plan,
)
from progress.models import Mentorship
from progress.services import (
    LEARNER_HAS_MENTOR,
    MENTOR_IS_LEARNER,
    MENTOR_NOT_IN_GROUP,
    ProgressError,
    mentoring,
    mentorship_assign,
    mentorships_assign_bulk,
)
from school.factories import BranchFactory, RegionFactory, UserFactory
from school.models import User


pytestmark = pytest.mark.django_db

HEADER = ("username", "email", "full_name", "region_code", "branch_number", "mentor")


def csv_text(*rows, header=HEADER, delimiter=","):
    return "".join(f"{delimiter.join(cells)}\r\n" for cells in (header, *rows))


def database_state():
    """Every user's importable fields and every mentorship: equal before and after = nothing changed."""
    users = list(
        User.objects.order_by("username").values_list(
            "username", "email", "full_name", "region_id", "branch_id", "password"
        )
    )
    mentorships = list(Mentorship.objects.order_by("pk").values_list("mentor_id", "learner_id", "is_active"))
    return len(users), len(mentorships), users, mentorships


@pytest.fixture
def org(role_groups):
    """Two regions with a branch each, two mentors, and an existing learner in region 52 without a mentor."""
    region = RegionFactory(code="52", name="Нижегородская область")
    branch = BranchFactory(region=region, number="14")
    other_region = RegionFactory(code="77", name="Москва")
    other_branch = BranchFactory(region=other_region, number="3")
    mentors = role_groups["Mentors"]
    mentor = UserFactory(username="petrov", full_name="Петров Пётр", branch=branch)
    other_mentor = UserFactory(username="sidorov", full_name="Сидоров Иван", branch=branch)
    mentors.user_set.add(mentor, other_mentor)
    existing = UserFactory(username="ivanova", email="ivanova@example.org", full_name="Иванова М.", branch=branch)
    return SimpleNamespace(
        region=region,
        branch=branch,
        other_region=other_region,
        other_branch=other_branch,
        mentor=mentor,
        other_mentor=other_mentor,
        existing=existing,
    )


def assert_refused(text, row_number, message):
    """Applying the text changes nothing and reports `message` on row `row_number`."""
    before = database_state()
    plan = learner_import_apply(text=text)
    assert plan.is_applied is False
    assert str(message) in [str(error) for error in next(r for r in plan.rows if r.number == row_number).errors]
    assert database_state() == before
    return plan


def assert_file_refused(text, message):
    before = database_state()
    with pytest.raises(ImportFileError) as raised:
        learner_import_apply(text=text)
    assert str(raised.value.message) == str(message)
    assert database_state() == before


class GoodFileTests:
    def test_creates_and_updates_learners_and_assigns_mentors(self, org, admin_user):
        """New learners are created with an unusable password, existing ones updated, mentors assigned
        by the importing administrator."""
        text = csv_text(
            ("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", "petrov"),
            ("ivanova", "new.ivanova@example.org", "Иванова Мария", "77", "3", "sidorov"),
        )
        plan = learner_import_apply(text=text, assigned_by=admin_user)
        assert plan.is_applied is True
        assert (plan.created_count, plan.updated_count, plan.mentors_count) == (1, 1, 2)
        created = User.objects.get(username="smirnova")
        assert (created.email, created.full_name, created.region, created.branch) == (
            "smirnova@example.org",
            "Смирнова Ольга",
            org.region,
            org.branch,
        )
        assert created.has_usable_password() is False
        org.existing.refresh_from_db()
        assert (org.existing.email, org.existing.full_name, org.existing.region, org.existing.branch) == (
            "new.ivanova@example.org",
            "Иванова Мария",
            org.other_region,
            org.other_branch,
        )
        assert set(Mentorship.objects.filter(is_active=True).values_list("mentor", "learner", "assigned_by")) == {
            (org.mentor.pk, created.pk, admin_user.pk),
            (org.other_mentor.pk, org.existing.pk, admin_user.pk),
        }

    def test_learner_is_found_by_email_when_username_is_blank(self, org):
        """A row without a username updates the user whose email it gives (letter case aside)."""
        plan = learner_import_apply(text=csv_text(("", "IVANOVA@example.org", "Иванова Мария", "", "", "petrov")))
        assert plan.is_applied is True
        org.existing.refresh_from_db()
        assert (org.existing.full_name, org.existing.email) == ("Иванова Мария", "ivanova@example.org")
        assert Mentorship.objects.get(learner=org.existing, is_active=True).mentor == org.mentor
        assert User.objects.count() == 3

    def test_blank_cells_change_nothing(self, org):
        """A row with only the username and a mentor keeps the learner's name, email, region and branch."""
        before = User.objects.values("email", "full_name", "region", "branch").get(pk=org.existing.pk)
        plan = learner_import_apply(text=csv_text(("ivanova", "", "", "", "", "petrov")))
        assert plan.is_applied is True
        assert User.objects.values("email", "full_name", "region", "branch").get(pk=org.existing.pk) == before
        assert Mentorship.objects.filter(learner=org.existing, mentor=org.mentor, is_active=True).exists()

    def test_reimporting_the_same_file_changes_nothing(self, org):
        """Importing a file again leaves every row unchanged and no mentorship is added."""
        text = csv_text(("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", "petrov"))
        learner_import_apply(text=text)
        before = database_state()
        plan = learner_import_apply(text=text)
        assert plan.is_applied is True
        assert [row.actions for row in plan.rows] == [[ACTION_UNCHANGED]]
        assert database_state() == before

    def test_learner_whose_mentor_ended_gets_a_new_one_and_history_is_kept(self, org):
        """An ended mentorship does not block a new mentor; the old row stays as history."""
        ended = mentorship_assign(mentor=org.other_mentor, learner=org.existing)
        Mentorship.objects.filter(pk=ended.pk).update(is_active=False, ended_at=ended.created_at)
        plan = learner_import_apply(text=csv_text(("ivanova", "", "", "", "", "petrov")))
        assert plan.is_applied is True
        assert list(
            Mentorship.objects.filter(learner=org.existing).order_by("pk").values_list("mentor", "is_active")
        ) == [
            (org.other_mentor.pk, False),
            (org.mentor.pk, True),
        ]


class PreviewTests:
    def test_plan_describes_each_row_and_changes_nothing(self, org):
        """The dry run says per row: create, update (which fields), assign mentor, unchanged."""
        text = csv_text(
            ("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", ""),
            ("ivanova", "", "Иванова Мария", "", "", "petrov"),
            ("petrov", "", "", "", "", ""),
        )
        before = database_state()
        plan = learner_import_plan(text=text)
        assert plan.has_errors is False
        assert [[str(action) for action in row.actions] for row in plan.rows] == [
            [str(ACTION_CREATE)],
            [
                str(ACTION_UPDATE % {"fields": FIELD_LABELS["full_name"]}),
                str(ACTION_ASSIGN_MENTOR % {"mentor": "petrov (Петров Пётр)"}),
            ],
            [str(ACTION_UNCHANGED)],
        ]
        assert (plan.created_count, plan.updated_count, plan.mentors_count, plan.unchanged_count) == (1, 1, 1, 1)
        assert database_state() == before

    def test_current_mentor_again_is_no_change(self, org):
        """Naming the learner's current mentor again is not an assignment (and not an error)."""
        mentorship_assign(mentor=org.mentor, learner=org.existing)
        plan = learner_import_plan(text=csv_text(("ivanova", "", "", "", "", "petrov")))
        assert plan.has_errors is False
        assert plan.mentors_count == 0
        assert [str(action) for action in plan.rows[0].actions] == [str(ACTION_UNCHANGED)]


class EncodingTests:
    def test_windows_1251_with_semicolons_and_russian_headers(self, org):
        """A table saved by Russian Excel (Windows-1251, ";", Russian column names) imports."""
        text = csv_text(
            ("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", "petrov"),
            header=("Логин", "Эл. почта", "ФИО", "Код региона", "Номер отделения", "Наставник"),
            delimiter=";",
        )
        plan = learner_import_apply(text=decode_csv_file(text.encode("cp1251")))
        assert plan.is_applied is True
        created = User.objects.get(username="smirnova")
        assert (created.full_name, created.branch) == ("Смирнова Ольга", org.branch)
        assert Mentorship.objects.filter(learner=created, mentor=org.mentor).exists()

    def test_utf8_with_bom(self, org):
        """The byte-order mark of "CSV UTF-8" is not taken for part of the first column name."""
        text = csv_text(("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", ""))
        plan = learner_import_apply(text=decode_csv_file(b"\xef\xbb\xbf" + text.encode("utf-8")))
        assert plan.is_applied is True
        assert User.objects.get(username="smirnova").full_name == "Смирнова Ольга"

    def test_quoted_cells_with_the_separator_inside(self, org):
        """A quoted cell keeps its commas."""
        text = 'username,email,full_name\r\nivanova,,"Иванова, Мария"\r\n'
        assert learner_import_apply(text=text).is_applied is True
        org.existing.refresh_from_db()
        assert org.existing.full_name == "Иванова, Мария"


class FileErrorTests:
    def test_empty_file(self):
        """An empty (or blank) file is refused with its own message."""
        for data in (b"", b" \r\n"):
            with pytest.raises(ImportFileError) as raised:
                decode_csv_file(data)
            assert raised.value.message == FILE_EMPTY

    @pytest.mark.parametrize(
        "data",
        [
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # an .xlsx (zip) file
            b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
            "username,email\r\nivanova,x@example.org\r\n".encode("utf-16"),
            b"username\x01\x02\x03,email\r\n",
        ],
    )
    def test_binary_file(self, data):
        """Spreadsheets, images, UTF-16 and other non-text files are refused as not CSV text."""
        with pytest.raises(ImportFileError) as raised:
            decode_csv_file(data)
        assert raised.value.message == FILE_NOT_TEXT

    def test_file_over_the_size_limit(self):
        """A file over 2 MB is refused, saying its size and the limit."""
        data = b"username\r\n" + b"a" * MAX_FILE_SIZE
        with pytest.raises(ImportFileError) as raised:
            decode_csv_file(data)
        expected = FILE_TOO_LARGE % {"size": filesizeformat(len(data)), "limit": filesizeformat(MAX_FILE_SIZE)}
        assert str(raised.value.message) == str(expected)

    def test_file_without_header(self, org):
        """A file whose first line is already data is refused as a whole, naming the columns."""
        assert_file_refused(
            "ivanova,ivanova@example.org,Иванова,52,14,petrov\r\n",
            HEADER_MISSING % {"columns": ", ".join(HEADER)},
        )

    def test_unknown_column(self, org):
        """A misspelt column is refused rather than silently ignored."""
        assert_file_refused(
            "username,regoin_code\r\nivanova,52\r\n",
            HEADER_UNKNOWN % {"unknown": "regoin_code", "columns": ", ".join(HEADER)},
        )

    def test_repeated_column(self, org):
        """The same column twice (also as an alias) is refused."""
        assert_file_refused(
            "username,mentor,наставник\r\nivanova,petrov,sidorov\r\n", HEADER_REPEATED % {"column": "mentor"}
        )

    def test_header_without_username_or_email(self, org):
        """Without a username or email column no row could be matched to a learner."""
        assert_file_refused("full_name,mentor\r\nИванова,petrov\r\n", HEADER_NO_IDENTITY)

    def test_header_only(self, org):
        """A header with no rows under it is refused."""
        assert_file_refused(csv_text(), FILE_NO_ROWS)


class RowErrorTests:
    def test_unknown_mentor(self, org):
        """A mentor username nobody has is reported on its row."""
        assert_refused(csv_text(("ivanova", "", "", "", "", "nobody")), 2, ROW_UNKNOWN_MENTOR % {"username": "nobody"})

    def test_mentor_not_in_mentors_group(self, org):
        """A user outside the Mentors group cannot be made a mentor, new learner or existing one."""
        outsider = UserFactory(username="outsider")
        text = csv_text(
            ("ivanova", "", "", "", "", "outsider"),
            ("smirnova", "smirnova@example.org", "", "", "", "outsider"),
        )
        plan = assert_refused(text, 2, MENTOR_NOT_IN_GROUP % {"user": outsider.username})
        assert [str(error) for error in plan.rows[1].errors] == [str(MENTOR_NOT_IN_GROUP % {"user": "outsider"})]

    def test_learner_as_own_mentor(self, org):
        """A mentor cannot be their own mentee."""
        assert_refused(csv_text(("petrov", "", "", "", "", "petrov")), 2, MENTOR_IS_LEARNER)

    def test_learner_with_another_active_mentor(self, org):
        """A learner whose active mentor is someone else would get two: refused, the old one stays."""
        mentorship_assign(mentor=org.other_mentor, learner=org.existing)
        assert_refused(
            csv_text(("ivanova", "", "", "", "", "petrov")),
            2,
            LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "sidorov"},
        )

    def test_two_rows_give_a_learner_different_mentors(self, org):
        """The same learner with two different mentors in one file is refused on the later row."""
        text = csv_text(("ivanova", "", "", "", "", "petrov"), ("", "ivanova@example.org", "", "", "", "sidorov"))
        assert_refused(text, 3, ROW_TWO_MENTORS % {"row": 2, "mentor": "petrov"})

    def test_duplicate_rows(self, org):
        """The same learner twice is refused on the later row, naming the first one."""
        text = csv_text(
            ("smirnova", "smirnova@example.org", "", "", "", ""),
            ("ivanova", "", "", "", "", ""),
            ("smirnova", "smirnova@example.org", "", "", "", ""),
        )
        assert_refused(text, 4, ROW_DUPLICATE % {"row": 2})

    def test_same_email_for_two_new_learners(self, org):
        """Two new learners cannot share an email (password reset could not tell them apart)."""
        text = csv_text(("a1", "same@example.org", "", "", "", ""), ("a2", "same@example.org", "", "", "", ""))
        assert_refused(text, 3, ROW_EMAIL_REPEATED % {"email": "same@example.org", "row": 2})

    def test_email_of_another_user(self, org):
        """A learner cannot take an email another user already has."""
        assert_refused(
            csv_text(("smirnova", "ivanova@example.org", "", "", "", "")),
            2,
            ROW_EMAIL_TAKEN % {"email": "ivanova@example.org", "user": "ivanova"},
        )

    def test_unknown_region(self, org):
        """A region code that is not in the database is reported."""
        assert_refused(csv_text(("ivanova", "", "", "99", "1", "")), 2, ROW_UNKNOWN_REGION % {"code": "99"})

    def test_branch_not_in_region(self, org):
        """A branch number of another region is refused."""
        assert_refused(
            csv_text(("ivanova", "", "", "52", "3", "")),
            2,
            ROW_UNKNOWN_BRANCH % {"region": "52 Нижегородская область", "number": "3"},
        )

    def test_branch_without_region(self, org):
        """A branch number is only meaningful within a region."""
        assert_refused(csv_text(("ivanova", "", "", "", "14", "")), 2, ROW_BRANCH_NEEDS_REGION)

    def test_region_change_without_branch(self, org):
        """Moving a learner to another region needs their branch there too."""
        assert_refused(csv_text(("ivanova", "", "", "77", "", "")), 2, ROW_REGION_NEEDS_BRANCH % {"region": "Москва"})

    @pytest.mark.parametrize("email", ["not-an-email", "ivanova@", "a b@example.org"])
    def test_bad_email(self, org, email):
        """An invalid email is reported with the value given."""
        assert_refused(csv_text(("ivanova", email, "", "", "", "")), 2, ROW_BAD_EMAIL % {"email": email})

    def test_bad_username(self, org):
        """A username Django would not accept is reported."""
        assert_refused(
            csv_text(("иван ова!", "x@example.org", "", "", "", "")),
            2,
            ROW_BAD_USERNAME % {"username": "иван ова!"},
        )

    def test_username_in_another_letter_case(self, org):
        """“Ivanova” for “ivanova” is not a new learner: the exact username is asked for."""
        assert_refused(csv_text(("Ivanova", "", "", "", "", "")), 2, ROW_USERNAME_CASE % {"existing": "ivanova"})

    def test_unknown_email_without_username(self, org):
        """A row with only an email nobody has cannot create a learner: it needs a username."""
        assert_refused(
            csv_text(("", "new@example.org", "", "", "", "")),
            2,
            ROW_NEW_NEEDS_USERNAME % {"email": "new@example.org"},
        )

    def test_new_learner_without_email(self, org):
        """A new learner needs an email to set their password through password reset."""
        assert_refused(csv_text(("smirnova", "", "", "", "", "")), 2, ROW_NEW_NEEDS_EMAIL % {"username": "smirnova"})

    def test_row_without_username_and_email(self, org):
        """A row that does not say who the learner is is reported."""
        assert_refused(csv_text(("", "", "Иванова", "52", "14", "")), 2, ROW_NO_IDENTITY)

    def test_staff_account_is_not_changed_by_import(self, org, admin_user):
        """Staff accounts (their email leads to their password) are refused."""
        assert_refused(
            csv_text((admin_user.username, "taken@example.org", "", "", "", "")),
            2,
            ROW_STAFF_ACCOUNT % {"user": admin_user.username},
        )

    def test_row_longer_than_the_header(self, org):
        """Cells beyond the header's columns are an error, not silently dropped."""
        assert_refused("username,email\r\nivanova,,extra\r\n", 2, ROW_TOO_MANY_CELLS)

    def test_every_problem_of_a_row_is_reported_at_once(self, org):
        """A row with a bad email, an unknown region and an unknown mentor lists all three."""
        plan = learner_import_plan(text=csv_text(("orlov", "bad-email", "", "99", "1", "nobody")))
        assert [str(error) for error in plan.rows[0].errors] == [
            str(ROW_BAD_EMAIL % {"email": "bad-email"}),
            str(ROW_UNKNOWN_REGION % {"code": "99"}),
            str(ROW_UNKNOWN_MENTOR % {"username": "nobody"}),
        ]

    def test_one_bad_row_imports_nothing_and_rows_are_numbered_by_line(self, org):
        """Good rows are not imported when another row is bad; blank lines keep the line numbers."""
        text = csv_text(
            ("smirnova", "smirnova@example.org", "Смирнова", "52", "14", "petrov"),
            ("", "", "", "", "", ""),
            ("ivanova", "", "Новое имя", "52", "14", "nobody"),
        )
        plan = assert_refused(text, 4, ROW_UNKNOWN_MENTOR % {"username": "nobody"})
        assert [(row.number, bool(row.errors)) for row in plan.rows] == [(2, False), (4, True)]
        assert not User.objects.filter(username="smirnova").exists()


def run_after(monkeypatch, module, name, action):
    """Make `action` happen right after module.name runs: a change another request makes meanwhile."""
    original = getattr(module, name)

    def wrapper(*args, **kwargs):
        result = original(*args, **kwargs)
        action()
        return result

    monkeypatch.setattr(module, name, wrapper)


def stale_active_mentorships(monkeypatch, action, *, read):
    """The services' `read`-th read of the active mentorships happens just before `action` (another
    request assigning a mentor), so only what comes after, or the database's constraint, can see it."""
    original = mentoring._active_mentorships
    reads = []

    def read_then_act(learners):
        current = original(learners)
        reads.append(current)
        if len(reads) == read:
            action()
        return current

    monkeypatch.setattr(mentoring, "_active_mentorships", read_then_act)
    return reads


class ConcurrentChangeTests:
    def test_mentor_assigned_after_the_check(self, org, monkeypatch):
        """Another mentor assigned to a learner between the import's check and its insert trips the
        database constraint: nothing is imported and the row says why."""
        # Reads: the plan's check, the bulk service's check before its insert, its check again after.
        reads = stale_active_mentorships(
            monkeypatch, lambda: Mentorship.objects.create(mentor=org.other_mentor, learner=org.existing), read=2
        )
        text = csv_text(
            ("smirnova", "smirnova@example.org", "", "52", "14", "petrov"), ("ivanova", "", "", "", "", "petrov")
        )
        plan = assert_refused(text, 3, LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "sidorov"})
        assert plan.rows[0].errors == []
        assert len(reads) == 3

    def test_mentor_assigned_after_the_preview_check(self, org, monkeypatch):
        """A mentor assigned after the import's own check is caught by the service's check: nothing is
        imported and the row says why."""
        stale_active_mentorships(
            monkeypatch, lambda: Mentorship.objects.create(mentor=org.other_mentor, learner=org.existing), read=1
        )
        assert_refused(
            csv_text(("ivanova", "", "", "", "", "petrov")),
            2,
            LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "sidorov"},
        )

    def test_username_taken_after_the_plan(self, org, monkeypatch):
        """A user with a new learner's username created meanwhile: nothing is imported, the row says so."""
        run_after(monkeypatch, imports, "_learners_to_save", lambda: UserFactory(username="smirnova"))
        text = csv_text(
            ("smirnova", "smirnova@example.org", "", "", "", "petrov"), ("orlova", "orlova@example.org", "", "", "", "")
        )
        plan = assert_refused(text, 2, ROW_CHANGED_MEANWHILE)
        assert plan.rows[1].errors == []

    def test_learner_deleted_after_the_plan(self, org, monkeypatch):
        """A learner to update deleted meanwhile is not created again: nothing is imported, the row says so."""
        run_after(monkeypatch, imports, "_learners_to_save", lambda: User.objects.filter(pk=org.existing.pk).delete())
        assert_refused(csv_text(("ivanova", "", "Иванова Мария", "", "", "")), 2, ROW_CHANGED_MEANWHILE)


class MentorshipsAssignBulkTests:
    def test_assigns_each_pair_once_recording_who_assigned(self, org, admin_user):
        """Every pair gets an active mentorship with assigned_by; the current mentor again is no change."""
        current = mentorship_assign(mentor=org.mentor, learner=org.existing)
        learner = UserFactory(username="orlova")
        mentorships = mentorships_assign_bulk(
            pairs=[(org.mentor, org.existing), (org.other_mentor, learner)], assigned_by=admin_user
        )
        assert mentorships[0] == current
        assert (mentorships[1].mentor, mentorships[1].learner, mentorships[1].assigned_by) == (
            org.other_mentor,
            learner,
            admin_user,
        )
        assert Mentorship.objects.count() == 2

    def test_any_broken_rule_assigns_nothing(self, org):
        """The rules of mentorship_check, reported by the pair's index; no pair is assigned."""
        mentorship_assign(mentor=org.other_mentor, learner=org.existing)
        outsider = UserFactory(username="outsider")
        learner = UserFactory(username="orlova")
        with pytest.raises(ProgressError) as raised:
            mentorships_assign_bulk(
                pairs=[
                    (org.mentor, learner),
                    (outsider, learner),
                    (org.mentor, org.mentor),
                    (org.mentor, org.existing),
                ]
            )
        assert raised.value.message_dict == {
            1: [str(MENTOR_NOT_IN_GROUP % {"user": "outsider"})],
            2: [str(MENTOR_IS_LEARNER)],
            3: [str(LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "sidorov"})],
        }
        assert Mentorship.objects.count() == 1

    def test_a_learner_named_twice_gets_the_first_mentor(self, org):
        """Pairs are assigned as if one after another: a second mentor for the same learner is refused."""
        with pytest.raises(ProgressError) as raised:
            mentorships_assign_bulk(pairs=[(org.mentor, org.existing), (org.other_mentor, org.existing)])
        assert raised.value.message_dict == {1: [str(LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "petrov"})]}
        assert not Mentorship.objects.exists()

    def test_same_mentor_assigned_concurrently_is_reused(self, org, monkeypatch):
        """When another request assigned the same mentor first, its row is returned and none is added."""
        reads = stale_active_mentorships(
            monkeypatch, lambda: Mentorship.objects.create(mentor=org.mentor, learner=org.existing), read=1
        )
        mentorships = mentorships_assign_bulk(pairs=[(org.mentor, org.existing)])
        assert mentorships == [Mentorship.objects.get(learner=org.existing, is_active=True)]
        assert Mentorship.objects.count() == 1
        assert len(reads) == 2  # checked again after the database refused the insert


# Applying a file costs as many queries for 3 rows as for 30 (a third of them learners to update,
# all with one of the two mentors). Up to 22:
#   1      the import's savepoint (the test's transaction is outside)
#   2-3    the users named by username or mentor, and by email, with their region and branch
#   4-5    the regions by code, their branches
#   6      the learners' active mentorships (their current mentors, for the preview)
#   7      the same, for the mentorship rules (mentorships_check_bulk)
#   8-11   each mentor's user and group permissions (is_mentor; one pair per distinct mentor)
#   12-14  savepoint, INSERT of the new learners, release
#   15     UPDATE of the changed learners (one group of changed fields)
#   16     mentorships_assign_bulk's savepoint
#   17     the active mentorships again, as the writing transaction sees them
#   18-20  savepoint, INSERT of the mentorships, release
#   21     the audit trail's entries of the new mentorships (one INSERT)
#   22-23  release of the two savepoints
#   24-28  the audit trail of the import: its LearnerImport row, its log entry (with Wagtail's two checks)
#   29     the content type of the log entries, when no earlier query has cached it
# The preview (learner_import_plan) is queries 2-11.
APPLY_QUERIES = 29
PLAN_QUERIES = 10


def file_of(org, count):
    rows = []
    for number in range(count):
        mentor = ("petrov", "sidorov")[number % 2]
        if number % 3 == 0:
            UserFactory(username=f"old{number}", email=f"old{number}@example.org", branch=org.branch)
            rows.append((f"old{number}", "", f"Новое имя {number}", "77", "3", mentor))
        else:
            rows.append((f"new{number}", f"new{number}@example.org", f"Новый {number}", "52", "14", mentor))
    return csv_text(*rows)


class QueryCountTests:
    @pytest.mark.parametrize("count", [3, 30])
    def test_applying_costs_the_same_queries_for_3_and_30_rows(
        self, org, admin_user, count, django_assert_max_num_queries
    ):
        """Learners are created, updated and given mentors in bulk: no query per row."""
        text = file_of(org, count)
        with django_assert_max_num_queries(APPLY_QUERIES):
            plan = learner_import_apply(text=text, assigned_by=admin_user)
        assert plan.is_applied is True
        assert (plan.created_count, plan.updated_count, plan.mentors_count) == (count * 2 // 3, count // 3, count)
        assert Mentorship.objects.filter(is_active=True, assigned_by=admin_user).count() == count

    @pytest.mark.parametrize("count", [3, 30])
    def test_preview_costs_the_same_queries_for_3_and_30_rows(self, org, count, django_assert_max_num_queries):
        """The preview looks everything up in bulk, the mentorship rules included."""
        text = file_of(org, count)
        with django_assert_max_num_queries(PLAN_QUERIES):
            plan = learner_import_plan(text=text)
        assert plan.has_errors is False


class CommandTests:
    def write(self, tmp_path, text, encoding="utf-8"):
        path = tmp_path / "learners.csv"
        path.write_bytes(text.encode(encoding) if isinstance(text, str) else text)
        return str(path)

    def test_imports_the_file(self, org, tmp_path):
        """The command creates the learner, assigns the mentor and prints what it did."""
        path = self.write(tmp_path, csv_text(("smirnova", "smirnova@example.org", "Смирнова", "52", "14", "petrov")))
        output = StringIO()
        call_command("import_learners", path, stdout=output)
        assert Mentorship.objects.filter(learner__username="smirnova", mentor=org.mentor, is_active=True).exists()
        assert "Imported: 1 created, 0 updated, 1 mentors assigned, 0 unchanged." in output.getvalue()

    def test_dry_run_prints_the_preview_and_changes_nothing(self, org, tmp_path):
        """--dry-run prints each row's actions and writes nothing."""
        path = self.write(tmp_path, csv_text(("smirnova", "smirnova@example.org", "Смирнова", "52", "14", "petrov")))
        before = database_state()
        output = StringIO()
        call_command("import_learners", path, "--dry-run", stdout=output)
        assert database_state() == before
        assert f"Row 2: smirnova: {ACTION_CREATE}; {ACTION_ASSIGN_MENTOR % {'mentor': 'petrov (Петров Пётр)'}}" in (
            output.getvalue()
        )
        assert "Nothing was changed." in output.getvalue()

    def test_errors_are_printed_and_the_exit_status_is_1(self, org, tmp_path):
        """A file with a bad row prints the row's error, imports nothing and fails with status 1."""
        path = self.write(
            tmp_path,
            csv_text(("smirnova", "smirnova@example.org", "", "", "", ""), ("ivanova", "", "", "99", "", "")),
        )
        before = database_state()
        errors = StringIO()
        with pytest.raises(CommandError) as raised:
            call_command("import_learners", path, stdout=StringIO(), stderr=errors)
        assert raised.value.returncode == 1  # manage.py exits with it
        assert f"Row 3: {ROW_UNKNOWN_REGION % {'code': '99'}}" in errors.getvalue()
        assert database_state() == before

    def test_file_level_errors_are_command_errors(self, org, tmp_path):
        """A file that cannot be read (here: too large) is one clear error, nothing changes."""
        path = self.write(tmp_path, b"username\r\n" + b"a" * MAX_FILE_SIZE)
        before = database_state()
        with pytest.raises(CommandError, match=str(FILE_TOO_LARGE).split("%")[0].strip()):
            call_command("import_learners", path)
        assert database_state() == before

    def test_missing_file(self, tmp_path):
        """A path that does not exist is a clear error, not a traceback."""
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("import_learners", str(tmp_path / "missing.csv"))


def upload(client, text, *, encoding="utf-8", name="learners.csv"):
    data = text.encode(encoding) if isinstance(text, str) else text
    return client.post(reverse("progress_learner_import"), {"file": SimpleUploadedFile(name, data, "text/csv")})


def page_text(response):
    return html.unescape(response.content.decode())


class AdminImportTests:
    GOOD = (
        ("smirnova", "smirnova@example.org", "Смирнова Ольга", "52", "14", "petrov"),
        ("ivanova", "", "Иванова Мария", "", "", "sidorov"),
    )

    def test_upload_form_and_menu_item(self, admin_client):
        """An administrator sees the menu item and the upload form."""
        home = admin_client.get(reverse("wagtailadmin_home"))
        assert reverse("progress_learner_import") in home.content.decode()
        response = admin_client.get(reverse("progress_learner_import"))
        assert response.status_code == 200
        assert 'type="file"' in response.content.decode()

    def test_upload_preview_confirm(self, admin_client, admin_user, org):
        """Upload shows the preview and changes nothing; the confirm button imports and says how much."""
        before = database_state()
        preview = upload(admin_client, csv_text(*self.GOOD, delimiter=";"), encoding="cp1251")
        assert preview.status_code == 200
        text = page_text(preview)
        assert str(ACTION_CREATE) in text
        assert str(ACTION_ASSIGN_MENTOR % {"mentor": "sidorov (Сидоров Иван)"}) in text
        assert reverse("progress_learner_import_confirm") in text
        assert database_state() == before

        content = preview.context["confirm_form"].initial["content"]
        response = admin_client.post(reverse("progress_learner_import_confirm"), {"content": content}, follow=True)
        assert response.redirect_chain == [(reverse("progress_learner_import"), 302)]
        assert str(IMPORT_DONE % {"created": 1, "updated": 1, "mentors": 2, "unchanged": 0}) in page_text(response)
        assert User.objects.get(username="smirnova").full_name == "Смирнова Ольга"
        assert set(Mentorship.objects.values_list("learner__username", "mentor__username", "assigned_by")) == {
            ("smirnova", "petrov", admin_user.pk),
            ("ivanova", "sidorov", admin_user.pk),
        }

    def test_preview_with_errors_has_no_import_button(self, admin_client, org):
        """Row errors are listed with their row number; there is nothing to confirm."""
        preview = upload(admin_client, csv_text(("ivanova", "", "", "99", "", "")))
        assert preview.status_code == 200
        text = page_text(preview)
        assert str(ROW_UNKNOWN_REGION % {"code": "99"}) in text
        assert reverse("progress_learner_import_confirm") not in text

    @pytest.mark.parametrize(
        ("data", "message"),
        [(b"", FILE_EMPTY), (b"\x89PNG\r\n\x1a\n\x00\x00", FILE_NOT_TEXT), (b"a,b\r\n1,2\r\n", None)],
    )
    def test_unreadable_file_is_refused_on_the_form(self, admin_client, org, data, message):
        """Empty, binary or header-less files come back to the upload form with the reason."""
        before = database_state()
        response = upload(admin_client, data)
        assert response.status_code == 200
        expected = message or HEADER_MISSING % {"columns": ", ".join(HEADER)}
        assert str(expected) in page_text(response)
        assert "confirm_form" not in response.context
        assert database_state() == before

    def test_confirm_validates_the_content_again(self, admin_client, org):
        """Confirmed content is never trusted: a tampered one with errors imports nothing."""
        before = database_state()
        content = encode_content(csv_text(("smirnova", "smirnova@example.org", "", "", "", "nobody")))
        response = admin_client.post(reverse("progress_learner_import_confirm"), {"content": content})
        assert response.status_code == 200
        assert str(ROW_UNKNOWN_MENTOR % {"username": "nobody"}) in page_text(response)
        assert database_state() == before

    def test_confirm_state_changed_since_preview(self, admin_client, org):
        """A learner given another mentor between preview and confirm: nothing is imported."""
        preview = upload(admin_client, csv_text(*self.GOOD))
        mentorship_assign(mentor=org.mentor, learner=org.existing)
        before = database_state()
        content = preview.context["confirm_form"].initial["content"]
        response = admin_client.post(reverse("progress_learner_import_confirm"), {"content": content})
        assert str(LEARNER_HAS_MENTOR % {"learner": "ivanova", "mentor": "petrov"}) in page_text(response)
        assert database_state() == before

    def test_damaged_content(self, admin_client, org):
        """Content that is not what the preview sent is refused with a message."""
        before = database_state()
        response = admin_client.post(reverse("progress_learner_import_confirm"), {"content": "%%%not base64"})
        assert str(CONTENT_DAMAGED) in page_text(response)
        assert database_state() == before

    def test_user_with_the_mentorship_permission_may_import(self, client, org):
        """Not only superusers: an admin user allowed to add mentorships may import."""
        importer = UserFactory(username="importer")
        importer.user_permissions.add(
            Permission.objects.get(codename="access_admin"), Permission.objects.get(codename="add_mentorship")
        )
        client.force_login(importer)
        assert client.get(reverse("progress_learner_import")).status_code == 200
        assert reverse("progress_learner_import") in client.get(reverse("wagtailadmin_home")).content.decode()

    def test_admin_user_without_the_permission_is_refused(self, client, org):
        """An editor who may use the admin but not assign mentors is refused, sees no menu item, changes nothing."""
        editor = UserFactory(username="editor")
        editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
        client.force_login(editor)
        before = database_state()
        content = encode_content(csv_text(("smirnova", "smirnova@example.org", "", "", "", "")))
        refusals = [
            client.get(reverse("progress_learner_import")),
            upload(client, csv_text(("smirnova", "smirnova@example.org", "", "", "", ""))),
            client.post(reverse("progress_learner_import_confirm"), {"content": content}),
        ]
        # Wagtail turns the views' PermissionDenied into a redirect to the dashboard with a message.
        assert [(response.status_code, response.url) for response in refusals] == [
            (302, reverse("wagtailadmin_home"))
        ] * 3
        assert reverse("progress_learner_import") not in client.get(reverse("wagtailadmin_home")).content.decode()
        assert database_state() == before

    def test_learner_is_sent_to_the_admin_login(self, learner_client, org):
        """A site learner never reaches the import: the admin asks them to log in."""
        before = database_state()
        content = encode_content(csv_text(("smirnova", "smirnova@example.org", "", "", "", "")))
        response = learner_client.post(reverse("progress_learner_import_confirm"), {"content": content})
        assert response.status_code == 302
        assert "/admin/login/" in response.url
        assert database_state() == before
