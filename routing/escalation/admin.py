"""SLA policies and pool aging in the admin; each policy says what it does in words."""

from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from ..models import EmailMute, Notification, PoolAgingPolicy, SlaPolicy, SlaStep
from .models import minutes_label
from .policies import aging_summary, policy_summary


class SlaStepFormSet(BaseInlineFormSet):
    """The steps as a whole: at least one, one per time, none after a step that takes the
    lead from its owner (it would never run)."""

    def clean(self):
        super().clean()
        if any(self.errors):
            return
        steps = sorted(
            (
                form.cleaned_data
                for form in self.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ),
            key=lambda step: step["after_minutes"],
        )
        if not steps:
            raise ValidationError("Add at least one step: without one the policy does nothing.")
        problems = []
        for before, step in zip(steps, steps[1:], strict=False):
            if step["after_minutes"] == before["after_minutes"]:
                problems.append(
                    f"Two steps at {minutes_label(step['after_minutes'])}: give each its own time."
                )
        moves = [s for s in steps if s["action"] in SlaStep.MOVES]
        if moves:
            move = moves[0]
            for step in steps:
                if step["after_minutes"] > move["after_minutes"]:
                    problems.append(
                        f"“{SlaStep.Action(step['action']).label}” after "
                        f"{minutes_label(step['after_minutes'])} would never run: at "
                        f"{minutes_label(move['after_minutes'])} “"
                        f"{SlaStep.Action(move['action']).label}” has taken the lead from its "
                        "owner (a reassigned lead starts the policy afresh with its new owner)."
                    )
        if problems:
            raise ValidationError(problems)


class SlaStepInline(admin.TabularInline):
    model = SlaStep
    formset = SlaStepFormSet
    extra = 1
    fields = ("after_minutes", "action", "pool")


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "team", "is_active", "summary")
    list_filter = ("is_active", "team")
    inlines = [SlaStepInline]
    readonly_fields = ("summary",)
    fieldsets = (
        (None, {"fields": ("name", "team", "is_active", "summary")}),
        (
            "Which leads (empty: all of the team's)",
            {"fields": ("rule", "source", "min_score", "max_score")},
        ),
        ("Timing", {"fields": ("working_hours_only", "max_reassignments")}),
    )

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .select_related("team", "rule", "source")
            .prefetch_related("steps__pool")
        )

    @admin.display(description="What it does")
    def summary(self, obj):
        return policy_summary(obj) if obj.pk else "Save the policy to see its summary."


@admin.register(PoolAgingPolicy)
class PoolAgingPolicyAdmin(admin.ModelAdmin):
    list_display = ("pool", "is_active", "summary")
    list_select_related = ("pool", "rule")
    fields = ("pool", "after_minutes", "action", "rule", "is_active", "summary")
    readonly_fields = ("summary",)

    @admin.display(description="What it does")
    def summary(self, obj):
        return aging_summary(obj) if obj.pk else "Save the policy to see its summary."


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "user", "kind", "text", "read_at", "emailed_at")
    list_filter = ("kind",)
    list_select_related = ("user",)
    raw_id_fields = ("user", "lead")


@admin.register(EmailMute)
class EmailMuteAdmin(admin.ModelAdmin):
    list_display = ("user", "kind")
    list_select_related = ("user",)
