"""`lead_create` inserts a lead and its first event in one statement on PostgreSQL, and
falls back to the ORM's two inserts when something listens to their save signals; both
ways store the same thing."""

from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.test.utils import CaptureQueriesContext

from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.services import lead_create
from tests.factories import LeadSourceFactory

pytestmark = pytest.mark.django_db

FIELDS = {
    "first_name": "Ana",
    "email": "ana@example.com",
    "phone": "+5511912345678",
    "country": "BR",
    "estimated_value": Decimal("1234.50"),
    "attributes": {"utm": "google", "seats": 12, "nested": {"a": [1, None]}},
}


def _columns(obj, exclude: set[str]) -> dict:
    return {
        f.attname: getattr(obj, f.attname)
        for f in obj._meta.concrete_fields
        if f.attname not in exclude
    }


def _stored(lead: Lead) -> tuple[dict, list[dict]]:
    row = _columns(Lead.objects.get(pk=lead.pk), {"id", "created_at", "updated_at"})
    events = [
        _columns(e, {"id", "lead_id", "created_at"}) for e in LeadEvent.objects.filter(lead=lead)
    ]
    return row, events


def test_one_statement_and_the_orm_store_the_same_lead_and_event():
    source = LeadSourceFactory()
    with CaptureQueriesContext(connection) as one:
        fast = lead_create(reason="Captured", source=source, team_id=source.team_id, **FIELDS)
    # One statement for the lead and its event; the webhook outbox (routing.webhooks) adds
    # its own, in the same transaction.
    lead_writes = [q for q in one.captured_queries if "webhook" not in q["sql"]]
    assert len(lead_writes) == 1 and lead_writes[0]["sql"].startswith("WITH new_lead AS")

    listened = []
    receiver = lambda sender, instance, created, **kw: listened.append(sender)  # noqa: E731
    post_save.connect(receiver, sender=Lead)
    try:
        slow = lead_create(reason="Captured", source=source, team_id=source.team_id, **FIELDS)
    finally:
        post_save.disconnect(receiver, sender=Lead)
    assert listened == [Lead]  # the receiver saw the ORM path's save

    fast_row, fast_events = _stored(fast)
    slow_row, slow_events = _stored(slow)
    assert fast_row == slow_row
    assert (
        fast_events
        == slow_events
        == [
            {
                "kind": LeadEvent.Kind.CREATED,
                "from_state": "",
                "to_state": LeadState.NEW,
                "actor_id": None,
                "owner_id": None,
                "reason": "Captured",
                "data": {},
            }
        ]
    )
    assert fast_row["status"] == LeadState.NEW and fast_row["attributes"] == FIELDS["attributes"]


def test_the_returned_lead_is_saved_and_reloads_equal():
    lead = lead_create(first_name="Bo", email="bo@example.com")
    assert lead.pk and not lead._state.adding
    stored = Lead.objects.get(pk=lead.pk)
    assert (stored.email, stored.created_at, stored.updated_at) == (
        lead.email,
        lead.created_at,
        lead.updated_at,
    )
    event = LeadEvent.objects.get(lead=lead)
    assert event.created_at >= lead.created_at


def test_a_rolled_back_capture_leaves_neither_lead_nor_event():
    with pytest.raises(RuntimeError), transaction.atomic():
        lead_create(first_name="Gone", email="gone@example.com")
        raise RuntimeError("caller failed after the insert")
    assert not Lead.objects.filter(email="gone@example.com").exists()
    assert not LeadEvent.objects.filter(lead__email="gone@example.com").exists()
