"""Telling pages that a lead was given or moved, after commit (leadroute.shared.live).

The new owner hears of it (by routing or by a manager) and their My leads re-reads
itself; the old owner's My leads drops the row; every desk of the lead's team drops it
from the queue (or re-reads the queue when a lead arrives in it). A team group reaches the
team's reps too, so its frames carry only ids and signals — never a lead's fields.
"""

from __future__ import annotations

from django.urls import reverse

from leadroute.shared.live import (
    broadcast_on_commit,
    live_replace,
    live_signal,
    live_toast,
    team_group,
    user_group,
)
from pools.lifecycle import LeadState
from pools.models import Lead


def notify_leads_given(*, leads: list[Lead], by: str = "") -> None:
    """Each new owner of `leads` hears of them (a toast: "from {by}" when given) and their
    My leads re-reads itself: one frame per owner, whatever the number of leads."""
    given: dict[int, list[Lead]] = {}
    for lead in leads:
        given.setdefault(lead.owner_id, []).append(lead)
    for owner_id, theirs in given.items():
        names = ", ".join(lead.display_name for lead in theirs[:3])
        more = f" and {len(theirs) - 3} more" if len(theirs) > 3 else ""
        what = "New lead for you" if len(theirs) == 1 else f"{len(theirs)} new leads for you"
        text = f"{what}{f' from {by}' if by else ''}: {names}{more}"
        broadcast_on_commit(
            user_group(owner_id), html=live_toast(text) + live_signal("leads-changed")
        )


def notify_lead_moved(*, lead: Lead, previous_owner_id: int | None, was_queued: bool, actor):
    if lead.owner_id and lead.owner_id != previous_owner_id:
        notify_leads_given(leads=[lead], by="your manager")
    if previous_owner_id and previous_owner_id != lead.owner_id:
        broadcast_on_commit(
            user_group(previous_owner_id),
            html=live_replace(f"my-lead-{int(lead.pk)}")
            + live_toast(f"Your manager moved {lead.display_name} away from you.")
            + live_signal("leads-changed"),
        )
    if lead.team_id and (was_queued or lead.status == LeadState.SKIMMING):
        notify_queue_changed(team_ids=[lead.team_id], left=[lead.pk] if was_queued else [])


def notify_queue_changed(*, team_ids, left: list[int] = ()) -> None:
    """Desks of these teams: drop the leads `left` at once, and re-read the queue."""
    frame = "".join(
        live_replace(f"desk-row-{int(pk)}")
        + live_replace(
            f"desk-lead-{int(pk)}",
            f'<div id="desk-lead-{int(pk)}" class="card desk-gone">'
            f'This lead was just moved by someone else. <a href="{reverse("desk:desk")}">'
            "Next lead →</a></div>",
        )
        for pk in left
    ) + live_signal("desk-sync")
    for team_id in sorted(set(team_ids)):
        broadcast_on_commit(team_group(team_id), html=frame)
