import secrets

from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.cache import add_never_cache_headers
from django.utils.text import capfirst

from leadroute.shared.admin_mixins import AppendOnlyAdminMixin
from leadroute.shared.redis_client import first_use
from pools.capture.apikeys import apikey_create, apikey_revoke
from pools.field_labels import LEAD_FIELD_LABELS
from pools.models import (
    COMPANY_FIELDS,
    PREVIEWABLE_FIELDS,
    PROTECTED_FIELDS,
    ApiKey,
    Lead,
    LeadEvent,
    LeadSource,
    Pool,
    ScoringRule,
    SourceRestriction,
)
from pools.money import MoneyField, money_format_for
from pools.pull.selectors import BLIND_FIELDS
from pools.screening.conditions import ConditionError
from pools.screening.known_values import KNOWN_FIELDS, condition_values_check, known_values_help
from pools.screening.services import rule_expected


class SourceRestrictionInline(admin.TabularInline):
    model = SourceRestriction
    extra = 0
    raw_id_fields = ("user",)
    verbose_name = "reserved for (team or rep)"
    verbose_name_plural = "reserved for — empty means any rep may claim this source's leads"


@admin.register(LeadSource)
class LeadSourceAdmin(admin.ModelAdmin):
    inlines = (SourceRestrictionInline,)
    list_display = ("name", "slug", "team", "qualification_threshold", "form_enabled", "is_active")
    list_filter = ("is_active", "team")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}


class PoolAdminForm(forms.ModelForm):
    """Preview fields as boxes to tick, not JSON to type: a misspelt name in the JSON was
    silently never shown."""

    preview_fields = forms.MultipleChoiceField(
        choices=[
            (
                name,
                f"{LEAD_FIELD_LABELS[name]} (blind pools too)"
                if name in BLIND_FIELDS
                else LEAD_FIELD_LABELS[name],
            )
            for name in PREVIEWABLE_FIELDS
        ],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text="What reps see of a lead before claiming it. A blind pool shows only the "
        "ticked fields marked “blind pools too” (all of those if none is ticked), so nothing "
        "identifies a lead before its claim.",
    )

    class Meta:
        model = Pool
        fields = ("preview_fields",)  # the admin's fieldsets name the rest

    def clean_preview_fields(self) -> list[str]:
        ticked = set(self.cleaned_data["preview_fields"])
        return [name for name in PREVIEWABLE_FIELDS if name in ticked]  # the table's order


@admin.register(Pool)
class PoolAdmin(admin.ModelAdmin):
    form = PoolAdminForm
    list_display = ("name", "mode", "order", "team", "territory", "is_team_default", "is_active")
    list_filter = ("mode", "team", "is_active")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    fieldsets = (
        (None, {"fields": ("name", "slug", "mode", "order", "preview_fields", "is_active")}),
        ("Scope", {"fields": ("team", "territory", "is_team_default")}),
        (
            "Pull restrictions",
            {
                "description": "Claim caps and max untouched leads are set on the team or the "
                "rep (Caps); source restrictions on the lead source.",
                "fields": (
                    "claim_cooldown_hours",
                    "update_first_hours",
                    "calling_hours_start",
                    "calling_hours_end",
                    "calling_weekdays_only",
                ),
            },
        ),
    )


class LeadEventInline(admin.TabularInline):
    model = LeadEvent
    extra = 0
    can_delete = False
    fields = ("created_at", "kind", "from_state", "to_state", "actor", "owner", "reason")
    readonly_fields = fields
    ordering = ("-created_at", "-id")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Lead)
