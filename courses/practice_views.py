"""The site's side of the practice exchange: a learner submits and edits their practice, readers mark
practices useful. Moderation happens in the Wagtail admin (workflow "Case study review")."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wagtail.images import get_image_model

from .forms import CaseStudyForm
from .models import CaseStudyPage, CaseStudyReaction
from .practices import (
    PRACTICE_ALREADY_PUBLISHED,
    PracticeError,
    case_study_index,
    case_study_mark,
    case_study_status,
    case_study_submit,
    case_study_update,
    html_to_plain_text,
)


# Where the author follows their practices (the learner's page; a URL name, not an import of progress).
AUTHOR_HOME = "progress:dashboard"


def _author_home():
    return f"{reverse(AUTHOR_HOME)}#my-practices"


@never_cache
@login_required
def practice_submit(request):
    index = case_study_index()
    if index is None:
        raise Http404
    form = CaseStudyForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            case_study_submit(author=request.user, fields=form.cleaned_data, photos=form.cleaned_data["photos"])
        except PracticeError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Thank you! Your practice has been sent to the editors for review; its status is shown below."),
            )
            return redirect(_author_home())
    return TemplateResponse(
        request,
        "courses/practice_form.html",
        {"form": form, "index": index, "is_new": True, "had_photos": bool(request.FILES)},
    )


def _draft_photos(draft):
    """The draft's gallery items, each with its image (and the renditions the form shows) loaded."""
    items = list(draft.gallery_images.all())
    images = get_image_model().objects.prefetch_renditions().in_bulk([item.image_id for item in items])
    for item in items:
        item.image = images.get(item.image_id)
    return [item for item in items if item.image is not None]


@never_cache
@login_required
def practice_edit(request, page_id):
    # Another learner's practice is a 404, as if it did not exist.
    page = get_object_or_404(CaseStudyPage, pk=page_id, owner=request.user)
    practice = case_study_status(page=page)
    if not practice.is_editable:
        return TemplateResponse(
            request,
            "courses/practice_locked.html",
            {"practice": practice, "explanation": PRACTICE_ALREADY_PUBLISHED},
            status=403,
        )
    draft = page.get_latest_revision_as_object()
    photos = _draft_photos(draft)
    initial = {
        "title": draft.title,
        "topics": [topic.pk for topic in draft.topics.all()],
        "region": draft.region_id,
        "branch_number": draft.branch.number if draft.branch_id else "",
        "summary": draft.summary,
        "problem": html_to_plain_text(draft.problem),
        "actions": html_to_plain_text(draft.actions),
        "results": html_to_plain_text(draft.results),
    }
    form = CaseStudyForm(
        request.POST or None, request.FILES or None, user=request.user, initial=initial, existing_photos=photos
    )
    if "remove_photos" in form.fields:
        # Each photo is shown with its own "remove" box (the choices are in the photos' order).
        for item, checkbox in zip(photos, form["remove_photos"], strict=True):
            item.remove_checkbox = checkbox
    if request.method == "POST" and form.is_valid():
        try:
            case_study_update(
                author=request.user,
                page=page,
                fields=form.cleaned_data,
                photos=form.cleaned_data["photos"],
                removed_photo_ids=form.cleaned_data.get("remove_photos") or (),
            )
        except PracticeError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your changes have been saved and sent to the editors."))
            return redirect(_author_home())
    return TemplateResponse(
        request,
        "courses/practice_form.html",
        {
            "form": form,
            "practice": practice,
            "photos": photos,
            "is_new": False,
            "had_photos": bool(request.FILES),
        },
    )


@never_cache
@require_POST
@login_required
def practice_mark(request, page_id):
    """Set or clear the reader's "useful" / "applied" mark; the form posts here and comes back."""
    page = get_object_or_404(CaseStudyPage.objects.live().public(), pk=page_id)
    kind = request.POST.get("kind")
    is_on = request.POST.get("value") == "on"
    try:
        case_study_mark(user=request.user, page=page, kind=kind, is_on=is_on)
    except PracticeError as error:
        messages.error(request, error.message)
    else:
        if kind == CaseStudyReaction.Kind.USEFUL:
            messages.success(request, _("Marked as useful.") if is_on else _("Your “useful” mark is removed."))
        else:
            messages.success(
                request, _("Marked: you applied it too.") if is_on else _("Your “applied it too” mark is removed.")
            )
    return redirect(f"{page.url}#marks")
