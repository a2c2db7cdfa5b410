"""Telling pages that a manager moved a lead, after commit (leadroute.shared.live).

The new owner hears of it and their My leads re-reads itself; the old owner's My leads
drops the row; every desk of the lead's team drops it from the queue (or re-reads the
queue when a lead arrives in it). A team group reaches the team's reps too, so its frames
carry only ids and signals — never a lead's fields.
"""

from __future__ import annotations

import html

from django.urls import reverse

from leadroute.shared.live import (
    broadcast_on_commit,
    live_replace,
    live_signal,
    team_group,
    user_group,
)
from pools.lifecycle import LeadState
from pools.models import Lead


def _toast(text: str) -> str:
    return (
        '<div hx-swap-oob="beforeend:#toasts">'
        f'<div class="flash flash-info">{html.escape(text)}</div></div>'
    )


def notify_lead_moved(*, lead: Lead, previous_owner_id: int | None, was_queued: bool, actor):
    if lead.owner_id and lead.owner_id != previous_owner_id:
        broadcast_on_commit(
            user_group(lead.owner_id),
            html=_toast(f"New lead for you from your manager: {lead.display_name}")
            + live_signal("leads-changed"),
        )
    if previous_owner_id and previous_owner_id != lead.owner_id:
        broadcast_on_commit(
            user_group(previous_owner_id),
            html=live_replace(f"my-lead-{int(lead.pk)}")
            + _toast(f"Your manager moved {lead.display_name} away from you.")
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
