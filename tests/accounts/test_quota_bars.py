"""The quota bars partial: one labelled bar per quota, percent and actual / target, the
fill capped at the full bar, a met quota marked; what the team board and reports include."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.models import Quota
from pools.work.quotas import Attainment, quota_attainment
from tests.factories import TeamFactory, make_rep

M, P = Quota.Metric, Quota.Period


def bars(quotas, **extra):
    return render_to_string("accounts/partials/_quota_bars.html", {"quotas": quotas, **extra})


def attainment(metric, period, actual, target, overridden=False):
    return Attainment(
        rep_id=1,
        metric=metric,
        period=period,
        starts=date(2026, 11, 30) if period == P.WEEK else date(2026, 12, 1),
        target=Decimal(target),
        actual=Decimal(actual),
        overridden=overridden,
    )


def items(html):
    return re.findall(r"<li class=\"(quota[^\"]*)\">(.*?)</li>", html, re.S)


def text(fragment):
    # Collapses layout whitespace only: the narrow space inside amounts is content.
    return re.sub(r"[ \t\n]+", " ", re.sub(r"<[^>]+>", " ", fragment)).strip()


def test_each_quota_is_a_labelled_bar_with_percent_and_actual_of_target():
    html = bars(
        [
            attainment(M.LEADS_WORKED, P.WEEK, 3, 20, overridden=True),
            attainment(M.TOUCHES, P.WEEK, 45, 30),
            attainment(M.WON_VALUE, P.MONTH, "1500.50", "20000"),
        ],
        currency="R$",
    )
    (c1, leads), (c2, touches), (c3, value) = items(html)
    assert text(leads) == "Leads worked · week of 30 Nov · own target 15% 3 / 20"
    assert 'style="width: 15%"' in leads and 'aria-valuenow="3"' in leads
    assert (c1, c2, c3) == ("quota", "quota quota-met", "quota")
    # 150% is shown as such, but the bar stops full.
    assert text(touches) == "Touches · week of 30 Nov 150% 45 / 30"
    assert 'style="width: 100%"' in touches
    # Amounts in whole units, thousands set apart by a narrow space, with the currency.
    assert text(value) == "Won value · December 2026 7% R$ 1\u202f500 / 20\u202f000"


def test_no_quotas_says_so():
    assert text(bars([])) == "No quotas set."


@pytest.mark.django_db
def test_renders_a_reps_attainment_as_read_from_the_database():
    team = TeamFactory()
    rep = make_rep(team=team)
    Quota.objects.create(team=team, metric=M.DEALS_WON, period=P.MONTH, target=4)
    quotas = quota_attainment(user_ids=[rep.pk], at=timezone.now())[rep.pk]
    [(_, deals)] = items(bars(quotas))
    assert text(deals).startswith("Deals won · ") and text(deals).endswith("0% 0 / 4")
