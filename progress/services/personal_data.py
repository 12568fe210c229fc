"""A person's rights over their personal data (152-FZ): a copy of everything the platform holds about
them, and erasure on request. The one place that knows where a learner's personal data lives.

Where it lives, and what erasure does with it:

- the account (school.User): name, username, e-mail, password, last login: erased or replaced
  (username "deleted-<id>", the password unusable, so nobody can sign in as them); the region is kept,
  because regional figures count this learner; the branch is dropped, because a branch has one
  secretary, so branch and progress together would still point at the person. The account stays
  (active, with its groups and staff flag) so that every report counts it as it did before;
- progress (enrolments, completions, quiz attempts and answers, extra attempts, offline actions,
  readers' marks on practices, consents): kept, attached to the anonymised account, for the figures
  and the practices' counts;
- mentorships: an active one of theirs as a learner ends; mentor notes to or from them lose their text;
- practices they submitted (CaseStudyPage owned by them): the owner is cleared on the page and in
  every revision, revisions they made no longer name them, a published practice stays published
  (without an author) unless an editor removes it; the search index and the shared page cache are
  refreshed;
- sessions, the Wagtail profile (avatar), django-axes login records under their username: deleted;
- log entries: the labels that carried their name are rewritten; entries never carry names in data.
"""

import json
from itertools import islice

from django.contrib.admin.models import LogEntry as DjangoAdminLogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.images import get_image_model
from wagtail.models import ModelLogEntry, Page, Revision, WorkflowState
from wagtail.search import index as search_index

from courses.models import CaseStudyPage, CaseStudyReaction
from courses.practices import case_studies_of_author, html_to_plain_text
from school.content_cache import content_changed
from school.models import Branch, ConsentRecord, Region

from ..audit import PERSONAL_DATA_ERASE, PERSONAL_DATA_EXPORT, audit_log
from ..models import Enrolment, ExtraAttempt, LessonCompletion, MentorNote, Mentorship, OfflineAction, QuizAttempt
from .completion import ProgressError


EXPORT_FORMAT = "school-personal-data/1"
ERASED_USERNAME = "deleted-%(id)s"

LEARNER_HAS_MENTEES = _(
    "%(user)s is still a mentor (active mentorships: %(count)d). Assign their mentees another mentor, or end "
    "those mentorships, first: nothing has been deleted."
)
CANNOT_ERASE_SELF = _("You cannot delete your own account: ask another administrator.")

SESSION_SCAN_CHUNK = 2000


# The export


def _iso(value):
    return value.isoformat() if value is not None else None


def _person(user):
    """Another person as the export names them (a mentor): the name they show on the site."""
    if user is None:
        return None
    return user.get_full_name() or user.get_username()


def _profile(user):
    return {
        "id": user.pk,
        "username": user.get_username(),
        "full_name": user.full_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "region": user.region.name if user.region_id else None,
        "region_code": user.region.code if user.region_id else None,
        "branch": str(user.branch) if user.branch_id else None,
        "branch_number": user.branch.number if user.branch_id else None,
        "date_joined": _iso(user.date_joined),
        "last_login": _iso(user.last_login),
    }


def _enrolments(user):
    rows = Enrolment.objects.filter(learner=user).select_related("course", "last_page").order_by("started_at", "pk")
    return [
        {
            "course_id": row.course_id,
            "course": row.course.title,
            "started_at": _iso(row.started_at),
            "completed_at": _iso(row.completed_at),
            "last_page": row.last_page.title if row.last_page_id else None,
            "last_seen_at": _iso(row.last_seen_at),
        }
        for row in rows
    ]


def _completions(user):
    rows = (
        LessonCompletion.objects.filter(learner=user)
        .order_by("completed_at", "pk")
        .values("lesson_id", "lesson__title", "completed_at")
    )
    return [
        {"lesson_id": row["lesson_id"], "lesson": row["lesson__title"], "completed_at": _iso(row["completed_at"])}
        for row in rows
    ]


