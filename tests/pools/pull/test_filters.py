"""A rep's filters on a pool (issue 24, points 3 and 4): Claim next takes what they select,
the industry box finds labels and codes in any case, the menus offer what the pool holds,
and an empty result says it is the filters."""

import pytest
from django.urls import reverse

from pools.lifecycle import LeadState
from pools.models import Lead, Pool
from pools.pull.claim import PoolEmpty, pool_claim_next
from pools.pull.selectors import PoolFilters, PoolQuery, pool_page
from tests.factories import LeadSourceFactory, PoolFactory
from tests.pool_helpers import pooled

pytestmark = pytest.mark.django_db
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def blind_pool(team):
    return PoolFactory(team=team, name="Enterprise blind", mode=Pool.Mode.BLIND)


@pytest.fixture
def sources(db):
    return {
        "paid": LeadSourceFactory(name="Paid search", slug="paid_search"),
        "referral": LeadSourceFactory(name="Referral", slug="referral"),
    }


def test_claim_next_takes_the_next_lead_that_matches_the_filters(rep, blind_pool, sources):
    # The pool's next lead is Paid search / 201-1000; the rep filtered Referral / 1-10.
    pooled(blind_pool, source=sources["paid"], company_size="201-1000", age_minutes=300)
    pooled(blind_pool, source=sources["referral"], company_size="201-1000", age_minutes=200)
    wanted = pooled(blind_pool, source=sources["referral"], company_size="1-10", age_minutes=100)
    filters = PoolFilters.from_params(
        {"source": str(sources["referral"].pk), "company_size": "1-10"}, pool=blind_pool
    )

    lead = pool_claim_next(user=rep, pool_id=blind_pool.pk, filters=filters)

    assert lead.pk == wanted.pk
    assert Lead.objects.filter(pool=blind_pool, status=LeadState.POOLED).count() == 2


def test_claim_next_matches_the_listings_industry_words_and_age(rep, blind_pool):
    pooled(blind_pool, industry="carpet_cleaning", age_minutes=500)
    pooled(blind_pool, industry="pet", age_minutes=30)  # in the pool under an hour
    older_pet = pooled(blind_pool, industry="pet_shop", age_minutes=120)
    filters = PoolFilters.from_params({"industry": "Pet", "min_age_hours": "1"}, pool=blind_pool)
    listed = pool_page(
        pool=blind_pool, query=PoolQuery.from_params(filters.as_params(), pool=blind_pool)
    )
    assert [dict(r.cells)["Industry"] for r in listed.rows] == ["Pet shop"]

    assert pool_claim_next(user=rep, pool_id=blind_pool.pk, filters=filters).pk == older_pet.pk


def test_claim_next_with_nothing_matching_says_it_is_the_filters(rep, blind_pool):
    lead = pooled(blind_pool, industry="computers")
    filters = PoolFilters.from_params({"industry": "pet"}, pool=blind_pool)
    with pytest.raises(PoolEmpty, match="No lead you may claim matches these filters"):
        pool_claim_next(user=rep, pool_id=blind_pool.pk, filters=filters)
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED
    # Without filters the same pool gives its lead.
    assert pool_claim_next(user=rep, pool_id=blind_pool.pk).pk == lead.pk


def test_claim_next_button_sends_the_pages_filters(rep, client_for, blind_pool, sources):
    pooled(blind_pool, source=sources["paid"], company_size="201-1000", age_minutes=300)
    wanted = pooled(blind_pool, source=sources["referral"], company_size="1-10", age_minutes=100)
    c = client_for(rep)
    page = c.get(reverse("pools:pool", args=[blind_pool.pk])).content.decode()
    # The button takes the filter form along and the page says what it does.
    assert 'hx-include="#pool-filters"' in page
    assert "Claim next gives you the oldest lead that matches your filters" in page
    form = {"source": sources["referral"].pk, "company_size": "1-10", "sort": "newest"}

    response = c.post(reverse("pools:claim_next", args=[blind_pool.pk]), form, **HTMX)

    assert response["HX-Redirect"] == reverse("pools:lead_detail", args=[wanted.pk])


