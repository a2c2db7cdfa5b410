"""SLA policies and pool aging in the admin; each policy says what it does in words."""

from django.contrib import admin

from ..models import EmailMute, Notification, PoolAgingPolicy, SlaPolicy, SlaStep
from .policies import policy_summary


class SlaStepInline(admin.TabularInline):
    model = SlaStep
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
    list_display = ("pool", "after_minutes", "action", "rule", "is_active")
    list_select_related = ("pool", "rule")


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
