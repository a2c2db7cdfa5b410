"""Template tags for live pages, built in to every template (settings.TEMPLATES)."""

from django import template
from django.utils.safestring import mark_safe

from .live import live_replace

register = template.Library()


@register.simple_tag
def live_remove(*parts) -> str:
    """Remove the element whose id is `parts` joined, if the page still has it (an answer
    that may arrive after the live frame that removed it already: live_replace)."""
    return mark_safe(live_replace("".join(str(part) for part in parts)))
