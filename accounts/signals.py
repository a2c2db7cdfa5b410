"""Changes to who a user is that their open websockets must hear about (and the team
boards, a rep's profile).

A socket authorises once, when it connects; these receivers tell it to check again
(`user_sockets_recheck_on_commit`): on logout, when the user is saved (deactivated, a new
password), when their rep profile moves team, and when their roles or managed teams
change. The consumer then closes, or re-joins the groups it now belongs in.
"""

from django.contrib.auth.signals import user_logged_out
from django.db.models.signals import m2m_changed, post_save, pre_save
from django.dispatch import receiver

from leadroute.shared.live import board_changed_on_commit, user_sockets_recheck_on_commit

from .models import RepProfile, Team, User


@receiver(user_logged_out, dispatch_uid="accounts.sockets_on_logout")
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        session_key = getattr(getattr(request, "session", None), "session_key", None) or ""
        user_sockets_recheck_on_commit(user.pk, ended_session=session_key)


@receiver(post_save, sender=User, dispatch_uid="accounts.sockets_on_user_save")
def _user_saved(sender, instance, created, update_fields=None, **kwargs):
    # Logging in saves last_login only: nothing a socket depends on.
    if not created and set(update_fields or ()) != {"last_login"}:
        user_sockets_recheck_on_commit(instance.pk)


@receiver(pre_save, sender=RepProfile, dispatch_uid="accounts.sockets_team_before")
def _profile_saving(sender, instance, update_fields=None, **kwargs):
    if instance.pk is None or (update_fields is not None and "team" not in update_fields):
        return
    before = RepProfile.objects.filter(pk=instance.pk).values_list("team_id", flat=True).first()
    instance._team_moved = before != instance.team_id
    instance._team_before = before


@receiver(post_save, sender=RepProfile, dispatch_uid="accounts.sockets_team_after")
def _profile_saved(sender, instance, **kwargs):
    if instance.__dict__.pop("_team_moved", False):
        user_sockets_recheck_on_commit(instance.user_id)
    # A profile saved anywhere (the admin's availability column, a team move): the boards
    # of its team, and of the team it left, re-read their rows.
    board_changed_on_commit(instance.team_id, instance.__dict__.pop("_team_before", None))


def _members_changed(sender, instance, action, model, pk_set, **kwargs):
    """Team.managers and User.groups, from either side: the users whose teams or roles
    changed. A clear's users are read before it and told after it."""
    if isinstance(instance, User):
        user_ids = {instance.pk}
    elif action == "pre_clear":
        side = f"{instance._meta.model_name}_id"  # team_id / group_id on the through table
        instance._members_cleared = set(
            sender.objects.filter(**{side: instance.pk}).values_list("user_id", flat=True)
        )
        return
    elif action == "post_clear":
        user_ids = instance.__dict__.pop("_members_cleared", set())
    else:
        user_ids = set(pk_set or ())
    if action in ("post_add", "post_remove", "post_clear"):
        for user_id in sorted(user_ids):
            user_sockets_recheck_on_commit(user_id)


def _skim_rights_changed(sender, instance, action, pk_set, **kwargs):
    """RepProfile.skim_teams, from either side: a skimmer's sockets join (or leave) the
    team's group, whose frames keep their desk's queue live."""
    if action not in ("post_add", "post_remove", "pre_clear", "post_clear"):
        return
    if isinstance(instance, RepProfile):
        if action != "pre_clear":
            user_sockets_recheck_on_commit(instance.user_id)
        return
    if action == "pre_clear":
        instance._skimmers_cleared = set(instance.skimmers.values_list("user_id", flat=True))
        return
    if action == "post_clear":
        user_ids = instance.__dict__.pop("_skimmers_cleared", set())
    else:
        user_ids = set(
            RepProfile.objects.filter(pk__in=pk_set or ()).values_list("user_id", flat=True)
        )
    for user_id in sorted(user_ids):
        user_sockets_recheck_on_commit(user_id)


m2m_changed.connect(
    _skim_rights_changed,
    sender=RepProfile.skim_teams.through,
    dispatch_uid="accounts.sockets_skim_teams",
)

for _through in (Team.managers.through, User.groups.through):
    m2m_changed.connect(
        _members_changed, sender=_through, dispatch_uid=f"accounts.sockets_{_through.__name__}"
    )
