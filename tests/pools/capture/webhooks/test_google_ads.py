"""The Google Ads lead form webhook: Google's documented payload, its key, its retries and
its test leads."""

import copy
import json

import pytest

from pools.capture.webhooks.secrets import hook_secret_rotate
from pools.lifecycle import LeadState
from pools.models import Lead, LeadEvent
from pools.screening.services import TEST_LEAD_REASON, lead_override_rejection
from pools.selectors import leads_unqualified_for
from reports.selectors import team_overview
from routing.models import RoutingDecision

pytestmark = pytest.mark.django_db

URL = "/api/hooks/google-ads/website"


def google_sample(key: str, **changes) -> dict:
    """A lead as Google's webhook documentation describes it (WebhookLead and its
    UserLeadColumnData), every standard column plus a custom question."""
    columns = [
        ("FULL_NAME", "Full Name", "Ana Maria Souza"),
        ("FIRST_NAME", "First Name", "Ana"),
        ("LAST_NAME", "Last Name", "Souza"),
        ("EMAIL", "User Email", "Ana.Souza@Example.com"),
        ("WORK_EMAIL", "Work Email", "ana@acme.example"),
        ("PHONE_NUMBER", "User Phone", "+55 11 91234-5678"),
        ("WORK_PHONE", "Work Phone", "+55 11 3333-4444"),
        ("POSTAL_CODE", "Postal Code", "01310-100"),
        ("CITY", "City", "São Paulo"),
        ("REGION", "Region", "SP"),
        ("COUNTRY", "Country", "Brazil"),
        ("COMPANY_NAME", "Company Name", "Acme Ltda"),
        ("JOB_TITLE", "Job Title", "Head of Sales"),
        ("Q_BUDGET_7", "What is your monthly budget?", "R$ 10k"),
    ]
    return {
        "lead_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz-0123456789",
        "user_column_data": [
            {"column_id": cid, "column_name": name, "string_value": value}
            for cid, name, value in columns
        ],
        "api_version": "1.0",
        "form_id": 40000000000,
        "campaign_id": 50000000000,
        "google_key": key,
        "is_test": False,
        "gcl_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz",
        "adgroup_id": 20000000000,
        "creative_id": 30000000000,
        "asset_group_id": 60000000000,
        "a_field_google_adds_later": {"ignored": True},
        **changes,
    }


def test_googles_sample_creates_the_lead_with_every_mapped_field(
    google_hook, post, eager_celery, django_capture_on_commit_callbacks
):
    _, key = google_hook
    with django_capture_on_commit_callbacks(execute=True):
        response = post(URL, google_sample(key))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["outcome"] == "created"
    lead = Lead.objects.get(pk=body["id"])
    # FIRST_NAME / LAST_NAME given: they win over the split FULL_NAME.
    assert (lead.first_name, lead.last_name) == ("Ana", "Souza")
    assert lead.email == "ana.souza@example.com"  # EMAIL before WORK_EMAIL
    assert lead.phone == "+5511912345678"  # PHONE_NUMBER before WORK_PHONE
    assert (lead.postal_code, lead.city, lead.state, lead.country) == (
        "01310-100",
        "São Paulo",
        "SP",
        "BR",
    )
    assert (lead.company, lead.title) == ("Acme Ltda", "Head of Sales")
    assert lead.campaign == "50000000000"
    assert lead.external_id.startswith("TeSter-123-") and not lead.is_test
    assert lead.attributes["What is your monthly budget?"] == "R$ 10k"
    assert lead.attributes["Work Email"] == "ana@acme.example"
    assert lead.attributes["Work Phone"] == "+55 11 3333-4444"
    assert lead.attributes["google_ads"] == {
        "lead_id": lead.external_id,
        "form_id": "40000000000",
        "campaign_id": "50000000000",
        "adgroup_id": "20000000000",
        "creative_id": "30000000000",
        "asset_group_id": "60000000000",
        "gcl_id": "TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ-abcdefghijklmnopqrstuvwxyz",
        "api_version": "1.0",
    }
    assert "a_field_google_adds_later" not in lead.attributes
    # Captured as the API captures: screened and routed after commit.
    assert lead.status == LeadState.POOLED
    created = LeadEvent.objects.get(lead=lead, kind=LeadEvent.Kind.CREATED)
    assert "Google Ads lead form" in created.reason


