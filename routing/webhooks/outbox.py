"""The outbox: a delivery row per (event, webhook type, subscription that wants it), written
inside the transaction that wrote the lead event, so nothing is lost if a worker dies and
nothing is sent for a change that rolled back. The drain is kicked once it commits."""

from __future__ import annotations

from datetime import timedelta
from functools import cache

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection
from django.utils import timezone

from accounts.models import Team
from pools.models import Lead, LeadEvent, LeadSource, Pool

from .events import MAPPED_KINDS, webhook_types
from .kick import deliveries_kick_on_commit
from .models import WebhookDelivery, WebhookSubscription


def lead_events_outbox(sender, *, events: list[LeadEvent], **kwargs) -> int:
    """Receiver of pools.signals.lead_events_written (inside the writer's transaction).
    Events no webhook type covers cost nothing; the others one statement, whatever the
    number of events and subscriptions (none matching: an empty join)."""
    rows = [
        (event.pk, event.lead_id, type_)
        for event in events
        if event.kind in MAPPED_KINDS
        for type_ in webhook_types(
            kind=event.kind, from_state=event.from_state, to_state=event.to_state, data=event.data
        )
    ]
    if not rows:
        return 0
    created = deliveries_insert(rows=rows, now=timezone.now())
    if created:
        deliveries_kick_on_commit()
    return created


def deliveries_insert(*, rows: list[tuple[int, int, str]], now) -> int:
    """Insert the deliveries for (event id, lead id, type) rows, one per subscription that
    wants the type and the lead's team, with the lead's snapshot as it is in this
    transaction (after the change). One INSERT … SELECT: reading the subscriptions and the
    leads first and inserting after cost two more round trips on every lead event."""
    event_ids, lead_ids, types = (list(column) for column in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        give_up_at = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
        cursor.execute(_insert_sql(), [now, now, give_up_at, event_ids, lead_ids, types])
        return cursor.rowcount


# The lead's fields a receiver gets (`lead` in the body), in this order.
SNAPSHOT_FIELDS = (
    "id",
    "status",
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "language",
    "product_interest",
    "estimated_value",
    "campaign",
    "landing_page",
    "external_id",
    "score",
    "attributes",
    "rejection_reason",
    "lost_reason",
    "won_value",
    "created_at",
    "routed_at",
    "assigned_at",
    "first_touch_at",
    "closed_at",
)


@cache
def _insert_sql() -> str:
    q = connection.ops.quote_name
    user = get_user_model()
    lead_columns = ", ".join(
        f"'{name}', l.{q(Lead._meta.get_field(name).column)}" for name in SNAPSHOT_FIELDS
    )
    snapshot = f"""jsonb_build_object({lead_columns})
        || jsonb_build_object(
            'source', CASE WHEN src.id IS NULL THEN NULL
                      ELSE jsonb_build_object('id', src.id, 'name', src.name) END,
            'team', CASE WHEN t.id IS NULL THEN NULL
                    ELSE jsonb_build_object('id', t.id, 'name', t.name) END,
            'pool', CASE WHEN p.id IS NULL THEN NULL
                    ELSE jsonb_build_object('id', p.id, 'name', p.name) END,
            'owner', CASE WHEN o.id IS NULL THEN NULL
                     ELSE jsonb_build_object('id', o.id, 'username', o.username,
                          'email', o.email, 'first_name', o.first_name,
                          'last_name', o.last_name) END)"""
    return f"""
        INSERT INTO {q(WebhookDelivery._meta.db_table)}
            (subscription_id, event_id, lead_id, type, lead_snapshot, body, status, attempts,
             created_at, next_attempt_at, give_up_at, last_error)
        SELECT s.id, x.event_id, x.lead_id, x.type, {snapshot}, '', 'pending', 0, %s, %s, %s,
               ''
        FROM unnest(%s::bigint[], %s::bigint[], %s::text[])
             WITH ORDINALITY AS x(event_id, lead_id, type, n)
        JOIN {q(Lead._meta.db_table)} l ON l.id = x.lead_id
        JOIN {q(WebhookSubscription._meta.db_table)} s
             ON x.type = ANY (s.events) AND (s.team_id IS NULL OR s.team_id = l.team_id)
        LEFT JOIN {q(LeadSource._meta.db_table)} src ON src.id = l.source_id
        LEFT JOIN {q(Team._meta.db_table)} t ON t.id = l.team_id
        LEFT JOIN {q(Pool._meta.db_table)} p ON p.id = l.pool_id
        LEFT JOIN {q(user._meta.db_table)} o ON o.id = l.owner_id
        -- Ids in event order: the drain sends a lead's deliveries in id order.
        ORDER BY x.n, s.id
        ON CONFLICT DO NOTHING"""
