"""The inbound webhooks' admin: a hook's secret shown once (on adding, on rotating), and
the mapped hook's mapping edited and tried against a pasted sample. Registered from
pools/admin.py."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.cache import add_never_cache_headers

from pools.capture.webhooks.mapping import mapping_problems
from pools.capture.webhooks.preview import mapping_preview
from pools.capture.webhooks.secrets import hook_create, hook_secret_rotate
from pools.models import InboundHook

_ADDRESSES = {
    InboundHook.Kind.GOOGLE_ADS: "api:google_ads_lead",
    InboundHook.Kind.MAPPED_JSON: "api:mapped_json_lead",
}


def hook_path(hook: InboundHook) -> str:
    return reverse(_ADDRESSES[hook.kind], args=[hook.source.slug])


def hook_address(request: HttpRequest, hook: InboundHook) -> str:
    return request.build_absolute_uri(hook_path(hook))


class _Indented(json.JSONEncoder):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "indent": 2})


class MappingForm(forms.Form):
    mapping = forms.JSONField(
        encoder=_Indented,
        widget=forms.Textarea(attrs={"rows": 10, "cols": 80, "style": "font-family: monospace"}),
        help_text='{"dotted.path.in.the.body": "lead field"}. Targets: a lead field, '
        "full_name (split into first and last), or attributes.<name>.",
    )
    sample = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 12, "cols": 80, "style": "font-family: monospace"}),
        help_text="A body your tool sends, pasted here to see what it becomes. Never stored.",
    )

    def clean_mapping(self):
        mapping = self.cleaned_data["mapping"]
        if problems := mapping_problems(mapping):
            raise forms.ValidationError(problems)
        return mapping


class InboundHookForm(forms.ModelForm):
    class Meta:
        model = InboundHook
        fields = ("source", "kind", "is_active", "mapping")

    def clean(self):
        data = super().clean()
        kind = data.get("kind") or self.instance.kind
        if "mapping" in self.errors:  # not JSON: that is the one thing to say about it
            return data
        mapping = data.get("mapping") or {}
        if kind == InboundHook.Kind.MAPPED_JSON and (problems := mapping_problems(mapping)):
            self.add_error("mapping", problems)
        if kind == InboundHook.Kind.GOOGLE_ADS and mapping:
            self.add_error("mapping", "A Google Ads hook reads Google's own shape: leave it {}.")
        return data


@admin.register(InboundHook)
class InboundHookAdmin(admin.ModelAdmin):
    form = InboundHookForm
    list_display = ("source", "kind", "is_active", "secret_prefix", "secret_rotated_at")
    list_filter = ("kind", "is_active")
    list_select_related = ("source",)
    readonly_fields = ("address", "secret_prefix", "secret_rotated_at", "tools")

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("source", "kind", "is_active", "mapping")
        fields = ("source", "kind", "address", "is_active", "secret_prefix", "secret_rotated_at")
        return (*fields, "mapping", "tools") if obj.kind == obj.Kind.MAPPED_JSON else fields

    def get_readonly_fields(self, request, obj=None):
        # A hook stays with its source and kind: another is another hook (another address).
        return (*self.readonly_fields, "source", "kind") if obj else self.readonly_fields

    @admin.display(description="Address (on this site)")
    def address(self, obj):
        return hook_path(obj) if obj.pk else "—"

    @admin.display(description="Try it")
    def tools(self, obj):
        from django.utils.html import format_html

        return format_html(
            '<a class="button" href="{}">Edit and test the mapping against a sample</a>',
            reverse("admin:pools_inboundhook_mapping", args=[obj.pk]),
        )

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra = {
            **(extra_context or {}),
            "rotate_url": reverse("admin:pools_inboundhook_rotate", args=[object_id]),
        }
        return super().change_view(request, object_id, form_url, extra)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        created, raw = hook_create(source=obj.source, kind=obj.kind, mapping=obj.mapping)
        created.is_active = obj.is_active
        if not obj.is_active:
            created.save(update_fields=["is_active"])
        obj.pk, obj.secret_prefix, obj.secret_hash = created.pk, created.secret_prefix, ""
        obj.secret_rotated_at, obj.created_at = created.secret_rotated_at, created.created_at
        obj.raw_secret = raw  # for response_add, this request only

    def response_add(self, request, obj, post_url_continue=None):
        return self._secret_page(request, obj, obj.raw_secret, "Webhook created")

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/rotate/", view(self.rotate_view), name="pools_inboundhook_rotate"
            ),
            path(
                "<int:object_id>/mapping/",
                view(self.mapping_view),
                name="pools_inboundhook_mapping",
            ),
            *super().get_urls(),
        ]

    def _hook(self, request, object_id: int) -> InboundHook:
        hook = get_object_or_404(InboundHook.objects.select_related("source"), pk=object_id)
        if not self.has_change_permission(request, hook):
            raise PermissionDenied
        return hook

    def _secret_page(self, request, hook: InboundHook, raw: str, title: str):
        # The clear secret, once: rendered into this response only (not a message, which
        # would ride in a signed, readable cookie) and never stored.
        response = TemplateResponse(
            request,
            "admin/pools/inboundhook/secret.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "hook": hook,
                "raw_secret": raw,
                "address": hook_address(request, hook),
            },
        )
        add_never_cache_headers(response)
        return response

    def rotate_view(self, request, object_id: int):
        if request.method not in ("GET", "POST"):
            return HttpResponseNotAllowed(["GET", "POST"])
        hook = self._hook(request, object_id)
        if request.method == "POST":
            raw = hook_secret_rotate(hook=hook)
            self.log_change(request, hook, "Rotated the secret.")
            return self._secret_page(request, hook, raw, "New secret")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": "Rotate the secret?",
            "hook": hook,
        }
        return TemplateResponse(request, "admin/pools/inboundhook/rotate.html", context)

    def mapping_view(self, request, object_id: int):
        return _mapping_page(self, request, self._hook(request, object_id))


def _mapping_page(model_admin: InboundHookAdmin, request, hook: InboundHook):
    """Edit the mapping and try it on a sample: "Test" shows what the sample becomes and
    stores nothing; "Save" stores a valid mapping."""
    if request.method not in ("GET", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if hook.kind != InboundHook.Kind.MAPPED_JSON:
        messages.warning(request, "A Google Ads hook reads Google's own shape: nothing to map.")
        return redirect("admin:pools_inboundhook_change", hook.pk)
    preview = None
    if request.method == "POST":
        form = MappingForm(request.POST)
        if form.is_valid() and "_save" in request.POST:
            hook.mapping = form.cleaned_data["mapping"]
            hook.save(update_fields=["mapping"])
            model_admin.log_change(request, hook, "Changed the mapping.")
            messages.success(request, "Mapping saved.")
            return redirect("admin:pools_inboundhook_change", hook.pk)
        if form.is_valid() and form.cleaned_data["sample"].strip():
            preview = mapping_preview(
                mapping=form.cleaned_data["mapping"], sample=form.cleaned_data["sample"]
            )
    else:
        form = MappingForm(initial={"mapping": hook.mapping})
    context = {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.opts,
        "title": f"Mapping of {hook}",
        "hook": hook,
        "form": form,
        "preview": preview,
        "address": hook_address(request, hook),
    }
    return TemplateResponse(request, "admin/pools/inboundhook/mapping.html", context)