def _quiz_attempts(user):
    """Each attempt with the answers chosen. Which answers were right is not part of the learner's data and
    stays where the quiz's own rules show it (the result page): the export must not reveal a quiz's key."""
    attempts = (
        QuizAttempt.objects.filter(learner=user)
        .select_related("quiz")
        .prefetch_related("answers")
        .order_by("started_at", "pk")
    )
    return [
        {
            "quiz_id": attempt.quiz_id,
            "quiz": attempt.quiz.title,
            "number": attempt.number,
            "started_at": _iso(attempt.started_at),
            "submitted_at": _iso(attempt.submitted_at),
            "score": attempt.score,
            "max_score": attempt.max_score,
            "percent": attempt.percent,
            "passed": attempt.is_passed,
            "answers": [
                {"question": answer.question_text, "answer": answer.choice_text}
                for answer in sorted(attempt.answers.all(), key=lambda answer: answer.pk)
            ],
        }
        for attempt in attempts
    ]


def _mentorships(user):
    rows = (
        Mentorship.objects.filter(Q(learner=user) | Q(mentor=user))
        .select_related("mentor", "learner")
        .order_by("created_at", "pk")
    )
    return [
        {
            "role": "learner" if row.learner_id == user.pk else "mentor",
            "mentor": _person(row.mentor),
            "learner": _person(row.learner),
            "active": row.is_active,
            "started_at": _iso(row.created_at),
            "ended_at": _iso(row.ended_at),
        }
        for row in rows
    ]


def _notes(user):
    notes = (
        MentorNote.objects.filter(Q(learner=user) | Q(mentor=user))
        .select_related("mentor", "learner", "lesson", "attempt__quiz")
        .order_by("created_at", "pk")
    )
    received, written = [], []
    for note in notes:
        row = {
            "kind": note.kind,
            "text": note.text,
            "lesson": note.lesson.title if note.lesson_id else None,
            "quiz_attempt": (
                {"quiz": note.attempt.quiz.title, "number": note.attempt.number} if note.attempt_id else None
            ),
            "written_at": _iso(note.created_at),
        }
        if note.learner_id == user.pk:
            received.append({**row, "mentor": _person(note.mentor), "read_at": _iso(note.read_at)})
        if note.mentor_id == user.pk:
            written.append({**row, "learner": _person(note.learner)})
    return received, written


def _extra_attempts(user):
    rows = ExtraAttempt.objects.filter(learner=user).select_related("quiz", "granted_by").order_by("granted_at", "pk")
    return [
        {
            "quiz": row.quiz.title,
            "allows_attempt": row.allows_attempt,
            "granted_by": _person(row.granted_by),
            "granted_at": _iso(row.granted_at),
        }
        for row in rows
    ]


def _practices(user):
    """The practices they submitted, each as its latest version (what they or the editors last saved),
    with where it stands: a constant number of queries."""
    practices = case_studies_of_author(author=user)
    if not practices:
        return []
    revisions = Revision.objects.in_bulk([p.page.latest_revision_id for p in practices if p.page.latest_revision_id])
    contents = {}
    for practice in practices:
        revision = revisions.get(practice.page.latest_revision_id)
        contents[practice.page.pk] = revision.content if revision is not None else {}
    region_ids = {contents[p.page.pk].get("region") or p.page.region_id for p in practices}
    branch_ids = {contents[p.page.pk].get("branch") or p.page.branch_id for p in practices}
    image_ids = {item.get("image") for content in contents.values() for item in content.get("gallery_images") or []} | {
        content.get("image") for content in contents.values()
    }
    regions = Region.objects.in_bulk([pk for pk in region_ids if pk])
    branches = Branch.objects.select_related("region").in_bulk([pk for pk in branch_ids if pk])
    images = get_image_model().objects.in_bulk([pk for pk in image_ids if pk])
    exported = []
    for practice in practices:
        page, content = practice.page, contents[practice.page.pk]
        region = regions.get(content.get("region") or page.region_id)
        branch = branches.get(content.get("branch") or page.branch_id)
        photo_ids = [item.get("image") for item in content.get("gallery_images") or []] or [content.get("image")]
        exported.append(
            {
                "id": page.pk,
                "title": content.get("title") or practice.title,
                "status": str(practice.status.label),
                "url": page.full_url if page.live else None,
                "first_published_at": _iso(page.first_published_at),
                "last_changed_at": _iso(page.latest_revision_created_at),
                "region": region.name if region else None,
                "branch": str(branch) if branch else None,
                "summary": content.get("summary", page.summary),
                "problem": html_to_plain_text(content.get("problem", page.problem)),
                "what_was_done": html_to_plain_text(content.get("actions", page.actions)),
                "results": html_to_plain_text(content.get("results", page.results)),
                "photos": [images[pk].file.url for pk in photo_ids if pk in images],
                "moderator_comment": practice.comment,
            }
        )
    return exported


