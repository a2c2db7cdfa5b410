from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.html import format_html, format_html_join

from accounts.forms import JSONAsTextField
from pools.capture.normalise import state_normalise
from pools.models import COMPANY_FIELDS, Lead
from pools.money import MAX_AMOUNT, money_parse
from pools.screening.conditions import arrival_time_zone
from pools.screening.known_values import condition_values_check, known_values_help

from ..models import RoutingRule, RuleSet
from .conditions import FIELDS, SYNTAX, ConditionError, conditions_parse, conditions_text
from .fields_used import CHOICES, METHODS_EXPLAINED, rule_fields_used

FIELD_HELP = (
    "Fields: "
    + "; ".join(f"{k} — {label}" for k, (label, _) in FIELDS.items())
    + f".<br>{known_values_help(FIELDS)}"
)
# Lead columns a pasted test lead may set ("source" is a slug, handled apart).
PASTABLE = (*COMPANY_FIELDS, "phone", "score", "campaign", "created_at", "company")


class ConditionsField(JSONAsTextField):
    """A rule's conditions as text, a condition a line ("state in SP, RJ") and "or" between
    groups, for the JSON list of groups the engine reads. Admins used to type that JSON
    and met a parse error for a missing quote; the text reads as the rule list's "Takes"
    column, and a mistake is reported by its line."""

    widget = forms.Textarea(attrs={"rows": 8, "cols": 70, "style": "font-family: monospace"})

    def __init__(self, **kwargs):
        # Unstripped: a message's line number counts the lines as the admin sees them.
        super().__init__(strip=False, **kwargs)

    def prepare_value(self, value):
        # Stored conditions as lines; text (re-shown after an error) as typed.
        return conditions_text(value) if isinstance(value, list) else value

    def to_python(self, value) -> list:
        try:
            return conditions_parse(super().to_python(value), check_known=True)
        except ConditionError as exc:
            raise forms.ValidationError(exc.messages) from None


class NumberListField(JSONAsTextField):
    """Numbers as one comma-separated line, "50000, 10000", for a JSON list of numbers."""

    widget = forms.TextInput(attrs={"size": 40})
    money = False  # amounts: see `MoneyListField`

    def prepare_value(self, value):
        return ", ".join(str(v) for v in value) if isinstance(value, list) else value

    def to_python(self, value) -> list:
        numbers = []
        for part in super().to_python(value).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                number = Decimal(part)
            except InvalidOperation:
                raise forms.ValidationError(
                    f"“{part}” is not a number (write 50000, not 50,000 or $50k)."
                ) from None
            if not number.is_finite():
                raise forms.ValidationError(f"“{part}” is not a number.")
            if self.money:
                try:  # "12.500" is refused as ambiguous, not read as twelve and a half
                    money_parse(part, decimal_mark=None, minimum=-MAX_AMOUNT)
                except ValueError as exc:
                    raise forms.ValidationError(str(exc)) from None
            numbers.append(int(number) if number == number.to_integral_value() else float(number))
        return numbers


class MoneyListField(NumberListField):
    money = True


class RepChoiceLabels:
    def label_from_instance(self, obj):
        return f"{obj.display_name} ({obj.username})"


class RepChoiceField(RepChoiceLabels, forms.ModelChoiceField):
    pass


class RepMultipleChoiceField(RepChoiceLabels, forms.ModelMultipleChoiceField):
    pass


