"""The "New replay" form and the per-lead table's filters."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django import forms
from django.utils import timezone

from accounts.models import Team
from reports.filters import MAX_CUSTOM_DAYS
from routing.simulator.selectors import simulation_drafts, simulation_teams_for

from .selectors import OUTCOME_FILTERS


class ReplayForm(forms.Form):
    draft = forms.ModelChoiceField(
        label="Draft",
        queryset=None,
        empty_label="Choose a draft",
        error_messages={
            "required": "Choose the draft to replay.",
            "invalid_choice": "That draft no longer exists: choose another.",
        },
    )
    first_day = forms.DateField(
        label="From",
        widget=forms.DateInput({"type": "date"}),
        error_messages={"required": "Give the first day of the period."},
    )
    last_day = forms.DateField(
        label="To",
        widget=forms.DateInput({"type": "date"}),
        error_messages={"required": "Give the last day of the period."},
    )
    team = forms.ModelChoiceField(
        label="Team",
        queryset=None,
        required=False,
        error_messages={"invalid_choice": "not one of your teams."},
    )

    def __init__(self, data=None, *, user, initial=None):
        super().__init__(data, initial=initial)
        self.fields["draft"].queryset = simulation_drafts()
        teams = simulation_teams_for(user=user)
        self.every_team = teams is None
        self.fields["team"].queryset = (
            Team.objects.order_by("name") if teams is None else teams.order_by("name")
        )
        # An admin may replay every team at once; anyone else names one of theirs.
        self.fields["team"].empty_label = "All teams" if self.every_team else "Choose a team"
        self.fields["team"].required = not self.every_team
        self.fields["team"].error_messages["required"] = "Choose one of your teams."

    def clean(self):
        data = super().clean()
        first, last = data.get("first_day"), data.get("last_day")
        if first and last:
            if last < first:
                raise forms.ValidationError("The period ends before it starts.")
            if first > timezone.localdate():
                raise forms.ValidationError("The period starts in the future: nothing to replay.")
            if (last - first).days >= MAX_CUSTOM_DAYS:
                raise forms.ValidationError(
                    f"Choose at most {MAX_CUSTOM_DAYS} days; the period has "
                    f"{(last - first).days + 1}."
                )
        return data

    def period(self) -> tuple[datetime, datetime]:
        """[start, end): midnight to midnight in the reader's time zone."""
        zone = timezone.get_current_timezone()
        first, last = self.cleaned_data["first_day"], self.cleaned_data["last_day"]
        return (
            datetime.combine(first, time.min, tzinfo=zone),
            datetime.combine(last + timedelta(days=1), time.min, tzinfo=zone),
        )


class LeadFilterForm(forms.Form):
    changed = forms.BooleanField(label="Changed only", required=False)
    rep = forms.TypedChoiceField(label="Rep", required=False, coerce=int, empty_value=None)
    outcome = forms.ChoiceField(
        label="Outcome",
        required=False,
        choices=[("", "Any outcome"), *OUTCOME_FILTERS.items()],
        error_messages={"invalid_choice": "%(value)s is not an outcome this table knows."},
    )

    def __init__(self, data, *, reps: dict[int, str]):
        super().__init__(data)
        self.fields["rep"].choices = [("", "Any rep")] + sorted(
            reps.items(), key=lambda kv: kv[1].lower()
        )
        self.fields["rep"].error_messages["invalid_choice"] = "not a rep of this replay."
