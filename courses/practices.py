"""The practice exchange: secretaries submit case studies from the site, moderators review them in the
Wagtail workflow "Case study review", readers find them in the library and mark the useful ones.

Services (`case_study_*`, `photo_store`) write; selectors (`practice_library`, `case_study_page_context`,
`case_studies_of_author`, ...) read. `progress` shows a learner's practices on /my/ through
`case_studies_of_author`; nothing here imports progress.
"""

import io
import re
from dataclasses import dataclass

from bs4 import BeautifulSoup
from PIL import Image as PILImage
from PIL import ImageOps

from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.paginator import Paginator
from django.db import IntegrityError, models, transaction
from django.db.models import Case, Count, IntegerField, OuterRef, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.utils.html import escape
from django.utils.text import Truncator, slugify
from django.utils.translation import gettext_lazy as _

from wagtail.coreutils import find_available_slug
from wagtail.images import get_image_model
from wagtail.models import GroupPagePermission, Page, Workflow, WorkflowPage, WorkflowState

from school.models import Region

from .models import (
    CaseStudyIndexPage,
    CaseStudyPage,
    CaseStudyPageGalleryImage,
    CaseStudyReaction,
    LessonPage,
    Topic,
    listing_images,
)
from .search import MAX_QUERY_LENGTH, query_words, search_pages


# Made by migration courses.0005_case_study_review; administrators may add people to the group.
CASE_STUDY_WORKFLOW = "Case study review"
CASE_STUDY_TASK = "Case study moderators' review"
CASE_STUDY_MODERATORS_GROUP = "Case study moderators"
MODERATOR_PAGE_PERMISSIONS = ("add_page", "change_page", "publish_page")

MAX_PHOTOS = 5
# Photos are stored re-encoded, no larger than this on their long side (and without their metadata).
PHOTO_MAX_SIDE = 2400
PHOTO_FORMATS = {"JPEG": "jpg", "PNG": "png", "WEBP": "webp"}

LIBRARY_PAGE_SIZE = 12
RELATED_PRACTICES = 3
# A full-text search ranks at most this many matches; the library shows them page by page.
SEARCH_RESULTS_LIMIT = 200
# How long one reader's visit is remembered before the database is asked again whether it counted.
READ_RECORD_SECONDS = 7 * 24 * 60 * 60
RESERVED_SLUGS = {"submit"}

PRACTICE_ALREADY_PUBLISHED = _(
    "This practice has been published, so it can no longer be changed here. If something in it needs "
    "correcting, write to the editors: they keep published practices up to date."
)
NO_PRACTICE_LIBRARY = _("The practice library is not open yet, so a practice cannot be submitted.")
NO_REVIEW_WORKFLOW = _("The review of practices is not set up. Please tell the school's administrators.")
OWN_PRACTICE_NOT_MARKED = _("This is your own practice: only other secretaries can mark it.")
MARK_NOT_AVAILABLE = _("This practice cannot be marked.")


class PracticeError(Exception):
    def __init__(self, message):
        super().__init__(message)
        self.message = message


# Text written in the site's form, stored as rich text


LIST_LINE = re.compile(r"^\s*(?:[-•*–—]|(\d+)[.)])\s+(.*)$")


def plain_text_to_html(text):
    """Plain text from the form as the rich text Wagtail stores: escaped, one paragraph per blank-line
    separated block; a block whose every line starts with "-" or "1." becomes a list."""
    blocks = [block.strip("\n") for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if block.strip()]
    html = []
    for block in blocks:
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        matches = [LIST_LINE.match(line) for line in lines]
        if all(matches):
            tag = "ol" if all(match.group(1) for match in matches) else "ul"
            items = "".join(f"<li>{escape(match.group(2))}</li>" for match in matches)
            html.append(f"<{tag}>{items}</{tag}>")
        else:
            html.append(f"<p>{'<br/>'.join(escape(line) for line in lines)}</p>")
    return "".join(html)