def test_full_name_alone_is_split_and_ids_may_come_as_strings(google_hook, post):
    _, key = google_hook
    sample = google_sample(key, form_id="40000000000", campaign_id="50000000000")
    sample["user_column_data"] = [
        {"column_id": "FULL_NAME", "string_value": "Ana Maria Souza"},
        {"column_id": "EMAIL", "string_value": "ana@example.com"},
    ]
    response = post(URL, sample)
    assert response.status_code == 200, response.content
    lead = Lead.objects.get()
    assert (lead.first_name, lead.last_name) == ("Ana", "Maria Souza")
    assert lead.attributes["google_ads"]["form_id"] == "40000000000"


@pytest.mark.parametrize("key", ["", "wrong", "lrw_" + "x" * 43, None])
def test_a_wrong_google_key_is_403_and_nothing_is_stored(google_hook, post, key):
    sample = google_sample(key or "")
    if key is None:
        del sample["google_key"]
    response = post(URL, sample)
    assert response.status_code == 403
    assert response.json() == {"detail": "Wrong key for this webhook."}
    assert not Lead.objects.exists() and not LeadEvent.objects.exists()


def test_a_rotated_secret_refuses_the_old_key(google_hook, post):
    hook, old = google_hook
    new = hook_secret_rotate(hook=hook)
    assert post(URL, google_sample(old)).status_code == 403
    assert post(URL, google_sample(new)).status_code == 200


def test_no_hook_or_an_inactive_one_is_404(google_hook, post):
    hook, key = google_hook
    assert post("/api/hooks/google-ads/nope", google_sample(key)).status_code == 404
    hook.is_active = False
    hook.save()
    assert post(URL, google_sample(key)).status_code == 404
    # The mapped JSON door of the same source is another hook.
    assert post("/api/hooks/json/website", {}, HTTP_X_WEBHOOK_KEY=key).status_code == 404
    assert not Lead.objects.exists()


def test_googles_retry_of_a_lead_id_makes_one_lead_and_answers_200(google_hook, post):
    _, key = google_hook
    first = post(URL, google_sample(key))
    again = post(URL, google_sample(key))
    assert (first.status_code, again.status_code) == (200, 200)
    assert again.json()["id"] == first.json()["id"] and again.json()["outcome"] == "replayed"
    assert Lead.objects.count() == 1


def test_a_lead_id_longer_than_an_external_id_is_still_idempotent(google_hook, post):
    _, key = google_hook
    sample = google_sample(key, lead_id="L" * 200)
    assert post(URL, sample).status_code == 200
    assert post(URL, sample).json()["outcome"] == "replayed"
    lead = Lead.objects.get()
    assert lead.external_id == "" and lead.attributes["google_ads"]["lead_id"] == "L" * 200


def test_a_test_lead_is_kept_marked_and_never_routed(
    google_hook, post, eager_celery, django_capture_on_commit_callbacks, team, manager, admin_user
):
    _, key = google_hook
    with django_capture_on_commit_callbacks(execute=True):
        response = post(URL, google_sample(key, is_test=True))
    assert response.status_code == 200
    lead = Lead.objects.get()
    assert lead.is_test
    # Screening scored it and rejected it as test data: the router never saw it.
    assert lead.status == LeadState.REJECTED and lead.rejection_reason == TEST_LEAD_REASON
    assert lead.owner is None and lead.pool is None and lead.routed_at is None
    assert not RoutingDecision.objects.filter(lead=lead).exists()
    # Out of the managers' queue of rejected leads and of the team report…
    assert not leads_unqualified_for(user=manager).exists()
    assert not leads_unqualified_for(user=admin_user).exists()
    assert team_overview(teams=[team])["totals"]["rejected"] == 0
    assert list(team_overview(teams=[team])["recent"]) == []
    # …and no override sends it to routing.
    with pytest.raises(Exception, match="cannot go from"):
        lead_override_rejection(lead=lead, actor=admin_user)
    assert Lead.objects.get().status == LeadState.REJECTED


def test_a_test_lead_never_joins_a_real_lead_nor_a_real_lead_it(
    google_hook, post, api, eager_celery, django_capture_on_commit_callbacks
):
    _, key = google_hook
    with django_capture_on_commit_callbacks(execute=True):
        real = api.post_json("/api/leads", {"email": "ana.souza@example.com"}).json()
    test = post(URL, google_sample(key, is_test=True)).json()
    assert test["outcome"] == "created" and test["id"] != real["id"]
    again = api.post_json("/api/leads", {"email": "ana.souza@example.com"}).json()
    assert again["id"] == real["id"]
    assert Lead.objects.filter(is_test=True).count() == 1


