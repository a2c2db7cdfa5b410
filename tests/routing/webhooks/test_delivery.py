"""Delivery against a real HTTP receiver on 127.0.0.1: signed bodies, retries while the
receiver is down (then every event, in order per lead, none lost), a worker killed
mid-delivery, the pause after N failures, resend and the log's prune."""

import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import LeadEvent
from pools.services import lead_create, lead_record_event
from routing.models import Notification, WebhookDelivery
from routing.tasks import webhooks_drain, webhooks_prune
from routing.webhooks.deliveries import deliveries_resend
from routing.webhooks.events import WebhookType as T
from routing.webhooks.send import deliveries_drain, deliveries_take
from routing.webhooks.signing import signature_verify
from routing.webhooks.subscriptions import subscription_resume, subscription_secret_rotate
from tests.factories import LeadFactory, make_manager

pytestmark = pytest.mark.django_db
Status = WebhookDelivery.Status
README = Path(__file__).resolve().parents[3] / "README.md"


def readme_verify():
    """The receiver-side check exactly as the README prints it."""
    block = re.search(r"```python\n(.*?def verify\(.*?)```", README.read_text(), re.S)
    assert block, "the README shows a receiver's verify function"
    scope: dict = {}
    exec(block.group(1), scope)  # noqa: S102  (our own README's code)
    return scope["verify"]


