"""Pool pages and claim buttons: who may, wrong method, full page and htmx fragment."""

import re

import pytest
from django.urls import reverse

from pools.lifecycle import LeadState
from pools.models import Pool
from pools.pull.selectors import row_token
from tests.factories import PoolFactory, make_rep
from tests.pool_helpers import pooled, pooled_many

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def preview_pool(team):
    return PoolFactory(
        team=team, name="Inbound preview", preview_fields=["company", "industry", "country"]
    )


@pytest.fixture
def blind_pool(team):
    return PoolFactory(team=team, name="Inbound blind", mode=Pool.Mode.BLIND)


def test_rep_sees_pools_of_their_team_only(rep, client_for, preview_pool, other_team):
    PoolFactory(team=other_team, name="Not yours")
    pooled(preview_pool)
    page = client_for(rep).get(reverse("pools:pools")).content.decode()
    assert "Inbound preview" in page and "Not yours" not in page


def test_users_without_a_role_cannot_open_pools(outsider, client_for, preview_pool):
    assert client_for(outsider).get(reverse("pools:pools")).status_code == 403
    response = client_for(outsider).get(reverse("pools:pool", args=[preview_pool.pk]))
    assert response.status_code == 403


def test_a_manager_reads_their_teams_pools_without_claiming(
    manager, client_for, preview_pool, blind_pool, other_team
):
    PoolFactory(team=other_team, name="Not theirs")
    lead = pooled(preview_pool, company="Waiting Ltda")
    client = client_for(manager)
    listing = client.get(reverse("pools:pools")).content.decode()
    assert "Inbound preview" in listing and "Not theirs" not in listing
    page = client.get(reverse("pools:pool", args=[preview_pool.pk])).content.decode()
    assert "Waiting Ltda" in page and "Read-only" in page
    assert reverse("pools:claim", args=[preview_pool.pk]) not in page
    assert f"{reverse('pools:lead_detail', args=[lead.pk])}#manager-panel" in page
    blind = client.get(reverse("pools:pool", args=[blind_pool.pk])).content.decode()
    assert reverse("pools:claim_next", args=[blind_pool.pk]) not in blind
    # The claim itself is still the rep's: a manager's post is refused.
    response = client.post(reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk})
    assert response.status_code == 403


def test_a_manager_of_another_team_gets_404_for_the_pool(other_team, client_for, preview_pool):
    from tests.factories import make_manager

    stranger = client_for(make_manager(teams=[other_team]))
    assert stranger.get(reverse("pools:pool", args=[preview_pool.pk])).status_code == 404


def test_anonymous_is_sent_to_login(client, preview_pool):
    response = client.get(reverse("pools:pool", args=[preview_pool.pk]))
    assert response.status_code == 302 and "/login" in response["Location"]


def test_rep_of_other_team_gets_404_for_pool(other_rep, client_for, preview_pool):
    assert (
        client_for(other_rep).get(reverse("pools:pool", args=[preview_pool.pk])).status_code == 404
    )


def test_pool_page_rejects_post_and_claim_rejects_get(rep, client_for, preview_pool):
    c = client_for(rep)
    assert c.post(reverse("pools:pool", args=[preview_pool.pk])).status_code == 405
    assert c.get(reverse("pools:claim", args=[preview_pool.pk])).status_code == 405
    assert c.get(reverse("pools:claim_next", args=[preview_pool.pk])).status_code == 405


def test_preview_pool_shows_exactly_configured_fields(rep, client_for, preview_pool):
    # Values no generated name can match (the signed-in rep's own name is on the page).
    pooled(
        preview_pool,
        company="Acme Rockets",
        industry="Aerospace",
        city="Campinas",
        first_name="Hiddenfirst",
        email="hidden.lead@example.test",
    )
    page = client_for(rep).get(reverse("pools:pool", args=[preview_pool.pk])).content.decode()
    assert "Acme Rockets" in page and "Aerospace" in page
    assert "hidden.lead@" not in page and "Hiddenfirst" not in page and "Campinas" not in page
    assert "<html" in page and 'ws-connect="/ws/live/?pool=' in page


