"""API keys from the command line and the admin."""

import io

import pytest
from django.core.management import CommandError, call_command

from pools.capture.apikeys import apikey_authenticate
from pools.models import ApiKey, LeadSource

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


def test_admin_add_shows_key_once_and_revoke_action(admin_user, client_for, source):
    client = client_for(admin_user)
    response = client.post(
        "/admin/pools/apikey/add/", {"source": source.pk, "name": "site"}, follow=True
    )
    text = response.content.decode()
    assert "copy it now" in text
    key = ApiKey.objects.get()
    raw = text.split("will not be shown again): ")[1].split("<")[0].strip()
    assert apikey_authenticate(raw=raw) == key
    client.post("/admin/pools/apikey/", {"action": "revoke", "_selected_action": [key.pk]})
    assert apikey_authenticate(raw=raw) is None