class RoutingRuleForm(forms.ModelForm):
    conditions = ConditionsField(
        required=False,
        help_text=f"{SYNTAX}<br>{FIELD_HELP}<br>Try a rule with “Test a lead” on the rules list.",
    )
    value_tiers = MoneyListField(
        required=False,
        help_text=RoutingRule._meta.get_field("value_tiers").help_text,
    )

    class Meta:
        model = RoutingRule
        field_classes = {"reps": RepMultipleChoiceField, "direct_rep": RepChoiceField}
        fields = (
            "rule_set",
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
        if "method" in self.fields:
            # Every method's line; the browser highlights the chosen one (rule_form.js).
            self.fields["method"].help_text = format_html(
                '<ul class="method-explained">{}</ul>',
                format_html_join(
                    "",
                    '<li data-method="{}"><strong>{}</strong>: {}</li>',
                    (
                        (m.value, m.label.split(" (")[0], METHODS_EXPLAINED[m])
                        for m in RoutingRule.Method
                    ),
                ),
            )
        if "rule_set" in self.fields:
            # A rule stays in its set (its fallback links point inside it); drafts and the
            # live set take new rules, former versions none. Not a disabled field: a browser
            # does not send those, and "Save as new" of a draft's rule must stay in the draft.
            field = self.fields["rule_set"]
            field.required = False  # left out (a script, an old bookmark): see clean()
            if self.instance.pk:
                field.queryset = RuleSet.objects.filter(pk=self.instance.rule_set_id)
                field.empty_label = None
            else:
                field.queryset = RuleSet.objects.exclude(state=RuleSet.State.VERSION)
                if not self.initial.get("rule_set"):
                    field.initial = RuleSet.objects.live().first()
        if "fallback_rule" in self.fields and self.instance.pk:
            self.fields["fallback_rule"].queryset = RoutingRule.objects.filter(
                rule_set_id=self.instance.rule_set_id
            ).exclude(pk=self.instance.pk)

    def clean_value_tiers(self):
        tiers = self.cleaned_data.get("value_tiers") or []
        if any(t <= 0 for t in tiers):
            # Also what "50,000" becomes (50 and 0): the comma separates thresholds.
            raise forms.ValidationError(
                "Thresholds are amounts above zero, without thousands separators "
                "(50000, not 50,000)."
            )
        if tiers != sorted(tiers, reverse=True):
            raise forms.ValidationError("List the thresholds from highest to lowest.")
        return tiers

    def clean(self):
        data = super().clean()
        if "rule_set" in self.fields and not data.get("rule_set"):
            # The rule's own set, or for a new rule the live set, as the model does.
            data["rule_set"] = (
                self.instance.rule_set if self.instance.pk else RuleSet.objects.live().first()
            )
        rule_set, fallback_rule = data.get("rule_set"), data.get("fallback_rule")
        if rule_set and fallback_rule and fallback_rule.rule_set_id != rule_set.pk:
            self.add_error(
                "fallback_rule",
                f"“{fallback_rule}” belongs to the set “{fallback_rule.rule_set}”: a fallback "
                f"rule must be in this rule's own set ({rule_set}).",
            )
        used, required = rule_fields_used({c: data.get(c) for c in CHOICES})
        for name in self.fields:
            if name not in used:
                # Shown without JavaScript but meaningless for this rule: its value (or a
                # mistake in it) is dropped, not kept to surprise whoever edits it later.
                self.errors.pop(name, None)
                data[name] = _default(name)
        for name, message in required.items():
            if name in self.fields and not data.get(name) and name not in self.errors:
                self.add_error(name, message)
        return data


class DraftCopyForm(forms.Form):
    """The name of a new draft copied from the live rules."""

    name = forms.CharField(
        max_length=100, help_text="What the draft tries, e.g. “Weighted Inbound”."
    )
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if RuleSet.objects.filter(name__iexact=name).exists():
            raise forms.ValidationError(f"A rule set named “{name}” already exists.")
        return name


def _default(name: str):
    model_field = RoutingRule._meta.get_field(name)
    return [] if model_field.many_to_many else model_field.get_default()


class MomentField(forms.CharField):
    """A moment on the routing clock (`ROUTING_TIME_ZONE`, the arrival conditions' zone),
    typed "2026-03-04T10:00". Not Django's DateTimeField: that reads the reader's own zone
    (the tz cookie), and a moment to test must mean the same whoever types it."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"})
    FORMAT = "%Y-%m-%dT%H:%M"

    def prepare_value(self, value):
        if isinstance(value, datetime):
            return value.astimezone(arrival_time_zone()).strftime(self.FORMAT)
        return value

    def to_python(self, value) -> datetime | None:
        text = super().to_python(value).strip()
        if not text:
            return None
        zone = arrival_time_zone()
        example = f"write it as {timezone.now().astimezone(zone).strftime('%Y-%m-%d %H:%M')}"
        try:
            moment = parse_datetime(text.replace(" ", "T", 1))
        except ValueError:
            moment = None
        if moment is None:
            raise forms.ValidationError(f"“{text}” is not a date and time; {example}.")
        if not 1970 <= moment.year <= 2100:
            raise forms.ValidationError("Pick a moment between 1970 and 2100.")
        if timezone.is_aware(moment):
            return moment
        aware = moment.replace(tzinfo=zone)
        if aware.astimezone(UTC).astimezone(zone).replace(tzinfo=None) != moment:
            # Skipped when clocks went forward: no lead ever arrives then.
            raise forms.ValidationError(
                f"{moment:%Y-%m-%d %H:%M} does not exist in {zone.key} (the clocks skip it)."
            )
        return aware


class TestLeadForm(forms.Form):
    """“Test a lead”: an existing lead's id, or its fields typed a line each, routed at a
    moment of the admin's choosing (now unless told)."""

    lead_id = forms.IntegerField(required=False, min_value=1, label="Existing lead id")
    fields_text = forms.CharField(
        required=False,
        strip=False,  # line numbers as typed
        label="…or lead fields",
        widget=forms.Textarea(
            attrs={
                "rows": 6,
                "cols": 60,
                "style": "font-family: monospace",
                "placeholder": "source: paid_search\ncountry: BR\nstate: SP\nindustry: pet",
            }
        ),
        help_text="One field a line, “name: value”. Names: source (slug), "
        + ", ".join(PASTABLE)
        + ". Dates as 2026-03-04T10:00:00+00:00.",
    )
    at = MomentField(required=False)
    rule_set = forms.ModelChoiceField(
        queryset=RuleSet.objects.exclude(state=RuleSet.State.LIVE).order_by("-id"),
        required=False,
        empty_label="The live rules",
        label="Rules",
        help_text="The live rules, or a draft (or an earlier version) to see what it would do.",
    )

    def __init__(self, data=None, **kwargs):
        zone = arrival_time_zone().key
        if data is not None and not data.get("at"):
            # The moment a blank field means, shown back beside the outcome it gave.
            data = data.copy()
            data["at"] = self.base_fields["at"].prepare_value(timezone.now())
        super().__init__(data, **kwargs)
        at = self.fields["at"]
        at.label = f"Moment ({zone})"
        at.initial = at.prepare_value(timezone.now())
        at.help_text = (
            f"When the lead is routed, on the routing clock ({zone}); blank is now. Working "
            "hours, out of office and caps are checked at that moment, caps counting the "
            "leads routed on its day, week and month. Open and untouched leads, conversion "
            "rates and round-robin turns are as they stand now. A typed lead arrives at the "
            "moment (unless given created_at); an existing lead keeps its own arrival."
        )

    def clean_fields_text(self) -> dict:
        fields: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["fields_text"].splitlines(), start=1):
            if not line.strip():
                continue
            name, colon, value = line.partition(":")
            name = name.strip().lower()
            if not colon:
                raise forms.ValidationError(f"Line {number}: write “name: value”.")
            if name not in PASTABLE and name != "source":
                raise forms.ValidationError(f"Line {number}: “{name}” is not a field to test.")
            fields[name] = value.strip()
        try:
            for name, read in _READERS.items():
                if fields.get(name):
                    fields[name] = read(fields[name])
        except (InvalidOperation, ValueError) as exc:
            # An amount's refusal says why ("12.500" is ambiguous); others need no more.
            why = f" {exc}" if name == "estimated_value" else ""
            raise forms.ValidationError(
                f"“{fields[name]}” is not a valid {name.replace('_', ' ')}.{why}"
            ) from None
        return fields

    def clean(self):
        data = super().clean()
        lead_id, pasted = data.get("lead_id"), data.get("fields_text")
        if self.errors:
            return data
        if not lead_id and not pasted:
            raise forms.ValidationError("Give a lead id or type the lead's fields.")
        if lead_id and pasted:
            raise forms.ValidationError(
                "Give a lead id or type the lead's fields, not both: an existing lead is "
                "tested as it is."
            )
        if pasted.get("source"):
            try:  # the rules' own check: "paid_serch" would match nothing, silently
                condition_values_check(field="source", values=[pasted["source"]])
            except ConditionError as exc:
                self.add_error("fields_text", str(exc))
                return data
        if lead_id:
            lead = Lead.objects.filter(pk=lead_id).select_related("source").first()
            if lead is None:
                self.add_error("lead_id", f"There is no lead #{lead_id}.")
                return data
            data["lead"], data["source_slug"] = lead, None
            return data
        values = {k: v for k, v in pasted.items() if k != "source" and v != ""}
        if values.get("state"):  # as capture stores it (SP for São Paulo), or it could not match
            values["state"] = state_normalise(values["state"], country=values.get("country", ""))
        # A typed lead arrives at the moment tested unless it says when it arrived.
        values.setdefault("created_at", data.get("at") or timezone.now())
        data["lead"] = Lead(**values)
        data["source_slug"] = pasted.get("source", "")
        return data


def _decimal(text: str) -> Decimal:
    # A pasted amount: "12.500" is ambiguous and refused, never read as 12.5.
    return money_parse(text, decimal_mark=None, minimum=-MAX_AMOUNT)


def _datetime(text: str):
    value = parse_datetime(text)
    if value is None:
        raise ValueError(text)
    return value


# Typed values that are not text, read into what the Lead field holds.
_READERS = {"estimated_value": _decimal, "score": int, "created_at": _datetime}
