"""The mapped JSON webhook: a tool's own shape read through the hook's mapping, with the
API's key, idempotency and validation rules."""

import json

import pytest

from pools.capture.webhooks.mapping import mapping_apply, mapping_problems, path_read
from pools.lifecycle import LeadState
from pools.models import Lead

pytestmark = pytest.mark.django_db

URL = "/api/hooks/json/website"


def form_post(**changes) -> dict:
    """What a form builder posts: nested objects and lists."""
    body = {
        "submission": {"id": "sub_8f2k", "submitted_at": "2026-12-01T10:00:00Z"},
        "contact": {
            "name": "Ana Maria Souza",
            "emails": [{"type": "work", "value": "Ana@Example.com"}, {"value": "x@y.io"}],
            "phones": [{"number": 5511912345678}],
            "address": {"country": "BR"},
        },
        "company": {"name": "Acme"},
        "answers": {"budget": "12500.50", "seats": 12},
        "meta": {"utm": {"campaign": "spring"}},
        "noise": {"ignored": [1, 2, 3]},
    }
    body.update(changes)
    return body


def test_nested_paths_make_the_lead(
    json_hook, post, eager_celery, django_capture_on_commit_callbacks
):
    _, key = json_hook
    with django_capture_on_commit_callbacks(execute=True):
        response = post(URL, form_post(), HTTP_X_WEBHOOK_KEY=key)
    assert response.status_code == 201, response.content
    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.first_name, lead.last_name) == ("Ana", "Maria Souza")
    assert lead.email == "ana@example.com"
    assert lead.phone == "+5511912345678"  # a JSON number, read as the API reads text
    assert (lead.country, lead.company, lead.campaign) == ("BR", "Acme", "spring")
    assert lead.external_id == "sub_8f2k"
    assert str(lead.estimated_value) == "12500.50"
    assert lead.attributes == {"seats": 12}  # only what the mapping names
    assert lead.status == LeadState.POOLED  # screened and routed after commit


def test_the_same_external_id_twice_is_one_lead(json_hook, post):
    _, key = json_hook
    first = post(URL, form_post(), HTTP_X_WEBHOOK_KEY=key)
    again = post(URL, form_post(), HTTP_X_WEBHOOK_KEY=key)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() | {"outcome": "x"} == first.json() | {"outcome": "x"}
    assert again.json()["outcome"] == "replayed" and Lead.objects.count() == 1


def test_an_idempotency_key_header_works_as_on_the_api(json_hook, post):
    _, key = json_hook
    body = form_post(submission={})
    headers = {"HTTP_X_WEBHOOK_KEY": key, "HTTP_IDEMPOTENCY_KEY": "retry-1"}
    assert post(URL, body, **headers).status_code == 201
    assert post(URL, body, **headers).json()["outcome"] == "replayed"
    assert Lead.objects.count() == 1


@pytest.mark.parametrize("headers", [{}, {"HTTP_X_WEBHOOK_KEY": "nope"}])
def test_a_wrong_key_is_403_and_nothing_is_stored(json_hook, post, headers):
    response = post(URL, form_post(), **headers)
    assert response.status_code == 403 and not Lead.objects.exists()


def test_the_google_key_of_the_same_source_does_not_open_the_json_hook(
    json_hook, google_hook, post
):
    _, google_key = google_hook
    assert post(URL, form_post(), HTTP_X_WEBHOOK_KEY=google_key).status_code == 403


