"""Template filters for lead pages."""

from django import template
from django.utils import timezone

from ..pool_selectors import age_label

register = template.Library()


@register.filter
def short_age(since):
    """ "6 d", "45 h", "3 min": an age that fits a phone's column (the pool pages' format)."""
    return age_label(since, timezone.now())
