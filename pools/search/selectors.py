"""Reads for the lead list: the leads a manager may search, and the filters' choices."""

from __future__ import annotations

import re

from django.db.models import Q, QuerySet

from accounts.models import Team, User
from accounts.roles import Role, has_role
from accounts.selectors import teams_managed_by
from pools.models import Lead, LeadSource
from pools.selectors import leads_managed_by

# Text made only of digits and a phone's punctuation is looked up as a phone number.
_PHONE_LIKE = re.compile(r"[\d\s()+./-]+")
_MIN_PHONE_DIGITS = 4


def leads_search(
    *,
    user,
    text: str = "",
    state: str = "",
    owner: User | None = None,
    source: LeadSource | None = None,
    team: Team | None = None,
) -> QuerySet[Lead]:
    """The leads `user` manages (`leads_managed_by`) that match, newest first — not test
    leads (an ad form's "send test data"): nobody's work, as on the Unqualified list; admins
    find them in the admin.

    `text` matches name, e-mail and company, case-insensitively, every word somewhere; text
    that looks like a phone number matches the phone's digits, whatever the punctuation
    (phones are stored in E.164, "+" and digits, so "(11) 91234-5678" finds +5511912345678,
    and "020 7946 0958" finds +442079460958).
    """
    leads = leads_managed_by(user=user).real()
    if text.strip():
        leads = leads.filter(_text_match(text))
    if state:
        leads = leads.filter(status=state)
    if owner is not None:
        leads = leads.filter(owner=owner)
    if source is not None:
        leads = leads.filter(source=source)
    if team is not None:
        leads = leads.filter(team=team)
    return leads.select_related("owner", "source", "team").order_by("-created_at", "-id")


def _text_match(text: str) -> Q:
    # Leading zeros are a national trunk prefix ("020 7946 0958" is +44 20 7946 0958),
    # never part of an E.164 number's start.
    digits = re.sub(r"\D", "", text).lstrip("0")
    if _PHONE_LIKE.fullmatch(text.strip()) and len(digits) >= _MIN_PHONE_DIGITS:
        return Q(phone__contains=digits)
    match = Q()
    for word in text.split():
        match &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(email__icontains=word)
            | Q(company__icontains=word)
        )
    return match


def lead_search_teams(*, user) -> QuerySet[Team]:
    return teams_managed_by(user=user).order_by("name")


def lead_search_owners(*, user) -> QuerySet[User]:
    """The reps whose leads `user` may filter by: their teams' reps (every rep for an
    admin)."""
    reps = User.objects.filter(rep_profile__isnull=False)
    if not has_role(user, Role.ADMIN):
        reps = reps.filter(rep_profile__team__in=teams_managed_by(user=user))
    return reps.order_by("first_name", "last_name", "username")


def lead_search_sources(*, user) -> QuerySet[LeadSource]:
    """Sources of `user`'s teams and sources of no team (every source for an admin)."""
    sources = LeadSource.objects.all()
    if not has_role(user, Role.ADMIN):
        sources = sources.filter(Q(team__in=teams_managed_by(user=user)) | Q(team__isnull=True))
    return sources.order_by("name")
