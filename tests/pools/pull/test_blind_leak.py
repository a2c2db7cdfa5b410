"""Blind means blind: no protected value of any pooled lead in anything a rep can obtain
before claiming — pages, fragments, JSON, error messages, websocket frames."""

import json
import re
from datetime import time

import pytest
from channels.db import database_sync_to_async
from channels.testing import WebsocketCommunicator
from django.urls import reverse

from pools.models import PROTECTED_FIELDS, Pool
from pools.pull.claim import pool_claim_next
from pools.pull.release import lead_release
from pools.pull.selectors import pool_visible_fields
from routing.live.consumers import LiveConsumer
from tests.factories import LeadSourceFactory, PoolFactory, make_rep
from tests.live_helpers import assert_next_frame_is_a_sentinel
from tests.pool_helpers import pooled

HIDDEN_TEXT_FIELDS = PROTECTED_FIELDS + (
    "city",
    "state",
    "postal_code",
    "product_interest",
    "campaign",
    "landing_page",
    "external_id",
)


def _blind_pool_with_secrets(team, n=60):
    source = LeadSourceFactory(name="Webinar", slug="webinar")
    pool = PoolFactory(
        team=team,
        mode=Pool.Mode.BLIND,
        # A manager's mistake: protected fields configured on a blind pool.
        preview_fields=["email", "company", "country", "industry"],
    )
    leads = []
    for i in range(n):
        leads.append(
            pooled(
                pool,
                age_minutes=i + 1,
                source=source,
                country="BR",
                industry="Retail",
                first_name=f"Secretfirst{i}x",
                last_name=f"Secretlast{i}x",
                email=f"secret{i}x@hidden.test",
                phone=f"+5511987{i:06d}",
                company=f"Hiddenco{i}x Ltda",
                title=f"Secrettitle{i}x",
                city=f"Secretcity{i}x",
                # Long enough not to turn up by chance in a random token (CSRF, session):
                # "ST6x" once did, case-insensitively.
                state=f"Secretstate{i}x",
                postal_code=f"PC{i:05d}x",
                product_interest=f"Secretprod{i}x",
                campaign=f"Secretcamp{i}x",
                landing_page=f"/secret-lp-{i}x",
                external_id=f"EXT-{i}-x",
            )
        )
    return pool, leads


def _secrets(leads) -> list[str]:
    return [getattr(lead, f) for lead in leads for f in HIDDEN_TEXT_FIELDS if getattr(lead, f)]


def _assert_clean(text: str, secrets: list[str], where: str):
    found = [s for s in secrets if s.lower() in text.lower()]
    assert not found, f"{where} leaks {found[:5]}"


@pytest.mark.django_db
def test_blind_pool_http_responses_carry_no_protected_value(team, rep, client_for):
    pool, leads = _blind_pool_with_secrets(team)
    assert not set(pool_visible_fields(pool=pool)) & set(PROTECTED_FIELDS)
    secrets = _secrets(leads)
    c = client_for(rep)
    url = reverse("pools:pool", args=[pool.pk])
    responses = {"pool list": c.get(reverse("pools:pools"))}
    page = c.get(url)
    responses["pool page"] = page
    responses["fragment"] = c.get(url, HTTP_HX_REQUEST="true")
    responses["page 2"] = c.get(url, {"after": page.context["page"].next_cursor})
    for sort in ("newest", "score"):
        responses[f"sort {sort}"] = c.get(url, {"sort": sort}, HTTP_HX_REQUEST="true")
    responses["filters"] = c.get(
        url,
        {
            "country": "BR",
            "industry": "Retail",
            "company": leads[0].company,
            "email": leads[0].email,
        },
    )
    # Refused claims: their messages must not name the lead either.
    pool.calling_hours_start, pool.calling_hours_end = time(0), time(0, 0, 1)
    pool.save()
    responses["refused claim (htmx)"] = c.post(
        reverse("pools:claim_next", args=[pool.pk]), HTTP_HX_REQUEST="true"
    )
    responses["refused cherry-pick"] = c.post(
        reverse("pools:claim", args=[pool.pk]), {"lead": leads[0].pk}, HTTP_HX_REQUEST="true"
    )
    responses["api refused"] = c.post(
        f"/api/pool/{pool.pk}/claim", "{}", content_type="application/json"
    )
    responses["api cherry-pick"] = c.post(
        f"/api/pool/{pool.pk}/claim",
        json.dumps({"lead_id": leads[1].pk}),
        content_type="application/json",
    )
    responses["openapi"] = c.get("/api/openapi.json")
    for where, response in responses.items():
        assert response.status_code < 500, where
        body = response.content.decode()
        _assert_clean(body + json.dumps(dict(response.headers)), secrets, where)
        assert f"/leads/{leads[0].pk}/" not in body, where
    # Nor lead ids: rows carry opaque tokens, the cursor is encrypted.
    page_body = responses["pool page"].content.decode()
    assert "data-lead" not in page_body and 'name="lead"' not in page_body


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_blind_pool_websocket_frames_carry_no_protected_value(team):
    pool, leads, watcher, claimer = await database_sync_to_async(_ws_setup)(team)
    secrets = _secrets(leads)
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), f"/ws/live/?pool={pool.pk}")
    communicator.scope["user"] = watcher
    connected, _ = await communicator.connect()
    assert connected
    frames = []
    # A lead leaves (claimed by someone else) and comes back (released): both are pushed.
    claimed = await database_sync_to_async(pool_claim_next)(user=claimer, pool_id=pool.pk)
    frames.append(await communicator.receive_from(timeout=5))
    await database_sync_to_async(lead_release)(
        user=claimer, lead_id=claimed.pk, reason="Wrong language"
    )
    frames.append(await communicator.receive_from(timeout=5))
    await assert_next_frame_is_a_sentinel(communicator, watcher.pk)  # and no third frame
    await communicator.disconnect()
    joined = "\n".join(frames)
    assert 'data-live-replace="pl-' in joined and 'id="pool-sync"' in joined
    _assert_clean(joined, secrets, "websocket frames")
    # The id as a value of its own: inside a hex row token its digits prove nothing.
    without_pool_url = joined.replace(f"/leads/pools/{pool.pk}/", "")
    assert not re.search(rf"(?<![0-9a-f]){claimed.pk}(?![0-9a-f])", without_pool_url)


def _ws_setup(team):
    pool, leads = _blind_pool_with_secrets(team, n=5)
    return pool, leads, make_rep(team=team), make_rep(team=team)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_rep_outside_pool_scope_gets_no_pool_frames(team, other_team):
    pool, leads, _, claimer = await database_sync_to_async(_ws_setup)(team)
    outsider_rep = await database_sync_to_async(make_rep)(team=other_team)
    communicator = WebsocketCommunicator(LiveConsumer.as_asgi(), f"/ws/live/?pool={pool.pk}")
    communicator.scope["user"] = outsider_rep
    connected, _ = await communicator.connect()
    assert connected
    await database_sync_to_async(pool_claim_next)(user=claimer, pool_id=pool.pk)
    await assert_next_frame_is_a_sentinel(communicator, outsider_rep.pk)
    await communicator.disconnect()