def html_to_plain_text(html):
    """Rich text back into the form's plain text (what plain_text_to_html reads), for editing."""
    soup = BeautifulSoup(html or "", "html.parser")
    blocks = []
    for element in soup.find_all(["p", "ul", "ol", "h2", "h3", "h4"], recursive=False) or [soup]:
        if element.name in ("ul", "ol"):
            items = element.find_all("li", recursive=False)
            blocks.append(
                "\n".join(
                    f"{f'{number}.' if element.name == 'ol' else '-'} {item.get_text(' ', strip=True)}"
                    for number, item in enumerate(items, start=1)
                )
            )
        else:
            for br in element.find_all("br"):
                br.replace_with("\n")
            text = "\n".join(line.strip() for line in element.get_text().split("\n"))
            if text.strip():
                blocks.append(text.strip())
    return "\n\n".join(blocks)


# Photos


def photo_store(*, upload, title, owner):
    """A photo checked by the form (courses.forms.PhotosField), stored as a Wagtail image: re-encoded
    from its pixels, turned as the camera meant, without its metadata (no GPS position, no camera)."""
    upload.seek(0)
    with PILImage.open(upload) as original:
        image_format = original.format
        picture = ImageOps.exif_transpose(original)
        picture.thumbnail((PHOTO_MAX_SIDE, PHOTO_MAX_SIDE))
        if image_format == "JPEG" and picture.mode not in ("RGB", "L"):
            picture = picture.convert("RGB")
        buffer = io.BytesIO()
        options = {"quality": 85, "optimize": True} if image_format in ("JPEG", "WEBP") else {"optimize": True}
        picture.save(buffer, format=image_format, **options)
    name = f"practice-{slugify(title)[:40] or 'photo'}.{PHOTO_FORMATS[image_format]}"
    image = get_image_model()(title=title[:255], file=ContentFile(buffer.getvalue(), name=name), uploaded_by_user=owner)
    image.save()
    return image


# Submitting and editing


def case_study_index():
    """The library that submitted practices go to: the first live case-study index."""
    return CaseStudyIndexPage.objects.live().order_by("path").first()


def case_study_workflow(*, index):
    """The workflow a practice under `index` goes through: the one assigned to the library, or else
    "Case study review" (a library made after the migration may not have it assigned yet)."""
    assigned = WorkflowPage.objects.filter(page=index, workflow__active=True).select_related("workflow").first()
    if assigned is not None:
        return assigned.workflow
    workflow = Workflow.objects.filter(name=CASE_STUDY_WORKFLOW, active=True).first()
    if workflow is None:
        raise PracticeError(NO_REVIEW_WORKFLOW)
    return workflow


def case_study_review_setup(*, index):
    """Give a case-study library the review of submitted practices, as migration 0005 does for the
    libraries it finds: the workflow (unless it has one of its own), and the moderators' right to add,
    change and publish its pages (approving a practice publishes it)."""
    workflow = Workflow.objects.filter(name=CASE_STUDY_WORKFLOW, active=True).first()
    if workflow is not None and not WorkflowPage.objects.filter(page=index).exists():
        WorkflowPage.objects.create(page=index, workflow=workflow)
    group = Group.objects.filter(name=CASE_STUDY_MODERATORS_GROUP).first()
    if group is not None:
        for permission in Permission.objects.filter(
            content_type__app_label="wagtailcore", codename__in=MODERATOR_PAGE_PERMISSIONS
        ):
            GroupPagePermission.objects.get_or_create(group=group, page=index, permission=permission)


def _apply_fields(page, fields):
    page.title = fields["title"]
    page.draft_title = fields["title"]
    page.summary = fields.get("summary") or Truncator(fields["problem"].replace("\n", " ")).chars(300)
    page.region = fields["region"]
    page.branch = fields.get("branch")
    page.problem = plain_text_to_html(fields["problem"])
    page.actions = plain_text_to_html(fields["actions"])
    page.results = plain_text_to_html(fields["results"])


def _set_photos(page, images):
    """The page's photos in order: the first is the card's picture, all are in the gallery."""
    page.gallery_images = [
        CaseStudyPageGalleryImage(image=image, sort_order=position) for position, image in enumerate(images)
    ]
    page.image = images[0] if images else None


