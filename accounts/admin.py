from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.forms.models import BaseInlineFormSet
from django.utils.text import capfirst

from .forms import StringListField, TimeZoneInput, WorkingHoursField
from .models import (
    OutOfOffice,
    Quota,
    RepProfile,
    Team,
    Territory,
    User,
    validate_string_list,
    validate_working_hours,
)


class PlainTextEditing:
    """Admin mixin: what an admin types, as plain text. Every JSON list of strings (the
    fields `validate_string_list` guards) as one comma-separated line, working hours as a
    line per day, and a time zone box that suggests zones."""

    # A JSON field's form field, by the validator that says what the JSON holds.
    TEXT_FIELDS = (
        (validate_string_list, StringListField),
        (validate_working_hours, WorkingHoursField),
    )

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        if db_field.name == "time_zone":
            kwargs["widget"] = TimeZoneInput
        field_class = next(
            (cls for check, cls in self.TEXT_FIELDS if check in db_field.validators), None
        )
        if isinstance(db_field, models.JSONField) and field_class is not None:
            return field_class(
                label=capfirst(db_field.verbose_name),
                help_text=db_field.help_text,
                required=not db_field.blank,
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)


# A rep profile's fields, grouped the same way on the user page and on its own.
REP_PROFILE_FIELDSETS = (
    ("Team and routing", {"fields": ("team", "territories", "seniority", "weight")}),
    ("Skills", {"fields": ("languages", "industries", "company_sizes", "products")}),
    (
        "Time and availability",
        {"fields": ("time_zone", "working_hours", "availability", "availability_since")},
    ),
    ("Caps (blank = the team's)", {"classes": ("collapse",), "fields": Team.CAP_FIELDS}),
)


class RepProfileInline(PlainTextEditing, admin.StackedInline):
    model = RepProfile
    can_delete = False
    fk_name = "user"
    filter_horizontal = ("territories",)
    fieldsets = REP_PROFILE_FIELDSETS


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    inlines = (RepProfileInline,)
    list_display = ("username", "display_name", "roles", "team", "availability", "is_active")
    list_filter = ("groups", "is_active", "rep_profile__team", "rep_profile__availability")
    search_fields = ("username", "first_name", "last_name", "email")
    list_select_related = ("rep_profile__team",)

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description="Roles")
    def roles(self, obj):
        return ", ".join(g.name for g in obj.groups.all()) or "—"

    @admin.display(description="Team", ordering="rep_profile__team__name")
    def team(self, obj):
        profile = getattr(obj, "rep_profile", None)
        return profile.team if profile and profile.team_id else "—"

    @admin.display(description="Availability")
    def availability(self, obj):
        profile = getattr(obj, "rep_profile", None)
        return profile.get_availability_display() if profile else "—"


class OutOfOfficeInline(admin.TabularInline):
    model = OutOfOffice
    extra = 0


@admin.register(RepProfile)
class RepProfileAdmin(PlainTextEditing, admin.ModelAdmin):
    fieldsets = ((None, {"fields": ("user",)}), *REP_PROFILE_FIELDSETS)
    list_display = ("user", "team", "availability", "seniority", "weight", "time_zone")
    list_filter = ("team", "availability", "seniority", "territories")
    list_editable = ("availability", "weight")
    search_fields = ("user__username", "user__first_name", "user__last_name")
    list_select_related = ("user", "team")
    filter_horizontal = ("territories",)
    inlines = (OutOfOfficeInline,)
    autocomplete_fields = ("user",)


class QuotaFormSet(BaseInlineFormSet):
    """Two rows for the same rep (or two team defaults), metric and period in one save are
    refused with the rows named: Django's own check skips rows whose rep is blank, and the
    database would refuse them with an error page."""

    def clean(self):
        super().clean()
        seen = {}
        for number, form in enumerate(self.forms, start=1):
            data = getattr(form, "cleaned_data", None)
            if not data or data.get("DELETE") or not data.get("metric"):
                continue
            rep = data.get("rep")
            key = (rep.pk if rep else None, data["metric"], data.get("period"))
            if key in seen:
                who = rep.display_name if rep else "The team default"
                raise ValidationError(
                    f"{who} has two {Quota.Metric(data['metric']).label.lower()} quotas a "
                    f"{data.get('period')} (rows {seen[key]} and {number}); keep one."
                )
            seen[key] = number


class QuotaInline(admin.TabularInline):
    model = Quota
    formset = QuotaFormSet
    extra = 0
    fields = ("rep", "metric", "period", "target")
    verbose_name = "quota"
    verbose_name_plural = "Quotas (no rep: the team's default; a rep: their own target)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        # Offer the team's reps only (the model refuses others anyway).
        if db_field.name == "rep":
            team_id = request.resolver_match.kwargs.get("object_id") or ""
            # A team being added has no reps yet: its quotas are team defaults. A rep who
            # left the team keeps their row listed, for the model's message to name them.
            reps = (
                User.objects.filter(
                    Q(rep_profile__team_id=team_id) | Q(quotas__team_id=team_id)
                ).distinct()
                if team_id.isdigit()
                else User.objects.none()
            )
            kwargs["queryset"] = reps.order_by("first_name", "last_name", "username")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Quota)
class QuotaAdmin(admin.ModelAdmin):
    list_display = ("team", "who", "metric", "period", "target")
    list_filter = ("team", "metric", "period")
    search_fields = ("team__name", "rep__username", "rep__first_name", "rep__last_name")
    list_select_related = ("team", "rep")
    autocomplete_fields = ("rep",)

    @admin.display(description="Rep", ordering="rep__username")
    def who(self, obj):
        return obj.rep.display_name if obj.rep_id else "Team default"


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ("name", "manager_names", "member_count", "max_per_day", "max_open_untouched")
    search_fields = ("name",)
    filter_horizontal = ("managers",)
    fieldsets = (
        (None, {"fields": ("name", "managers")}),
        ("Amounts", {"fields": ("number_format", "currency")}),
        ("Default caps for members", {"fields": Team.CAP_FIELDS}),
    )
    inlines = (QuotaInline,)

    def get_queryset(self, request):
        from django.db.models import Count

        return (
            super()
            .get_queryset(request)
            .prefetch_related("managers")
            .annotate(_members=Count("members"))
        )

    @admin.display(description="Managers")
    def manager_names(self, obj):
        return ", ".join(m.display_name for m in obj.managers.all()) or "—"

    @admin.display(description="Members", ordering="_members")
    def member_count(self, obj):
        return obj._members


def comma_column(model, name: str):
    """A list column for a JSON list of strings, as the editor shows it ("BR, PT"), not
    as Python prints the list (['BR', 'PT'])."""

    @admin.display(description=capfirst(model._meta.get_field(name).verbose_name))
    def column(obj):
        return ", ".join(getattr(obj, name)) or "—"

    column.__name__ = name  # the cell's CSS class: field-<name>, as for the field itself
    return column


@admin.register(Territory)
class TerritoryAdmin(PlainTextEditing, admin.ModelAdmin):
    list_display = (
        "name",
        *(
            comma_column(Territory, f)
            for f in ("countries", "states", "postal_prefixes", "area_codes")
        ),
    )
    search_fields = ("name",)
