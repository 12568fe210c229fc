"""Bulk import of learners and their mentors from a CSV file.

One file creates or updates learners (matched by username, else by email) and assigns their
mentors. Everything is validated first and reported row by row; the file is applied in one
transaction only when no row has an error, so nothing is ever half-imported. The Wagtail admin
view (admin_import.py) and the import_learners command both go through here.
"""

import csv
import hashlib
import io
import unicodedata
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from school.models import Branch, Region

from .audit import LEARNER_IMPORT, audit_log
from .models import LearnerImport, Mentorship
from .services import ProgressError, mentorships_assign_bulk, mentorships_check_bulk


MAX_FILE_SIZE = 2 * 1024 * 1024
# Lookups go to the database in chunks: SQLite limits the parameters of one query.
LOOKUP_CHUNK = 500

COLUMNS = ("username", "email", "full_name", "region_code", "branch_number", "mentor")
# Header names are compared after _normalise_header: lower case, "ё" as "е", spaces, dots and
# hyphens as "_". Russian aliases are what people write in a spreadsheet made by hand.
HEADER_ALIASES = {
    "username": ("username", "login", "логин", "имя_пользователя", "пользователь"),
    "email": ("email", "e_mail", "mail", "почта", "эл_почта", "электронная_почта", "адрес_электронной_почты"),
    "full_name": ("full_name", "name", "фио", "полное_имя", "имя"),
    "region_code": ("region_code", "region", "код_региона", "регион"),
    "branch_number": ("branch_number", "branch", "номер_отделения", "отделение", "номер_первичного_отделения"),
    "mentor": ("mentor", "mentor_username", "наставник", "логин_наставника"),
}
ALIAS_TO_COLUMN = {alias: column for column, aliases in HEADER_ALIASES.items() for alias in aliases}
DELIMITERS = (";", ",", "\t")

FILE_EMPTY = _("The file is empty.")
FILE_TOO_LARGE = _("The file is %(size)s; files up to %(limit)s can be imported. Split it into several files.")
FILE_NOT_TEXT = _(
    "This is not a CSV text file. Save the table as CSV (comma or semicolon separated, UTF-8 or Windows-1251) "
    "and upload that."
)
FILE_NOT_CSV = _("The file cannot be read as CSV: %(error)s.")
FILE_NO_ROWS = _("The file has a header but no learner rows.")
HEADER_MISSING = _("The first line must be the header with the column names (%(columns)s); it has none of them.")
HEADER_UNKNOWN = _("Unknown columns in the header: %(unknown)s. The columns are: %(columns)s.")
HEADER_REPEATED = _("The column %(column)s appears twice in the header.")
HEADER_NO_IDENTITY = _("The header needs a username or an email column to tell who each row is.")

ROW_TOO_MANY_CELLS = _("The row has more cells than the header has columns.")
ROW_NO_IDENTITY = _("Give the learner’s username or email.")
ROW_BAD_USERNAME = _(
    "“%(username)s” is not a valid username: at most 150 letters, digits and the characters @ . + - _."
)
ROW_USERNAME_CASE = _("The user is called “%(existing)s”: write the username exactly, letter case included.")
ROW_NEW_NEEDS_EMAIL = _("There is no user “%(username)s”; a new learner needs an email to set their password.")
ROW_NEW_NEEDS_USERNAME = _("No user has the email %(email)s; a new learner needs a username.")
ROW_EMAIL_AMBIGUOUS = _("Several users have the email %(email)s: give the username.")
ROW_BAD_EMAIL = _("“%(email)s” is not a valid email address.")
ROW_EMAIL_TAKEN = _("The email %(email)s belongs to another user, %(user)s.")
ROW_EMAIL_REPEATED = _("The email %(email)s is also given in row %(row)d.")
ROW_FULL_NAME_TOO_LONG = _("The full name is longer than %(limit)d characters.")
ROW_UNKNOWN_REGION = _("There is no region with the code “%(code)s”.")
ROW_UNKNOWN_BRANCH = _("Region %(region)s has no branch No. %(number)s.")
ROW_BRANCH_NEEDS_REGION = _("Give the region code together with the branch number.")
ROW_REGION_NEEDS_BRANCH = _("The learner’s branch is in another region: give their branch number in %(region)s too.")
ROW_UNKNOWN_MENTOR = _("There is no user “%(username)s” to be the mentor.")
ROW_STAFF_ACCOUNT = _("%(user)s is a staff account: change it in the users admin, not by import.")
ROW_DUPLICATE = _("The same learner as in row %(row)d: give each learner one row.")
ROW_TWO_MENTORS = _(
    "Row %(row)d gives the same learner the mentor %(mentor)s: a learner has one active mentor, give them one row."
)

