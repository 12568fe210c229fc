"""The audit trail of what staff and mentors do to learners' records: Wagtail log entries, shown to
administrators in Reports → Site history (and filterable there by action).

Entries carry ids in their data, never names: a name lives only in the entry's label, which erasing a
learner's personal data rewrites (progress.services.personal_data)."""

from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from wagtail.log_actions import log
from wagtail.models import ModelLogEntry


MENTORSHIP_ASSIGN = "progress.mentorship.assign"
MENTORSHIP_END = "progress.mentorship.end"
EXTRA_ATTEMPT_GRANT = "progress.extra_attempt.grant"
LEARNER_IMPORT = "progress.learner_import"
PERSONAL_DATA_EXPORT = "progress.personal_data.export"
PERSONAL_DATA_ERASE = "progress.personal_data.erase"

# action -> (label in the action filter, message in the listing)
ACTIONS = {
    MENTORSHIP_ASSIGN: (_("Assign a mentor"), _("Mentor assigned")),
    MENTORSHIP_END: (_("End a mentorship"), _("Mentorship ended")),
    EXTRA_ATTEMPT_GRANT: (_("Grant an extra attempt"), _("Extra quiz attempt granted")),
    LEARNER_IMPORT: (_("Import learners"), _("Learners imported from a CSV file")),
    PERSONAL_DATA_EXPORT: (_("Export personal data"), _("Personal data exported")),
    PERSONAL_DATA_ERASE: (_("Delete personal data"), _("Personal data deleted, account anonymised")),
}


def register_audit_actions(actions):
    """The register_log_actions hook (progress.wagtail_hooks)."""
    for action, (label, message) in ACTIONS.items():
        actions.register_action(action, label, message)


def audit_log(*, instance, action, user=None, data=None):
    """One entry: `user` did `action` to `instance` now."""
    return log(instance=instance, action=action, user=user, data=data or {})


def audit_log_bulk(*, instances, action, user=None, data_of=None):
    """The same entry for many saved instances of one model, in one INSERT per few hundred."""
    instances = list(instances)
    if not instances:
        return []
    content_type = ContentType.objects.get_for_model(type(instances[0]), for_concrete_model=False)
    now = timezone.now()
    entries = [
        ModelLogEntry(
            content_type=content_type,
            object_id=str(instance.pk),
            label=str(instance),
            action=action,
            user=user,
            data=data_of(instance) if data_of else {},
            timestamp=now,
        )
        for instance in instances
    ]
    return ModelLogEntry.objects.bulk_create(entries, batch_size=500)
