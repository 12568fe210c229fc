"""Who may do what with learners' records in the Wagtail admin."""

from wagtail.permission_policies import ModelPermissionPolicy

from .roles import sees_every_region


def learner_records_visible_to(user, records):
    """The records (a queryset of a model with a `learner`) the user may read: every region's for
    staff, their own region's for anyone else, none for a user without a region."""
    if sees_every_region(user):
        return records
    if user.is_authenticated and user.region_id:
        return records.filter(learner__region_id=user.region_id)
    return records.none()


class ReadOnlyPermissionPolicy(ModelPermissionPolicy):
    """Staff look at learners' records in the admin; nobody edits them by hand, not even superusers.
    Every change goes through progress.services. A regional coordinator reads only their region's."""

    def user_has_permission(self, user, action):
        if action in {"add", "change", "delete"}:
            return False
        return super().user_has_permission(user, action)

    def instances_user_has_any_permission_for(self, user, actions):
        return learner_records_visible_to(user, super().instances_user_has_any_permission_for(user, actions))


class MentorshipPermissionPolicy(ModelPermissionPolicy):
    """Administrators assign mentors and end mentorships (the add and change permissions); a
    mentorship is never deleted, so that the history is kept."""

    def user_has_permission(self, user, action):
        if action == "delete":
            return False
        return super().user_has_permission(user, action)