ROW_CHANGED_MEANWHILE = _("Someone changed this learner while the file was imported: import the file again.")

ACTION_CREATE = _("Create learner")
ACTION_UPDATE = _("Update learner: %(fields)s")
ACTION_ASSIGN_MENTOR = _("Assign mentor %(mentor)s")
ACTION_UNCHANGED = _("Unchanged")
FIELD_LABELS = {
    "full_name": _("full name"),
    "email": _("email"),
    "region": _("region"),
    "branch": _("branch"),
}


class ImportFileError(Exception):
    """The file as a whole cannot be imported (size, encoding, header): one message for the user."""

    def __init__(self, message):
        super().__init__(message)
        self.message = message


@dataclass
class ImportRow:
    """One learner row of the file: what it says, who it is, what importing it would do."""

    number: int
    values: dict
    learner: object = None  # the existing user, or None for a new learner
    username: str = ""
    email: str = ""
    full_name: str = ""
    region: Region | None = None
    branch: Branch | None = None
    changes: list = field(default_factory=list)  # names of the learner's fields that change
    mentor: object = None  # the mentor to assign, None when the mentor does not change
    current_mentor: object = None
    errors: list = field(default_factory=list)
    is_misaligned: bool = False  # more cells than columns: the other checks would only add noise

    @property
    def is_new(self):
        return self.learner is None

    @property
    def actions(self):
        """What importing the row does, in words, for the preview."""
        if self.errors:
            return []
        actions = []
        if self.is_new:
            actions.append(ACTION_CREATE)
        elif self.changes:
            fields = ", ".join(str(FIELD_LABELS[name]) for name in self.changes)
            actions.append(ACTION_UPDATE % {"fields": fields})
        if self.mentor is not None:
            actions.append(ACTION_ASSIGN_MENTOR % {"mentor": _user_label(self.mentor)})
        return actions or [ACTION_UNCHANGED]


@dataclass
class ImportPlan:
    """The whole file, validated: the rows, their errors, and the counts of what would happen."""

    text: str
    rows: list
    delimiter: str
    is_applied: bool = False

    @property
    def error_rows(self):
        return [row for row in self.rows if row.errors]

    @property
    def has_errors(self):
        return any(row.errors for row in self.rows)

    @property
    def created_count(self):
        return sum(1 for row in self.rows if not row.errors and row.is_new)

    @property
    def updated_count(self):
        return sum(1 for row in self.rows if not row.errors and not row.is_new and row.changes)

    @property
    def mentors_count(self):
        return sum(1 for row in self.rows if not row.errors and row.mentor is not None)

    @property
    def unchanged_count(self):
        return sum(
            1 for row in self.rows if not row.errors and not row.is_new and not row.changes and row.mentor is None
        )


def _user_label(user):
    if user.full_name:
        return f"{user.get_username()} ({user.full_name})"
    return user.get_username()


def _chunks(values, size=LOOKUP_CHUNK):
    values = list(values)
    for start in range(0, len(values), size):
        yield values[start : start + size]


