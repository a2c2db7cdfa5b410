"""The owner's workspace on the lead page: touches, dispositions, notes, release; the
manager's return to pool."""

import re
import zoneinfo
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from pools.lifecycle import LeadState
from pools.models import LeadEvent
from pools.pull.claim import lead_claim
from tests.factories import LeadFactory, PoolFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def pool(team):
    return PoolFactory(team=team, is_team_default=True, claim_cooldown_hours=0)


@pytest.fixture
def lead(rep, pool):
    return lead_claim(user=rep, lead_id=pooled(pool).pk)


def url(name, lead):
    return reverse(f"pools:{name}", args=[lead.pk])


def test_owner_sees_workspace_forms(rep, client_for, lead):
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert 'id="workspace"' in page and "Log touch" in page and "Release to pool" in page
    assert lead.email in page  # the full lead, now it is theirs


def test_the_timeline_shows_what_a_repeat_inquiry_brought(rep, client_for, lead):
    from pools.capture.services import lead_capture
    from tests.factories import LeadSourceFactory

    assert lead.email  # the repeat matches on it
    lead_capture(
        source=LeadSourceFactory(team=lead.team),  # a source of the lead's team
        fields={"email": lead.email, "company": "Acme Filial", "first_name": "Ana Maria"},
        channel="form",
    )
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "Repeat inquiry" in page
    assert "<dt>Company</dt><dd>Acme Filial</dd>" in page
    assert "<dt>First name</dt><dd>Ana Maria</dd>" in page


def test_the_details_show_codes_as_words_and_the_postal_code_on_its_own_line(rep, client_for, lead):
    from pools.models import Lead

    Lead.objects.filter(pk=lead.pk).update(
        industry="car_accessories",
        city="Sao Paulo",
        state="SP",
        country="BR",
        postal_code="2523",
        language="pt",
    )
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "<dt>Industry</dt><dd>Car accessories</dd>" in page
    assert "<dt>Location</dt><dd>Sao Paulo, SP · Brazil</dd>" in page
    assert "<dt>Postal code</dt><dd>2523</dd>" in page
    assert "<dt>Language</dt><dd>Portuguese</dd>" in page
    Lead.objects.filter(pk=lead.pk).update(city="", state="", country="", postal_code="")
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "<dt>Location</dt><dd>—</dd>" in page and "Postal code" not in page


def test_a_touch_moves_an_assigned_lead_to_contacted_in_one_event(rep, client_for, lead):
    from pools.lifecycle import LeadState
    from pools.models import Lead, LeadEvent

    client = client_for(rep)
    client.post(url("touch", lead), {"kind": "call", "note": "Left a voicemail"})
    lead = Lead.objects.get(pk=lead.pk)
    assert lead.status == LeadState.CONTACTED and lead.first_touch_at is not None
    touch = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.TOUCH)
    assert (touch.from_state, touch.to_state) == (LeadState.ASSIGNED, LeadState.CONTACTED)
    assert touch.data["first"] is True and "speed_to_lead_seconds" in touch.data
    client.post(url("touch", lead), {"kind": "email"})  # already contacted: stays there
    assert Lead.objects.get(pk=lead.pk).status == LeadState.CONTACTED
    assert LeadEvent.objects.filter(lead=lead, kind=LeadEvent.Kind.TOUCH).count() == 2


def test_the_header_labels_the_leads_job_title(rep, client_for, lead):
    """A lead whose job title is "Owner" stood unlabelled beside the lead's owner badge."""
    from pools.models import Lead

    Lead.objects.filter(pk=lead.pk).update(title="Owner", company="Acme")
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "Job title: Owner · Acme" in page


def test_an_untouched_lead_says_for_how_long(rep, client_for, lead):
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "Untouched for less than a minute" in page  # just claimed: not "0 minutes"
    lead.assigned_at = timezone.now() - timedelta(hours=2, minutes=5)
    lead.save(update_fields=["assigned_at"])
    page = client_for(rep).get(url("lead_detail", lead)).content.decode()
    assert "Untouched for 2\xa0hours, 5\xa0minutes" in page