def test_the_admin_sees_test_leads_and_can_filter_them(google_hook, post, client_for, admin_user):
    _, key = google_hook
    post(URL, google_sample(key, is_test=True))
    response = client_for(admin_user).get("/admin/pools/lead/?is_test__exact=1")
    assert response.status_code == 200
    assert "Souza" in response.content.decode()


@pytest.mark.parametrize(
    "body, where",
    [
        ("not json", None),
        ("[]", None),
        ("[" * 100_000 + "]" * 100_000, None),
        (b"\xff\xfe{}", None),
        ("{}", "lead_id"),  # lead_id is required
        ({"lead_id": ""}, "lead_id"),
        ({"lead_id": 12, "google_key": "k"}, "lead_id"),
        ({"lead_id": "x", "user_column_data": "Ana"}, "user_column_data"),
        ({"lead_id": "x", "user_column_data": [{"column_id": 5}]}, "column_id"),
        ({"lead_id": "x", "form_id": "forty"}, "form_id"),
        ({"lead_id": "x", "campaign_id": 2**64}, "campaign_id"),
        ({"lead_id": "x", "is_test": "maybe"}, "is_test"),
        ({"lead_id": "x" * 300}, "lead_id"),
    ],
)
def test_malformed_bodies_are_422_with_the_field_never_a_500(google_hook, post, body, where):
    response = post(URL, body)
    assert response.status_code in (400, 422), response.content
    if where is not None:
        locs = [e["loc"] for e in response.json()["detail"]]
        assert any(where in loc for loc in locs), locs
    assert not Lead.objects.exists()


@pytest.mark.parametrize(
    "column, value, where",
    [
        ("EMAIL", "not-an-email", "user_column_data.0.string_value"),
        ("PHONE_NUMBER", "12", "user_column_data.0.string_value"),
        ("COUNTRY", "Atlantis", "user_column_data.0.string_value"),
        ("CITY", "x" * 101, "user_column_data.0.string_value"),
    ],
)
def test_a_bad_value_is_refused_at_its_column(google_hook, post, column, value, where):
    _, key = google_hook
    sample = google_sample(key)
    sample["user_column_data"] = [
        {"column_id": column, "string_value": value},
        {"column_id": "EMAIL" if column != "EMAIL" else "PHONE_NUMBER", "string_value": "a@b.io"},
    ]
    if column == "EMAIL":
        sample["user_column_data"][1]["string_value"] = "+5511912345678"
    response = post(URL, sample)
    assert response.status_code == 422, response.content
    errors = {".".join(map(str, e["loc"][1:])): e["msg"] for e in response.json()["detail"]}
    assert where in errors, errors
    assert not Lead.objects.exists()


def test_no_email_nor_phone_is_refused_as_the_api_refuses_it(google_hook, post):
    _, key = google_hook
    sample = google_sample(key)
    sample["user_column_data"] = [{"column_id": "FULL_NAME", "string_value": "Ana"}]
    response = post(URL, sample)
    assert response.status_code == 422
    assert "Give an e-mail or a phone number." in json.dumps(response.json())


def test_a_body_over_the_size_limit_is_413(google_hook, post, settings):
    _, key = google_hook
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    sample = google_sample(key)
    sample["user_column_data"].append({"column_id": "Q", "string_value": "x" * 20_000})
    response = post(URL, sample)
    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert not Lead.objects.exists()


def test_the_rate_limit_counts_per_hook_and_only_for_the_right_key(google_hook, post, settings):
    _, key = google_hook
    settings.API_RATE_LIMIT_PER_MINUTE = 2
    for _ in range(3):
        assert post(URL, google_sample("wrong")).status_code == 403
    samples = [copy.deepcopy(google_sample(key, lead_id=f"lead-{i}")) for i in range(3)]
    codes = [post(URL, s).status_code for s in samples]
    assert codes == [200, 200, 429]


def test_a_delivery_costs_the_apis_queries_and_one_for_the_hook(
    google_hook, post, django_assert_max_num_queries
):
    """Hook (with its source), then capture's own: savepoint, identity locks, replay
    lookup, dedupe lookup, the lead with its first event in one statement, release."""
    _, key = google_hook
    with django_assert_max_num_queries(7):
        assert post(URL, google_sample(key)).status_code == 200
    with django_assert_max_num_queries(6):  # a retry stops at the replay (and reads its lead)
        assert post(URL, google_sample(key)).json()["outcome"] == "replayed"