def decode_csv_file(data, *, size=None):
    """The text of an uploaded file: UTF-8 (with or without BOM) or Windows-1251. Raises
    ImportFileError for an empty, oversized or binary file."""
    size = len(data) if size is None else size
    if size > MAX_FILE_SIZE:
        raise ImportFileError(FILE_TOO_LARGE % {"size": filesizeformat(size), "limit": filesizeformat(MAX_FILE_SIZE)})
    if not data.strip():
        raise ImportFileError(FILE_EMPTY)
    if b"\x00" in data:
        # UTF-16 text, spreadsheets (.xlsx, .xls), images, archives.
        raise ImportFileError(FILE_NOT_TEXT)
    for encoding in ("utf-8-sig", "cp1251"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        break
    else:
        raise ImportFileError(FILE_NOT_TEXT)
    if any(unicodedata.category(char) == "Cc" and char not in "\t\r\n" for char in text):
        raise ImportFileError(FILE_NOT_TEXT)
    return text


def _normalise_header(name):
    name = name.strip().strip("\ufeff").lower().replace("ё", "е")
    for char in " .-":
        name = name.replace(char, "_")
    while "__" in name:
        name = name.replace("__", "_")
    return name.strip("_")


def _read_header(text):
    """The delimiter and the column of each header cell. Raises ImportFileError for a wrong header."""
    best = None
    for delimiter in DELIMITERS:
        try:
            cells = next(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), [])
        except csv.Error as error:
            raise ImportFileError(FILE_NOT_CSV % {"error": error}) from error
        known = sum(1 for cell in cells if _normalise_header(cell) in ALIAS_TO_COLUMN)
        if best is None or known > best[0]:
            best = (known, delimiter, cells)
    known, delimiter, cells = best
    columns_text = ", ".join(COLUMNS)
    if not known:
        raise ImportFileError(HEADER_MISSING % {"columns": columns_text})
    unknown = [cell.strip() for cell in cells if cell.strip() and _normalise_header(cell) not in ALIAS_TO_COLUMN]
    if unknown:
        raise ImportFileError(HEADER_UNKNOWN % {"unknown": ", ".join(unknown), "columns": columns_text})
    header = []
    for cell in cells:
        column = ALIAS_TO_COLUMN.get(_normalise_header(cell))
        if column is not None and column in header:
            raise ImportFileError(HEADER_REPEATED % {"column": column})
        header.append(column)  # None for a blank header cell (a trailing separator)
    if "username" not in header and "email" not in header:
        raise ImportFileError(HEADER_NO_IDENTITY)
    return delimiter, header


def _read_rows(text, delimiter, header):
    """The data rows as ImportRow objects numbered by the line they start on (the header is line 1);
    blank rows are skipped."""
    rows = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        next(reader)
        line_before = reader.line_num
        for cells in reader:
            number, line_before = line_before + 1, reader.line_num
            cells = [cell.strip() for cell in cells]
            if not any(cells):
                continue
            values = dict.fromkeys(COLUMNS, "")
            row = ImportRow(number=number, values=values)
            for column, cell in zip(header, cells, strict=False):
                if column is not None:
                    values[column] = cell
            unnamed = cells[len(header) :] + [cell for column, cell in zip(header, cells, strict=False) if not column]
            if any(unnamed):
                row.errors.append(ROW_TOO_MANY_CELLS)
                row.is_misaligned = True
            rows.append(row)
    except csv.Error as error:
        raise ImportFileError(FILE_NOT_CSV % {"error": error}) from error
    if not rows:
        raise ImportFileError(FILE_NO_ROWS)
    return rows


class _Lookups:
    """Everything the rows refer to, fetched in a constant number of queries per chunk of rows."""

    def __init__(self, rows):
        User = get_user_model()
        usernames = {row.values["username"] for row in rows if row.values["username"]}
        mentor_usernames = {row.values["mentor"] for row in rows if row.values["mentor"]}
        emails = {row.values["email"].lower() for row in rows if row.values["email"]}
        codes = {row.values["region_code"] for row in rows if row.values["region_code"]}
        users = User.objects.select_related("region", "branch")

        self.users_by_username = {}
        self.users_by_lower_username = {}
        for chunk in _chunks({name.lower() for name in usernames | mentor_usernames}):
            for user in users.annotate(username_lower=Lower("username")).filter(username_lower__in=chunk):
                self.users_by_username[user.username] = user
                self.users_by_lower_username.setdefault(user.username_lower, []).append(user)
        self.users_by_email = {}
        for chunk in _chunks(emails):
            for user in users.annotate(email_lower=Lower("email")).filter(email_lower__in=chunk):
                self.users_by_email.setdefault(user.email_lower, []).append(user)
        self.regions = {}
        for chunk in _chunks(codes):
            self.regions.update({region.code: region for region in Region.objects.filter(code__in=chunk)})
        self.branches = {}
        for chunk in _chunks(self.regions.values()):
            for branch in Branch.objects.filter(region__in=chunk).select_related("region"):
                self.branches[(branch.region_id, branch.number)] = branch
        self.current_mentors = {}

    def load_current_mentors(self, learners):
        for chunk in _chunks({learner.pk for learner in learners}):
            mentorships = Mentorship.objects.filter(learner_id__in=chunk, is_active=True).select_related("mentor")
            self.current_mentors.update({mentorship.learner_id: mentorship.mentor for mentorship in mentorships})


