"""The notification page, the bell, e-mail preferences, and the admin's policy summary."""

import pytest
from django.urls import reverse

from routing.escalation.policies import policy_summary
from routing.models import EmailMute, Notification, SlaPolicy, SlaStep
from tests.factories import LeadFactory, PoolFactory, make_rep

pytestmark = pytest.mark.django_db
URL = reverse("routing:notifications")


def note(user, text="Lead A is waiting", **fields):
    return Notification.objects.create(user=user, kind="reminder", text=text, **fields)


def test_a_signed_out_visitor_is_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_each_person_sees_only_their_own_notifications(client_for, rep, other_rep):
    note(rep, "Mine")
    note(other_rep, "Theirs")
    page = client_for(rep).get(URL).content.decode()
    assert "Mine" in page and "Theirs" not in page


def test_the_list_page_refuses_a_post_and_serves_its_fragment_to_htmx(client_for, rep):
    note(rep, "Mine")
    client = client_for(rep)
    assert client.post(URL).status_code == 405
    fragment = client.get(URL, headers={"HX-Request": "true"}).content.decode()
    assert "Mine" in fragment and "<html" not in fragment and 'id="notification-list"' in fragment


def test_the_bell_shows_the_unread_count_on_every_page(client_for, rep):
    note(rep)
    note(rep)
    note(rep, read_at="2026-01-01T00:00Z")
    page = client_for(rep).get(reverse("pools:my_leads")).content.decode()
    assert 'id="notification-count" class="bell-count">2</span>' in page
    assert f'href="{URL}"' in page


def test_mark_all_read_marks_only_ones_own(client_for, rep, other_rep):
    note(rep)
    theirs = note(other_rep)
    client = client_for(rep)
    assert client.get(reverse("routing:notifications_read")).status_code == 405
    assert client.post(reverse("routing:notifications_read")).status_code == 302
    assert not Notification.objects.filter(user=rep, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_opening_a_notification_marks_it_read_and_goes_to_its_lead(client_for, rep, other_rep):
    lead = LeadFactory(owner=rep, status="assigned")
    mine, other = note(rep, lead=lead), note(rep, lead=lead)
    loose, theirs = note(rep), note(other_rep, lead=lead)
    client = client_for(rep)
    page = client.get(URL).content.decode()
    assert reverse("routing:notification_open", args=[mine.pk]) in page
    response = client.get(reverse("routing:notification_open", args=[mine.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("pools:lead_detail", args=[lead.pk])
    unread = set(Notification.objects.filter(read_at__isnull=True).values_list("pk", flat=True))
    assert unread == {other.pk, loose.pk, theirs.pk}  # that one only
    assert client.get(reverse("routing:notification_open", args=[loose.pk]))["Location"] == URL
    # A lead taken from the rep since: the list, not a 404.
    gone = note(rep, lead=LeadFactory(owner=other_rep, status="assigned"))
    assert client.get(reverse("routing:notification_open", args=[gone.pk]))["Location"] == URL
    # Another person's notification is not there to open (nor to mark).
    assert client.get(reverse("routing:notification_open", args=[theirs.pk])).status_code == 404
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_e_mail_preferences_mute_the_unticked_kinds_and_ignore_unknown_ones(client_for, rep):
    client = client_for(rep)
    response = client.post(
        reverse("routing:notifications_email"), {"kind": ["reminder", "bogus"]}, follow=True
    )
    assert "E-mail preferences saved." in response.content.decode()
    muted = set(EmailMute.objects.filter(user=rep).values_list("kind", flat=True))
    assert muted == {"reassigned_away", "reassigned_to"}  # a rep's kinds, less the ticked
    client.post(reverse("routing:notifications_email"), {"kind": Notification.Kind.values})
    assert not EmailMute.objects.filter(user=rep).exists()


def test_the_preferences_offer_only_the_kinds_that_can_reach_the_user(
    client_for, rep, manager, team
):
    """A rep was offered the managers' alerts and the admins' webhook notices."""
    rep_page = client_for(rep).get(reverse("routing:notifications")).content.decode()
    assert 'value="reminder"' in rep_page and 'value="manager_alert"' not in rep_page
    assert 'value="webhook_paused"' not in rep_page
    page = client_for(manager).get(reverse("routing:notifications")).content.decode()
    assert 'value="manager_alert"' in page and 'value="webhook_paused"' in page
    assert 'value="reminder"' not in page
    # By whom the senders write to, not by group: a team's listed manager gets its alerts.
    listed = make_rep(team=team)
    team.managers.add(listed)
    page = client_for(listed).get(reverse("routing:notifications")).content.decode()
    assert 'value="reminder"' in page and 'value="manager_alert"' in page
    # Saving keeps the choices of kinds the form did not offer.
    EmailMute.objects.create(user=manager, kind="reminder")
    client_for(manager).post(reverse("routing:notifications_email"), {"kind": []})
    muted = set(EmailMute.objects.filter(user=manager).values_list("kind", flat=True))
    assert muted == {"reminder", "manager_alert", "webhook_paused"}


def test_the_admin_summarises_a_policy_in_plain_words(team, admin_user, client_for):
    pool = PoolFactory(team=team, name="Second chance")
    policy = SlaPolicy.objects.create(
        name="Hot leads", team=team, min_score=70, working_hours_only=True, max_reassignments=2
    )
    for minutes, action, p in (
        (15, SlaStep.Action.REMIND, None),
        (30, SlaStep.Action.REASSIGN, None),
        (120, SlaStep.Action.POOL, pool),
        (1440, SlaStep.Action.NOTIFY_MANAGER, None),
    ):
        SlaStep.objects.create(policy=policy, after_minutes=minutes, action=action, pool=p)
    text = policy_summary(policy)
    assert text == (
        f"For leads of {team} scoring 70 or more: after 15 min of working time untouched, "
        "remind the owner; after 30 min of working time untouched, reassign to the next "
        "eligible rep by the lead's rule; after 2 hours of working time untouched, send it "
        "back to pool Second chance; after 1 day of working time untouched, notify the team's "
        "managers. After 2 reassignments the lead parks in the skim queue. Only the owner's "
        "working hours count, in their time zone."
    )
    page = client_for(admin_user).get(reverse("admin:routing_slapolicy_changelist"))
    assert page.status_code == 200 and "remind the owner" in page.content.decode()
