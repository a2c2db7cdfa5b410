"""The webhooks' admin: the secret shown once (adding, rotating), the mapping validated,
and tried against a pasted sample with nothing stored."""

import json
import re

import pytest

from pools.capture.webhooks.secrets import hook_secret_matches
from pools.models import InboundHook, Lead
from tests.pools.capture.webhooks.conftest import MAPPING

pytestmark = pytest.mark.django_db

SAMPLE = {
    "submission": {"id": "sub_1"},
    "contact": {
        "name": "Ana Maria Souza",
        "emails": [{"value": "ana@example.com"}],
        "phones": [{"number": "+55 11 91234-5678"}],
    },
    "company": {"name": "Acme"},
    "answers": {"seats": 12},
}


@pytest.fixture
def admin(client_for, admin_user):
    return client_for(admin_user)


def _secret(response) -> str:
    return re.search(r'id="hook-secret"[^>]*value="([^"]+)"', response.content.decode())[1]


def test_adding_a_hook_shows_its_secret_once_and_stores_only_a_hash(admin, source):
    response = admin.post(
        "/admin/pools/inboundhook/add/",
        {"source": source.pk, "kind": "google_ads", "is_active": "on", "mapping": "{}"},
    )
    assert response.status_code == 200, response.content[:2000]
    raw = _secret(response)
    assert "/api/hooks/google-ads/website" in response.content.decode()
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    hook = InboundHook.objects.get()
    assert raw not in (hook.secret_hash, hook.secret_prefix) and hook_secret_matches(
        hook=hook, given=raw
    )
    # The change page never shows it again.
    assert raw not in admin.get(f"/admin/pools/inboundhook/{hook.pk}/change/").content.decode()


def test_rotating_asks_first_then_shows_the_new_secret_and_the_old_stops(admin, google_hook):
    hook, old = google_hook
    url = f"/admin/pools/inboundhook/{hook.pk}/rotate/"
    assert "Rotate the secret" in admin.get(url).content.decode()
    hook.refresh_from_db()
    assert hook_secret_matches(hook=hook, given=old)  # a GET changes nothing
    new = _secret(admin.post(url))
    hook.refresh_from_db()
    assert hook_secret_matches(hook=hook, given=new) and not hook_secret_matches(
        hook=hook, given=old
    )


def test_a_bad_mapping_is_refused_with_clear_errors(admin, source):
    response = admin.post(
        "/admin/pools/inboundhook/add/",
        {
            "source": source.pk,
            "kind": "mapped_json",
            "is_active": "on",
            "mapping": json.dumps({"contact..email": "email", "x": "emial"}),
        },
    )
    page = response.content.decode()
    assert response.status_code == 200 and not InboundHook.objects.exists()
    assert "is not a dotted path" in page and "“emial” is not a lead field" in page
    # Not JSON at all: that alone is said, not also "map a path to email or phone".
    sent = {"source": source.pk, "kind": "mapped_json", "is_active": "on", "mapping": "{oops"}
    errors = admin.post("/admin/pools/inboundhook/add/", sent).context["adminform"].form.errors
    assert list(errors) == ["mapping"] and len(errors["mapping"]) == 1


def test_the_mapping_page_shows_what_a_sample_becomes_and_stores_nothing(admin, json_hook):
    hook, _ = json_hook
    url = f"/admin/pools/inboundhook/{hook.pk}/mapping/"
    page = admin.get(url).content.decode()
    assert "contact.emails.0.value" in page
    edited = {**MAPPING, "submission.id": "attributes.submission"}
    response = admin.post(
        url, {"mapping": json.dumps(edited), "sample": json.dumps(SAMPLE), "_test": "1"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert (
        "This sample becomes: name Ana Maria Souza, e-mail ana@example.com, "
        "phone +5511912345678, company Acme" in page
    )
    assert "&quot;submission&quot;: &quot;sub_1&quot;" in page  # now an attribute
    assert "Not in this sample:" in page and "answers.budget" in page
    hook.refresh_from_db()
    assert hook.mapping == MAPPING and not Lead.objects.exists()


def test_the_mapping_page_shows_the_senders_errors_for_a_bad_sample(admin, json_hook):
    hook, _ = json_hook
    url = f"/admin/pools/inboundhook/{hook.pk}/mapping/"
    bad = {**SAMPLE, "contact": {"emails": [{"value": "nope"}]}}
    page = admin.post(
        url, {"mapping": json.dumps(MAPPING), "sample": json.dumps(bad), "_test": "1"}
    ).content.decode()
    assert "This sample would be refused (422)" in page
    assert "contact.emails.0.value:" in page and "not a valid e-mail address" in page
    page = admin.post(
        url, {"mapping": json.dumps(MAPPING), "sample": "{oops", "_test": "1"}
    ).content.decode()
    assert "sample: not valid JSON" in page


def test_saving_the_mapping_validates_it_first(admin, json_hook):
    hook, _ = json_hook
    url = f"/admin/pools/inboundhook/{hook.pk}/mapping/"
    page = admin.post(url, {"mapping": '{"a b": "email"}', "_save": "1"}).content.decode()
    assert "is not a dotted path" in page
    hook.refresh_from_db()
    assert hook.mapping == MAPPING
    response = admin.post(url, {"mapping": '{"who.mail": "email"}', "_save": "1"})
    assert response.status_code == 302
    hook.refresh_from_db()
    assert hook.mapping == {"who.mail": "email"}


@pytest.mark.parametrize("who", ["manager", "rep", None])
def test_only_admins_reach_the_webhook_admin(client_for, json_hook, who, request):
    from django.test import Client

    hook, _ = json_hook
    client = client_for(request.getfixturevalue(who)) if who else Client()
    for url in (
        f"/admin/pools/inboundhook/{hook.pk}/mapping/",
        f"/admin/pools/inboundhook/{hook.pk}/rotate/",
    ):
        response = client.post(url, {"mapping": "{}", "_save": "1"})
        assert response.status_code == 302 and "/admin/login/" in response["Location"]
    hook.refresh_from_db()
    assert hook.mapping == MAPPING