@pytest.mark.parametrize("name", ["company_size", "industry", "country"])
def test_a_nul_in_a_filter_is_dropped_not_a_500(rep, client_for, blind_pool, name):
    lead = pooled(blind_pool, company_size="1-10", industry="pet_shop", country="BR")
    c = client_for(rep)
    page = c.get(reverse("pools:pool", args=[blind_pool.pk]), {name: "1-10\x00"})
    assert page.status_code == 200
    response = c.post(reverse("pools:claim_next", args=[blind_pool.pk]), {name: "\x00"}, **HTMX)
    assert response["HX-Redirect"] == reverse("pools:lead_detail", args=[lead.pk])


def test_plain_claim_next_form_carries_the_filters_the_page_was_loaded_with(
    rep, client_for, blind_pool, sources
):
    c = client_for(rep)
    url = reverse("pools:pool", args=[blind_pool.pk])
    page = c.get(url, {"company_size": "1-10", "industry": "pet"}).content.decode()
    noscript = page.split("<noscript>")[1].split("</noscript>")[0]
    assert (
        'name="company_size" value="1-10"' in noscript and 'name="industry" value="pet"' in noscript
    )
    wanted = pooled(blind_pool, company_size="1-10", industry="pet")
    pooled(blind_pool, company_size="11-50", industry="pet", age_minutes=500)
    response = c.post(
        reverse("pools:claim_next", args=[blind_pool.pk]),
        {"company_size": "1-10", "industry": "pet"},
    )
    assert response.status_code == 302 and response["Location"].endswith(f"/leads/{wanted.pk}/")


def test_claim_next_with_an_unreadable_filter_claims_nothing(rep, client_for, blind_pool):
    lead = pooled(blind_pool)
    response = client_for(rep).post(
        reverse("pools:claim_next", args=[blind_pool.pk]), {"min_age_hours": "soon"}, **HTMX
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Nothing claimed" in body and "whole number of hours" in body
    lead.refresh_from_db()
    assert lead.status == LeadState.POOLED


def test_claim_next_filters_on_a_pool_out_of_scope_are_404(other_rep, client_for, blind_pool):
    pooled(blind_pool, industry="pet")
    response = client_for(other_rep).post(
        reverse("pools:claim_next", args=[blind_pool.pk]), {"industry": "pet"}, **HTMX
    )
    assert response.status_code == 404


def test_a_blind_pool_filters_only_by_the_fields_it_shows(team):
    pool = PoolFactory(team=team, mode=Pool.Mode.BLIND, preview_fields=["source", "company"])
    params = {"industry": "pet", "company": "Acme", "country": "BR", "company_size": "1-10"}
    # Company is protected (never shown blind); the others are not on this pool's page.
    assert PoolFilters.from_params(params, pool=pool).sql_values(now=None) == {}


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("Pet", {"pet", "pet_shop"}),
        ("health", {"health_beauty"}),
        ("BEAUTY", {"health_beauty"}),
        ("car accessories", {"car_accessories"}),
        ("Car_Accessories", {"car_accessories"}),
        ("  car   ACC ", {"car_accessories"}),
        ("Banking, investment", {"Banking, Investment And Insurance"}),
        ("pe", {"pet", "pet_shop"}),  # the start of a word, not "carpet"
    ],
)
def test_industry_matches_labels_and_codes_in_any_case(rep, client_for, team, typed, found):
    pool = PoolFactory(team=team, preview_fields=["company", "industry"])
    industries = ("pet", "pet_shop", "carpet", "health_beauty", "car_accessories")
    for industry in (*industries, "Banking, Investment And Insurance"):
        pooled(pool, industry=industry, company=f"Firm {industry}")
    response = client_for(rep).get(reverse("pools:pool", args=[pool.pk]), {"industry": typed})
    shown = {dict(r.cells)["Company"].removeprefix("Firm ") for r in response.context["page"].rows}
    assert shown == found


