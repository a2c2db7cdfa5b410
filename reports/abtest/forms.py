"""The two arms of an A/B comparison, read from the query string like every report filter:
two periods, two routing rules or two routing methods."""

from __future__ import annotations

from django import forms
from django.db.models import Q

from accounts.roles import Role, has_role
from reports.filters import MAX_CUSTOM_DAYS
from routing.models import RoutingRule, RuleSet

KINDS = {
    "periods": "Two periods",
    "rules": "Two routing rules",
    "methods": "Two routing methods",
}
METHODS = [*RoutingRule.Method.choices, *RoutingRule.OfferMethod.choices]


class ArmsForm(forms.Form):
    compare = forms.ChoiceField(label="Compare", choices=list(KINDS.items()))
    a_start = forms.DateField(
        label="A from", required=False, widget=forms.DateInput({"type": "date"})
    )
    a_end = forms.DateField(label="A to", required=False, widget=forms.DateInput({"type": "date"}))
    b_start = forms.DateField(
        label="B from", required=False, widget=forms.DateInput({"type": "date"})
    )
    b_end = forms.DateField(label="B to", required=False, widget=forms.DateInput({"type": "date"}))
    rule_a = forms.ModelChoiceField(label="Rule A", required=False, queryset=None)
    rule_b = forms.ModelChoiceField(label="Rule B", required=False, queryset=None)
    method_a = forms.ChoiceField(label="Method A", required=False, choices=[("", "—"), *METHODS])
    method_b = forms.ChoiceField(label="Method B", required=False, choices=[("", "—"), *METHODS])

    def __init__(self, data, *, user, teams):
        super().__init__(data)
        # Rules that can have routed leads: a draft (routing/simulator) never has.
        rules = RoutingRule.objects.exclude(rule_set__state=RuleSet.State.DRAFT).order_by("name")
        if not has_role(user, Role.ADMIN):  # a manager's teams' rules and team-wide ones
            rules = rules.filter(Q(team__in=teams) | Q(team__isnull=True))
        for name in ("rule_a", "rule_b"):
            self.fields[name].queryset = rules
            self.fields[name].error_messages["invalid_choice"] = "not a rule of your teams."

    def clean(self):
        data = super().clean()
        kind = data.get("compare")
        if kind == "periods":
            for arm in ("a", "b"):
                start, end = data.get(f"{arm}_start"), data.get(f"{arm}_end")
                if not start or not end:
                    raise forms.ValidationError(f"Period {arm.upper()} needs a from and a to date.")
                if end < start:
                    raise forms.ValidationError(f"Period {arm.upper()} ends before it starts.")
                if (end - start).days >= MAX_CUSTOM_DAYS:
                    raise forms.ValidationError(
                        f"Period {arm.upper()} is longer than {MAX_CUSTOM_DAYS} days."
                    )
            # A lead in both arms would count twice; its period decides its one arm.
            if data["a_start"] <= data["b_end"] and data["b_start"] <= data["a_end"]:
                raise forms.ValidationError("The two periods overlap: choose periods apart.")
        elif kind in ("rules", "methods"):
            field = "rule" if kind == "rules" else "method"
            a, b = data.get(f"{field}_a"), data.get(f"{field}_b")
            if not a or not b:
                raise forms.ValidationError(f"Choose {field} A and {field} B.")
            if a == b:
                raise forms.ValidationError(f"{field.title()} A and {field} B are the same.")
        return data