@transaction.atomic
def case_study_submit(*, author, fields, photos):
    """A learner's practice: a draft CaseStudyPage owned by them, sent to the review workflow."""
    index = case_study_index()
    if index is None:
        raise PracticeError(NO_PRACTICE_LIBRARY)
    workflow = case_study_workflow(index=index)
    page = CaseStudyPage(owner=author, live=False)
    _apply_fields(page, fields)
    slug = slugify(fields["title"], allow_unicode=True)[:80] or "practice"
    # /practices/submit/ is the form's address: no practice may take it.
    page.slug = find_available_slug(index, f"{slug}-1" if slug in RESERVED_SLUGS else slug)
    images = [
        photo_store(upload=photo, title=f"{fields['title']} ({n})", owner=author) for n, photo in enumerate(photos, 1)
    ]
    _set_photos(page, images)
    page.topics = list(fields["topics"])
    index.add_child(instance=page)
    page.save_revision(user=author, log_action=True)
    workflow.start(page, author)
    return page


def case_study_editable(page):
    """A practice its author may still change: never published (editors look after published ones)."""
    return not page.live and page.first_published_at is None


@transaction.atomic
def case_study_update(*, author, page, fields, photos, removed_photo_ids=()):
    """The author's new version of a practice not yet published: a new revision; a review that asked
    for changes starts again on it, one in progress goes on with it. `removed_photo_ids` are the ids
    of the images to take out of the gallery."""
    page = CaseStudyPage.objects.select_for_update().get(pk=page.pk)
    if not case_study_editable(page):
        raise PracticeError(PRACTICE_ALREADY_PUBLISHED)
    draft = page.get_latest_revision_as_object()
    _apply_fields(draft, fields)
    removed = set(removed_photo_ids)
    kept = [item.image for item in draft.gallery_images.all() if item.image_id not in removed]
    added = [
        photo_store(upload=photo, title=f"{fields['title']} ({len(kept) + n})", owner=author)
        for n, photo in enumerate(photos, 1)
    ]
    _set_photos(draft, kept + added)
    draft.topics = list(fields["topics"])
    draft.save_revision(user=author, log_action=True)
    state = page.current_workflow_state
    if state is None:
        case_study_workflow(index=page.get_parent().specific).start(page, author)
    elif state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        state.resume(user=author)
    return page


# Where a learner's practices stand


class PracticeStatus(models.TextChoices):
    DRAFT = "draft", _("Not sent for review")
    IN_REVIEW = "in_review", _("In review")
    CHANGES_ASKED = "changes_asked", _("Changes asked")
    PUBLISHED = "published", _("Published")
    UNPUBLISHED = "unpublished", _("Taken down by the editors")


@dataclass(frozen=True)
class AuthorPractice:
    page: CaseStudyPage
    status: PracticeStatus
    comment: str  # what the moderator wrote when asking for changes
    is_editable: bool

    @property
    def title(self):
        return self.page.draft_title or self.page.title


def _status(page, state):
    if page.live:
        return PracticeStatus.PUBLISHED
    if page.first_published_at is not None:
        return PracticeStatus.UNPUBLISHED
    if state is None:
        return PracticeStatus.DRAFT
    if state.status == WorkflowState.STATUS_NEEDS_CHANGES:
        return PracticeStatus.CHANGES_ASKED
    return PracticeStatus.IN_REVIEW


def _active_workflow_states(pages):
    """The in-progress or needs-changes workflow state of each page, by page id (one query)."""
    if not pages:
        return {}
    states = (
        WorkflowState.objects.active()
        .filter(
            base_content_type=ContentType.objects.get_for_model(Page),
            object_id__in=[str(page.pk) for page in pages],
        )
        .select_related("current_task_state")
    )
    return {int(state.object_id): state for state in states}


def case_study_status(*, page):
    """One practice's AuthorPractice (for its edit form)."""
    return _author_practice(page, _active_workflow_states([page]).get(page.pk))


def _author_practice(page, state):
    status = _status(page, state)
    comment = ""
    if status == PracticeStatus.CHANGES_ASKED and state.current_task_state:
        comment = state.current_task_state.comment
    return AuthorPractice(page=page, status=status, comment=comment, is_editable=case_study_editable(page))


def case_studies_of_author(*, author):
    """The practices the user wrote (owns), newest change first, with their review status: two queries."""
    pages = list(
        CaseStudyPage.objects.filter(owner=author)
        .defer_streamfields()
        .order_by(Coalesce("latest_revision_created_at", "first_published_at").desc(nulls_last=True), "-pk")
    )
    states = _active_workflow_states(pages)
    return [_author_practice(page, states.get(page.pk)) for page in pages]


