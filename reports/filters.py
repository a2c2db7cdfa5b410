"""The filters every report page shares — period, team, source — read from the query
string, so a report's URL is the report (bookmark it, send it, reload it).

The period is a cohort: the leads that *arrived* in it (`created_at`), in the reader's
time zone (accounts.middleware activates it), so a month is their month and a lead counts
in one period only, however long it takes to close.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from urllib.parse import urlencode

from django import forms
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from accounts.models import Team
from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by
from pools.models import Lead, LeadSource
from pools.search.selectors import lead_search_sources

PERIODS = {
    "7d": "Last 7 days",
    "30d": "Last 30 days",
    "90d": "Last 90 days",
    "this_month": "This month",
    "last_month": "Last month",
    "custom": "Custom dates",
}
DEFAULT_PERIOD = "30d"
# A custom range longer than this is refused: nobody reads a decade at once, and the
# bench's page times assume at most a year of leads.
MAX_CUSTOM_DAYS = 366


class ReportFilterForm(forms.Form):
    period = forms.ChoiceField(
        label="Period",
        required=False,
        choices=list(PERIODS.items()),
        error_messages={"invalid_choice": "%(value)s is not a period this page knows."},
    )
    start = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    end = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    # A plain number, checked against the reader's teams by `report_filters`: a team that is
    # not theirs is a 404 (as any other team's object), not a form error that names it.
    team = forms.TypedChoiceField(label="Team", required=False, coerce=int, empty_value=None)
    source = forms.ModelChoiceField(
        label="Source",
        required=False,
        queryset=None,
        empty_label="Any source",
        error_messages={"invalid_choice": "not a source of your teams."},
    )

    def __init__(self, data, *, teams: list[Team], sources: QuerySet[LeadSource]):
        super().__init__(data)
        self.fields["team"].choices = [("", "All my teams")] + [(t.pk, t.name) for t in teams]
        # Any number passes the form; the scope check decides (404), see above.
        self.fields["team"].valid_value = lambda value: True
        self.fields["source"].queryset = sources

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start or not end:
                raise forms.ValidationError("Custom dates need both a from and a to date.")
            if end < start:
                raise forms.ValidationError("The to date is before the from date.")
            if (end - start).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(
                    f"Choose at most {MAX_CUSTOM_DAYS} days; the range has "
                    f"{(end - start).days + 1}."
                )
        return data


@dataclass(frozen=True)
class ReportFilters:
    """What a report counts: leads of `team_ids` (None: every lead, for an admin reading
    all teams) from `source` that arrived in [start, end)."""

    period: str
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    team: Team | None
    team_ids: tuple[int, ...] | None
    source: LeadSource | None

    @property
    def period_label(self) -> str:
        return f"{self.first_day:%-d %b %Y} – {self.last_day:%-d %b %Y}"

    def leads(self) -> QuerySet[Lead]:
        """The leads the report counts; every report's queries start here. Test leads (an
        ad platform's test submissions) are never counted."""
        leads = Lead.objects.real().filter(created_at__gte=self.start, created_at__lt=self.end)
        if self.team_ids is not None:
            leads = leads.filter(team_id__in=self.team_ids)
        if self.source is not None:
            leads = leads.filter(source_id=self.source.pk)
        return leads

    def lead_q(self, prefix: str = "") -> Q:
        """The same scope as `leads()`, seen through a relation (`prefix`, e.g.
        "user__owned_leads__"), for reports grouped by rep or team."""
        q = Q(
            **{
                f"{prefix}created_at__gte": self.start,
                f"{prefix}created_at__lt": self.end,
                f"{prefix}is_test": False,
            }
        )
        if self.team_ids is not None:
            q &= Q(**{f"{prefix}team_id__in": self.team_ids})
        if self.source is not None:
            q &= Q(**{f"{prefix}source_id": self.source.pk})
        return q

    def query(self) -> dict[str, str]:
        """The filters as query-string pairs: links to other reports and CSV keep them."""
        pairs = {"period": self.period}
        if self.period == "custom":
            pairs |= {"start": self.first_day.isoformat(), "end": self.last_day.isoformat()}
        if self.team is not None:
            pairs["team"] = str(self.team.pk)
        if self.source is not None:
            pairs["source"] = str(self.source.pk)
        return pairs

    def querystring(self, **more: str) -> str:
        return urlencode(self.query() | more)


def period_days(period: str, *, today: date, start: date | None, end: date | None):
    """The first and last day (inclusive) of `period`, `today` being the reader's."""
    if period == "custom":
        return start, end
    if period == "this_month":
        return today.replace(day=1), today
    if period == "last_month":
        last = today.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    days = int(period.removesuffix("d"))
    return today - timedelta(days=days - 1), today


def report_filters(*, user, data) -> tuple[ReportFilterForm, ReportFilters | None]:
    """The form (for the filter bar) and the filters it means, or None with the form's
    errors when the query string is wrong. Raises Http404 for a team the user does not
    manage."""
    teams = list(teams_managed_by(user=user).order_by("name"))
    if not data.get("period"):  # the bar then shows the period the figures are for
        data = data.copy()
        data["period"] = DEFAULT_PERIOD
    form = ReportFilterForm(data, teams=teams, sources=lead_search_sources(user=user))
    if not form.is_valid():
        return form, None
    cleaned = form.cleaned_data
    team = None
    if cleaned["team"] is not None:
        team = next((t for t in teams if t.pk == cleaned["team"]), None)
        if team is None:
            raise Http404("No such team.")
    if team is not None:
        team_ids = (team.pk,)
    elif has_role(user, Role.ADMIN):
        team_ids = None
    else:
        team_ids = tuple(t.pk for t in teams)
    period = cleaned["period"] or DEFAULT_PERIOD
    today = timezone.localdate()
    first, last = period_days(period, today=today, start=cleaned["start"], end=cleaned["end"])
    zone = timezone.get_current_timezone()
    filters = ReportFilters(
        period=period,
        start=datetime.combine(first, time.min, tzinfo=zone),
        end=datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        first_day=first,
        last_day=last,
        team=team,
        team_ids=team_ids,
        source=cleaned["source"],
    )
    return form, filters
