"""What pools tells the layers above it."""

from django.apps import apps
from django.db import transaction
from django.dispatch import Signal

# Sent once the transaction that left leads waiting for intake (captured, imported, or
# sent back by a manager) has committed, with `lead_ids`. Routing connects to it when it
# starts: pools sits below routing and may not name routing's tasks.
leads_waiting = Signal()

# Sent inside the mover's transaction, just before its UPDATE, when leads are about to leave
# `offered` for another state (a manager's hand-assign, an escalation, the offer's own
# accept or fallback), with `reasons` ({lead id: the move's reason}). Routing withdraws their
# open offers then — the offer row before the lead row, the order an accept takes them in —
# so no path can leave an offer open on a lead that has moved on, and its cards leave.
offered_leads_leaving = Signal()


def leads_waiting_on_commit(*, lead_ids: list[int]) -> None:
    # By name: the models import this module (they send `lead_events_written`).
    lead = apps.get_model("pools", "Lead")
    ids = list(lead_ids)
    # Robust: the change has committed, and a receiver that fails (a broker down) must not
    # turn that into an error for the writer; the leads wait in the database for the sweep.
    transaction.on_commit(lambda: leads_waiting.send(sender=lead, lead_ids=ids), robust=True)


# Sent INSIDE the writer's transaction whenever lead events are written, by every path
# (`LeadEvent.save`, the manager's `bulk_create`, capture's one-statement insert and the
# claim functions), with `events`: saved LeadEvents (pk, lead_id, kind, from/to state, owner,
# data). Routing's outbound webhooks write their outbox rows here, so a delivery commits or
# rolls back with the change it reports. Receivers write only to the database, never to
# the outside world (that waits for the commit).
lead_events_written = Signal()


# Sent by the lead page with `lead`, `viewer` and the lead's `events` (newest first); each
# receiver returns the timeline entries (pools.selectors.TimelineEntry) a layer above keeps
# about the lead — routing's live offers — to be shown among its events. Pools may not read
# routing's tables, and the events let a receiver skip its query for leads it never had.
lead_timeline_extras = Signal()