def test_first_touch_records_speed_to_lead(rep, client_for, lead):
    response = client_for(rep).post(
        url("touch", lead), {"kind": "call", "note": "Voicemail"}, **HTMX
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Call logged" in body and 'id="timeline" class="timeline" hx-swap-oob="true"' in body
    lead.refresh_from_db()
    assert lead.first_touch_at is not None
    event = lead.events.get(kind=LeadEvent.Kind.TOUCH)
    assert event.data["first"] is True and event.data["speed_to_lead_seconds"] >= 0
    first = lead.first_touch_at
    client_for(rep).post(url("touch", lead), {"kind": "email"})
    lead.refresh_from_db()
    assert lead.first_touch_at == first  # later touches do not move it


def test_a_disposition_on_an_untouched_lead_is_its_first_touch(rep, client_for, lead):
    """Marking a lead Contacted says the rep reached it: the lead page and My leads stop
    asking for first contact, and speed-to-lead is recorded, as a logged touch does."""
    c = client_for(rep)
    assert "make first contact now" in c.get(url("lead_detail", lead)).content.decode()
    c.post(url("dispose", lead), {"disposition": "contacted"})
    lead.refresh_from_db()
    assert lead.status == LeadState.CONTACTED and lead.first_touch_at is not None
    event = lead.events.get(kind=LeadEvent.Kind.DISPOSITION)
    assert event.data["first"] is True and event.data["speed_to_lead_seconds"] >= 0
    assert "make first contact now" not in c.get(url("lead_detail", lead)).content.decode()
    mine = c.get(reverse("pools:my_leads")).content.decode()
    assert "Make first contact" not in mine and "Qualify" in mine
    first = lead.first_touch_at
    c.post(url("dispose", lead), {"disposition": "qualified"})
    lead.refresh_from_db()
    assert lead.first_touch_at == first
    assert lead.events.filter(kind=LeadEvent.Kind.DISPOSITION).order_by("id").last().data == {}


def test_an_untouched_lead_marked_lost_was_never_touched(rep, client_for, lead):
    """Spam or a wrong number, closed unworked, must not count as reached (speed-to-lead,
    the contacted funnel)."""
    client_for(rep).post(url("dispose", lead), {"disposition": "lost", "lost_reason": "Spam"})
    lead.refresh_from_db()
    assert lead.status == LeadState.LOST and lead.first_touch_at is None


def test_disposition_path_to_won_with_value(rep, client_for, lead):
    c = client_for(rep)
    c.post(url("dispose", lead), {"disposition": "contacted"})
    c.post(url("dispose", lead), {"disposition": "qualified"})
    bad = c.post(url("dispose", lead), {"disposition": "won", "won_value": "lots"}, **HTMX)
    assert "is not an amount" in bad.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadState.QUALIFIED
    c.post(url("dispose", lead), {"disposition": "won", "won_value": "12,500.50"})
    lead.refresh_from_db()
    assert lead.status == LeadState.WON and str(lead.won_value) == "12500.50"
    assert lead.events.order_by("id").last().reason == "Won · 12,500.50"


def test_lost_needs_a_reason(rep, client_for, lead):
    c = client_for(rep)
    response = c.post(url("dispose", lead), {"disposition": "lost"}, follow=True)
    assert "Say why the lead was lost" in response.content.decode()
    c.post(url("dispose", lead), {"disposition": "lost", "lost_reason": "No budget"})
    lead.refresh_from_db()
    assert (lead.status, lead.lost_reason) == (LeadState.LOST, "No budget")


def test_illegal_disposition_is_a_message(rep, client_for, lead):
    response = client_for(rep).post(
        url("dispose", lead), {"disposition": "won", "won_value": "1"}, **HTMX
    )
    assert "cannot be marked won" in response.content.decode()


def test_note(rep, client_for, lead):
    client = client_for(rep)
    client.post(url("note", lead), {"text": "Prefers WhatsApp"})
    assert lead.events.filter(kind=LeadEvent.Kind.NOTE, reason="Prefers WhatsApp").exists()
    # Lines as typed: kept in the event, and the timeline keeps them apart (pre-line).
    client.post(url("note", lead), {"text": "Call after 3pm\nAsk for Rita"})
    assert lead.events.filter(reason="Call after 3pm\nAsk for Rita").exists()
    page = client.get(reverse("pools:lead_detail", args=[lead.pk])).content.decode()
    assert '<div class="tl-reason">Call after 3pm\nAsk for Rita</div>' in page


def test_release_back_to_the_pool_with_reason(rep, client_for, lead, pool):
    c = client_for(rep)
    no_reason = c.post(url("release", lead), {"reason": " "}, **HTMX)
    assert "Say why" in no_reason.content.decode()
    response = c.post(url("release", lead), {"reason": "Speaks only German"}, **HTMX)
    assert response["HX-Redirect"] == reverse("pools:my_leads")
    lead.refresh_from_db()
    assert (lead.status, lead.pool, lead.owner) == (LeadState.POOLED, pool, None)
    assert lead.events.filter(kind=LeadEvent.Kind.RELEASED, reason="Speaks only German").exists()


def test_other_rep_cannot_work_or_see_the_lead(other_rep, client_for, lead):
    c = client_for(other_rep)
    assert c.get(url("lead_detail", lead)).status_code == 404
    for name in ("touch", "dispose", "note", "release"):
        assert c.post(url(name, lead), {"kind": "call"}).status_code == 404


def test_workspace_actions_reject_get(rep, client_for, lead):
    for name in ("touch", "dispose", "note", "release", "return_to_pool"):
        assert client_for(rep).get(url(name, lead)).status_code in (403, 405)


def test_manager_returns_team_lead_to_pool(manager, client_for, lead, pool):
    page = client_for(manager).get(url("lead_detail", lead)).content.decode()
    assert "Return to pool" in page and "Log touch" not in page
    client_for(manager).post(url("return_to_pool", lead), {"pool": pool.pk, "reason": "Idle"})
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED and lead.pool == pool


def test_rep_cannot_use_manager_return(rep, client_for, lead, pool):
    assert client_for(rep).post(url("return_to_pool", lead), {"pool": pool.pk}).status_code == 403


def test_manager_of_other_team_cannot_return(client_for, lead, pool, other_team):
    from tests.factories import make_manager

    stranger = make_manager(teams=[other_team])
    response = client_for(stranger).post(
        url("return_to_pool", lead), {"pool": pool.pk, "reason": "x"}
    )
    assert response.status_code == 404


def test_closed_lead_cannot_be_touched(rep, client_for):
    lead = LeadFactory(status=LeadState.WON, owner=rep, closed_at=timezone.now())
    response = client_for(rep).post(url("touch", lead), {"kind": "call"}, **HTMX)
    assert "closed" in response.content.decode()


def test_the_owner_of_a_closed_lead_can_still_add_a_note(rep, other_rep, client_for):
    lead = LeadFactory(status=LeadState.WON, owner=rep, closed_at=timezone.now())
    client = client_for(rep)
    page = client.get(reverse("pools:lead_detail", args=[lead.pk])).content.decode()
    assert "<h2>Notes</h2>" in page and 'name="text"' in page
    assert "Work this lead" not in page and "Log touch" not in page
    response = client.post(url("note", lead), {"text": "Invoice sent"}, **HTMX)
    assert response.status_code == 200
    assert lead.events.filter(kind=LeadEvent.Kind.NOTE, reason="Invoice sent").exists()


def test_lead_page_shows_the_leads_own_time(client_for, rep):
    lead = LeadFactory(status=LeadState.ASSIGNED, owner=rep, country="BR", state="AM")
    html = client_for(rep).get(f"/leads/{lead.pk}/").content.decode()
    manaus = timezone.now().astimezone(zoneinfo.ZoneInfo("America/Manaus"))
    shown = re.search(r'id="lead-local-time">(\w{3} \d\d:\d\d) <span[^>]*>in ([^<]+)<', html)
    assert shown.group(2) == "Manaus"
    assert shown.group(1) in {
        (manaus - timedelta(minutes=m)).strftime("%a %H:%M")
        for m in (0, 1)  # a minute turned
    }
    unknown = LeadFactory(status=LeadState.ASSIGNED, owner=rep, country="")
    assert "lead-local-time" not in client_for(rep).get(f"/leads/{unknown.pk}/").content.decode()


def qualified(c, lead):
    c.post(url("dispose", lead), {"disposition": "contacted"})
    c.post(url("dispose", lead), {"disposition": "qualified"})


def test_won_value_is_read_in_the_teams_decimal_comma(rep, team, client_for, lead):
    team.number_format, team.currency = ",", "BRL"
    team.save()
    c = client_for(rep)
    page = c.get(url("lead_detail", lead)).content.decode()
    assert "Won value (R$)" in page and "e.g. 1.234,56" in page
    qualified(c, lead)
    # The browser says English; the team's format decides.
    c.post(
        url("dispose", lead),
        {"disposition": "won", "won_value": "12.500,00"},
        HTTP_ACCEPT_LANGUAGE="en-US",
        **HTMX,
    )
    lead.refresh_from_db()
    assert lead.status == LeadState.WON and lead.won_value == Decimal("12500.00")
    # The timeline says it as the team writes it, with the currency, and so do the details.
    assert lead.events.order_by("id").last().reason == "Won · R$ 12.500,00"
    lead.estimated_value = Decimal("1234.5")
    lead.save(update_fields=["estimated_value"])
    page = c.get(url("lead_detail", lead)).content.decode()
    assert "<dt>Est. value</dt><dd>R$ 1.234,50</dd>" in page
    assert "<dt>Won value</dt><dd>R$ 12.500,00</dd>" in page


def test_ambiguous_won_value_is_refused_in_the_page_keeping_what_was_typed(rep, client_for, lead):
    c = client_for(rep)
    qualified(c, lead)
    response = c.post(
        url("dispose", lead), {"disposition": "won", "won_value": "12.500"}, **HTMX
    )  # no team format, no browser language: 12.5 or 12500?
    page = response.content.decode()
    assert response.status_code == 200 and "ambiguous" in page
    assert 'value="12.500"' in page and '<option value="won" selected>' in page
    lead.refresh_from_db()
    assert lead.status == LeadState.QUALIFIED and lead.won_value is None
    assert not lead.events.filter(reason__startswith="Won").exists()


def test_won_value_follows_the_browser_when_the_team_has_no_format(rep, client_for, lead):
    c = client_for(rep)
    qualified(c, lead)
    refused = c.post(
        url("dispose", lead),
        {"disposition": "won", "won_value": "12,500"},
        HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9",
    )  # 12,5 in Portuguese: three decimals is a thousands habit, not a price
    assert refused.status_code == 400 and "ambiguous" in refused.content.decode()
    assert 'value="12,500"' in refused.content.decode()
    c.post(
        url("dispose", lead),
        {"disposition": "won", "won_value": "12.500,00"},
        HTTP_ACCEPT_LANGUAGE="pt-BR,pt;q=0.9",
    )
    lead.refresh_from_db()
    assert lead.won_value == Decimal("12500.00")


@pytest.mark.parametrize(
    "typed, message",
    [
        ("9999999999.995", "must be between 0"),  # rounded to the cent, it would overflow
        ("12.3456", "more than two decimals"),  # never rounded silently
        ("10000000000", "must be between 0"),
        ("-5", "must be between 0"),
    ],
)
def test_a_won_value_past_the_columns_limit_is_refused_in_the_page(
    rep, client_for, lead, typed, message
):
    c = client_for(rep)
    qualified(c, lead)
    response = c.post(url("dispose", lead), {"disposition": "won", "won_value": typed}, **HTMX)
    assert response.status_code == 200 and message in response.content.decode()
    lead.refresh_from_db()
    assert lead.status == LeadState.QUALIFIED and lead.won_value is None


def test_the_largest_won_value_the_column_holds_is_kept_to_the_cent(rep, client_for, lead):
    c = client_for(rep)
    qualified(c, lead)
    c.post(url("dispose", lead), {"disposition": "won", "won_value": "9999999999.99"})
    lead.refresh_from_db()
    assert lead.status == LeadState.WON and lead.won_value == Decimal("9999999999.99")
