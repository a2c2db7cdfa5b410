"""The outbox: a delivery row per (event, webhook type, subscription that wants it), written
inside the transaction that wrote the lead event, so nothing is lost if a worker dies and
nothing is sent for a change that rolled back. The drain is kicked once it commits."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.utils import timezone

from accounts.models import Team
from pools.models import Lead, LeadEvent, LeadSource, Pool
from pools.models.fields import CAPTURED_FIELDS
from pools.pull.claim_functions import SqlFunction

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
    transaction (after the change). One call of a SQL function (`OUTBOX`), whose plan each
    session keeps: the same INSERT … SELECT sent as text was planned on every lead event,
    0.7 ms of PostgreSQL's CPU a claim (bench/webhooks.py reports the call's cost)."""
    event_ids, lead_ids, types = (list(column) for column in zip(*rows, strict=True))
    give_up_at = now + timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    _ensure_installed()
    with connection.cursor() as cursor:
        cursor.execute(OUTBOX_CALL, [now, give_up_at, event_ids, lead_ids, types])
        return cursor.fetchone()[0]


_installed = False


def _ensure_installed() -> None:
    """Once per process: the function exists (installed after every migrate; a process
    that starts before its migrate installs it here, inside the caller's transaction,
    under the install's advisory lock)."""
    global _installed
    if _installed:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regproc(%s) IS NOT NULL", [OUTBOX.name])
        found = cursor.fetchone()[0]
    if not found:
        install(connection)
    _installed = True


def install(using_connection=None) -> None:
    """Create (or replace) the outbox function; run after every `migrate` (routing.apps)."""
    conn = using_connection or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext('leadroute.webhook_outbox'))")
        cursor.execute("SET LOCAL check_function_bodies = off")
        cursor.execute(OUTBOX.create)


# The lead's fields a receiver gets (`lead` in the body), in this order.
SNAPSHOT_FIELDS = (
    "id",
    "status",
    *CAPTURED_FIELDS,
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


def _insert_sql() -> str:
    q = connection.ops.quote_name
    user = get_user_model()
    lead_columns = ", ".join(
        f"'{name}', l.{q(Lead._meta.get_field(name).column)}" for name in SNAPSHOT_FIELDS
    )
    # Scalar subqueries, not joins: planning a seven-table join took longer than running it.
    snapshot = f"""jsonb_build_object({lead_columns})
        || jsonb_build_object(
            'source', (SELECT jsonb_build_object('id', x.id, 'name', x.name)
                       FROM {q(LeadSource._meta.db_table)} x WHERE x.id = l.source_id),
            'team', (SELECT jsonb_build_object('id', x.id, 'name', x.name)
                     FROM {q(Team._meta.db_table)} x WHERE x.id = l.team_id),
            'pool', (SELECT jsonb_build_object('id', x.id, 'name', x.name)
                     FROM {q(Pool._meta.db_table)} x WHERE x.id = l.pool_id),
            'owner', (SELECT jsonb_build_object('id', x.id, 'username', x.username,
                             'email', x.email, 'first_name', x.first_name,
                             'last_name', x.last_name)
                      FROM {q(user._meta.db_table)} x WHERE x.id = l.owner_id))"""
    return f"""
        INSERT INTO {q(WebhookDelivery._meta.db_table)}
            (subscription_id, event_id, lead_id, type, lead_snapshot, body, status, attempts,
             created_at, next_attempt_at, give_up_at, last_error)
        SELECT s.id, e.event_id, e.lead_id, e.type, {snapshot}, '', 'pending', 0,
               p_now, p_now, p_give_up, ''
        FROM unnest(p_events, p_leads, p_types)
             WITH ORDINALITY AS e(event_id, lead_id, type, n)
        JOIN {q(Lead._meta.db_table)} l ON l.id = e.lead_id
        JOIN {q(WebhookSubscription._meta.db_table)} s
             ON e.type = ANY (s.events) AND (s.team_id IS NULL OR s.team_id = l.team_id)
        -- Ids in event order: the drain sends a lead's deliveries in id order.
        ORDER BY e.n, s.id
        ON CONFLICT DO NOTHING"""


OUTBOX = SqlFunction(
    "webhook_outbox",
    "p_now timestamptz, p_give_up timestamptz, p_events bigint[], p_leads bigint[], p_types text[]",
    "integer",
    # Planned once per session, not per call (the values never change the plan).
    "LANGUAGE plpgsql VOLATILE\nSET plan_cache_mode = force_generic_plan",
    f"""DECLARE n integer;
BEGIN
{_insert_sql()};
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END""",
)
OUTBOX_CALL = f"SELECT {OUTBOX.name}(%s, %s, %s::bigint[], %s::bigint[], %s::text[])"