def test_pool_table_fragment_for_htmx(rep, client_for, preview_pool):
    pooled(preview_pool, company="Acme Rockets")
    body = (
        client_for(rep).get(reverse("pools:pool", args=[preview_pool.pk]), **HTMX).content.decode()
    )
    assert body.lstrip().startswith('<div id="pool-table"') and "<html" not in body
    assert "Acme Rockets" in body


def test_filters_and_keyset_pages(rep, client_for, preview_pool):
    pooled_many(preview_pool, 60, industry="Retail")
    pooled(preview_pool, industry="Mining", company="Deep Holes Ltd", age_minutes=500)
    c = client_for(rep)
    url = reverse("pools:pool", args=[preview_pool.pk])
    mining = c.get(url, {"industry": "Mining"}).content.decode()
    assert "Deep Holes Ltd" in mining and "Retail" not in mining.split("<tbody>")[1]
    first = c.get(url, {"industry": "Retail"})
    rows1 = first.context["page"].rows
    assert len(rows1) == 50 and first.context["page"].next_cursor
    second = c.get(url, {"industry": "Retail", "after": first.context["page"].next_cursor})
    rows2 = second.context["page"].rows
    assert len(rows2) == 10
    assert not {r.token for r in rows1} & {r.token for r in rows2}


def test_a_live_refresh_stays_on_the_page_being_read(rep, client_for, preview_pool):
    """The table re-fetches itself (and arrival frames re-fetch it) with #pool-page, the
    cursor of the page on screen: a rep on page 2 is not thrown back to page 1."""
    pooled_many(preview_pool, 60)
    c = client_for(rep)
    url = reverse("pools:pool", args=[preview_pool.pk])
    cursor = c.get(url).context["page"].next_cursor
    second = c.get(url, {"after": cursor})
    assert len(second.context["page"].rows) == 10
    fragment = c.get(url, {"after": cursor}, **HTMX).content.decode()
    assert f'id="pool-page" name="after" value="{cursor}"' in fragment
    # Everyone past page 1 claimed meanwhile: say so, and offer the way back.
    from pools.models import Lead

    Lead.objects.filter(pk__in=[r.lead_id for r in second.context["page"].rows]).update(
        status=LeadState.SKIMMING, pool=None
    )
    empty = c.get(url, {"after": cursor}, **HTMX).content.decode()
    assert "No more leads past this page" in empty and "Back to the first page" in empty


def test_bad_filter_values_give_messages_not_errors(rep, client_for, preview_pool):
    pooled(preview_pool)
    url = reverse("pools:pool", args=[preview_pool.pk])
    response = client_for(rep).get(
        url, {"min_age_hours": "soon", "after": "garbage", "source": "x", "sort": "weird"}
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert "whole number of hours" in page and "page link has expired" in page


def test_pool_page_query_count_is_constant(
    rep, client_for, preview_pool, django_assert_max_num_queries
):
    pooled_many(preview_pool, 5)
    c = client_for(rep)
    url = reverse("pools:pool", args=[preview_pool.pk])
    c.get(url)  # warm the session
    # 8: the menu asks once whether the rep has skimming rights (the Desk link).
    with django_assert_max_num_queries(8) as small:
        c.get(url)
    pooled_many(preview_pool, 120)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = c.get(url)
    assert len(response.context["page"].rows) == 50
    with django_assert_max_num_queries(len(small.captured_queries)):
        c.get(url, {"after": response.context["page"].next_cursor})


def test_htmx_claim_sends_winner_to_the_lead(rep, client_for, preview_pool):
    lead = pooled(preview_pool)
    response = client_for(rep).post(
        reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}, **HTMX
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == reverse("pools:lead_detail", args=[lead.pk])
    lead.refresh_from_db()
    assert lead.owner == rep


def test_htmx_claim_of_taken_lead_is_a_calm_message_the_live_frame_cannot_remove(
    rep, client_for, preview_pool, team
):
    lead = pooled(preview_pool)
    client_for(make_rep(team=team)).post(
        reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}, **HTMX
    )
    response = client_for(rep).post(
        reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Just taken by someone else" in body and "data-dismiss" in body
    # Not into the row, whose id the winner's live frame deletes: the message area above,
    # where every Claim form sends its answer (fixed when the form posts, not retargeted).
    assert not response.has_header("HX-Retarget")
    pooled(preview_pool)
    page = client_for(rep).get(reverse("pools:pool", args=[preview_pool.pk])).content.decode()
    claim_url = reverse("pools:claim", args=[preview_pool.pk])
    assert f'hx-post="{claim_url}" hx-target="#pool-message" hx-swap="innerHTML"' in page
    # The row goes by its opaque token, which the message itself does not carry.
    token = row_token(pool_id=preview_pool.pk, lead_id=lead.pk)
    assert f'data-live-replace="pl-{token}"' in body and str(lead.pk) not in body
    assert 'id="pl-' not in body


def test_a_refused_claim_keeps_the_row_of_a_lead_still_in_the_pool(
    rep, client_for, preview_pool, team
):
    from pools.models import SourceRestriction
    from tests.factories import LeadSourceFactory

    source = LeadSourceFactory()
    SourceRestriction.objects.create(source=source, user=make_rep(team=team))
    lead = pooled(preview_pool, source=source)
    response = client_for(rep).post(
        reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}, **HTMX
    )
    body = response.content.decode()
    assert "reserved for other reps" in body
    assert "hx-swap-oob" not in body