def _check_identity(row, lookups):
    """Find the row's learner (by username, else by email) or prepare a new one."""
    username, email = row.values["username"], row.values["email"]
    if email:
        try:
            validate_email(email)
        except ValidationError:
            row.errors.append(ROW_BAD_EMAIL % {"email": email})
            return
        row.email = get_user_model().objects.normalize_email(email)
    if username:
        if len(username) > 150 or not _is_valid_username(username):
            row.errors.append(ROW_BAD_USERNAME % {"username": username})
            return
        row.username = username
        row.learner = lookups.users_by_username.get(username)
        if row.learner is None:
            near = lookups.users_by_lower_username.get(username.lower())
            if near:
                row.errors.append(ROW_USERNAME_CASE % {"existing": near[0].username})
                return
            if not row.email:
                row.errors.append(ROW_NEW_NEEDS_EMAIL % {"username": username})
                return
    elif row.email:
        matches = lookups.users_by_email.get(row.email.lower(), [])
        if not matches:
            row.errors.append(ROW_NEW_NEEDS_USERNAME % {"email": row.email})
            return
        if len(matches) > 1:
            row.errors.append(ROW_EMAIL_AMBIGUOUS % {"email": row.email})
            return
        row.learner = matches[0]
        row.username = row.learner.username
    else:
        row.errors.append(ROW_NO_IDENTITY)
        return
    if row.learner is not None and (row.learner.is_staff or row.learner.is_superuser):
        row.errors.append(ROW_STAFF_ACCOUNT % {"user": row.learner.username})
        return
    if row.email:
        others = [user for user in lookups.users_by_email.get(row.email.lower(), []) if user != row.learner]
        if others:
            row.errors.append(ROW_EMAIL_TAKEN % {"email": row.email, "user": others[0].username})


def _is_valid_username(username):
    try:
        get_user_model().username_validator(username)
    except ValidationError:
        return False
    return True


def _check_place(row, lookups):
    """The row's region and branch: both must exist, and the branch must be of that region."""
    code, number = row.values["region_code"], row.values["branch_number"]
    learner = row.learner
    row.region = learner.region if learner else None
    row.branch = learner.branch if learner else None
    if number and not code:
        row.errors.append(ROW_BRANCH_NEEDS_REGION)
        return
    if not code:
        return
    region = lookups.regions.get(code)
    if region is None:
        row.errors.append(ROW_UNKNOWN_REGION % {"code": code})
        return
    row.region = region
    if number:
        branch = lookups.branches.get((region.pk, number))
        if branch is None:
            row.errors.append(ROW_UNKNOWN_BRANCH % {"region": f"{region.code} {region.name}", "number": number})
            return
        row.branch = branch
    elif row.branch is not None and row.branch.region_id != region.pk:
        row.errors.append(ROW_REGION_NEEDS_BRANCH % {"region": region.name})


def _check_fields(row):
    full_name = row.values["full_name"]
    limit = get_user_model()._meta.get_field("full_name").max_length
    if len(full_name) > limit:
        row.errors.append(ROW_FULL_NAME_TOO_LONG % {"limit": limit})
    learner = row.learner
    if row.errors:
        return
    row.full_name = full_name or (learner.full_name if learner else "")
    row.email = row.email or (learner.email if learner else "")
    if learner is None:
        return
    if row.email.lower() == learner.email.lower():
        row.email = learner.email  # the same address in other letters is no change
    changed = {
        "full_name": row.full_name != learner.full_name,
        "email": row.email != learner.email,
        "region": (row.region.pk if row.region else None) != learner.region_id,
        "branch": (row.branch.pk if row.branch else None) != learner.branch_id,
    }
    row.changes = [name for name, is_changed in changed.items() if is_changed]


