"""Form fields and widgets for the accounts admin: what an admin types, as plain text."""

import functools
import re

from django import forms
from django.core.exceptions import ValidationError

from .models import WEEKDAYS, time_zone_names

_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d|24:00")


class JSONAsTextField(forms.CharField):
    """Base for a JSON value an admin edits as text: a subclass shows the stored value as
    text (`prepare_value`) and reads text back (`to_python`). The field has changed when
    what the text reads as differs from what is stored, not when only its spacing does."""

    def has_changed(self, initial, data) -> bool:
        try:
            return (initial or None) != (self.to_python(data) or None)  # [] and {} alike
        except ValidationError:
            return True


class StringListField(JSONAsTextField):
    """A list of short codes edited as one line, "pt, en", for a JSON list of strings (an
    admin once had to type ["pt", "en"], brackets and quotes, and got a JSON error for a
    missing quote). Blanks and repeats are dropped, the order is kept."""

    def __init__(self, **kwargs):
        kwargs.setdefault("widget", forms.TextInput(attrs={"size": 60}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        # A stored list is shown as a line; text (re-shown after an error) as typed.
        return ", ".join(value) if isinstance(value, list) else value

    def to_python(self, value) -> list[str]:
        items = (part.strip() for part in super().to_python(value).split(","))
        return list(dict.fromkeys(item for item in items if item))


class WorkingHoursField(JSONAsTextField):
    """A rep's week as a line per day, "mon: 09:00-12:00, 13:00-18:00" or "sat: off", for
    the {"mon": [["09:00", "12:00"], …]} the routing engine reads. A day left out is off.
    Each window is checked by the model's `validate_working_hours` (an end after its
    start); here, only the shape of the text."""

    widget = forms.Textarea(attrs={"rows": 7, "cols": 40})

    def prepare_value(self, value):
        if not isinstance(value, dict):
            return value  # text as typed (re-shown after an error)
        return "\n".join(
            f"{day}: {', '.join(f'{start}-{end}' for start, end in value.get(day, [])) or 'off'}"
            for day in WEEKDAYS
        )

    def to_python(self, value) -> dict:
        week: dict[str, list[list[str]]] = {}
        for line in super().to_python(value).splitlines():
            if not line.strip():
                continue
            day, colon, spec = line.partition(":")
            day = day.strip().lower()[:3]  # "Monday" and "Mon" read as "mon"
            if day not in WEEKDAYS or not colon:
                raise ValidationError(
                    f"“{line.strip()}”: start each line with a day, e.g. “mon: 09:00-17:00”."
                )
            if day in week:
                raise ValidationError(f"{day} appears twice.")
            windows = [w.strip() for w in spec.split(",") if w.strip()]
            if windows == ["off"]:
                windows = []
            week[day] = [self._window(day, w) for w in windows]
        return {day: windows for day, windows in week.items() if windows}

    @staticmethod
    def _window(day: str, text: str) -> list[str]:
        start, sep, end = text.replace("–", "-").partition("-")
        if not sep or not _CLOCK.fullmatch(start.strip()) or not _CLOCK.fullmatch(end.strip()):
            raise ValidationError(f"{day}: “{text}” is not a window like 09:00-17:00.")
        return [start.strip(), end.strip()]


class TimeZoneInput(forms.TextInput):
    """A text box that suggests IANA time zones as the admin types ("Sao" → America/Sao_Paulo);
    the model's validator still rejects anything else."""

    template_name = "accounts/widgets/datalist.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, {**(attrs or {}), "list": f"{name}-zones"})
        context["widget"]["options"] = _zones()
        return context


@functools.cache
def _zones() -> list[str]:
    return sorted(time_zone_names())