def _practice_marks(user):
    rows = (
        CaseStudyReaction.objects.filter(user=user)
        .order_by("created_at", "pk")
        .values("page_id", "page__title", "kind", "created_at")
    )
    return [
        {
            "practice_id": row["page_id"],
            "practice": row["page__title"],
            "mark": row["kind"],
            "at": _iso(row["created_at"]),
        }
        for row in rows
    ]


def _offline_actions(user):
    rows = OfflineAction.objects.filter(learner=user).order_by("received_at", "pk")
    return [
        {
            "action": row.kind,
            "page_id": row.page_id,
            "outcome": row.outcome,
            "done_at": _iso(row.acted_at),
            "received_at": _iso(row.received_at),
        }
        for row in rows
    ]


def _consents(user):
    rows = ConsentRecord.objects.filter(user=user).order_by("accepted_at", "pk")
    return [{"version": row.version, "accepted_at": _iso(row.accepted_at)} for row in rows]


def personal_data_collect(*, learner):
    """Everything the platform holds about `learner`, as plain JSON-ready data, in a constant number of
    queries whatever the amount of it (one or two per kind)."""
    user = get_user_model().objects.select_related("region", "branch__region").get(pk=learner.pk)
    notes_received, notes_written = _notes(user)
    return {
        "format": EXPORT_FORMAT,
        "generated_at": _iso(timezone.now()),
        "profile": _profile(user),
        "consents": _consents(user),
        "enrolments": _enrolments(user),
        "lesson_completions": _completions(user),
        "quiz_attempts": _quiz_attempts(user),
        "mentorships": _mentorships(user),
        "mentor_notes": notes_received,
        "mentor_notes_written": notes_written,
        "extra_attempts": _extra_attempts(user),
        "practices": _practices(user),
        "practice_marks": _practice_marks(user),
        "offline_actions": _offline_actions(user),
    }


def personal_data_export(*, learner, actor):
    """The export of `learner`'s data as UTF-8 JSON, recorded in the audit trail as made by `actor`
    (the learner themself, or staff)."""
    data = personal_data_collect(learner=learner)
    audit_log(instance=learner, action=PERSONAL_DATA_EXPORT, user=actor, data={"learner_id": learner.pk})
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode("utf-8")


# Erasure


def erasure_problem(*, learner, actor=None):
    """Why `learner`'s personal data cannot be erased now, or None."""
    if actor is not None and actor.pk == learner.pk:
        return CANNOT_ERASE_SELF
    mentees = Mentorship.objects.filter(mentor=learner, is_active=True).count()
    if mentees:
        return LEARNER_HAS_MENTEES % {"user": learner.get_full_name() or learner.get_username(), "count": mentees}
    return None


def is_erased(user):
    return user.get_username() == ERASED_USERNAME % {"id": user.pk} and not user.has_usable_password()


def _erase_account(user):
    user.username = ERASED_USERNAME % {"id": user.pk}
    user.full_name = ""
    user.first_name = ""
    user.last_name = ""
    user.email = ""
    user.branch = None
    user.last_login = None
    user.is_superuser = False
    if user.has_usable_password():
        user.set_unusable_password()
    user.save()
    user.user_permissions.clear()