def _check_mentor(row, lookups, *, is_identified):
    """The mentor must exist; the learner's current mentor again is no change. Whether the mentor may
    follow the learner (progress.services rules) is checked for all the rows at once afterwards."""
    username = row.values["mentor"]
    if not username:
        return
    mentor = lookups.users_by_username.get(username)
    if mentor is None:
        row.errors.append(ROW_UNKNOWN_MENTOR % {"username": username})
        return
    if row.learner is not None and is_identified:
        row.current_mentor = lookups.current_mentors.get(row.learner.pk)
        if row.current_mentor == mentor:
            return  # already their mentor: nothing to do
    row.mentor = mentor


def _check_mentor_rules(candidates):
    """The rules of progress.services for the (row, learner) candidates' mentors, all in a constant
    number of queries."""
    problems = mentorships_check_bulk(pairs=[(row.mentor, learner) for row, learner in candidates])
    for index, problem in problems.items():
        row = candidates[index][0]
        row.errors.append(problem)
        row.mentor = None


def _check_repeats(rows):
    """The same learner (or the same email) twice in one file is refused on the later row."""
    first_rows = {}
    email_rows = {}
    for row in rows:
        if row.learner is not None:
            key = ("pk", row.learner.pk)
        elif row.username:
            key = ("new", row.username.lower())
        else:
            continue
        first = first_rows.setdefault(key, row)
        if first is not row:
            first_mentor, mentor = first.values["mentor"], row.values["mentor"]
            if first_mentor and mentor and first_mentor != mentor:
                row.errors.append(ROW_TWO_MENTORS % {"row": first.number, "mentor": first_mentor})
            else:
                row.errors.append(ROW_DUPLICATE % {"row": first.number})
            continue
        if row.values["email"] and row.email:
            first = email_rows.setdefault(row.email.lower(), row)
            if first is not row:
                row.errors.append(ROW_EMAIL_REPEATED % {"email": row.email, "row": first.number})


def learner_import_plan(*, text):
    """Read and validate the decoded text of a file; change nothing. Raises ImportFileError for a
    file that cannot be read at all; row problems are in each row's `errors`."""
    delimiter, header = _read_header(text)
    rows = _read_rows(text, delimiter, header)
    lookups = _Lookups(rows)
    for row in rows:
        if not row.is_misaligned:
            _check_identity(row, lookups)
    lookups.load_current_mentors([row.learner for row in rows if row.learner is not None])
    User = get_user_model()
    mentor_candidates = []
    for row in rows:
        if row.is_misaligned:
            continue
        # Each check reports its own problem, so one preview shows everything to correct in a row.
        is_identified = not row.errors
        _check_place(row, lookups)
        _check_fields(row)
        _check_mentor(row, lookups, is_identified=is_identified)
        if row.mentor is not None:
            # A learner created by this import (or not told apart) has no mentor yet: an unsaved user
            # stands for them, so only the mentor's role matters.
            learner = row.learner if is_identified and row.learner is not None else User(username=row.username)
            mentor_candidates.append((row, learner))
    _check_mentor_rules(mentor_candidates)
    _check_repeats(rows)
    return ImportPlan(text=text, rows=rows, delimiter=delimiter)


def _learners_to_save(rows):
    """The new learners (with an unusable password) and the changed ones, validated, each with its row.
    A row whose learner does not validate gets the errors."""
    User = get_user_model()
    new, changed = [], []
    for row in rows:
        if row.is_new:
            learner = User(username=row.username)
            learner.set_unusable_password()
            to_save = new
        elif row.changes:
            learner = row.learner
            to_save = changed
        else:
            continue
        learner.full_name = row.full_name
        learner.email = row.email
        learner.region = row.region
        learner.branch = row.branch
        try:
            # Region and branch were looked up and matched by the plan; the database guards the username.
            learner.full_clean(exclude=["region", "branch"], validate_unique=False)
        except ValidationError as error:
            row.errors.extend(error.messages)
        else:
            to_save.append((row, learner))
    return new, changed