# Readers' marks


def case_study_mark(*, user, page, kind, is_on):
    """Set the user's "useful" or "applied" mark on a live practice; again and again it stays one row."""
    if kind not in (CaseStudyReaction.Kind.USEFUL, CaseStudyReaction.Kind.APPLIED) or not page.live:
        raise PracticeError(MARK_NOT_AVAILABLE)
    if page.owner_id == user.pk:
        raise PracticeError(OWN_PRACTICE_NOT_MARKED)
    if not is_on:
        CaseStudyReaction.objects.filter(user=user, page=page, kind=kind).delete()
        return
    try:
        with transaction.atomic():
            CaseStudyReaction.objects.get_or_create(user=user, page=page, kind=kind)
    except IntegrityError:
        pass  # the same mark from a concurrent request (a double click): it is there


def case_study_read_record(*, reader, page):
    """Count the reader once per practice for "most read", without a database write on every visit:
    a visit within READ_RECORD_SECONDS of the last one is not even looked up."""
    if not reader.is_authenticated or page.owner_id == reader.pk:
        return
    # False: seen a moment ago. (A cache that cannot answer gives None: then ask the database.)
    if cache.add(f"practice-read:{reader.pk}:{page.pk}", True, READ_RECORD_SECONDS) is False:
        return
    try:
        with transaction.atomic():
            CaseStudyReaction.objects.get_or_create(user=reader, page=page, kind=CaseStudyReaction.Kind.READ)
    except IntegrityError:
        pass


def _reaction_count(kind):
    counts = (
        CaseStudyReaction.objects.filter(page=OuterRef("pk"), kind=kind)
        .order_by()
        .values("page")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))


def with_reaction_counts(queryset):
    return queryset.annotate(
        useful_count=_reaction_count(CaseStudyReaction.Kind.USEFUL),
        applied_count=_reaction_count(CaseStudyReaction.Kind.APPLIED),
        read_count=_reaction_count(CaseStudyReaction.Kind.READ),
    )


# The library


class LibraryOrder(models.TextChoices):
    NEWEST = "newest", _("Newest first")
    MOST_READ = "read", _("Most read")
    MOST_USEFUL = "useful", _("Most useful")
    RELEVANCE = "relevance", _("Best match")


ORDERINGS = {
    LibraryOrder.NEWEST: ("-first_published_at", "-pk"),
    LibraryOrder.MOST_READ: ("-read_count", "-first_published_at", "-pk"),
    LibraryOrder.MOST_USEFUL: ("-useful_count", "-applied_count", "-first_published_at", "-pk"),
}


def _search_pks(*, index, query):
    """The ids of the live practices under `index` that match `query`, best first."""
    results = search_pages(CaseStudyPage.objects.live().descendant_of(index), query)
    return [page.pk for page in results[:SEARCH_RESULTS_LIMIT]]