def test_plain_claim_redirects_with_message(rep, client_for, preview_pool):
    lead = pooled(preview_pool)
    c = client_for(rep)
    response = c.post(reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk})
    assert response.status_code == 302 and response["Location"].endswith(f"/leads/{lead.pk}/")
    again = c.post(reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}, follow=True)
    assert "Just taken by someone else" in again.content.decode()


def test_claim_with_bad_input_is_400_not_500(rep, client_for, preview_pool):
    response = client_for(rep).post(reverse("pools:claim", args=[preview_pool.pk]), {"lead": "x"})
    assert response.status_code == 400


def test_blind_claim_next_htmx_redirects_and_empty_pool_is_calm(rep, client_for, blind_pool):
    lead = pooled(blind_pool)
    c = client_for(rep)
    url = reverse("pools:claim_next", args=[blind_pool.pk])
    response = c.post(url, **HTMX)
    assert response["HX-Redirect"] == reverse("pools:lead_detail", args=[lead.pk])
    empty = c.post(url, **HTMX)
    assert "pool is empty" in empty.content.decode()
    page = c.get(reverse("pools:pool", args=[blind_pool.pk])).content.decode()
    assert f'hx-post="{url}" hx-include="#pool-filters" hx-target="#pool-message"' in page


def test_sorted_by_score_the_score_shows_blind_or_not(rep, client_for, blind_pool):
    """Sorted by score with no score on screen, a blind pool's rows looked shuffled."""
    pooled(blind_pool, score=12), pooled(blind_pool, score=87)
    c = client_for(rep)
    url = reverse("pools:pool", args=[blind_pool.pk])
    page = c.get(url, {"sort": "score"}).content.decode()
    assert "<th>Score</th>" in page
    scores = re.findall(r'<td data-label="Score">(\d+)</td>', page)
    assert scores == ["87", "12"]
    page = c.get(url, {"sort": "oldest"}).content.decode()
    assert "<th>Score</th>" not in page and 'data-label="Score"' not in page


def test_other_team_rep_cannot_claim(other_rep, client_for, preview_pool):
    lead = pooled(preview_pool)
    response = client_for(other_rep).post(
        reverse("pools:claim", args=[preview_pool.pk]), {"lead": lead.pk}
    )
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED


def _admin_form_data(response) -> dict:
    """What the admin change page would post back as it stands: the form's and the inlines'
    current values (so a test changes only what it names)."""
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms += [formset.management_form, *formset.forms]
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            key = form.add_prefix(name)
            if isinstance(value, bool):
                if value:
                    data[key] = "on"
            elif isinstance(value, list | tuple):
                data[key] = [str(v) for v in value]
            elif value is not None:
                data[key] = value
    return data


