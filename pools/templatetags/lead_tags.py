"""Template filters for lead pages."""

from datetime import timedelta

from django import template
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.models import zone_city as _zone_city
from pools.field_labels import LEAD_FIELD_LABELS, value_label
from pools.pull.selectors import age_label

register = template.Library()


@register.filter
def short_age(since):
    """ "6 d", "45 h", "3 min": an age that fits a phone's column (the pool pages' format)."""
    return age_label(since, timezone.now())


@register.filter
def time_since(since):
    """Django's timesince, except that a lead claimed seconds ago is "less than a minute"
    old, not "0 minutes"."""
    if since is None:
        return ""
    if timezone.now() - since < timedelta(minutes=1):
        return "less than a minute"
    return timesince(since)


@register.filter
def zone_city(name: str) -> str:
    """A time zone as people name it: "America/Sao_Paulo" → "Sao Paulo"."""
    return _zone_city(name or "")


@register.filter
def field_label(name: str) -> str:
    """A lead field's name for people ("first_name" → "First name")."""
    return LEAD_FIELD_LABELS.get(name, name.replace("_", " ").capitalize())


@register.filter
def shown_as(value, name: str) -> str:
    """A stored value of the lead field `name` as people read it ("BR" → "Brazil")."""
    return value_label(name, value or "")


@register.filter
def field_labels(names) -> str:
    """Field names for people, joined: "First name, Last name, E-mail"."""
    return ", ".join(field_label(name) for name in names or ())


@register.filter
def location(lead) -> str:
    """Where the lead is, as people read it: "Sao Paulo, SP · Brazil" ("" when unknown)."""
    place = ", ".join(part for part in (lead.city, lead.state) if part)
    return " · ".join(part for part in (place, value_label("country", lead.country or "")) if part)
