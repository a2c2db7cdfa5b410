from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import render
from django.urls import path, reverse
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from leadroute.shared.admin_mixins import AppendOnlyAdminMixin
from pools.screening.conditions import arrival_time_zone

from .decisions.selectors import decision_view_model
from .engine import lead_route_preview
from .engine.book import is_stateful
from .escalation import admin as escalation_admin  # noqa: F401  (registers its models)
from .models import Heartbeat, RepIntake, RoutingDecision, RoutingRule, RuleRotation, RuleSet
from .rules.conditions import conditions_describe
from .rules.fields_used import rule_form_layouts
from .rules.forms import RoutingRuleForm, TestLeadForm
from .rules.models import live_rule_set_id
from .simulator import admin as simulator_admin  # noqa: F401  (rule sets)
from .webhooks import admin as webhooks_admin  # noqa: F401  (likewise)


@admin.register(Heartbeat)
class HeartbeatAdmin(admin.ModelAdmin):
    list_display = ("name", "beat_at")
    readonly_fields = ("name", "beat_at")

    def has_add_permission(self, request):
        return False


class RuleRotationInline(admin.StackedInline):
    model = RuleRotation
    can_delete = False
    readonly_fields = ("state", "updated_at")
    verbose_name = "method state (round-robin pointer, weighted counters)"
    verbose_name_plural = verbose_name

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    form = RoutingRuleForm
    change_list_template = "admin/routing/routingrule/change_list.html"
    change_form_template = "admin/routing/routingrule/change_form.html"
    inlines = (RuleRotationInline,)
    list_display = (
        "priority",
        "name",
        "is_active",
        "reads_as",
        "sends_to",
        "if_nobody",
        "decisions_link",
    )
    list_display_links = ("name",)
    list_editable = ("priority", "is_active")
    list_filter = ("rule_set", "is_active", "action", "method", "target", "team")
    search_fields = ("name", "description")
    list_select_related = (
        "rule_set",
        "team",
        "pool",
        "direct_rep",
        "fallback_rule",
        "fallback_pool",
    )
    filter_horizontal = ("reps",)
    readonly_fields = ("reads_as",)
    save_as = True
    fieldsets = (
        (None, {"fields": ("rule_set", "name", "priority", "is_active", "description")}),
        ("Which leads", {"fields": ("conditions", "reads_as")}),
        (
            "Where they go",
            {
                "fields": ("action", "method", "target", "team", "reps", "direct_rep", "pool"),
                "description": "Assign picks one rep with the method among the target's eligible "
                "reps; the other actions place the lead without choosing a rep.",
            },
        ),
        (
            "Live offer",
            {
                "fields": (
                    "offer_method",
                    "offer_seconds",
                    "offer_passes",
                    "offer_shark_size",
                    "offer_waves",
                    "offer_blind",
                ),
                "description": "Offer live pushes the lead to the target's eligible reps who "
                "are online; the first to accept wins, and unanswered steps move on by timer "
                "to the next, then to the fallback.",
            },
        ),
        (
            "Who is eligible",
            {
                "fields": (
                    "require_territory",
                    "require_language",
                    "require_industry",
                    "require_company_size",
                    "require_product",
                    "min_seniority",
                ),
                "description": "Always checked: active account, availability, working hours in "
                "the rep's time zone, out of office, caps (per day/week/month, "
                "open untouched leads), and not a previous owner of the lead.",
            },
        ),
        (
            "Method options",
            {
                "fields": (
                    "keep_turn",
                    "performance_window_days",
                    "performance_min_sample",
                    "value_tiers",
                ),
            },
        ),
        ("When nobody is eligible", {"fields": ("fallback", "fallback_rule", "fallback_pool")}),
    )

    class Media:
        js = ("js/rule_form.js",)

    def get_inlines(self, request, obj):
        # The method's state only where the method keeps one (round robin, weighted,
        # sequential offers): a shotgun rule showed an empty "State -".
        return self.inlines if obj is not None and obj.picks_reps and is_stateful(obj) else ()

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(n_decisions=Count("decisions"))

    def changelist_view(self, request, extra_context=None):
        # The list shows the live rules unless a set is picked: a draft's rules are one
        # filter away (the rule sets' list links each set to its own).
        if not any(key.startswith("rule_set") for key in request.GET):
            request.GET = request.GET.copy()
            request.GET["rule_set__id__exact"] = str(live_rule_set_id())
        # The set is named in the title, not in a column (the list is one set's).
        picked = request.GET.get("rule_set__id__exact", "")
        shown = RuleSet.objects.filter(pk=picked).first() if picked.isdigit() else None
        if shown is not None:
            extra_context = {
                **(extra_context or {}),
                "title": f"Rules of “{shown}” — "
                + (
                    "live: leads are routed by them"
                    if shown.is_live
                    else f"{shown.get_state_display().lower()}: no lead is routed by them"
                ),
            }
        return super().changelist_view(request, extra_context)

    # A former version is a record: its rules are shown, never changed (roll back to it,
    # or copy the live rules into a draft, to change them again).
    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and not _in_version(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and not _in_version(obj)

    def save_model(self, request, obj, form, change):
        if _in_version(obj):  # also the list's editable columns, which ask no object
            raise PermissionDenied
        super().save_model(request, obj, form, change)

    def delete_queryset(self, request, queryset):
        if queryset.filter(rule_set__state=RuleSet.State.VERSION).exists():
            raise PermissionDenied
        super().delete_queryset(request, queryset)

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        picked = request.GET.get("rule_set__id__exact", "")
        versions = RuleSet.objects.filter(state=RuleSet.State.VERSION)
        if picked.isdigit() and versions.filter(pk=picked).exists():
            changelist.list_editable = ()
        return changelist

    def render_change_form(self, request, context, *args, **kwargs):
        context["rule_form_layouts"] = rule_form_layouts()
        return super().render_change_form(request, context, *args, **kwargs)

    @admin.display(description="Takes")
    def reads_as(self, obj):
        # Codes break after their underscores: the list fits a laptop's width beside the
        # admin's sidebars (construction_tools_house_garden alone was wider than its column).
        text = conditions_describe(obj.conditions) if obj and obj.pk else "—"
        return mark_safe(escape(text).replace("_", "_<wbr>"))

    @admin.display(description="Sends to")
    def sends_to(self, obj):
        if obj.action == RoutingRule.Action.POOL:
            return f"Pool {obj.pool}"
        if obj.action == RoutingRule.Action.SKIM:
            return f"Skim queue of {obj.team or 'the lead’s team'}"
        if obj.assign_method == RoutingRule.Method.DIRECT:
            return f"{obj.direct_rep} (direct)"
        whom = {
            "team": f"reps of {obj.team}",
            "reps": "listed reps",
            "territory": "territory reps",
        }[obj.target]
        if obj.action == RoutingRule.Action.OFFER:  # "Shotgun live offer to reps of …"
            method = obj.get_offer_method_display().split(":")[0]
            return f"{method} live offer to online {whom}"
        return f"{obj.get_method_display()} over {whom}"

    @admin.display(description="If nobody eligible")
    def if_nobody(self, obj):
        if obj.fallback == RoutingRule.Fallback.RULE:
            return f"Rule {obj.fallback_rule}"
        if obj.fallback == RoutingRule.Fallback.POOL:
            return f"Pool {obj.fallback_pool}"
        return "Skim queue"

    @admin.display(description="Decisions", ordering="n_decisions")
    def decisions_link(self, obj):
        url = reverse("admin:routing_routingdecision_changelist") + f"?rule__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, obj.n_decisions)

    def get_urls(self):
        return [
            path(
                "test/", self.admin_site.admin_view(self.test_view), name="routing_routingrule_test"
            ),
            *super().get_urls(),
        ]

    def test_view(self, request):
        """Which rule takes a lead and who would get it — writes nothing."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        # A link from a draft's rule list names only the set: the form starts on it.
        asked = {"lead_id", "fields_text"} & set(request.GET)
        form = TestLeadForm(
            request.GET if asked else None, initial={"rule_set": request.GET.get("rule_set")}
        )
        result = None
        if form.is_valid():
            decision = lead_route_preview(
                lead=form.cleaned_data["lead"],
                source_slug=form.cleaned_data["source_slug"],
                now=form.cleaned_data["at"],
                rule_set=form.cleaned_data["rule_set"],
            )
            result = decision_view_model(decision=decision, full=True)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Test a lead against the rules",
            "form": form,
            "result": result,
            "moment": form.cleaned_data.get("at") if result else None,
            "tested_set": form.cleaned_data.get("rule_set") if result else None,
            "zone": arrival_time_zone().key,
        }
        return render(request, "admin/routing/routingrule/test_lead.html", context)


def _in_version(rule) -> bool:
    # A new rule may have no set yet (the model's save gives it the live one).
    return (
        rule is not None
        and rule.rule_set_id is not None
        and rule.rule_set.state == RuleSet.State.VERSION
    )


@admin.register(RoutingDecision)
class RoutingDecisionAdmin(AppendOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "lead", "outcome", "rule_name", "winner", "reason", "duration_ms")
    list_filter = ("outcome", "method", "rule")
    search_fields = ("rule_name", "reason", "lead__email", "lead__company")
    list_select_related = ("lead", "winner")
    readonly_fields = [f.name for f in RoutingDecision._meta.fields]
    date_hierarchy = "created_at"


@admin.register(RepIntake)
class RepIntakeAdmin(admin.ModelAdmin):
    list_display = ("day", "user", "count", "last_at")
    list_filter = ("day",)
    search_fields = ("user__username",)
    readonly_fields = ("user", "day", "count", "last_at")

    def has_add_permission(self, request):
        return False
