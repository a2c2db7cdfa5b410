"""API keys from the command line and the admin."""

import io
import re

import pytest
from django.core.management import CommandError, call_command

from pools.capture.apikeys import apikey_authenticate, apikey_create
from pools.models import ApiKey, LeadSource
from tests.factories import LeadSourceFactory

pytestmark = pytest.mark.django_db


def test_command_creates_prints_once_lists_and_revokes(source):
    out = io.StringIO()
    call_command("apikey", "create", "--source", "Website", stdout=out, stderr=io.StringIO())
    raw = out.getvalue().strip()
    assert apikey_authenticate(raw=raw).source == source
    listing = io.StringIO()
    call_command("apikey", "list", stdout=listing)
    assert raw not in listing.getvalue() and raw[:11] in listing.getvalue()
    call_command("apikey", "revoke", raw[:11], stdout=io.StringIO())
    assert apikey_authenticate(raw=raw) is None


def test_command_rejects_unknown_source_naming_the_ones_that_exist(source):
    with pytest.raises(CommandError, match="No lead source named “nope”. Sources: “Website”"):
        call_command("apikey", "create", "--source", "nope")
    assert not ApiKey.objects.exists()


def test_command_on_an_empty_database_says_how_to_create_the_source(db):
    with pytest.raises(CommandError, match="no source yet.*--create-source"):
        call_command("apikey", "create", "--source", "Organic search")


def test_command_creates_the_missing_source_when_asked(db):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "apikey", "create", "--source", "Organic search", "--create-source", stdout=out, stderr=err
    )
    key = apikey_authenticate(raw=out.getvalue().strip())
    assert (key.source.name, key.source.slug) == ("Organic search", "organic-search")
    assert "Created the lead source" in err.getvalue()


def test_command_will_not_create_a_source_whose_address_is_taken(source):
    with pytest.raises(CommandError, match="share its address with “Website”"):
        call_command("apikey", "create", "--source", "Website!", "--create-source")
    assert LeadSource.objects.count() == 1 and not ApiKey.objects.exists()


def test_command_finds_a_source_whatever_the_case(source):
    out = io.StringIO()
    call_command("apikey", "create", "--source", "website", stdout=out, stderr=io.StringIO())
    assert apikey_authenticate(raw=out.getvalue().strip()).source == source


def test_admin_add_shows_key_once_on_its_page_and_revoke_action(admin_user, client_for, source):
    client = client_for(admin_user)
    form = client.get("/admin/pools/apikey/add/").content.decode()
    once = re.search(r'name="once" value="([^"]+)"', form)[1]
    # Sent back for a missing source, the same form (same token) still makes its key.
    missing = client.post("/admin/pools/apikey/add/", {"name": "site", "once": once})
    assert missing.status_code == 200 and "This field is required" in missing.content.decode()
    sent = {"source": source.pk, "name": "site", "once": once}
    response = client.post("/admin/pools/apikey/add/", sent)
    key = ApiKey.objects.get()
    assert response.status_code == 200 and "cannot be shown again" in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    raw = re.search(r'id="new-api-key"[^>]*value="([^"]+)"', response.content.decode())[1]
    assert apikey_authenticate(raw=raw) == key
    # Not through the messages framework, whose cookie is signed, not encrypted.
    assert raw not in str(response.cookies)
    assert raw not in client.get("/admin/pools/apikey/").content.decode()
    # The same form sent again (a reload of the key's page) makes no second key.
    again = client.post("/admin/pools/apikey/add/", sent)
    assert again.status_code == 200 and "This form was sent already" in again.content.decode()
    assert ApiKey.objects.count() == 1
    client.post("/admin/pools/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert apikey_authenticate(raw=raw) is None


def test_admin_cannot_move_a_key_to_another_source(admin_user, client_for, source):
    other = LeadSourceFactory()
    key, raw = apikey_create(source=source)
    client = client_for(admin_user)
    url = f"/admin/pools/apikey/{key.pk}/change/"
    assert 'name="source"' not in client.get(url).content.decode()
    client.post(url, {"source": other.pk, "name": "renamed"})
    key.refresh_from_db()
    assert key.name == "renamed" and key.source == source
    assert apikey_authenticate(raw=raw).source == source
