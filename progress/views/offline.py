"""The outbox endpoint: what a learner did on their device without a connection arrives here in batches."""

import json

from django.http import JsonResponse
from django.middleware.csrf import get_token
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..services import BATCH_MAX_BYTES, BATCH_MAX_ITEMS, offline_actions_apply


def _refusal(message, status):
    return JsonResponse({"error": message}, status=status)


def _too_large():
    return _refusal(
        _("Too much at once: send at most %(count)s actions per request.") % {"count": BATCH_MAX_ITEMS}, 413
    )


@never_cache
@require_http_methods(["GET", "POST"])
def outbox(request):
    """GET: who is signed in, and the token to post with (the service worker has no page to read it from).
    POST {"items": [...]}: apply each item, answer each one (see progress.services.offline)."""
    # JSON, not the login page: the sender keeps the items and tries again once someone signs in.
    if not request.user.is_authenticated:
        return JsonResponse({"learner": None, "error": _("Sign in to send what was saved on this device.")}, status=403)
    if request.method == "GET":
        return JsonResponse({"learner": request.user.pk, "csrf_token": get_token(request)})
    # Read the declared length first, so an oversized batch is refused before it is read.
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not declared.isdigit() or int(declared) > BATCH_MAX_BYTES or len(request.body) > BATCH_MAX_BYTES:
        return _refusal(
            _("Too much at once: send at most %(count)s actions per request.") % {"count": BATCH_MAX_ITEMS}, 413
        )
    try:
        batch = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return _refusal(_("The request could not be read."), 400)
    items = batch.get("items") if isinstance(batch, dict) else None
    if not isinstance(items, list):
        return _refusal(_("The request could not be read."), 400)
    if len(items) > BATCH_MAX_ITEMS:
        return _refusal(
            _("Too much at once: send at most %(count)s actions per request.") % {"count": BATCH_MAX_ITEMS}, 413
        )
    answers = offline_actions_apply(learner=request.user, items=items)
    return JsonResponse({"learner": request.user.pk, "items": [answer.as_json() for answer in answers]})