def _erase_practices(user):
    """Practices keep their content and their state (published ones stay published) without an author."""
    page_ids = list(CaseStudyPage.objects.filter(owner=user).values_list("pk", flat=True))
    page_type = ContentType.objects.get_for_model(Page)
    revisions = Revision.objects.filter(base_content_type=page_type, object_id__in=[str(pk) for pk in page_ids])
    for revision in revisions.iterator():
        content = dict(revision.content or {})
        if content.get("owner") is not None or content.get("locked_by") == user.pk:
            content["owner"] = None
            if content.get("locked_by") == user.pk:
                content["locked_by"] = None
            Revision.objects.filter(pk=revision.pk).update(content=content)
    Revision.objects.filter(user=user).update(user=None)
    Page.objects.filter(pk__in=page_ids).update(owner=None)
    Page.objects.filter(locked_by=user).update(locked_by=None, locked=False, locked_at=None)
    WorkflowState.objects.filter(requested_by=user).update(requested_by=None)
    get_image_model().objects.filter(uploaded_by_user=user).update(uploaded_by_user=None)
    return page_ids


def _reindex_pages(page_ids):
    for page in CaseStudyPage.objects.filter(pk__in=page_ids):
        search_index.insert_or_update_object(page)
    # Pages and their parts are cached under the content version: the author's name goes from them too.
    content_changed()


def _delete_sessions(user):
    """Sessions are signed with the password's hash, so they stopped working when it changed; delete the
    rows too, read in chunks (a session's user is inside its encoded data)."""
    key = str(user.pk)
    store_class = Session.get_session_store_class()
    sessions = Session.objects.filter(expire_date__gt=timezone.now()).values_list("session_key", "session_data")
    iterator = sessions.iterator(chunk_size=SESSION_SCAN_CHUNK)
    while chunk := list(islice(iterator, SESSION_SCAN_CHUNK)):
        doomed = [session_key for session_key, data in chunk if store_class().decode(data).get("_auth_user_id") == key]
        for session_key in doomed:
            store_class(session_key=session_key).delete()  # the cached copy as well as the row


def _delete_login_records(username):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.filter(username=username).delete()


def _delete_profile(user):
    from wagtail.users.models import UserProfile

    for profile in UserProfile.objects.filter(user=user):
        if profile.avatar:
            profile.avatar.delete(save=False)
        profile.delete()


def _relabel_log_entries(user):
    """Log entries keep the label an object had when it was logged: rewrite those that named the person."""
    User = get_user_model()
    labelled = [(User, [user])]
    labelled.append(
        (Mentorship, Mentorship.objects.filter(Q(learner=user) | Q(mentor=user)).select_related("mentor", "learner"))
    )
    labelled.append((ExtraAttempt, ExtraAttempt.objects.filter(learner=user).select_related("learner", "quiz")))
    for model, instances in labelled:
        content_type = ContentType.objects.get_for_model(model, for_concrete_model=False)
        for instance in instances:
            ModelLogEntry.objects.filter(content_type=content_type, object_id=str(instance.pk)).update(
                label=str(instance)
            )
    DjangoAdminLogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).update(object_repr=str(user))


@transaction.atomic
def personal_data_erase(*, learner, actor):
    """Erase `learner`'s personal data wherever it lives (see the module's docstring), keep what the
    figures need, and record who did it. Refused, with nothing changed, while they mentor someone.
    Running it again on an erased account changes nothing more (and is recorded again)."""
    User = get_user_model()
    user = User.objects.select_for_update().get(pk=learner.pk)
    problem = erasure_problem(learner=user, actor=actor)
    if problem:
        raise ProgressError(problem)
    old_username = user.get_username()
    _erase_account(user)
    Mentorship.objects.filter(learner=user, is_active=True).update(is_active=False, ended_at=timezone.now())
    MentorNote.objects.filter(Q(learner=user) | Q(mentor=user)).exclude(text="").update(text="")
    page_ids = _erase_practices(user)
    _delete_profile(user)
    _delete_login_records(old_username)
    _relabel_log_entries(user)
    _delete_sessions(user)
    _reindex_pages(page_ids)
    audit_log(instance=user, action=PERSONAL_DATA_ERASE, user=actor, data={"learner_id": user.pk})
    return user