BAD_BODIES = [
    ("not json at all", "body", "not valid JSON"),
    ("", "body", "not valid JSON"),
    ("[1, 2]", "body", "must be a JSON object"),
    ('"text"', "body", "must be a JSON object"),
    ("[" * 100_000 + "]" * 100_000, "body", "not valid JSON"),
    (b"\xff\xfe{}", "body", "not valid JSON"),
    ({}, "body", "Give an e-mail or a phone number."),
    (form_post(contact={"emails": [{"value": "not an email"}]}), "contact.emails.0.value", ""),
    (form_post(contact={"emails": [{"value": ["a@b.io"]}]}), "contact.emails.0.value", ""),
    (form_post(contact={"emails": [{"value": True}]}), "contact.emails.0.value", ""),
    (form_post(contact={"name": {"first": "Ana"}, "emails": [{"value": "a@b.io"}]}), "", ""),
    (form_post(company={"name": "x" * 201}), "company.name", "at most 200"),
    (form_post(answers={"budget": "12.500"}), "answers.budget", ""),
    (form_post(answers={"budget": -5}), "answers.budget", ""),
    (form_post(answers={"budget": "NaN"}), "answers.budget", ""),
    ('{"contact": {"emails": [{"value": "a@b.io"}]}, "answers": {"seats": NaN}}', "body", "finite"),
    (form_post(contact={"phones": [{"number": "12"}]}), "contact.phones.0.number", ""),
    (form_post(submission={"id": "x" * 101}), "submission.id", "at most 100"),
]


@pytest.mark.parametrize("body, where, says", BAD_BODIES)
def test_malformed_bodies_are_4xx_with_field_errors_never_a_500(json_hook, post, body, where, says):
    _, key = json_hook
    response = post(URL, body, HTTP_X_WEBHOOK_KEY=key)
    assert response.status_code == 422, (response.status_code, response.content[:300])
    detail = response.json()["detail"]
    located = {".".join(map(str, e["loc"][1:])) or "body": e["msg"] for e in detail}
    if where:
        assert where in located, located
    assert says in json.dumps(detail), detail
    assert not Lead.objects.exists()


def test_a_body_over_the_size_limit_is_413(json_hook, post, settings):
    _, key = json_hook
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    response = post(URL, form_post(noise="x" * 20_000), HTTP_X_WEBHOOK_KEY=key)
    assert response.status_code == 413 and not Lead.objects.exists()


def test_an_unconfigured_mapping_refuses_with_the_contact_rule(source, post):
    from pools.capture.webhooks.secrets import hook_create
    from pools.models import InboundHook

    _, key = hook_create(source=source, kind=InboundHook.Kind.MAPPED_JSON)
    response = post(URL, form_post(), HTTP_X_WEBHOOK_KEY=key)
    assert response.status_code == 422 and not Lead.objects.exists()


# The mapping's own rules, without the database.


@pytest.mark.parametrize(
    "mapping, problem",
    [
        ({"a..b": "email"}, "is not a dotted path"),
        ({".a": "email"}, "is not a dotted path"),
        ({"a.": "email"}, "is not a dotted path"),
        ({"a b": "email"}, "is not a dotted path"),
        ({"": "email"}, "A path is text"),
        ({"x" * 201: "email"}, "longer than 200"),
        ({"a": "emial"}, "“emial” is not a lead field"),
        ({"a": "owner"}, "“owner” is not a lead field"),
        ({"a": "email", "b": "attributes."}, "an attribute's name"),
        ({"a": "email", "b": 5}, "“5” is not a lead field"),
        ({"a": "email", "b": "email"}, "“email” is mapped from several paths (a, b)"),
        ({"a": "first_name"}, "Map a path to email or phone"),
        (["email"], "is a JSON object"),
    ],
)
def test_mapping_problems_are_said_clearly(mapping, problem):
    assert any(problem in p for p in mapping_problems(mapping)), mapping_problems(mapping)


def test_a_good_mapping_has_no_problems():
    from tests.pools.capture.webhooks.conftest import MAPPING

    assert mapping_problems(MAPPING) == []
    assert mapping_problems({"data.fields.0.answer": "phone", "x": "attributes.How big?"}) != []


def test_paths_read_dicts_by_name_and_lists_by_index():
    doc = {"a": [{"b": 1}, {"b": 2}], "c": {"0": "zero"}}
    assert path_read(doc, "a.1.b") == 2
    assert path_read(doc, "c.0") == "zero"
    fields, attributes, missing = mapping_apply(
        {"a.5.b": "email", "a.x": "phone", "a.0.b": "attributes.first_b"}, doc
    )
    assert (fields, attributes, missing) == ({}, {"first_b": 1}, ["a.5.b", "a.x"])
