"""Webhook subscriptions and their delivery log in the admin."""

from __future__ import annotations

import json

from django.contrib import admin, messages
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from .deliveries import deliveries_resend
from .forms import WebhookSubscriptionForm
from .models import WebhookDelivery, WebhookSubscription
from .signing import HEADER
from .streaks import subscription_pause
from .subscriptions import subscription_resume, subscription_secret_rotate


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = ("name", "url", "team", "state", "event_count", "consecutive_failures")
    list_filter = ("team",)
    list_select_related = ("team",)
    search_fields = ("name", "url")
    readonly_fields = (
        "signing_secret",
        "state",
        "consecutive_failures",
        "last_success_at",
        "last_failure_at",
        "created_at",
    )
    actions = ("pause", "resume", "rotate_secret")

    def get_fieldsets(self, request, obj=None):
        main = (None, {"fields": ("name", "url", "events", "team")})
        if obj is None:
            return (main,)
        return (
            main,
            ("Signing", {"fields": ("signing_secret",)}),
            (
                "State",
                {
                    "fields": (
                        "state",
                        "consecutive_failures",
                        "last_success_at",
                        "last_failure_at",
                        "created_at",
                    )
                },
            ),
        )

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if not change:
            messages.info(
                request,
                f"Copy the signing secret of “{obj.name}” into the receiver: it checks the "
                f"{HEADER} header with it (the README shows how).",
            )

    @admin.display(description="Signing secret")
    def signing_secret(self, obj):
        previous = ""
        if (
            obj.previous_secret
            and obj.previous_secret_until
            and (obj.previous_secret_until > timezone.now())
        ):
            previous = format_html(
                "<p>The previous secret still signs too, until {}.</p>",
                timezone.localtime(obj.previous_secret_until).strftime("%Y-%m-%d %H:%M"),
            )
        return format_html(
            '<code style="user-select: all; font-size: 1.05em">{}</code>'
            "<p>Click to select it, then copy it into the receiver. “Rotate the secret” "
            "(in the list's actions) makes a new one.</p>{}",
            obj.secret,
            previous,
        )

    @admin.display(description="State")
    def state(self, obj):
        if obj.paused_at is None:
            return "Active"
        when = timezone.localtime(obj.paused_at).strftime("%Y-%m-%d %H:%M")
        return f"Paused {when}: {obj.paused_reason or 'by hand'}"

    @admin.display(description="Events")
    def event_count(self, obj):
        return len(obj.events)

    @admin.action(description="Pause the selected subscriptions")
    def pause(self, request, queryset):
        who = request.user.get_username()
        n = sum(subscription_pause(subscription=sub, reason=f"Paused by {who}") for sub in queryset)
        self.message_user(request, f"Paused {n}. Their events are kept and wait.")

    @admin.action(description="Resume the selected subscriptions")
    def resume(self, request, queryset):
        subs = list(queryset.filter(paused_at__isnull=False))
        for sub in subs:
            subscription_resume(subscription=sub)
        self.message_user(request, f"Resumed {len(subs)}: their waiting events go out now.")

    @admin.action(description="Rotate the secret (the old one signs too for 24 hours)")
    def rotate_secret(self, request, queryset):
        for sub in queryset:
            subscription_secret_rotate(subscription=sub)
        self.message_user(
            request, f"New secrets for {queryset.count()}: open each to copy its new secret."
        )


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "subscription",
        "type",
        "lead_link",
        "status",
        "attempts",
        "code",
        "next_attempt_at",
        "last_error",
    )
    list_filter = ("status", "type", "subscription")
    list_select_related = ("subscription",)
    search_fields = ("=lead__id", "=event__id")
    date_hierarchy = "created_at"
    show_full_result_count = False  # the log is long; an exact count scans it all
    actions = ("resend",)
    fields = (
        "subscription",
        "type",
        "event_public_id",
        "lead_link",
        "status",
        "attempts",
        "created_at",
        "next_attempt_at",
        "give_up_at",
        "last_attempt_at",
        "last_status_code",
        "duration",
        "last_error",
        "delivered_at",
        "body_pretty",
    )
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # read-only page; the resend action is permitted by `view`

    @admin.action(description="Resend the selected deliveries", permissions=["view"])
    def resend(self, request, queryset):
        n = deliveries_resend(ids=list(queryset.values_list("pk", flat=True)))
        self.message_user(request, f"{n} queued to be sent again (the same event id and body).")

    @admin.display(description="Lead", ordering="lead_id")
    def lead_link(self, obj):
        url = reverse("pools:lead_detail", args=[obj.lead_id])
        return format_html('<a href="{}">Lead #{}</a>', url, obj.lead_id)

    @admin.display(description="Code", ordering="last_status_code")
    def code(self, obj):
        return obj.last_status_code or "—"

    @admin.display(description="Time", ordering="last_duration_ms")
    def duration(self, obj):
        return "" if obj.last_duration_ms is None else f"{obj.last_duration_ms:.0f} ms"

    @admin.display(description="Event id")
    def event_public_id(self, obj):
        return obj.event_id_public

    @admin.display(description="Body")
    def body_pretty(self, obj):
        if not obj.body:
            return "Built at the first attempt."
        return format_html("<pre>{}</pre>", json.dumps(json.loads(obj.body), indent=2))