def drain_until_done(seconds: float = 60) -> None:
    """Drain, waiting out the (test-short) backoff, until nothing is open."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        deliveries_drain()
        if not WebhookDelivery.objects.filter(status__in=WebhookDelivery.OPEN).exists():
            return
        time.sleep(0.1)
    still = WebhookDelivery.objects.filter(status__in=WebhookDelivery.OPEN).values(
        "id", "lead_id", "status", "attempts", "next_attempt_at", "last_error"
    )
    raise AssertionError(f"deliveries still open at {timezone.now()}: {list(still)}")


def test_the_receiver_verifies_the_signature_with_the_readmes_few_lines(receiver, subscribe, team):
    sub = subscribe(receiver.url, [T.CREATED])
    lead = lead_create(first_name="Ana", email="ana@example.com", team=team)
    deliveries_drain()
    (got,) = receiver.received
    verify = readme_verify()
    header = got.headers["LeadRoute-Signature"]
    assert verify(header, got.body, sub.secret)
    assert signature_verify(header=header, body=got.body, secret=sub.secret)
    # Tampered body, another secret, or a replay of an old timestamp: refused.
    assert not verify(header, got.body.replace(b"Ana", b"Eve"), sub.secret)
    assert not verify(header, got.body, "whsec_someone-else")
    old = re.sub(r"t=\d+", f"t={int(time.time()) - 3600}", header)
    assert not verify(old, got.body, sub.secret)
    body = got.json
    event = LeadEvent.objects.get(lead=lead, kind="created")
    assert body["id"] == f"evt_{event.pk}_created" == got.headers["LeadRoute-Event-Id"]
    assert body["type"] == "lead.created"
    assert body["lead"]["email"] == "ana@example.com" and body["lead"]["id"] == lead.pk
    assert body["event"]["to_state"] == "new" and "decision" in body
    d = WebhookDelivery.objects.get()
    assert (d.status, d.attempts, d.last_status_code) == (Status.DELIVERED, 1, 200)
    assert d.delivered_at and d.last_duration_ms is not None and d.body == got.body.decode()


def test_after_a_rotation_both_secrets_sign_for_a_day(receiver, subscribe, team):
    sub = subscribe(receiver.url, [T.CREATED])
    old = sub.secret
    new = subscription_secret_rotate(subscription=sub)
    assert new != old
    lead_create(email="r@example.com", team=team)
    deliveries_drain()
    (got,) = receiver.received
    verify = readme_verify()
    header = got.headers["LeadRoute-Signature"]
    assert verify(header, got.body, new) and verify(header, got.body, old)


def test_a_receiver_down_for_a_while_gets_every_event_in_order_per_lead(receiver, subscribe, team):
    sub = subscribe(receiver.url, [T.CREATED, T.ESCALATED])
    receiver.down()
    leads = [LeadFactory(team=team, status=LeadState.NEW) for _ in range(4)]
    for round_ in range(3):
        for lead in leads:
            LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.ESCALATED, reason=f"r{round_}")
    for _ in range(3):  # down: attempts fail, and retry later
        deliveries_drain()
        time.sleep(0.1)
    assert receiver.received == []
    assert WebhookDelivery.objects.filter(status=Status.DELIVERED).count() == 0
    assert WebhookDelivery.objects.filter(attempts__gt=0).exists()
    sub.refresh_from_db()
    assert sub.consecutive_failures >= 3 and sub.last_failure_at

    receiver.up()
    drain_until_done()
    bodies = receiver.bodies()
    assert len(bodies) == 16  # 4 created + 12 escalated: none lost, none twice
    assert len({b["id"] for b in bodies}) == 16
    for lead in leads:
        mine = [b["event"]["id"] for b in bodies if b["lead"]["id"] == lead.pk]
        assert mine == sorted(mine) and len(mine) == 4
        reasons = [b["event"]["reason"] for b in bodies if b["lead"]["id"] == lead.pk][1:]
        assert reasons == ["r0", "r1", "r2"]
    sub.refresh_from_db()
    assert sub.consecutive_failures == 0 and sub.last_success_at


def test_a_later_event_waits_while_an_earlier_one_of_its_lead_is_in_flight(
    receiver, subscribe, team
):
    subscribe(receiver.url, [T.CREATED, T.ESCALATED])
    lead = LeadFactory(team=team)
    LeadEvent.objects.create(lead=lead, kind=LeadEvent.Kind.ESCALATED, reason="later")
    other = LeadFactory(team=team)
    taken = deliveries_take(now=timezone.now(), size=10)
    # One per lead: the created ones; the escalation waits behind its lead's first.
    assert sorted(d.lead_id for d in taken) == sorted([lead.pk, other.pk])
    assert {d.type for d in taken} == {"lead.created"}
    assert deliveries_take(now=timezone.now(), size=10) == []


def test_a_worker_killed_mid_delivery_leaves_it_for_the_sweep(receiver, subscribe, team):
    subscribe(receiver.url, [T.CREATED])
    lead_create(email="k@example.com", team=team)
    (taken,) = deliveries_take(now=timezone.now(), size=10)  # leased, then the worker dies
    taken.refresh_from_db()
    assert taken.status == Status.SENDING and taken.attempts == 1
    deliveries_drain()  # the lease holds: nobody sends it twice meanwhile
    assert receiver.received == []
    WebhookDelivery.objects.filter(pk=taken.pk).update(
        next_attempt_at=timezone.now() - timedelta(seconds=1)  # the lease ran out
    )
    webhooks_drain.apply()  # the beat's sweep task
    assert len(receiver.received) == 1
    taken.refresh_from_db()
    assert (taken.status, taken.attempts) == (Status.DELIVERED, 2)


def test_n_failures_in_a_row_pause_the_subscription_and_tell_its_managers(
    receiver, subscribe, team, settings
):
    settings.WEBHOOK_FAILURES_BEFORE_PAUSE = 3
    manager = make_manager(teams=[team])
    make_manager(teams=[])  # not this team's
    sub = subscribe(receiver.url, [T.CREATED], team=team)
    receiver.status = 500
    lead_create(email="p@example.com", team=team)
    for _ in range(10):
        deliveries_drain()
        sub.refresh_from_db()
        if sub.is_paused:
            break
        time.sleep(0.3)
    assert sub.is_paused and "3 failed deliveries in a row" in sub.paused_reason
    (note,) = Notification.objects.filter(kind=Notification.Kind.WEBHOOK_PAUSED)
    assert note.user == manager and "CRM" in note.text
    d = WebhookDelivery.objects.get()
    assert d.status == Status.PENDING and d.attempts == 3 and d.last_status_code == 500
    assert d.last_error == "HTTP 500"
    # Paused: the event waits, untried, however long.
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(hours=1))
    deliveries_drain()
    d.refresh_from_db()
    assert d.attempts == 3
    receiver.status = 200
    subscription_resume(subscription=sub)
    deliveries_drain()
    d.refresh_from_db()
    assert d.status == Status.DELIVERED and len(receiver.received) == 1


def test_a_subscription_of_every_team_tells_the_admins(receiver, subscribe, admin_user, settings):
    settings.WEBHOOK_FAILURES_BEFORE_PAUSE = 1
    receiver.status = 503
    subscribe(receiver.url, [T.CREATED])
    lead_create(email="a@example.com")
    deliveries_drain()
    assert Notification.objects.get(kind=Notification.Kind.WEBHOOK_PAUSED).user == admin_user


def test_after_the_retry_window_a_failed_delivery_is_given_up(receiver, subscribe, team):
    receiver.status = 500
    subscribe(receiver.url, [T.CREATED])
    lead_create(email="g@example.com", team=team)
    WebhookDelivery.objects.update(give_up_at=timezone.now() - timedelta(seconds=1))
    deliveries_drain()
    d = WebhookDelivery.objects.get()
    assert (d.status, d.attempts, d.next_attempt_at) == (Status.FAILED, 1, None)
    # …and a later event of the lead is no longer held behind it.
    receiver.status = 200
    lead_record_event(lead=d.lead, kind=LeadEvent.Kind.CREATED)
    deliveries_drain()
    assert len(receiver.received) == 1


def test_resend_sends_the_same_body_and_id_again(receiver, subscribe, team):
    subscribe(receiver.url, [T.CREATED])
    lead_create(email="s@example.com", team=team)
    deliveries_drain()
    d = WebhookDelivery.objects.get()
    assert deliveries_resend(ids=[d.pk]) == 1
    deliveries_drain()
    first, second = receiver.received
    assert first.body == second.body
    d.refresh_from_db()
    assert d.status == Status.DELIVERED and d.attempts == 2


def test_the_prune_deletes_old_finished_entries_only(receiver, subscribe, team, settings):
    settings.WEBHOOK_LOG_DAYS = 7
    subscribe(receiver.url, [T.CREATED])
    for i in range(3):
        lead_create(email=f"o{i}@example.com", team=team)
    deliveries_drain()
    receiver.down()
    lead_create(email="waiting@example.com", team=team)
    old = timezone.now() - timedelta(days=8)
    WebhookDelivery.objects.update(created_at=old)
    fresh = WebhookDelivery.objects.filter(status=Status.DELIVERED).first()
    WebhookDelivery.objects.filter(pk=fresh.pk).update(created_at=timezone.now())
    assert webhooks_prune.apply().get() == 2
    left = set(WebhookDelivery.objects.values_list("status", flat=True))
    assert left == {Status.DELIVERED, Status.PENDING}  # the fresh one, and the open one