class LeadAdmin(admin.ModelAdmin):
    list_display = (
        "id",
        "display_name",
        "company",
        "status",
        "owner",
        "pool",
        "team",
        "source",
        "score",
        "country",
        "created_at",
    )
    list_filter = ("status", "is_test", "source", "team", "pool", "country", "created_at")

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        # Amounts typed in the admin's browser convention; "12.500" without one is refused.
        if db_field.name in ("estimated_value", "won_value"):
            return MoneyField(
                label=capfirst(db_field.verbose_name),
                required=False,
                money_format=money_format_for(
                    team=None, accept_language=request.headers.get("Accept-Language", "")
                ),
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    search_fields = ("first_name", "last_name", "email", "phone", "company", "external_id")
    list_select_related = ("owner", "pool", "team", "source")
    date_hierarchy = "created_at"
    raw_id_fields = ("owner",)
    # State, owner and pool move only through the lifecycle services (they keep the
    # timeline and the invariants); the admin shows them.
    readonly_fields = (
        "status",
        "owner",
        "pool",
        "score",
        "score_breakdown",
        "created_at",
        "updated_at",
        "routed_at",
        "pooled_at",
        "assigned_at",
        "first_touch_at",
        "closed_at",
        "is_test",
    )
    inlines = (LeadEventInline,)
    fieldsets = (
        ("Contact", {"fields": PROTECTED_FIELDS}),
        ("Company", {"fields": COMPANY_FIELDS}),
        (
            "Origin",
            {
                "fields": (
                    *("source", "campaign", "landing_page", "external_id", "attributes"),
                    "is_test",
                )
            },
        ),
        (
            "Where it is",
            {
                "fields": (
                    "status",
                    "owner",
                    "pool",
                    "team",
                    "rejection_reason",
                    "lost_reason",
                    "won_value",
                    "score",
                    "score_breakdown",
                )
            },
        ),
        (
            "Timestamps",
            {
                "classes": ("collapse",),
                "fields": (
                    "created_at",
                    "updated_at",
                    "routed_at",
                    "pooled_at",
                    "assigned_at",
                    "first_touch_at",
                    "closed_at",
                ),
            },
        ),
    )


@admin.register(LeadEvent)
class LeadEventAdmin(AppendOnlyAdminMixin, admin.ModelAdmin):
    """Read-only: the timeline is append-only."""

    list_display = ("created_at", "lead", "kind", "from_state", "to_state", "actor", "reason")
    list_filter = ("kind", "to_state")
    search_fields = ("lead__id", "reason")
    list_select_related = ("lead", "actor")
    raw_id_fields = ("lead",)


class ApiKeyAddForm(forms.ModelForm):
    """The add form, sent once: the page that shows a new key answers the POST itself (the
    key is never stored, nor put in a cookie), so reloading it would post again and make a
    second live key. Each form carries a token that makes one key at most."""

    once = forms.CharField(widget=forms.HiddenInput)

    class Meta:
        model = ApiKey
        fields = ("source", "name")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["once"].initial = secrets.token_urlsafe(16)

    def clean(self):
        data = super().clean()
        token = data.get("once")
        # Spent only by a form that makes a key: one sent back for a missing source is
        # sent again, corrected, with the same token.
        if token and not self.errors and not first_use("apikey-add", token, seconds=86400):
            raise forms.ValidationError(
                "This form was sent already and its key made: a key is shown only once. "
                "If it was not copied, revoke it in the list and add a new one."
            )
        return data


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Adding a key shows the clear key once, on a page of its own. A key stays with the
    source it was made for: to serve another, make a new one."""

    list_display = ("prefix", "source", "name", "created_at", "revoked_at")
    list_filter = ("source", "revoked_at")
    fields = ("source", "name", "prefix", "created_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "revoked_at")
    actions = ("revoke",)

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ApiKeyAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ("source", "name", "once") if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return (*self.readonly_fields, "source") if obj is not None else ()

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created, raw = apikey_create(source=obj.source, name=obj.name, created_by=request.user)
        obj.pk, obj.prefix, obj.key_hash = created.pk, created.prefix, created.key_hash
        obj.created_at = created.created_at
        obj.raw_key = raw  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        response = TemplateResponse(
            request,
            "admin/pools/apikey/created.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": "API key created",
                "api_key": obj,
                "raw_key": obj.raw_key,
            },
        )
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke selected keys")
    def revoke(self, request, queryset):
        for key in queryset:
            apikey_revoke(api_key=key)
        self.message_user(request, f"Revoked {queryset.count()} key(s).")


class ScoringRuleForm(forms.ModelForm):
    """A value the rule's field cannot have (`source = paid_serch`) is refused with the
    closest known one, as in routing rules (one check: `condition_values_check`)."""

    class Meta:
        model = ScoringRule
        fields = ("name", "field", "operator", "value", "points", "source", "is_active")
        help_texts = {
            "value": ScoringRule._meta.get_field("value").help_text
            + " "
            + known_values_help(KNOWN_FIELDS)
        }

    def clean(self):
        data = super().clean()
        field, operator = (data.get("field") or "").strip(), data.get("operator")
        if operator in (
            ScoringRule.Operator.EQUALS,
            ScoringRule.Operator.NOT_EQUALS,
            ScoringRule.Operator.IN,
        ):
            expected = rule_expected(operator=operator, value=data.get("value") or "")
            values = expected if isinstance(expected, list) else [expected]
            try:
                condition_values_check(field=field, values=[v.strip() for v in values])
            except ConditionError as exc:
                self.add_error("value", str(exc))
        return data


@admin.register(ScoringRule)
class ScoringRuleAdmin(admin.ModelAdmin):
    form = ScoringRuleForm
    list_display = ("name", "field", "operator", "value", "points", "source", "is_active")
    list_editable = ("points", "is_active")
    list_filter = ("is_active", "source")
    search_fields = ("name", "field", "value")


# Registered by importing: the webhooks' admin lives with the webhooks.
from pools.capture.webhooks import admin as _webhooks_admin  # noqa: E402, F401
