"""The JSON intake API: auth, validation, idempotency, dedupe, rate limit, hand-off."""

import json
import threading
import time
import types

import pytest
from django.db import connection
from django.test import Client

from pools.capture.apikeys import apikey_create, apikey_revoke
from pools.lifecycle import LeadState
from pools.models import ApiKey, IdempotencyKey, Lead, LeadEvent, LeadSource
from tests.factories import LeadFactory, LeadSourceFactory

pytestmark = pytest.mark.django_db

ANA = {
    "first_name": "Ana",
    "last_name": "Souza",
    "email": "Ana@Example.COM",
    "phone": "(11) 91234-5678",
    "country": "Brazil",
    "company": "Acme",
}


def errors(response) -> dict:
    """{"field": "message"} from ninja's 422 body."""
    return {str(e["loc"][-1]): e["msg"] for e in response.json()["detail"]}


def test_post_creates_lead_normalised_and_routed(
    api, source, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post_json("/api/leads", {**ANA, "utm_source": "google", "seats": 12})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outcome"] == "created" and body["state"] == LeadState.NEW
    assert response["Server-Timing"].startswith("app;dur=")
    lead = Lead.objects.get(pk=body["id"])
    assert lead.email == "ana@example.com"
    assert lead.phone == "+5511912345678"
    assert lead.country == "BR"
    assert lead.source == source and lead.team == source.team
    assert lead.attributes == {"utm_source": "google", "seats": 12}
    # The intake task ran on commit (eagerly here): screened, then the team default pool.
    assert lead.status == LeadState.POOLED


def test_get_reads_back_only_own_sources_leads(api, source):
    lead_id = api.post_json("/api/leads", ANA).json()["id"]
    response = api.get(f"/api/leads/{lead_id}")
    assert response.status_code == 200 and response.json()["id"] == lead_id
    other = LeadFactory()
    assert api.get(f"/api/leads/{other.pk}").status_code == 404
    assert api.get("/api/leads/99999999999999999999").status_code == 422


@pytest.mark.parametrize("header", [None, "Bearer nope", "Token abc", "Bearer lr_unknown"])
def test_missing_or_bad_key_gets_401_json(source, header):
    client = Client(**({"HTTP_AUTHORIZATION": header} if header else {}))
    response = client.post("/api/leads", json.dumps(ANA), content_type="application/json")
    assert response.status_code == 401
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Unauthorized"}
    assert not Lead.objects.exists()


def test_revoked_key_gets_401(api, api_key):
    apikey_revoke(api_key=ApiKey.objects.get())
    assert api.post_json("/api/leads", ANA).status_code == 401


def test_key_used_then_revoked_gets_401_on_the_next_request(api, api_key):
    assert api.post_json("/api/leads", ANA).status_code == 201
    apikey_revoke(api_key=ApiKey.objects.get())
    assert api.post_json("/api/leads", {"email": "next@x.io"}).status_code == 401


def test_key_is_stored_hashed(source):
    stored, raw = apikey_create(source=source)
    assert raw not in json.dumps(list(ApiKey.objects.values()), default=str)
    assert raw.startswith(stored.prefix)


def test_wrong_method_is_405(api):
    assert api.delete("/api/leads").status_code == 405


@pytest.mark.parametrize(
    "payload, field, message",
    [
        ({"first_name": "No contact"}, "payload", "e-mail or a phone"),
        ({"email": "not-an-email"}, "email", "not a valid e-mail"),
        ({"phone": "12345"}, "phone", "international form"),
        ({"phone": "+1 555"}, "phone", "phone number"),
        ({"email": "a@b.co", "country": "Atlantis"}, "country", "not a country"),
        ({"email": "a@b.co", "company": "x" * 201}, "company", "at most 200"),
        ({"email": "a@b.co", "estimated_value": -1}, "estimated_value", "must be between 0"),
        ({"email": "a@b.co", "estimated_value": 1e20}, "estimated_value", "must be between 0"),
        ({"email": "a@b.co", "estimated_value": "1e20"}, "estimated_value", "not an amount"),
        ({"email": "a@b.co", "estimated_value": "12.500"}, "estimated_value", "ambiguous"),
        ({"email": "a@b.co", "estimated_value": "12,500"}, "estimated_value", "ambiguous"),
        ({"email": "a@b.co", "estimated_value": 12.345}, "estimated_value", "two decimals"),
        ({"email": "a@b.co", "first_name": 12}, "first_name", "string"),
        ({"email": "a@b.co", **{f"k{i}": i for i in range(51)}}, "attributes", "At most 50"),
    ],
)
def test_validation_errors_are_field_level(api, payload, field, message):
    response = api.post_json("/api/leads", payload)
    assert response.status_code == 422, response.content
    assert field in errors(response), response.json()
    assert message in errors(response)[field]
    assert not any(m.startswith("Value error") for m in errors(response).values())
    assert not Lead.objects.exists()


@pytest.mark.parametrize("body", ["[1, 2]", "null", '"ana@x.io"', "42"])
def test_a_body_that_is_not_a_json_object_says_so(api, api_key, client, body):
    response = api.post_json("/api/leads", body)
    assert response.status_code == 422
    assert "must be a JSON object" in str(response.json()["detail"]), response.json()
    # Ninja reads the body as JSON whatever its content type says: told the same.
    plain = client.post(
        "/api/leads", body, content_type="text/plain", HTTP_AUTHORIZATION=f"Bearer {api_key}"
    )
    assert "must be a JSON object" in str(plain.json()["detail"]), plain.json()
    assert not Lead.objects.exists()


def test_malformed_json_is_a_client_error(api):
    response = api.post_json("/api/leads", "{not json")
    assert 400 <= response.status_code < 500


def test_country_names_and_codes_map_to_alpha2(api):
    for i, name in enumerate(["United Kingdom", "usa", "DEU", "br", "Brasil"]):
        api.post_json("/api/leads", {"email": f"c{i}@x.io", "country": name})
    assert list(Lead.objects.order_by("id").values_list("country", flat=True)) == [
        "GB",
        "US",
        "DE",
        "BR",
        "BR",
    ]


def test_a_region_is_stored_as_its_letter_code_in_the_leads_country(api):
    """One spelling, so a territory or rule naming SP meets every São Paulo lead."""
    for i, (country, state) in enumerate(
        [
            ("BR", "São Paulo"),
            ("Brazil", "sao  paulo"),
            ("BR", "BR-RJ"),
            ("US", "california"),
            ("US", "Gotham"),  # not a region of the country: as written
            ("PT", "Lisboa"),  # a number code (PT-11) says less than the name
            ("", "São Paulo"),  # no country to read it in
        ]
    ):
        api.post_json("/api/leads", {"email": f"s{i}@x.io", "country": country, "state": state})
    assert list(Lead.objects.order_by("id").values_list("state", flat=True)) == [
        "SP",
        "SP",
        "RJ",
        "CA",
        "Gotham",
        "Lisboa",
        "São Paulo",
    ]


def test_a_region_without_a_country_is_read_in_the_sources_default_country(api, source):
    LeadSource.objects.filter(pk=source.pk).update(default_country="BR")  # before any post
    api.post_json("/api/leads", {"email": "n@x.io", "state": "Minas Gerais"})
    assert Lead.objects.get().state == "MG"


def test_nul_bytes_and_surrogates_are_cleaned_not_500(api):
    response = api.post_json(
        "/api/leads", '{"email": "z@x.io", "company": "A\\u0000B", "note": "x\\ud800y"}'
    )
    assert response.status_code == 201
    lead = Lead.objects.get()
    assert lead.company == "AB" and lead.attributes["note"] == "x?y"


def test_unknown_fields_are_kept_as_attributes_and_named_in_the_answer(api):
    response = api.post_json(
        "/api/leads",
        {"email": "u@x.io", "compnay": "Acme", "seats": 12, "attributes": {"plan": "pro"}},
    )
    assert response.status_code == 201
    assert response.json()["unknown_fields"] == ["compnay", "seats"]
    lead = Lead.objects.get()
    assert lead.company == "" and lead.attributes == {"compnay": "Acme", "seats": 12, "plan": "pro"}
    read = api.get(f"/api/leads/{lead.pk}")
    assert read.json()["unknown_fields"] == []  # a property of a post, not of the lead
    clean = api.post_json("/api/leads", {"email": "k@x.io", "company": "Acme"})
    assert clean.json()["unknown_fields"] == []


def test_same_external_id_returns_original(api):
    first = api.post_json("/api/leads", {**ANA, "external_id": "crm-1"})
    again = api.post_json("/api/leads", {"email": "other@x.io", "external_id": "crm-1"})
    assert first.status_code == 201 and again.status_code == 200
    assert again.json()["id"] == first.json()["id"] and again.json()["outcome"] == "replayed"
    assert Lead.objects.count() == 1


def test_a_merged_inquiry_posted_again_is_replayed_not_logged_twice(api):
    first = api.post_json("/api/leads", ANA).json()
    inquiry = {"email": "ana@example.com", "external_id": "crm-9"}
    merged = api.post_json("/api/leads", inquiry).json()
    again = api.post_json("/api/leads", inquiry).json()
    assert merged["id"] == again["id"] == first["id"]
    assert (merged["outcome"], again["outcome"]) == ("merged", "replayed")
    assert LeadEvent.objects.filter(kind=LeadEvent.Kind.INQUIRY).count() == 1


def test_the_idempotency_key_wins_over_another_leads_external_id(api):
    keyed = api.post_json("/api/leads", {"email": "k@x.io"}, HTTP_IDEMPOTENCY_KEY="k-7").json()
    api.post_json("/api/leads", {"email": "e@x.io", "external_id": "crm-7"})
    both = api.post_json(
        "/api/leads", {"email": "b@x.io", "external_id": "crm-7"}, HTTP_IDEMPOTENCY_KEY="k-7"
    ).json()
    assert (both["id"], both["outcome"]) == (keyed["id"], "replayed")


def test_an_external_id_replays_only_within_its_source(api, source):
    other = LeadSourceFactory(team=source.team)
    LeadFactory(source=other, external_id="crm-8", email="elsewhere@x.io")
    response = api.post_json("/api/leads", {"email": "here@x.io", "external_id": "crm-8"})
    assert response.status_code == 201


def test_idempotency_key_header_returns_original(api):
    first = api.post_json("/api/leads", ANA, HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post_json("/api/leads", {"email": "else@x.io"}, HTTP_IDEMPOTENCY_KEY="k-1")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert IdempotencyKey.objects.get().key == "k-1"


def test_the_same_idempotency_key_from_two_sources_makes_two_leads(api, source):
    """A key is the sender's own: another source that happens to use the same one gets
    its own lead, and learns nothing of the first."""
    other = Client(
        HTTP_AUTHORIZATION=f"Bearer {apikey_create(source=LeadSourceFactory(team=source.team))[1]}"
    )
    first = api.post_json("/api/leads", {"email": "one@x.io"}, HTTP_IDEMPOTENCY_KEY="k-1")
    second = other.post(
        "/api/leads",
        json.dumps({"email": "two@x.io"}),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-1",
    )
    assert (first.status_code, second.status_code) == (201, 201)
    assert first.json()["id"] != second.json()["id"]
    assert IdempotencyKey.objects.filter(key="k-1").count() == 2


def test_open_duplicate_is_merged_as_inquiry(api):
    first = api.post_json("/api/leads", ANA).json()
    again = api.post_json("/api/leads", {"phone": "+55 11 91234-5678", "company": "Acme 2"})
    assert again.status_code == 200
    assert again.json()["id"] == first["id"]
    assert again.json()["outcome"] == "merged"
    assert Lead.objects.count() == 1
    inquiry = LeadEvent.objects.get(kind=LeadEvent.Kind.INQUIRY)
    assert inquiry.data["fields"]["company"] == "Acme 2"


@pytest.mark.parametrize("whose", ["another source of the team", "another team"])
def test_a_sources_key_learns_nothing_of_another_sources_leads(api, source, other_team, whose):
    """The answer to a post names the lead it joined: a key may only ever join its own
    source's leads, or it could probe who is already a lead elsewhere."""
    elsewhere = LeadSourceFactory(
        name="Vendor B",
        slug="vendor-b",
        team=source.team if whose == "another source of the team" else other_team,
    )
    theirs = LeadFactory(
        source=elsewhere,
        team=elsewhere.team,
        email="ana@example.com",
        external_id="their-secret-id",
        status=LeadState.NEW,
    )
    response = api.post_json("/api/leads", ANA)
    body = response.json()
    assert response.status_code == 201 and body["outcome"] == "created"
    assert body["id"] != theirs.pk and "their-secret-id" not in response.content.decode()
    assert not theirs.events.filter(kind=LeadEvent.Kind.INQUIRY).exists()
    mine = Lead.objects.get(pk=body["id"])
    assert mine.source == source and mine.email == "ana@example.com"


def test_a_lead_routed_to_another_team_is_still_joined_by_its_sources_repeat(
    api, source, other_team
):
    """Routing may hand a lead to another team's rule or rep; the inquiry stream is still
    its source's, so a repeat finds it."""
    first = api.post_json("/api/leads", ANA).json()
    Lead.objects.filter(pk=first["id"]).update(team=other_team)  # as a placement does
    again = api.post_json("/api/leads", {"email": "ana@example.com", "company": "Acme 2"})
    assert again.status_code == 200 and again.json()["id"] == first["id"]
    assert again.json()["outcome"] == "merged" and Lead.objects.count() == 1


def test_a_phone_shared_by_someone_else_makes_a_new_lead_not_a_repeat(api):
    """Another name and another e-mail on the same phone: a household, a switchboard."""
    first = api.post_json("/api/leads", ANA).json()
    other = {"first_name": "Bruno", "last_name": "Lima", "email": "bruno@example.com"}
    again = api.post_json("/api/leads", {**other, "phone": "+55 11 91234-5678"})
    assert again.status_code == 201 and again.json()["id"] != first["id"]
    assert not LeadEvent.objects.filter(kind=LeadEvent.Kind.INQUIRY).exists()


def test_a_phone_match_under_the_same_name_is_a_repeat_whatever_the_case(api):
    first = api.post_json("/api/leads", ANA).json()
    again = api.post_json(
        "/api/leads", {"first_name": " ana ", "last_name": "SOUZA", "phone": "+55 11 91234-5678"}
    )
    assert again.json() == {**again.json(), "id": first["id"], "outcome": "merged"}


def test_another_name_on_the_same_phone_is_a_new_lead_even_without_an_e_mail(api):
    first = api.post_json("/api/leads", ANA).json()
    again = api.post_json("/api/leads", {"first_name": "Bruno", "phone": "+55 11 91234-5678"})
    assert again.status_code == 201 and again.json()["id"] != first["id"]


def test_the_same_e_mail_is_a_repeat_whatever_the_name(api):
    first = api.post_json("/api/leads", ANA).json()
    again = api.post_json("/api/leads", {"first_name": "Aninha", "email": ANA["email"]})
    assert again.json()["id"] == first["id"] and again.json()["outcome"] == "merged"


def test_closed_or_old_lead_is_not_a_duplicate(api, settings):
    LeadFactory(email="ana@example.com", phone="", status=LeadState.REJECTED)
    assert api.post_json("/api/leads", {"email": "ana@example.com"}).status_code == 201
    settings.DEDUPE_WINDOW_DAYS = 0
    assert api.post_json("/api/leads", {"email": "ana@example.com"}).status_code == 201


def test_a_blank_contact_field_never_matches_another_blank_one(api):
    LeadFactory(email="", phone="+5511912345678")
    LeadFactory(email="someone@x.io", phone="")
    assert api.post_json("/api/leads", {"email": "new@x.io"}).json()["outcome"] == "created"
    assert api.post_json("/api/leads", {"phone": "+5511987654321"}).json()["outcome"] == "created"


@pytest.fixture
def frozen_minute(monkeypatch):
    """The limiter's clock stopped mid-minute: a test must not straddle two windows."""
    from pools.capture import ratelimit

    now = (time.time() // 60) * 60 + 30
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now))


def test_rate_limit_gives_429_with_retry_after(api, settings, frozen_minute):
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    codes = [api.post_json("/api/leads", {"email": f"r{i}@x.io"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]
    response = api.get("/api/leads/1")
    assert response.status_code == 429
    assert int(response["Retry-After"]) == 30
    assert "Rate limit" in response.json()["detail"]


def test_with_redis_away_the_rate_limit_still_holds_per_process(
    api, settings, frozen_minute, monkeypatch
):
    import redis

    from pools.capture import ratelimit

    dead = redis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    monkeypatch.setattr(ratelimit, "redis_client", lambda: dead)  # nothing listens on 1
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    codes = [api.post_json("/api/leads", {"email": f"d{i}@x.io"}).status_code for i in range(3)]
    assert codes == [201, 201, 429]


def test_post_runs_constant_queries(api, queries_of):
    for i in range(3):
        api.post_json("/api/leads", {"email": f"warm{i}@x.io"})

    def post(n: int) -> int:
        return queries_of(
            lambda: api.post_json("/api/leads", {"email": f"q{n}@x.io", "external_id": f"e{n}"})
        )

    few = post(1)
    assert few <= 12
    LeadFactory.create_batch(40)
    assert post(2) == few


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("same", ["external_id", "idempotency_key", "email"])
def test_twenty_parallel_identical_posts_make_one_lead(source, api_key, same):
    payload = {"email": "race@x.io", "first_name": "Race"}
    headers = {"HTTP_AUTHORIZATION": f"Bearer {api_key}"}
    if same == "external_id":
        payload = {"email": "race@x.io", "external_id": "ext-race"}
    if same == "idempotency_key":
        headers["HTTP_IDEMPOTENCY_KEY"] = "idem-race"
    results, barrier = [], threading.Barrier(20)

    def post():
        try:
            barrier.wait()
            response = Client(**headers).post(
                "/api/leads", json.dumps(payload), content_type="application/json"
            )
            results.append((response.status_code, response.json()["id"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=post) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert Lead.objects.count() == 1
    assert sorted(code for code, _ in results) == [200] * 19 + [201]
    assert {lead_id for _, lead_id in results} == {Lead.objects.get().pk}


@pytest.mark.parametrize(
    "sent, stored",
    [
        (12500.5, "12500.50"),
        (12500, "12500.00"),
        ("12500.50", "12500.50"),
        ("12.500,00", "12500.00"),
    ],
)
def test_estimated_value_numbers_and_unambiguous_strings(api, sent, stored):
    response = api.post_json("/api/leads", {"email": "v@b.co", "estimated_value": sent})
    assert response.status_code == 201, response.content
    assert str(Lead.objects.get(pk=response.json()["id"]).estimated_value) == stored


def test_ambiguous_estimated_value_string_creates_no_lead(api):
    response = api.post_json("/api/leads", {"email": "v@b.co", "estimated_value": "12.500"})
    assert response.status_code == 422
    assert "ambiguous" in errors(response)["estimated_value"]
    assert not Lead.objects.filter(email="v@b.co").exists()


@pytest.mark.parametrize(
    "body, message",
    [
        ('{"email": "n@x.io", "attributes": {"x": 1e999}}', "finite: x is not"),
        ('{"email": "n@x.io", "attributes": {"deep": [{"y": -1e999}]}}', "deep.0.y is not"),
        ('{"email": "n@x.io", "budget": Infinity}', "budget is not"),
        ('{"email": "n@x.io", "attributes": {"x": NaN}}', "finite"),
        ('{"email": "n@x.io", "estimated_value": 1e999}', "An amount must be between"),
        ('{"email": "n@x.io", "estimated_value": NaN}', "An amount must be between"),
    ],
)
def test_a_number_json_cannot_carry_is_refused_by_name_not_a_500(api, body, message):
    # Python's json reads 1e999 as inf and accepts the non-standard NaN and Infinity;
    # PostgreSQL's jsonb and numeric columns refuse them, which was a 500.
    response = api.post_json("/api/leads", body)
    assert response.status_code == 422, response.content
    assert message in json.dumps(response.json()), response.json()
    assert not Lead.objects.exists()


def test_a_body_over_the_documented_limit_is_refused_with_json_not_a_500(api, settings):
    body = json.dumps({"email": "big@x.io", "notes": "x" * settings.DATA_UPLOAD_MAX_MEMORY_SIZE})
    response = api.post_json("/api/leads", body)
    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert not Lead.objects.exists()