def test_the_table_shows_labels_not_codes(rep, client_for, blind_pool):
    pooled(blind_pool, industry="car_accessories", country="BR", language="pt")
    page = client_for(rep).get(reverse("pools:pool", args=[blind_pool.pk])).content.decode()
    table = page.split('id="pool-table"')[1]
    assert "Car accessories" in table and "car_accessories" not in table
    assert "Brazil" in table and "Portuguese" in table


def test_the_menus_offer_the_values_the_pool_holds(rep, client_for, blind_pool, sources, team):
    elsewhere = PoolFactory(team=team)
    pooled(elsewhere, company_size="201-500", industry="computers", country="PT")
    pooled(
        blind_pool, company_size="201-1000", industry="car_accessories", source=sources["referral"]
    )
    pooled(blind_pool, company_size="11-50", industry="pet", country="AR")
    page = client_for(rep).get(reverse("pools:pool", args=[blind_pool.pk])).content.decode()
    sizes = page.split('id="f-size"')[1].split("</select>")[0]
    assert sizes.index("11-50") < sizes.index("201-1000")
    assert "201-500" not in sizes and "501-1000" not in sizes
    industries = page.split('id="f-industries"')[1].split("</datalist>")[0]
    assert '"Car accessories"' in industries and '"Pet"' in industries
    assert "Computers" not in industries
    countries = page.split('id="f-country"')[1].split("</select>")[0]
    assert '<option value="AR" >Argentina</option>' in countries and "Portugal" not in countries
    menu = page.split('id="f-source"')[1].split("</select>")[0]
    assert "Referral" in menu and "Paid search" not in menu


def test_a_menu_keeps_the_value_the_list_is_filtered_by(rep, client_for, blind_pool):
    pooled(blind_pool, company_size="1-10")
    url = reverse("pools:pool", args=[blind_pool.pk])
    page = client_for(rep).get(url, {"company_size": "5000+"}).content.decode()
    assert "<option selected>5000+</option>" in page


def test_country_by_name_or_code_in_any_case(rep, client_for, blind_pool):
    pooled(blind_pool, country="AR", industry="pet")
    pooled(blind_pool, country="BR", industry="computers")
    c = client_for(rep)
    url = reverse("pools:pool", args=[blind_pool.pk])
    for typed in ("argentina", "ar", "AR"):
        rows = c.get(url, {"country": typed}).context["page"].rows
        assert [dict(r.cells)["Industry"] for r in rows] == ["Pet"], typed
    page = c.get(url, {"country": "Narnia"}).content.decode()
    assert "No country is called “Narnia”. That filter is left out." in page


def test_an_empty_filter_result_says_so_and_offers_to_clear(rep, client_for, blind_pool):
    url = reverse("pools:pool", args=[blind_pool.pk])
    c = client_for(rep)
    assert "Nothing waiting" in c.get(url).content.decode()
    pooled(blind_pool, industry="computers")
    body = c.get(url, {"industry": "pet", "sort": "newest"}, **HTMX).content.decode()
    assert "No lead matches these filters" in body and "Nothing waiting" not in body
    assert 'class="clear-filters" href="?sort=newest"' in body


def test_the_menus_read_the_pool_once_a_minute_not_on_every_page(
    blind_pool, django_assert_num_queries, monkeypatch
):
    from pools.pull import selectors

    pooled(blind_pool, company_size="1-10")
    assert selectors.pool_filter_choices(pool=blind_pool).company_sizes == ["1-10"]
    pooled(blind_pool, company_size="11-50")
    with django_assert_num_queries(0):
        assert selectors.pool_filter_choices(pool=blind_pool).company_sizes == ["1-10"]
    # A minute on, the pool is read again and the new band is offered.
    later = selectors.monotonic() + selectors.CHOICES_SECONDS + 1
    monkeypatch.setattr(selectors, "monotonic", lambda: later)
    assert selectors.pool_filter_choices(pool=blind_pool).company_sizes == ["1-10", "11-50"]