def _create_learners(new):
    """INSERT the new learners, a few hundred per query. A username taken since the file was
    validated is reported on its row."""
    if not new:
        return
    User = get_user_model()
    try:
        with transaction.atomic():
            User.objects.bulk_create([learner for row, learner in new])
    except IntegrityError:
        taken = set()
        for chunk in _chunks(row.username for row, learner in new):
            taken.update(User.objects.filter(username__in=chunk).values_list("username", flat=True))
        rows = [row for row, learner in new if row.username in taken] or [row for row, learner in new]
        for row in rows:
            row.errors.append(ROW_CHANGED_MEANWHILE)


def _update_learners(changed):
    """UPDATE only the changed fields of the changed learners, grouped by the fields that change: a
    few hundred learners per query (bulk_update costs a CASE branch per learner and field). A learner
    deleted since the file was validated is reported on their row."""
    User = get_user_model()
    groups = {}
    for row, learner in changed:
        groups.setdefault(tuple(row.changes), []).append(learner)
    updated = 0
    for fields, learners in groups.items():
        updated += User.objects.bulk_update(learners, fields, batch_size=LOOKUP_CHUNK)
    if updated == len(changed):
        return
    remaining = set()
    for chunk in _chunks(learner.pk for row, learner in changed):
        remaining.update(User.objects.filter(pk__in=chunk).values_list("pk", flat=True))
    for row, learner in changed:
        if learner.pk not in remaining:
            row.errors.append(ROW_CHANGED_MEANWHILE)


def _assign_mentors(rows, learners, assigned_by):
    """Assign the rows' mentors to their (now saved) learners in bulk. A rule broken by a concurrent
    change is reported on its row."""
    rows = [row for row in rows if row.mentor is not None]
    if not rows:
        return
    pairs = [(row.mentor, learners.get(row.number, row.learner)) for row in rows]
    try:
        mentorships_assign_bulk(pairs=pairs, assigned_by=assigned_by)
    except ProgressError as error:  # the problems by the pair's index
        for index, messages in error.message_dict.items():
            rows[index].errors.extend(messages)
    except IntegrityError:
        # Assigned concurrently again while the service checked again: which learner cannot be told.
        for row in rows:
            row.errors.append(ROW_CHANGED_MEANWHILE)


def learner_import_apply(*, text, assigned_by=None):
    """Validate the text again and, when no row has an error, create and update the learners and
    assign their mentors in one transaction, in a constant number of queries per few hundred rows.
    Returns the plan; `is_applied` tells whether anything was written. A rule broken by a concurrent
    change (caught by the services and the database) rolls everything back and is reported on its
    row. An applied import is recorded (LearnerImport) in the audit trail, with `assigned_by` as the
    person who ran it."""
    with transaction.atomic():
        plan = learner_import_plan(text=text)
        if plan.has_errors:
            return plan
        new, changed = _learners_to_save(plan.rows)
        if not plan.has_errors:
            _create_learners(new)
        if not plan.has_errors:
            _update_learners(changed)
        if not plan.has_errors:
            # The rows of new learners keep learner=None: the plan's counts read it.
            learners = {row.number: learner for row, learner in new}
            _assign_mentors(plan.rows, learners, assigned_by)
        if plan.has_errors:
            transaction.set_rollback(True)
            return plan
        plan.is_applied = True
        _import_record(plan, assigned_by)
    return plan


def _import_record(plan, imported_by):
    record = LearnerImport.objects.create(
        imported_by=imported_by,
        rows_count=len(plan.rows),
        created_count=plan.created_count,
        updated_count=plan.updated_count,
        mentors_count=plan.mentors_count,
        file_sha256=hashlib.sha256(plan.text.encode("utf-8")).hexdigest(),
    )
    counts = {
        "rows": record.rows_count,
        "created": record.created_count,
        "updated": record.updated_count,
        "mentors": record.mentors_count,
    }
    audit_log(instance=record, action=LEARNER_IMPORT, user=imported_by, data=counts)
    return record
