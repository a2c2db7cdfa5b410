"""A blind pool's only claim is Claim next. A named claim on it (the Claim form's `lead`,
the API's `lead_id`) gets one refusal whatever the id — a lead of the pool, a lead of
another pool, a claimed lead, no lead at all — and no row token: otherwise the answer
would tell which ids are in the pool, and the echoed token would map the page's opaque
rows back to lead ids."""

import json
import re

import psycopg
import pytest
from django.db import connection
from django.urls import reverse

from pools.lifecycle import LeadState
from pools.models import Lead, Pool
from pools.pull import claim as claim_service
from pools.pull.claim import ClaimRestricted, lead_claim
from pools.pull.claim_functions import install
from pools.pull.selectors import row_token
from tests.factories import LeadFactory, PoolFactory
from tests.pool_helpers import pooled


def _ids(team, rep) -> tuple[Pool, dict[str, int]]:
    blind = PoolFactory(team=team, mode=Pool.Mode.BLIND, claim_cooldown_hours=0)
    preview = PoolFactory(team=team, claim_cooldown_hours=0)
    ids = {
        "in the pool": pooled(blind).pk,
        "in another pool": pooled(preview).pk,
        "claimed": LeadFactory(status=LeadState.ASSIGNED, owner=rep).pk,
    }
    ids["nonexistent"] = max(ids.values()) + 1000
    assert not Lead.objects.filter(pk=ids["nonexistent"]).exists()
    return blind, ids


@pytest.mark.django_db
def test_a_named_claim_on_a_blind_pool_answers_the_same_for_every_id(team, rep, client_for):
    blind, ids = _ids(team, rep)
    c = client_for(rep)
    url = reverse("pools:claim", args=[blind.pk])
    answers = {}
    for what, lead_id in ids.items():
        htmx = c.post(url, {"lead": lead_id}, HTTP_HX_REQUEST="true")
        plain = c.post(url, {"lead": lead_id}, follow=True)
        api = c.post(
            f"/api/pool/{blind.pk}/claim",
            json.dumps({"lead_id": lead_id}),
            content_type="application/json",
        )
        answers[what] = (
            (htmx.status_code, htmx.content.decode()),
            [m.message for m in plain.context["messages"]],
            (api.status_code, api.json()),
        )
        for response in (htmx, api):
            assert row_token(pool_id=blind.pk, lead_id=lead_id) not in response.content.decode()
    assert all(answer == answers["in the pool"] for answer in answers.values()), answers
    htmx_answer, plain_messages, api_answer = answers["in the pool"]
    assert "blind pool" in htmx_answer[1] and plain_messages == [
        "This is a blind pool: use “Claim next”."
    ]
    assert api_answer == (
        403,
        {"code": "blind", "detail": "This is a blind pool: use “Claim next”."},
    )
    assert Lead.objects.get(pk=ids["in the pool"]).status == LeadState.POOLED


@pytest.mark.django_db(transaction=True)
def test_a_named_claim_on_a_blind_pool_is_refused_before_the_lead_is_looked_up(
    team, rep, monkeypatch
):
    """With the lead table locked by another session, a claim that looked the lead up would
    wait for it (and time out as "busy"); the refusal comes without touching the table."""
    monkeypatch.setattr(claim_service, "LOCK_TIMEOUT", "300ms")
    blind, ids = _ids(team, rep)
    install()  # as after `migrate`: a first-use install would itself wait on the lock
    holder = psycopg.connect(**connection.get_connection_params())
    try:
        holder.execute("LOCK TABLE pools_lead IN ACCESS EXCLUSIVE MODE")
        for what in ("in the pool", "nonexistent"):
            with pytest.raises(ClaimRestricted) as exc:
                lead_claim(user=rep, lead_id=ids[what], pool_id=blind.pk)
            assert exc.value.code == "blind", what
    finally:
        holder.rollback()
        holder.close()


@pytest.mark.django_db
def test_a_named_claim_on_a_preview_pool_hands_out_no_blind_pools_row_token(team, rep, client_for):
    """The calm "just taken" answer removes the row by its token. Were a row's token the
    same in every pool, claiming a blind pool's lead id by name in a preview pool would
    hand out the token the blind page shows for it."""
    blind, ids = _ids(team, rep)
    preview = PoolFactory(team=team, claim_cooldown_hours=0)
    c = client_for(rep)
    blind_page = c.get(reverse("pools:pool", args=[blind.pk])).content.decode()
    tokens = set(re.findall(r'id="pl-([0-9a-f]{20})"', blind_page))
    assert len(tokens) == 1
    answer = c.post(
        reverse("pools:claim", args=[preview.pk]),
        {"lead": ids["in the pool"]},
        HTTP_HX_REQUEST="true",
    ).content.decode()
    assert "Just taken by someone else" in answer and 'data-live-replace="pl-' in answer
    assert not [token for token in tokens if token in answer]