def test_admin_edits_pull_settings_and_source_restrictions(
    admin_user, client_for, preview_pool, rep, other_team
):
    from pools.pull.claim import ClaimError, lead_claim
    from tests.factories import LeadSourceFactory

    source = LeadSourceFactory()
    c = client_for(admin_user)
    url = reverse("admin:pools_pool_change", args=[preview_pool.pk])
    data = _admin_form_data(c.get(url))
    data.update(
        claim_cooldown_hours=6,
        update_first_hours=2,
        calling_hours_start="09:00",
        calling_hours_end="17:30",
        calling_weekdays_only="on",
    )
    assert c.post(url, data).status_code == 302
    preview_pool.refresh_from_db()
    assert (preview_pool.claim_cooldown_hours, preview_pool.update_first_hours) == (6, 2)
    assert str(preview_pool.calling_hours_end) == "17:30:00" and preview_pool.calling_weekdays_only
    # Reserve the source for another team, in its inline: this team's rep may no longer
    # claim its leads.
    Pool.objects.filter(pk=preview_pool.pk).update(calling_hours_start=None, calling_hours_end=None)
    url = reverse("admin:pools_leadsource_change", args=[source.pk])
    data = _admin_form_data(c.get(url))
    data.update({"restrictions-TOTAL_FORMS": 1, "restrictions-0-team": other_team.pk})
    assert c.post(url, data).status_code == 302
    assert list(source.restrictions.values_list("team", flat=True)) == [other_team.pk]
    lead = pooled(preview_pool, source=source)
    with pytest.raises(ClaimError) as refused:
        lead_claim(user=rep, lead_id=lead.pk)
    assert refused.value.message == "Leads from this source are reserved for other reps."


def test_admin_ticks_a_pools_preview_fields(admin_user, client_for, preview_pool):
    c = client_for(admin_user)
    url = reverse("admin:pools_pool_change", args=[preview_pool.pk])
    page = c.get(url).content.decode()
    # The pool's current fields come ticked; those a blind pool may show say so.
    assert 'type="checkbox" name="preview_fields" value="industry"' in page
    assert re.search(r'value="industry"[^>]*checked', page)
    assert not re.search(r'value="score"[^>]*checked', page)
    assert "Industry (blind pools too)" in page and "E-mail (blind pools too)" not in page
    form = {
        "name": preview_pool.name,
        "slug": preview_pool.slug,
        "mode": preview_pool.mode,
        "order": preview_pool.order,
        "is_active": "on",
        "team": preview_pool.team_id,
        "claim_cooldown_hours": 24,
        "preview_fields": ["score", "company", "country"],  # ticked in any order
    }
    assert c.post(url, form).status_code == 302
    preview_pool.refresh_from_db()
    assert preview_pool.preview_fields == ["company", "country", "score"]  # the table's order
    response = c.post(url, {**form, "preview_fields": ["company", "favourite_colour"]})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    preview_pool.refresh_from_db()
    assert preview_pool.preview_fields == ["company", "country", "score"]  # nothing half-saved


def test_claim_on_a_pool_out_of_scope_is_404_whatever_the_lead(other_rep, client_for, team):
    pool = PoolFactory(team=team)
    elsewhere = PoolFactory(team=other_rep.rep_profile.team)
    mine = pooled(elsewhere)  # a lead the rep could see, named under the wrong pool
    c = client_for(other_rep)
    assert c.post(reverse("pools:claim", args=[pool.pk]), {"lead": mine.pk}).status_code == 404
    assert c.post(reverse("pools:claim_next", args=[pool.pk]), **HTMX).status_code == 404
    assert c.post(reverse("pools:claim_next", args=[2**70]), **HTMX).status_code == 404
    huge = c.post(reverse("pools:claim", args=[elsewhere.pk]), {"lead": str(2**70)}, **HTMX)
    assert huge.status_code == 200 and "Just taken" in huge.content.decode()
