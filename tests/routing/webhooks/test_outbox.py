"""The outbox: every path that writes a lead event writes its deliveries in the same
transaction — the ORM's create and bulk_create, capture's one-statement insert, the claim
function — and a rollback leaves none."""

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from pools.lifecycle import LeadState
from pools.models import LeadEvent
from pools.pull.claim import pool_claim_next
from pools.services import lead_create
from pools.work.services import lead_dispose, lead_touch
from routing.desk.services import lead_hand_assign
from routing.engine import lead_route
from routing.models import RoutingRule, WebhookDelivery
from routing.webhooks.events import WebhookType as T
from tests.factories import LeadFactory, PoolFactory, make_manager, make_rep
from tests.pool_helpers import pooled
from tests.routing_factories import RuleFactory, screened_lead

pytestmark = pytest.mark.django_db
URL = "http://127.0.0.1:9/unused"
EVERY = [str(t) for t in T]


def types_of(lead) -> list[str]:
    return list(
        WebhookDelivery.objects.filter(lead=lead).order_by("id").values_list("type", flat=True)
    )


def test_a_capture_writes_lead_created_with_the_lead_as_it_was(subscribe, team):
    sub = subscribe(URL, [T.CREATED])
    lead = lead_create(first_name="Ana", email="ana@example.com", team=team)
    (delivery,) = WebhookDelivery.objects.filter(lead=lead)
    assert (delivery.subscription, delivery.type, delivery.status) == (
        sub,
        "lead.created",
        "pending",
    )
    assert delivery.event == LeadEvent.objects.get(lead=lead, kind="created")
    snap = delivery.lead_snapshot
    assert (snap["id"], snap["email"], snap["status"]) == (lead.pk, "ana@example.com", "new")
    assert snap["team"] == {"id": team.pk, "name": team.name} and snap["owner"] is None
    assert delivery.next_attempt_at is not None and delivery.give_up_at > delivery.created_at


def test_the_orm_path_of_capture_announces_too(subscribe, team, monkeypatch):
    # With a save signal listening, capture takes the ORM path (LeadEvent.save).
    monkeypatch.setattr("pools.services._insert_together_possible", lambda: False)
    subscribe(URL, [T.CREATED])
    lead = lead_create(email="orm@example.com", team=team)
    assert types_of(lead) == ["lead.created"]


def test_a_rolled_back_change_leaves_no_delivery(subscribe, team):
    subscribe(URL, EVERY)
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_create(email="gone@example.com", team=team)
        raise RuntimeError("the request failed after the capture")
    assert not WebhookDelivery.objects.exists()


def test_routing_a_batch_writes_routed_and_assigned_with_the_new_owner(subscribe, team):
    rep = make_rep(team=team)
    RuleFactory(team=team, method=RoutingRule.Method.ROUND_ROBIN, rep_list=[rep])
    subscribe(URL, [T.ROUTED, T.ASSIGNED])
    lead = screened_lead(team=team)
    lead_route(lead=lead)
    assert types_of(lead) == ["lead.routed", "lead.assigned"]
    snap = WebhookDelivery.objects.filter(lead=lead).first().lead_snapshot
    assert snap["status"] == "assigned" and snap["owner"]["id"] == rep.pk


def test_a_claim_writes_claimed_and_assigned_in_the_claims_transaction(subscribe, team):
    pool = PoolFactory(team=team)
    rep = make_rep(team=team)
    lead = pooled(pool)
    subscribe(URL, [T.CLAIMED, T.ASSIGNED])
    claimed = pool_claim_next(user=rep, pool_id=pool.pk)
    assert claimed.pk == lead.pk
    assert types_of(lead) == ["lead.assigned", "lead.claimed"]
    event = LeadEvent.objects.get(lead=lead, kind="claimed")
    assert set(WebhookDelivery.objects.filter(lead=lead).values_list("event", flat=True)) == {
        event.pk
    }


def test_touch_disposition_won_and_a_managers_reassign(subscribe, team):
    rep, other = make_rep(team=team), make_rep(team=team)
    manager = make_manager(teams=[team])
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    subscribe(URL, EVERY)
    lead_touch(user=rep, lead_id=lead.pk, kind="call")  # assigned → contacted
    lead_touch(user=rep, lead_id=lead.pk, kind="email")  # a plain timeline entry
    lead_hand_assign(manager=manager, lead_id=lead.pk, rep_id=other.pk, reason="holiday")
    lead_touch(user=other, lead_id=lead.pk, kind="meeting")
    lead_dispose(user=other, lead_id=lead.pk, disposition="qualified")
    lead_dispose(user=other, lead_id=lead.pk, disposition="won", won_value="1200")
    assert types_of(lead) == [
        "lead.touched",
        "lead.touched",
        "lead.assigned",
        "lead.reassigned",
        "lead.touched",
        "lead.disposition_changed",
        "lead.disposition_changed",
        "lead.won",
    ]
    last = WebhookDelivery.objects.filter(lead=lead).order_by("id").last().lead_snapshot
    assert last["status"] == "won" and last["won_value"] == 1200.0


def test_the_team_filter_and_the_event_choice_decide_who_gets_a_delivery(
    subscribe, team, other_team
):
    mine = subscribe(URL, [T.CREATED], team=team)
    theirs = subscribe(URL, [T.CREATED], team=other_team)
    everyone = subscribe(URL, [T.CREATED, T.WON])
    not_this_event = subscribe(URL, [T.WON])
    lead = lead_create(email="t@example.com", team=team)
    got = set(WebhookDelivery.objects.filter(lead=lead).values_list("subscription", flat=True))
    assert got == {mine.pk, everyone.pk}
    assert theirs.pk not in got and not_this_event.pk not in got


def test_a_bulk_create_of_events_writes_their_deliveries_in_one_statement(subscribe, team):
    subscribe(URL, [T.ESCALATED])
    leads = LeadFactory.create_batch(3, status=LeadState.ASSIGNED, owner=make_rep(team=team))
    events = [LeadEvent(lead=lead, kind=LeadEvent.Kind.ESCALATED, reason="SLA") for lead in leads]
    with CaptureQueriesContext(connection) as ctx:
        LeadEvent.objects.bulk_create(events)
    outbox = [q for q in ctx.captured_queries if "webhook" in q["sql"]]
    assert len(outbox) == 1
    assert WebhookDelivery.objects.filter(type="lead.escalated").count() == 3


def test_an_event_no_webhook_covers_costs_no_query(subscribe, team, rep):
    subscribe(URL, EVERY)
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, team=team)
    with CaptureQueriesContext(connection) as ctx:
        LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.NOTE, actor=rep, reason="hi")
    assert not [q for q in ctx.captured_queries if "webhook" in q["sql"]]


def test_the_outbox_is_one_statement_whatever_the_subscriptions(subscribe, team, queries_of):
    def capture():
        lead_create(email="q@example.com", team=team)

    none = queries_of(capture)
    for i in range(5):
        subscribe(URL, EVERY, name=f"CRM {i}")
    many = queries_of(capture)
    assert none == many
    assert WebhookDelivery.objects.count() == 5