def practice_library(*, index, params):
    """What the library shows for the request's filters: topics and regions to filter by, the chosen
    ones, the ordering, the search words and the page of practices. A constant number of queries."""
    topics = list(Topic.objects.filter(case_studies__live=True).distinct())
    regions = list(Region.objects.filter(case_studies__live=True).distinct())
    topic = next((topic for topic in topics if topic.slug == params.get("topic")), None)
    if topic is None and params.get("topic"):
        # A topic no published practice has yet: an empty list that says so, not the whole library.
        topic = Topic.objects.filter(slug=params["topic"]).first()
    region = next((region for region in regions if region.code == params.get("region")), None)
    query = params.get("q", "").strip()[:MAX_QUERY_LENGTH]
    if not query_words(query):
        query = ""
    orders = [LibraryOrder.NEWEST, LibraryOrder.MOST_READ, LibraryOrder.MOST_USEFUL]
    if query:
        orders.insert(0, LibraryOrder.RELEVANCE)
    order = next((order for order in orders if order == params.get("order")), orders[0])

    case_studies = with_reaction_counts(CaseStudyPage.objects.live().public().child_of(index))
    if topic:
        case_studies = case_studies.filter(topics=topic)
    if region:
        case_studies = case_studies.filter(region=region)
    if query:
        pks = _search_pks(index=index, query=query)
        case_studies = case_studies.filter(pk__in=pks)
        if order == LibraryOrder.RELEVANCE:
            rank = Case(*(When(pk=pk, then=Value(position)) for position, pk in enumerate(pks)), default=Value(0))
            case_studies = case_studies.annotate(rank=rank).order_by("rank", "-pk") if pks else case_studies
    if order != LibraryOrder.RELEVANCE:
        case_studies = case_studies.order_by(*ORDERINGS[order])
    case_studies = case_studies.defer_streamfields().select_related("region", "branch")

    paginator = Paginator(case_studies, LIBRARY_PAGE_SIZE)
    page_obj = paginator.get_page(params.get("page"))
    items = list(page_obj.object_list)
    models.prefetch_related_objects(items, "topics", listing_images())
    page_obj.object_list = items

    filters = {"topic": topic.slug if topic else "", "region": region.code if region else "", "q": query}
    return {
        "case_studies": items,
        "page_obj": page_obj,
        "topics": topics,
        "regions": regions,
        "selected_topic": topic,
        "selected_region": region,
        "search_query": query,
        "orders": orders,
        "order": order,
        "filter_params": {key: value for key, value in filters.items() if value},
        "is_filtered": bool(topic or region or query),
    }


# One practice's page


def related_case_studies(*, page, topic_ids, limit=RELATED_PRACTICES):
    """Other live practices sharing the most topics with `page`, newest first among equals."""
    if not topic_ids:
        return []
    return list(
        CaseStudyPage.objects.live()
        .public()
        .filter(topics__in=topic_ids)
        .exclude(pk=page.pk)
        .annotate(shared_topics=Count("pk"))
        .order_by("-shared_topics", "-first_published_at")
        .defer_streamfields()
        .select_related("region", "branch")
        .prefetch_related(listing_images())[:limit]
    )


def case_study_page_context(*, page, user):
    """What a practice's page shows besides its own fields: photos, related practices, the lessons it
    illustrates, the readers' marks and (for a signed-in reader) their own."""
    topics = list(page.topics.all())
    gallery = [item for item in page.gallery_images.all() if item.image_id != page.image_id]
    if gallery:
        images = get_image_model().objects.prefetch_renditions().in_bulk([item.image_id for item in gallery])
        gallery = [item for item in gallery if item.image_id in images]
        for item in gallery:
            item.image = images[item.image_id]
    counts = dict(
        CaseStudyReaction.objects.filter(page_id=page.pk)
        .exclude(kind=CaseStudyReaction.Kind.READ)
        .values_list("kind")
        .annotate(count=Count("pk"))
        .order_by()
    )
    own_marks = set()
    if user.is_authenticated:
        own_marks = set(CaseStudyReaction.objects.filter(page_id=page.pk, user=user).values_list("kind", flat=True))
    lessons = list(
        LessonPage.objects.live()
        .public()
        .filter(case_study_links__case_study_id=page.pk)
        .defer_streamfields()
        .order_by("path")
        .distinct()
    )
    return {
        "page_topics": topics,
        "gallery": gallery,
        "related_case_studies": related_case_studies(page=page, topic_ids=[topic.pk for topic in topics]),
        "illustrated_lessons": lessons,
        "useful_count": counts.get(CaseStudyReaction.Kind.USEFUL, 0),
        "applied_count": counts.get(CaseStudyReaction.Kind.APPLIED, 0),
        "marked_useful": CaseStudyReaction.Kind.USEFUL in own_marks,
        "marked_applied": CaseStudyReaction.Kind.APPLIED in own_marks,
        "is_author": user.is_authenticated and page.owner_id == user.pk,
    }


def lesson_case_studies(*, lesson):
    """The live practices a lesson links to ("see it done in practice"), in the editor's order. In a
    preview the links are the draft's own."""
    ids = [link.case_study_id for link in lesson.case_study_links.all()]
    if not ids:
        return []
    found = (
        CaseStudyPage.objects.live()
        .public()
        .filter(pk__in=ids)
        .defer_streamfields()
        .select_related("region", "branch")
        .prefetch_related(listing_images())
        .in_bulk()
    )
    return [found[pk] for pk in ids if pk in found]
