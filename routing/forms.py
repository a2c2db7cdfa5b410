import json
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.utils.dateparse import parse_datetime

from pools.models import Lead

from .conditions import FIELDS, OPS, ConditionError, conditions_validate
from .models import RoutingRule

FIELD_HELP = "Fields: " + "; ".join(f"{k} — {label}" for k, (label, _) in FIELDS.items())
OP_HELP = "Operators: " + "; ".join(f"{k} — {label}" for k, label in OPS.items())
# Lead columns a pasted test lead may set ("source" is a slug, handled apart).
PASTABLE = (
    "industry",
    "company_size",
    "country",
    "state",
    "city",
    "postal_code",
    "phone",
    "language",
    "product_interest",
    "estimated_value",
    "score",
    "campaign",
    "created_at",
    "company",
)


class PrettyJSONField(forms.JSONField):
    """Shown one condition a line, with accents as typed ("São Paulo"), so people can
    read and edit it."""

    def prepare_value(self, value):
        if isinstance(value, forms.fields.InvalidJSONInput):
            return value
        if isinstance(value, list) and value and all(isinstance(g, list) for g in value):
            groups = [
                "  [\n"
                + ",\n".join(f"    {json.dumps(c, ensure_ascii=False)}" for c in g)
                + "\n  ]"
                for g in value
            ]
            return "[\n" + ",\n".join(groups) + "\n]"
        return json.dumps(value, ensure_ascii=False)


class RepChoiceLabels:
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"


class RepChoiceField(RepChoiceLabels, forms.ModelChoiceField):
    pass


class RepMultipleChoiceField(RepChoiceLabels, forms.ModelMultipleChoiceField):
    pass


class RoutingRuleForm(forms.ModelForm):
    conditions = PrettyJSONField(
        required=False,
        initial=list,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "style": "font-family: monospace"}),
        help_text=RoutingRule._meta.get_field("conditions").help_text
        + f"<br>{FIELD_HELP}.<br>{OP_HELP}.",
    )
    value_tiers = forms.JSONField(
        required=False,
        initial=list,
        widget=forms.TextInput(attrs={"size": 40}),
        help_text=RoutingRule._meta.get_field("value_tiers").help_text,
    )

    class Meta:
        model = RoutingRule
        field_classes = {"reps": RepMultipleChoiceField, "direct_rep": RepChoiceField}
        fields = (
            "name",
            "priority",
            "is_active",
            "description",
            "conditions",
            "action",
            "method",
            "target",
            "team",
            "reps",
            "direct_rep",
            "pool",
            "keep_turn",
            "performance_window_days",
            "performance_min_sample",
            "value_tiers",
            "require_territory",
            "require_language",
            "require_industry",
            "require_company_size",
            "require_product",
            "min_seniority",
            "fallback",
            "fallback_rule",
            "fallback_pool",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        reps = get_user_model().objects.filter(rep_profile__isnull=False).order_by("username")
        for name in ("reps", "direct_rep"):
            if name in self.fields:
                self.fields[name].queryset = reps
        if "fallback_rule" in self.fields and self.instance.pk:
            self.fields["fallback_rule"].queryset = RoutingRule.objects.exclude(pk=self.instance.pk)

    def clean_conditions(self):
        try:
            return conditions_validate(self.cleaned_data.get("conditions") or [])
        except ConditionError as exc:
            raise forms.ValidationError(str(exc)) from None

    def clean_value_tiers(self):
        tiers = self.cleaned_data.get("value_tiers") or []
        if not isinstance(tiers, list):
            raise forms.ValidationError("Enter a list of numbers, e.g. [50000, 10000].")
        try:
            numbers = [Decimal(str(t)) for t in tiers]
        except InvalidOperation:
            raise forms.ValidationError("Every tier threshold must be a number.") from None
        if numbers != sorted(numbers, reverse=True):
            raise forms.ValidationError("List the thresholds from highest to lowest.")
        return tiers

    def clean(self):
        data = super().clean()
        A, M, T, F = (
            RoutingRule.Action,
            RoutingRule.Method,
            RoutingRule.Target,
            RoutingRule.Fallback,
        )
        action, method, target = data.get("action"), data.get("method"), data.get("target")
        if action == A.POOL and not data.get("pool"):
            self.add_error("pool", "Choose the pool this rule places leads in.")
        if action == A.ASSIGN:
            if method == M.DIRECT and not data.get("direct_rep"):
                self.add_error("direct_rep", "Choose the rep for “Direct to a named rep”.")
            elif method != M.DIRECT and target == T.TEAM and not data.get("team"):
                self.add_error("team", "Choose the team whose reps get these leads.")
            elif method != M.DIRECT and target == T.REPS and not data.get("reps"):
                self.add_error("reps", "Choose at least one rep.")
        if data.get("fallback") == F.RULE and not data.get("fallback_rule"):
            self.add_error("fallback_rule", "Choose the rule to try when nobody is eligible.")
        if data.get("fallback") == F.POOL and not data.get("fallback_pool"):
            self.add_error("fallback_pool", "Choose the pool to use when nobody is eligible.")
        return data


class TestLeadForm(forms.Form):
    """“Test a lead”: an existing lead's id, or fields pasted as JSON."""

    lead_id = forms.IntegerField(required=False, min_value=1, label="Existing lead id")
    fields_json = forms.JSONField(
        required=False,
        label="…or lead fields (JSON)",
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "cols": 70,
                "style": "font-family: monospace",
                "placeholder": '{"source": "paid_search", "country": "BR",'
                ' "state": "SP", "industry": "pet"}',
            }
        ),
        help_text="Keys: source (slug), " + ", ".join(PASTABLE) + ".",
    )

    def clean(self):
        data = super().clean()
        lead_id, pasted = data.get("lead_id"), data.get("fields_json")
        if not lead_id and not pasted:
            raise forms.ValidationError("Give a lead id or paste the lead's fields.")
        if lead_id:
            lead = Lead.objects.filter(pk=lead_id).select_related("source").first()
            if lead is None:
                self.add_error("lead_id", f"There is no lead #{lead_id}.")
                return data
            data["lead"], data["source_slug"] = lead, None
            return data
        if not isinstance(pasted, dict):
            self.add_error("fields_json", 'Paste an object, e.g. {"country": "BR"}.')
            return data
        unknown = sorted(set(pasted) - set(PASTABLE) - {"source"})
        if unknown:
            self.add_error("fields_json", f"Unknown field(s): {', '.join(unknown)}.")
            return data
        values = {k: v for k, v in pasted.items() if k != "source"}
        try:
            if values.get("estimated_value") not in (None, ""):
                values["estimated_value"] = Decimal(str(values["estimated_value"]))
            if "score" in values:
                values["score"] = int(values["score"])
            if "created_at" in values:
                values["created_at"] = parse_datetime(str(values["created_at"]))
                if values["created_at"] is None:
                    raise ValueError("created_at")
        except (InvalidOperation, ValueError, TypeError) as exc:
            self.add_error(
                "fields_json",
                f"Could not read {exc}: check numbers and dates "
                "(ISO, e.g. 2026-03-04T10:00:00+00:00).",
            )
            return data
        data["lead"] = Lead(**{k: ("" if v is None else v) for k, v in values.items()})
        data["source_slug"] = str(pasted.get("source") or "")
        return data
