"""The admin pages: subscriptions (URL checked, the secret shown to copy, pause / resume /
rotate) and the delivery log (resend), with a constant number of queries."""

import pytest
from django.urls import reverse

from pools.services import lead_create
from routing.models import Notification, WebhookDelivery, WebhookSubscription
from routing.webhooks.events import WebhookType as T

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client_for, admin_user):
    return client_for(admin_user)


def test_an_admin_adds_a_subscription_and_sees_its_secret_to_copy(admin_client, team):
    url = reverse("admin:routing_webhooksubscription_add")
    response = admin_client.post(
        url,
        {
            "name": "HubSpot",
            "url": "https://crm.example.com/hooks/leadroute",
            "events": ["lead.created", "lead.won"],
            "team": team.pk,
        },
        follow=True,
    )
    assert response.status_code == 200
    sub = WebhookSubscription.objects.get()
    assert sub.events == ["lead.created", "lead.won"] and sub.team == team
    assert sub.secret.startswith("whsec_") and len(sub.secret) > 40
    page = admin_client.get(reverse("admin:routing_webhooksubscription_change", args=[sub.pk]))
    assert sub.secret in page.content.decode()


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("ftp://crm.example.com/x", "Enter a valid URL."),
        ("javascript:alert(1)", "Enter a valid URL."),
        ("not a url", "Enter a valid URL."),
    ],
)
def test_only_http_and_https_urls_are_taken(admin_client, url, error):
    response = admin_client.post(
        reverse("admin:routing_webhooksubscription_add"),
        {"name": "Bad", "url": url, "events": ["lead.created"]},
    )
    assert response.status_code == 200 and error in response.content.decode()
    assert not WebhookSubscription.objects.exists()


def test_a_subscription_needs_an_event(admin_client):
    response = admin_client.post(
        reverse("admin:routing_webhooksubscription_add"),
        {"name": "None", "url": "https://crm.example.com/x", "events": []},
    )
    assert response.status_code == 200 and "This field is required." in response.content.decode()


def test_pause_resume_and_rotate_from_the_list(admin_client, admin_user, subscribe):
    sub = subscribe("https://crm.example.com/x", [T.CREATED])
    changelist = reverse("admin:routing_webhooksubscription_changelist")
    old = sub.secret
    admin_client.post(changelist, {"action": "pause", "_selected_action": [sub.pk]})
    sub.refresh_from_db()
    assert sub.is_paused and sub.paused_reason == f"Paused by {admin_user.username}"
    # The admins answer for a subscription of every team: told, as for an automatic pause.
    assert Notification.objects.filter(kind="webhook_paused", user=admin_user).exists()
    page = admin_client.get(changelist).content.decode()
    assert sub.paused_reason in page
    admin_client.post(changelist, {"action": "resume", "_selected_action": [sub.pk]})
    admin_client.post(changelist, {"action": "rotate_secret", "_selected_action": [sub.pk]})
    sub.refresh_from_db()
    assert not sub.is_paused and sub.secret != old and sub.previous_secret == old


def test_the_delivery_log_lists_and_resends_with_constant_queries(
    admin_client, subscribe, team, django_assert_max_num_queries, queries_of
):
    subscribe("https://crm.example.com/x", [T.CREATED])
    changelist = reverse("admin:routing_webhookdelivery_changelist")
    lead_create(email="one@example.com", team=team)
    few = queries_of(lambda: admin_client.get(changelist))
    for i in range(20):
        lead_create(email=f"l{i}@example.com", team=team)
    many = queries_of(lambda: admin_client.get(changelist))
    assert few == many
    WebhookDelivery.objects.update(status="failed", next_attempt_at=None)
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True)[:3])
    response = admin_client.post(
        changelist, {"action": "resend", "_selected_action": ids}, follow=True
    )
    assert "3 queued to be sent again" in response.content.decode()
    assert WebhookDelivery.objects.filter(status="pending").count() == 3
    d = WebhookDelivery.objects.get(pk=ids[0])
    page = admin_client.get(reverse("admin:routing_webhookdelivery_change", args=[d.pk]))
    assert page.status_code == 200 and d.event_id_public in page.content.decode()


def test_a_manager_cannot_reach_the_webhook_admin(client_for, manager):
    response = client_for(manager).get(reverse("admin:routing_webhooksubscription_changelist"))
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
